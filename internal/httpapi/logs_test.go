package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

// syncBuffer collects the server's log lines, written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// linesWith are the log lines holding every one of parts.
func (b *syncBuffer) linesWith(parts ...string) []string {
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

func TestLogs_ServiceLinesCarryTheRequestAndItsCaller(t *testing.T) {
	logs := &syncBuffer{}
	fake := fakeopenai.Start(t)
	s := apitest.Start(t, apitest.Options{Log: logs, Env: map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL()}})
	_, tok := s.NewUser(t)
	var me struct{ ID int64 }
	json.Unmarshal(s.Do(t, "GET", "/users/me", tok, "").Body, &me)
	// A line naming its own user keeps it: the new user, not the anonymous caller.
	if lines := logs.linesWith(`msg="user registered"`); len(lines) != 1 || strings.Count(lines[0], "user_id=") != 1 ||
		!strings.Contains(lines[0], fmt.Sprintf("user_id=%d request_id=", me.ID)) {
		t.Errorf("user registered lines: %q", lines)
	}
	pid := newProject(t, s, tok, `{"name":"Bot"}`)

	r := s.Do(t, "POST", "/chat", tok, chatBody(pid, "hi", 0))
	wantStatus(t, r, 200, "")
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || me.ID == 0 {
		t.Fatalf("request id %q, user %d", rid, me.ID)
	}
	caller := fmt.Sprintf("request_id=%s user_id=%d", rid, me.ID)
	// The chat service's line, the llm client's, and the access log's: each names the request once.
	for _, msg := range []string{`msg="chat reply"`, `msg="openai call"`, `msg=request method=POST route=/chat status=200`} {
		lines := logs.linesWith(msg, "request_id="+rid)
		if len(lines) != 1 || !strings.Contains(lines[0], caller) || strings.Count(lines[0], "request_id=") != 1 ||
			strings.Contains(lines[0], "key_id=") {
			t.Errorf("%s lines for the request: %q, want one with %q", msg, lines, caller)
		}
	}

	// A project key's request names the key, and the owner as user.
	k := newKey(t, s, tok, pid, `{"name":"server","kind":"secret"}`)
	r = s.Do(t, "POST", "/chat", k.Key, `{"message":"hi from a key","user":"customer-1"}`)
	wantStatus(t, r, 200, "")
	keyed := fmt.Sprintf("request_id=%s user_id=%d key_id=%d", r.Header.Get("X-Request-Id"), me.ID, k.ID)
	if lines := logs.linesWith(`msg="chat reply"`, keyed); len(lines) != 1 {
		t.Errorf("no chat reply line with %q in\n%s", keyed, logs)
	}

	// An anonymous request's access line keeps user_id=0, as before; a 5xx's error line names the request.
	r = s.Do(t, "GET", "/no/such/route", "", "")
	if lines := logs.linesWith("msg=request", "request_id="+r.Header.Get("X-Request-Id")+" user_id=0"); len(lines) != 1 {
		t.Errorf("anonymous access line missing:\n%s", logs)
	}
	// A 5xx is logged once, by the error handler, naming the request and its caller.
	fake.Fail(fakeopenai.Responses, 1, fakeopenai.Fault{Status: 401, Type: "invalid_request_error", Code: "invalid_api_key", Message: "bad key"})
	r = s.Do(t, "POST", "/chat", tok, chatBody(pid, "fail", 0))
	wantStatus(t, r, 502, "")
	failed := fmt.Sprintf("request_id=%s user_id=%d", r.Header.Get("X-Request-Id"), me.ID)
	if lines := logs.linesWith(`msg="request failed"`, failed); len(lines) != 1 || strings.Count(lines[0], "request_id=") != 1 {
		t.Errorf("request failed lines with %q: %q", failed, lines)
	}
}

func TestLogs_ClientRequestIDOnlyWhenSafe(t *testing.T) {
	logs := &syncBuffer{}
	s := apitest.Start(t, apitest.Options{Log: logs})
	tests := []struct {
		name, id string
		echoed   bool
	}{
		{"valid", "client-id_1.2", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"too long", strings.Repeat("b", 65), false},
		{"spaces", "id with spaces", false},
		{"carriage return", "forged\rmsg=request route=/admin", false},
		{"vertical tab", "forged\vline", false},
		{"line separator", "forged\u2028line", false},
		{"non-ASCII", "idé", false},
		{"quote", `id"x`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Straight to the handler: an HTTP client refuses to send some of these values at all.
			req := httptest.NewRequest(http.MethodGet, "/health", nil)
			req.Header.Set(echo.HeaderXRequestID, tt.id)
			rec := httptest.NewRecorder()
			s.App.Echo.ServeHTTP(rec, req)
			got := rec.Header().Get(echo.HeaderXRequestID)
			if tt.echoed {
				if got != tt.id {
					t.Fatalf("X-Request-Id %q, want the client's %q", got, tt.id)
				}
				if len(logs.linesWith("msg=request", "request_id="+tt.id)) != 1 {
					t.Fatalf("no access line with the client's id in\n%s", logs)
				}
				return
			}
			if got == "" || got == tt.id || !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(got) {
				t.Fatalf("X-Request-Id %q, want a generated one", got)
			}
			if len(logs.linesWith("msg=request", "request_id="+got)) != 1 {
				t.Fatalf("no access line with the generated id %q in\n%s", got, logs)
			}
			for _, bit := range []string{tt.id, strconv.Quote(tt.id), "forged"} {
				if strings.Contains(logs.String(), bit) {
					t.Fatalf("the log holds the client's id %q:\n%s", tt.id, logs)
				}
			}
		})
	}
}

func TestLogs_UnknownPathsUseAFixedRoute(t *testing.T) {
	logs := &syncBuffer{}
	s := apitest.Start(t, apitest.Options{Log: logs})
	r := s.Do(t, "GET", "/no/such/route-%E2%80%AE-"+strings.Repeat("x", 100)+"?q=secret", "", "")
	wantStatus(t, r, 404, "")
	lines := logs.linesWith("msg=request", "request_id="+r.Header.Get(echo.HeaderXRequestID))
	if len(lines) != 1 || !strings.Contains(lines[0], "route=unmatched status=404") || strings.Contains(lines[0], "no/such") ||
		strings.Contains(lines[0], "xxxx") {
		t.Fatalf("access lines %q", lines)
	}
}
