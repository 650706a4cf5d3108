package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/api/client"
	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// chatServer is the platform pointed at a fresh OpenAI fake, with short retry waits.
func chatServer(t *testing.T, env map[string]string, opts ...fakeopenai.Option) (*apitest.Server, *fakeopenai.Server) {
	t.Helper()
	fake := fakeopenai.Start(t, opts...)
	e := map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL(), "OPENAI_RETRY_BASE_DELAY": "10ms"}
	for k, v := range env {
		e[k] = v
	}
	return apitest.Start(t, apitest.Options{Env: e}), fake
}

func newProject(t *testing.T, s *apitest.Server, token, body string) int64 {
	t.Helper()
	r := s.Do(t, "POST", "/projects", token, body)
	wantStatus(t, r, 201, "")
	var p struct{ ID int64 }
	json.Unmarshal(r.Body, &p)
	return p.ID
}

func chatBody(projectID int64, message string, conversationID int64) string {
	b := map[string]any{"project_id": projectID, "message": message}
	if conversationID != 0 {
		b["conversation_id"] = conversationID
	}
	out, _ := json.Marshal(b)
	return string(out)
}

type chatReply struct {
	Reply          string
	ConversationID int64 `json:"conversation_id"`
	MessageID      int64 `json:"message_id"`
	Model          string
	Usage          struct {
		TotalTokens int `json:"total_tokens"`
	}
}

func TestChat_SendsTheExactUpstreamRequest(t *testing.T) {
	s, fake := chatServer(t, nil)
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot","model":"gpt-4.1-mini","temperature":0.2,"max_output_tokens":300}`)
	prompts := fmt.Sprintf("/projects/%d/prompts", pid)
	wantStatus(t, s.Do(t, "POST", prompts, tok, `{"name":"b","content":"Second.","position":2}`), 201, "")
	wantStatus(t, s.Do(t, "POST", prompts, tok, `{"name":"off","content":"Never sent.","position":0,"enabled":false}`), 201, "")
	wantStatus(t, s.Do(t, "POST", prompts, tok, `{"name":"a","content":"First.","position":1}`), 201, "")

	r := s.Do(t, "POST", "/chat", tok, chatBody(pid, "Hello, how are you?", 0))
	wantStatus(t, r, 200, "")
	var got chatReply
	json.Unmarshal(r.Body, &got)
	if got.Reply != "Echo: Hello, how are you?" || got.ConversationID == 0 || got.MessageID == 0 || got.Usage.TotalTokens == 0 {
		t.Fatalf("reply = %s", r.Body)
	}
	calls := fake.RequestsTo(fakeopenai.Responses)
	if len(calls) != 1 {
		t.Fatalf("%d upstream calls, want 1", len(calls))
	}
	c := calls[0].Responses
	if c.Model != "gpt-4.1-mini" || c.Temperature == nil || *c.Temperature < 0.1999 || *c.Temperature > 0.2001 ||
		c.MaxOutputTokens == nil || *c.MaxOutputTokens != 300 || c.Stream || len(c.Tools) != 0 {
		t.Fatalf("upstream request = %+v", c)
	}
	want := []fakeopenai.Message{{Role: "system", Content: "First.\nSecond."}, {Role: "user", Content: "Hello, how are you?"}}
	if fmt.Sprint(c.Input) != fmt.Sprint(want) {
		t.Fatalf("input = %+v, want %+v", c.Input, want)
	}
	if auth := calls[0].Header.Get("Authorization"); auth != "Bearer sk-test" {
		t.Fatalf("Authorization = %q", auth)
	}

	// The conversation was stored with both messages and the reply's details.
	conv, _ := s.Client.GetConversationWithResponse(ctx, got.ConversationID, nil, apitest.Bearer(tok))
	if conv.JSON200 == nil || conv.JSON200.Title != "Hello, how are you?" || len(conv.JSON200.Messages) != 2 {
		t.Fatalf("conversation = %s", conv.Body)
	}
	a := conv.JSON200.Messages[1]
	if a.Role != "assistant" || a.Content != got.Reply || a.Id != got.MessageID || a.Model == nil || *a.Model != "gpt-4.1-mini" ||
		a.InputTokens == nil || a.OutputTokens == nil || a.LatencyMs == nil || a.Incomplete {
		t.Fatalf("assistant message = %+v", a)
	}
}

func TestChat_DefaultPromptAndDefaults(t *testing.T) {
	s, fake := chatServer(t, nil)
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "hi", 0)), 200, "")
	c := fake.RequestsTo(fakeopenai.Responses)[0].Responses
	if c.Input[0].Role != "system" || c.Input[0].Content != project.DefaultSystemPrompt || c.Model != "gpt-4o-mini" ||
		*c.Temperature < 0.6999 || *c.Temperature > 0.7001 || *c.MaxOutputTokens != 2000 {
		t.Fatalf("upstream request = %+v", c)
	}
}

func TestChat_ContinuesConversationsWithinTheHistoryBudget(t *testing.T) {
	s, fake := chatServer(t, map[string]string{"CHAT_HISTORY_CHARS": "40"})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)
	var first chatReply
	json.Unmarshal(s.Do(t, "POST", "/chat", tok, chatBody(pid, "one", 0)).Body, &first)
	var second chatReply
	json.Unmarshal(s.Do(t, "POST", "/chat", tok, chatBody(pid, "two", first.ConversationID)).Body, &second)
	if second.ConversationID != first.ConversationID {
		t.Fatalf("continued in conversation %d, want %d", second.ConversationID, first.ConversationID)
	}
	calls := fake.RequestsTo(fakeopenai.Responses)
	want := "[{system " + project.DefaultSystemPrompt + "} {user one} {assistant Echo: one} {user two}]"
	if got := fmt.Sprint(calls[1].Responses.Input); got != want {
		t.Fatalf("second call input = %s\nwant %s", got, want)
	}
	// With 40 characters of budget only the newest turns fit: "Echo: two" (9) + "two" (3) + "Echo: one" (9) + "one" (3) = 24 fit,
	// so make the history longer than the budget.
	long := strings.Repeat("x", 30)
	json.Unmarshal(s.Do(t, "POST", "/chat", tok, chatBody(pid, long, first.ConversationID)).Body, &second)
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "last", first.ConversationID)), 200, "")
	calls = fake.RequestsTo(fakeopenai.Responses)
	in := calls[len(calls)-1].Responses.Input
	// Budget 40: "Echo: xxx…" (36) fits, adding its user turn (30) would not.
	if len(in) != 3 || in[1].Role != "assistant" || in[1].Content != "Echo: "+long || in[2].Content != "last" {
		t.Fatalf("budgeted input = %+v", in)
	}
	list, _ := s.Client.ListConversationsWithResponse(ctx, pid, nil, apitest.Bearer(tok))
	if list.JSON200 == nil || len(*list.JSON200) != 1 {
		t.Fatalf("conversations = %s", list.Body)
	}
}

func TestChat_RejectsBadRequestsWithoutCallingUpstream(t *testing.T) {
	s, fake := chatServer(t, nil)
	_, alice := s.NewUser(t)
	_, bob := s.NewUser(t)
	pid := newProject(t, s, alice, `{"name":"Bot"}`)
	other := newProject(t, s, alice, `{"name":"Other"}`)
	var conv chatReply
	json.Unmarshal(s.Do(t, "POST", "/chat", alice, chatBody(other, "hi", 0)).Body, &conv)
	fake.ResetRequests()
	tests := []struct {
		name, token, body string
		status            int
		detail            string
	}{
		{"empty", alice, chatBody(pid, "", 0), 400, "message: must not be empty"},
		{"whitespace", alice, chatBody(pid, " \n\t ", 0), 400, "message: must not be empty"},
		{"too long", alice, chatBody(pid, strings.Repeat("a", 32001), 0), 400, "at most 32000"},
		{"NUL", alice, chatBody(pid, "a\x00b", 0), 400, "NUL"},
		{"missing project", alice, chatBody(pid+999, "hi", 0), 404, "project not found"},
		{"another user's project", bob, chatBody(pid, "hi", 0), 404, "project not found"},
		{"another user's conversation", bob, chatBody(newProject(t, s, bob, `{"name":"b"}`), "hi", conv.ConversationID), 404, "conversation not found"},
		{"another project's conversation", alice, chatBody(pid, "hi", conv.ConversationID), 404, "conversation not found"},
		{"no project_id", alice, `{"message":"hi"}`, 400, "project_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, s.Do(t, "POST", "/chat", tt.token, tt.body), tt.status, tt.detail)
			wantStatus(t, s.Do(t, "POST", "/chat/stream", tt.token, tt.body), tt.status, tt.detail)
		})
	}
	if n := fake.Count(fakeopenai.Responses); n != 0 {
		t.Fatalf("%d upstream calls for rejected requests", n)
	}
}

func TestChat_WithoutAKeyAnswers503(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "hi", 0)), 503, "OPENAI_API_KEY")
	wantStatus(t, s.Do(t, "POST", "/chat/stream", tok, chatBody(pid, "hi", 0)), 503, "OPENAI_API_KEY")
}

// TestChat_UpstreamFailures: retried only when a retry can help, mapped to honest statuses, and a
// failed call stores nothing.
func TestChat_UpstreamFailures(t *testing.T) {
	tests := []struct {
		name       string
		fault      fakeopenai.Fault
		times      int
		status     int
		detail     string
		calls      int
		retryAfter string
	}{
		{"5xx then success", fakeopenai.ServerError(), 1, 200, "", 2, ""},
		{"HTML 502 then success", fakeopenai.HTMLError(502), 2, 200, "", 3, ""},
		{"dropped connection then success", fakeopenai.DropConnection(), 1, 200, "", 2, ""},
		{"still rate limited", fakeopenai.RateLimit(time.Second), 4, 503, "rate limiting", 4, "1"},
		{"quota exhausted", fakeopenai.InsufficientQuota(), 1, 502, "quota", 1, ""},
		{"key rejected", fakeopenai.InvalidAPIKey(), 1, 502, "API key", 1, ""},
		{"bad request", fakeopenai.APIError(400, "invalid_request_error", "model_not_found", "no such model"), 1, 502, "rejected the request", 1, ""},
		{"5xx every time", fakeopenai.ServerError(), 4, 502, "OpenAI failed", 4, ""},
		{"timeout every time", fakeopenai.Slow(2 * time.Second), 4, 504, "did not answer in time", 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, fake := chatServer(t, map[string]string{"OPENAI_TIMEOUT": "300ms"})
			_, tok := s.NewUser(t)
			pid := newProject(t, s, tok, `{"name":"Bot"}`)
			for _, path := range []string{"/chat", "/chat/stream"} {
				fake.ResetRequests()
				fake.Fail(fakeopenai.Responses, tt.times, tt.fault)
				r := s.Do(t, "POST", path, tok, chatBody(pid, "hi", 0))
				wantStatus(t, r, tt.status, tt.detail)
				if n := fake.Count(fakeopenai.Responses); n != tt.calls {
					t.Fatalf("%s: %d upstream calls, want %d", path, n, tt.calls)
				}
				if got := r.Header.Get("Retry-After"); got != tt.retryAfter {
					t.Fatalf("%s: Retry-After %q, want %q", path, got, tt.retryAfter)
				}
				if strings.Contains(string(r.Body), "sk-test") || strings.Contains(string(r.Body), "no such model") {
					t.Fatalf("%s: upstream details leaked: %s", path, r.Body)
				}
			}
			if tt.status != 200 {
				convs := s.Do(t, "GET", fmt.Sprintf("/projects/%d/conversations", pid), tok, "")
				if strings.TrimSpace(string(convs.Body)) != "[]" {
					t.Fatalf("a failed call left a conversation behind: %s", convs.Body)
				}
			}
		})
	}
}

func streamChat(t *testing.T, s *apitest.Server, token, body string, headers ...string) (*http.Response, []apitest.Event) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/chat/stream", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.HTTP.Do(req) // validates each event against the spec
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events, err := apitest.ReadEvents(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, events
}

func TestChatStream_RelaysDeltasThenDone(t *testing.T) {
	s, fake := chatServer(t, nil, fakeopenai.WithDeltaDelay(30*time.Millisecond))
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)
	res, events := streamChat(t, s, tok, chatBody(pid, "tell me a story", 0))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if len(events) < 4 || events[0].Name != "start" || events[len(events)-1].Name != "done" {
		t.Fatalf("events = %+v", events)
	}
	var start struct{ ConversationID, UserMessageID int64 }
	json.Unmarshal([]byte(strings.NewReplacer("conversation_id", "ConversationID", "user_message_id", "UserMessageID").Replace(events[0].Data)), &start)
	var text strings.Builder
	deltas := 0
	for _, ev := range events[1 : len(events)-1] {
		if ev.Name != "delta" {
			t.Fatalf("unexpected event %+v between start and done", ev)
		}
		var d struct{ Text string }
		json.Unmarshal([]byte(ev.Data), &d)
		text.WriteString(d.Text)
		deltas++
	}
	var done chatReply
	json.Unmarshal([]byte(events[len(events)-1].Data), &done)
	if deltas < 2 || text.String() != "Echo: tell me a story" || done.Reply != text.String() || done.ConversationID != start.ConversationID || done.MessageID == 0 {
		t.Fatalf("%d deltas %q, done %+v, start %+v", deltas, text.String(), done, start)
	}
	if !fake.RequestsTo(fakeopenai.Responses)[0].Responses.Stream {
		t.Fatal("upstream call was not a stream")
	}
	conv, _ := s.Client.GetConversationWithResponse(ctx, done.ConversationID, nil, apitest.Bearer(tok))
	if conv.JSON200 == nil || len(conv.JSON200.Messages) != 2 || conv.JSON200.Messages[0].Id != start.UserMessageID ||
		conv.JSON200.Messages[1].Content != done.Reply || conv.JSON200.Messages[1].Incomplete {
		t.Fatalf("stored = %s", conv.Body)
	}
}

func TestChatStream_HeartbeatsWhileUpstreamIsQuiet(t *testing.T) {
	fake := fakeopenai.Start(t, fakeopenai.WithDeltaDelay(120*time.Millisecond))
	s := apitest.Start(t, apitest.Options{Heartbeat: 50 * time.Millisecond, Env: map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": fake.URL()}})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)
	_, events := streamChat(t, s, tok, chatBody(pid, "a b c", 0))
	beats := 0
	for _, ev := range events {
		if ev.Name == ":" {
			beats++
		}
	}
	if beats == 0 || events[len(events)-1].Name != "done" {
		t.Fatalf("%d heartbeats in %+v", beats, events)
	}
}

func TestChatStream_CutHalfwayStoresAnIncompleteMessage(t *testing.T) {
	for name, fault := range map[string]fakeopenai.Fault{
		"cut":   fakeopenai.CutStream(2),
		"stall": fakeopenai.StallStream(2),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, fake := chatServer(t, map[string]string{"OPENAI_STREAM_IDLE_TIMEOUT": "300ms"})
			_, tok := s.NewUser(t)
			pid := newProject(t, s, tok, `{"name":"Bot"}`)
			fake.Fail(fakeopenai.Responses, 1, fault)
			_, events := streamChat(t, s, tok, chatBody(pid, "one two three four five six", 0))
			last := events[len(events)-1]
			if events[0].Name != "start" || last.Name != "error" {
				t.Fatalf("events = %+v", events)
			}
			var e struct {
				Detail string
				Status int
			}
			json.Unmarshal([]byte(last.Data), &e)
			if e.Status < 502 || e.Detail == "" {
				t.Fatalf("error event = %s", last.Data)
			}
			var partial strings.Builder
			for _, ev := range events {
				if ev.Name == "delta" {
					var d struct{ Text string }
					json.Unmarshal([]byte(ev.Data), &d)
					partial.WriteString(d.Text)
				}
			}
			var start struct {
				ConversationID int64 `json:"conversation_id"`
			}
			json.Unmarshal([]byte(events[0].Data), &start)
			conv, _ := s.Client.GetConversationWithResponse(ctx, start.ConversationID, nil, apitest.Bearer(tok))
			msgs := conv.JSON200.Messages
			if partial.Len() == 0 || len(msgs) != 2 || !msgs[1].Incomplete || msgs[1].Content != partial.String() {
				t.Fatalf("partial %q, stored %+v", partial.String(), msgs)
			}
		})
	}
}

func TestChatStream_ClientLeavingCancelsUpstream(t *testing.T) {
	s, fake := chatServer(t, nil, fakeopenai.WithDeltaDelay(100*time.Millisecond))
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)
	reqCtx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(reqCtx, "POST", s.URL+"/chat/stream", strings.NewReader(chatBody(pid, strings.Repeat("word ", 60), 0)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	res.Body.Read(buf) // the start event, maybe a delta
	left := time.Now()
	cancel()
	res.Body.Close()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if gone := fake.RequestsTo(fakeopenai.Responses)[0].ClientGone; !gone.IsZero() {
			if d := gone.Sub(left); d > time.Second {
				t.Fatalf("upstream cancelled %v after the client left, want < 1s", d)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the upstream call was never cancelled")
}

func TestConversations_IsolationAndDelete(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fake := fakeopenai.Start(t)
			s := apitest.Start(t, apitest.Options{Store: e.Open, Env: map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": fake.URL()}})
			_, alice := s.NewUser(t)
			_, bob := s.NewUser(t)
			pid := newProject(t, s, alice, `{"name":"Bot"}`)
			var c chatReply
			json.Unmarshal(s.Do(t, "POST", "/chat", alice, chatBody(pid, "secret", 0)).Body, &c)
			for _, r := range []struct{ method, path string }{
				{"GET", fmt.Sprintf("/projects/%d/conversations", pid)},
				{"GET", fmt.Sprintf("/conversations/%d", c.ConversationID)},
				{"DELETE", fmt.Sprintf("/conversations/%d", c.ConversationID)},
			} {
				r2 := s.Do(t, r.method, r.path, bob, "")
				wantStatus(t, r2, 404, "not found")
			}
			if got, _ := s.Client.GetConversationWithResponse(ctx, c.ConversationID, nil, apitest.Bearer(alice)); got.JSON200 == nil || len(got.JSON200.Messages) != 2 {
				t.Fatalf("alice's conversation changed: %s", got.Body)
			}
			del, _ := s.Client.DeleteConversationWithResponse(ctx, c.ConversationID, nil, apitest.Bearer(alice))
			if del.StatusCode() != 204 {
				t.Fatalf("delete: %d", del.StatusCode())
			}
			wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/conversations/%d", c.ConversationID), alice, ""), 404, "conversation not found")
			// Sending to a deleted conversation is a 404, not a new one.
			wantStatus(t, s.Do(t, "POST", "/chat", alice, chatBody(pid, "again", c.ConversationID)), 404, "conversation not found")
		})
	}
}

func TestChat_ThroughTheGeneratedClient(t *testing.T) {
	s, _ := chatServer(t, nil)
	_, tok := s.NewUser(t)
	p, _ := s.Client.CreateProjectWithResponse(ctx, client.ProjectCreate{Name: "Bot"}, apitest.Bearer(tok))
	res, err := s.Client.SendMessageWithResponse(ctx, nil, client.ChatRequest{ProjectId: &p.JSON201.Id, Message: "ping"}, apitest.Bearer(tok))
	if err != nil || res.JSON200 == nil || res.JSON200.Reply != "Echo: ping" {
		t.Fatalf("chat: %v %s", err, res.Body)
	}
}
