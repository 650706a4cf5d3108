package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

func TestChat_IdempotencyKeyReplaysTheStoredReply(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			fake := fakeopenai.Start(t)
			s := apitest.Start(t, apitest.Options{Store: eng.Open, Env: map[string]string{
				"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL(), "OPENAI_RETRY_BASE_DELAY": "10ms"}})
			_, tok := s.NewUser(t)
			pid := newProject(t, s, tok, `{"name":"Bot"}`)
			body := chatBody(pid, "hello", 0)
			calls := func() int { return fake.Count(fakeopenai.Responses) }

			first := s.Do(t, "POST", "/chat", tok, body, "Idempotency-Key", "key-1")
			wantStatus(t, first, 200, "")
			again := s.Do(t, "POST", "/chat", tok, body, "Idempotency-Key", "key-1")
			wantStatus(t, again, 200, "")
			if !bytes.Equal(first.Body, again.Body) || calls() != 1 {
				t.Fatalf("retry: %s (first %s), %d upstream calls", again.Body, first.Body, calls())
			}
			wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "another", 0), "Idempotency-Key", "key-1"), 422, "different request")
			wantStatus(t, s.Do(t, "POST", "/chat/stream", tok, body, "Idempotency-Key", "key-1"), 422, "different request")
			wantStatus(t, s.Do(t, "POST", "/chat", tok, body, "Idempotency-Key", strings.Repeat("k", 256)), 400, "")

			// Another caller's same key is another key; no key at all is no idempotency.
			_, other := s.NewUser(t)
			otherPID := newProject(t, s, other, `{"name":"Bot"}`)
			wantStatus(t, s.Do(t, "POST", "/chat", other, chatBody(otherPID, "hello", 0), "Idempotency-Key", "key-1"), 200, "")
			wantStatus(t, s.Do(t, "POST", "/chat", tok, body), 200, "")
			wantStatus(t, s.Do(t, "POST", "/chat", tok, body), 200, "")
			if calls() != 4 {
				t.Fatalf("%d upstream calls, want 4", calls())
			}

			// A retry while the first request runs answers 409; a failed request frees its key.
			fake.Fail(fakeopenai.Responses, 1, fakeopenai.Slow(time.Second))
			done := make(chan int)
			go func() {
				req, _ := http.NewRequest("POST", s.URL+"/chat", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "key-2")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					done <- 0
					return
				}
				res.Body.Close()
				done <- res.StatusCode
			}()
			for calls() != 5 {
				time.Sleep(5 * time.Millisecond)
			}
			wantStatus(t, s.Do(t, "POST", "/chat", tok, body, "Idempotency-Key", "key-2"), 409, "still in progress")
			if got := <-done; got != 200 {
				t.Fatalf("first request: %d", got)
			}
			fake.Fail(fakeopenai.Responses, 4, fakeopenai.APIError(400, "invalid_request_error", "", "bad"))
			wantStatus(t, s.Do(t, "POST", "/chat", tok, body, "Idempotency-Key", "key-3"), 502, "")
			fake.ClearFaults()
			wantStatus(t, s.Do(t, "POST", "/chat", tok, body, "Idempotency-Key", "key-3"), 200, "")

			// A completed stream is replayed as start, one delta, done.
			res, events := streamChat(t, s, tok, body, "Idempotency-Key", "key-4")
			before := calls()
			res2, replay := streamChat(t, s, tok, body, "Idempotency-Key", "key-4")
			if res.StatusCode != 200 || res2.StatusCode != 200 || calls() != before {
				t.Fatalf("stream retry: %d %d, %d upstream calls (before %d)", res.StatusCode, res2.StatusCode, calls(), before)
			}
			var names []string
			for _, e := range replay {
				names = append(names, e.Name)
			}
			if strings.Join(names, ",") != "start,delta,done" || replay[2].Data != events[len(events)-1].Data {
				t.Fatalf("replay %+v, original done %s", replay, events[len(events)-1].Data)
			}
			var d struct{ Text string }
			json.Unmarshal([]byte(replay[1].Data), &d)
			if d.Text != "Echo: hello" {
				t.Errorf("replayed text %q", d.Text)
			}
		})
	}
}
