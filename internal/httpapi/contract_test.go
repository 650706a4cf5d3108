package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/apitest"
)

// TestContract_TheValidatorEnforcesTheDocumentsLimits: each limit api/openapi.yaml states answers
// 400 naming the field, at the document's bound and not before it.
func TestContract_TheValidatorEnforcesTheDocumentsLimits(t *testing.T) {
	// The operator's cap may go up to the document's bound (its default is lower).
	s := apitest.Start(t, apitest.Options{Env: map[string]string{"OPENAI_MAX_OUTPUT_TOKENS_CAP": "128000"}})
	_, tok := s.NewUser(t)
	pid := s.NewProject(t, tok, "Bot")
	prompt := s.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", pid), tok, `{"name":"p","content":"c"}`)
	wantStatus(t, prompt, 201, "")
	long := func(n int) string { return strings.Repeat("é", n) } // characters, not bytes
	tests := []struct {
		method, path, body string
		status             int
		detail             string
	}{
		{"POST", "/users/register", `{"email":"a@example.com","password":"Abcdef1"}`, 400, "password: must be at least 8 characters"},
		{"POST", "/users/register", `{"email":"a@example.com","password":"` + long(128) + `1"}`, 400, "password: must be at most 128 characters"},
		{"POST", "/users/register", `{"email":"` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + `.com","password":"Abcdefg1"}`, 400, "email: must be at most 254 characters"},
		{"POST", "/users/register", `{"email":"no-at-sign","password":"Abcdefg1"}`, 400, "email: is not a valid email address"},
		{"POST", "/users/login", `{"email":"a@example.com","password":"` + long(129) + `"}`, 400, "password: must be at most 128 characters"},
		{"POST", "/projects", `{"name":"` + long(101) + `"}`, 400, "name: must be at most 100 characters"},
		{"POST", "/projects", `{"name":"` + long(100) + `"}`, 201, ""},
		{"POST", "/projects", `{"name":""}`, 400, "name: must not be empty"},
		{"POST", "/projects", `{"name":"x","temperature":2.01}`, 400, "temperature: must be between 0 and 2"},
		{"POST", "/projects", `{"name":"x","temperature":-0.1}`, 400, "temperature: must be between 0 and 2"},
		{"POST", "/projects", `{"name":"x","max_output_tokens":15}`, 400, "max_output_tokens: must be between 16 and 128000"},
		{"PATCH", fmt.Sprintf("/projects/%d", pid), `{"max_output_tokens":128001}`, 400, "max_output_tokens: must be between 16 and 128000"},
		{"PATCH", fmt.Sprintf("/projects/%d", pid), `{"model":"` + strings.Repeat("m", 101) + `"}`, 400, "model: must be at most 100 characters"},
		{"PATCH", fmt.Sprintf("/projects/%d", pid), `{"max_output_tokens":128000,"temperature":2}`, 200, ""},
		{"POST", fmt.Sprintf("/projects/%d/prompts", pid), `{"name":"p","content":"` + long(32001) + `"}`, 400, "content: must be at most 32000 characters"},
		{"POST", fmt.Sprintf("/projects/%d/prompts", pid), `{"name":"p","content":"` + long(32000) + `"}`, 201, ""},
		{"POST", fmt.Sprintf("/projects/%d/prompts", pid), `{"name":"p","content":"c","position":1000001}`, 400, "position: must be between 0 and 1000000"},
		{"POST", fmt.Sprintf("/projects/%d/prompts", pid), `{"name":"p","content":"c","position":-1}`, 400, "position: must be between 0 and 1000000"},
		{"POST", "/chat", fmt.Sprintf(`{"project_id":%d,"message":"%s"}`, pid, long(32001)), 400, "message: must be at most 32000 characters"},
		{"GET", "/projects/0", "", 400, "project_id"},
		{"GET", "/conversations/0", "", 400, "conversation_id"},
		{"GET", fmt.Sprintf("/projects/%d/conversations?key_id=0", pid), "", 400, "key_id"},
	}
	for _, tt := range tests {
		wantStatus(t, s.Do(t, tt.method, tt.path, tok, tt.body), tt.status, tt.detail)
	}
}

// TestContract_RequestBodiesRejectUnknownFields: a misspelt field is a 400 naming it, not a request
// that succeeds and changes nothing; the OpenAI-compatible endpoint stays open for OpenAI SDKs.
func TestContract_RequestBodiesRejectUnknownFields(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	_, tok := s.NewUser(t)
	pid := s.NewProject(t, tok, "Bot")
	tests := []struct{ method, path, body, field string }{
		{"PATCH", fmt.Sprintf("/projects/%d", pid), `{"nmae":"x"}`, "nmae"},
		{"PATCH", fmt.Sprintf("/projects/%d", pid), `{"custom_price":{"input":1,"output":2,"cached":1}}`, "custom_price.cached"},
		{"POST", "/projects", `{"name":"x","temprature":1}`, "temprature"},
		{"POST", fmt.Sprintf("/projects/%d/prompts", pid), `{"name":"p","content":"c","enabeld":false}`, "enabeld"},
		{"POST", "/chat", fmt.Sprintf(`{"project_id":%d,"message":"hi","conversation":1}`, pid), "conversation"},
		{"POST", "/users/register", `{"email":"a@example.com","password":"Abcdefg1","admin":true}`, "admin"},
		{"POST", fmt.Sprintf("/projects/%d/keys", pid), `{"name":"k","kind":"secret","scope":"read"}`, "scope"},
		{"PUT", fmt.Sprintf("/projects/%d/budget", pid), `{"monthly":1}`, "monthly"},
	}
	for _, tt := range tests {
		wantStatus(t, s.Do(t, tt.method, tt.path, tok, tt.body), 400, tt.field+": is not a known field")
	}
	key := newKey(t, s, tok, pid, `{"name":"sdk","kind":"secret","scopes":["chat"]}`).Key
	r := s.Do(t, "POST", "/v1/chat/completions", key, `{"model":"x","messages":[{"role":"user","content":"hi"}],"top_p":1,"seed":7,"tools":[]}`)
	if r.StatusCode == 400 {
		t.Fatalf("the OpenAI-compatible endpoint refused fields OpenAI SDKs send: %s", r.Body)
	}
	// Its 415 is documented in OpenAI's error shape (the transport checks the body against the document).
	wantStatus(t, s.Do(t, "POST", "/v1/chat/completions", key, `{}`, "Content-Type", "text/plain"), 415, "")
}

// TestContract_WrongMethodIs405WithAllow: a method a path does not have answers 405 in the API's
// error shape, naming the methods it has.
func TestContract_WrongMethodIs405WithAllow(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	_, tok := s.NewUser(t)
	r := s.Do(t, "PUT", "/users/me", tok, "")
	wantStatus(t, r, 405, "Method Not Allowed")
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Fatalf("Allow = %q, want the path's methods", allow)
	}
}

// TestContract_ListsArePaged: the lists that grow without bound come a page at a time; following
// X-Next-Cursor gives every item once, in order, and a limit above the document's maximum is a 400.
func TestContract_ListsArePaged(t *testing.T) {
	{ // both engines' keyset queries: storetest's PagesFollowTheListsOrder
		s, _ := chatServer(t, nil)
		_, tok := s.NewUser(t)
		pid := s.NewProject(t, tok, "Bot")
		// Three turns in one conversation (six messages), then two conversations more.
		var convID, first int64
		for i := range 5 {
			wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", pid), tok, fmt.Sprintf(`{"name":"p%d","content":"c","position":%d}`, i, 4-i)), 201, "")
			r := s.Do(t, "POST", "/chat", tok, chatBody(pid, fmt.Sprint("message ", i), convID))
			wantStatus(t, r, 200, "")
			if convID = decode[chatReply](t, r).ConversationID; i == 0 {
				first = convID
			} else if i >= 2 {
				convID = 0
			}
		}
		wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "again", 0)), 200, "")

		follow := func(path string, items func(apitest.Response) []string) []string {
			t.Helper()
			var all []string
			next, pages := "", 0
			for {
				url := path + "?limit=2"
				if next != "" {
					url += "&cursor=" + next
				}
				r := s.Do(t, "GET", url, tok, "")
				wantStatus(t, r, 200, "")
				got := items(r)
				if len(got) > 2 {
					t.Fatalf("%s: a page of %d, limit 2", url, len(got))
				}
				all, pages = append(all, got...), pages+1
				next = r.Header.Get("X-Next-Cursor")
				if link, want := r.Header.Get("Link"), fmt.Sprintf(`<%s?cursor=%s&limit=2>; rel="next"`, path, next); next != "" && link != want {
					t.Fatalf("%s: Link %q, want %q", url, link, want)
				}
				if next == "" {
					if r.Header.Get("Link") != "" {
						t.Fatalf("%s: the last page links a next one", url)
					}
					return all
				}
				if pages > 10 {
					t.Fatalf("%s: paging never ends", path)
				}
			}
		}
		names := func(r apitest.Response) []string {
			var out []string
			for _, v := range decode[[]map[string]any](t, r) {
				out = append(out, fmt.Sprint(v["name"], v["title"]))
			}
			return out
		}
		if got := follow(fmt.Sprintf("/projects/%d/prompts", pid), names); fmt.Sprint(got) != "[p4<nil> p3<nil> p2<nil> p1<nil> p0<nil>]" {
			t.Fatalf("prompts by position through pages: %v", got)
		}
		if got := follow(fmt.Sprintf("/projects/%d/conversations", pid), names); len(got) != 4 || got[0] != "<nil>again" {
			t.Fatalf("conversations, most recently active first, through pages: %v", got)
		}
		msgs := follow(fmt.Sprintf("/conversations/%d", first), func(r apitest.Response) []string {
			var out []string
			for _, m := range decode[struct{ Messages []struct{ Content string } }](t, r).Messages {
				out = append(out, m.Content)
			}
			return out
		})
		if len(msgs) != 6 || msgs[0] != "message 0" || msgs[2] != "message 1" || msgs[4] != "message 2" {
			t.Fatalf("a three-turn conversation's messages through pages: %v", msgs)
		}
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/files?limit=501", pid), tok, ""), 400, "limit")
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/prompts?limit=0", pid), tok, ""), 400, "limit")
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/conversations?cursor=bm90LWpzb24", pid), tok, ""), 400, "cursor")
		r := s.Do(t, "GET", fmt.Sprintf("/projects/%d/files?limit=500", pid), tok, "")
		wantStatus(t, r, 200, "")
		if r.Header.Get("X-Next-Cursor") != "" {
			t.Fatal("the last page names a next one")
		}
	}
}
