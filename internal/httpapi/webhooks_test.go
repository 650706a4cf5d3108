package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

type webhookJSON struct {
	ID             int64
	URL            string
	Events         []string
	Enabled        bool
	Secret         string
	DisabledReason string `json:"disabled_reason"`
}

// Managing webhooks: the secret shows once, private addresses and unknown events are refused.
func TestWebhooks_Manage(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		_, tok := s.NewUser(t)
		pid := newProject(t, s, tok, `{"name":"Hooked"}`)
		base := fmt.Sprintf("/projects/%d/webhooks", pid)
		r := s.Do(t, "POST", base, tok, `{"url":"https://203.0.113.10/hook","events":["message.completed","message.completed","file.indexed"],"description":"CRM"}`)
		wantStatus(t, r, 201, "")
		w := decode[webhookJSON](t, r)
		if !strings.HasPrefix(w.Secret, "whsec_") || len(w.Events) != 2 || !w.Enabled {
			t.Fatalf("created %+v", w)
		}
		item := fmt.Sprintf("%s/%d", base, w.ID)
		if list := s.Do(t, "GET", base, tok, ""); strings.Contains(string(list.Body), "whsec_") || !strings.Contains(string(list.Body), `"description":"CRM"`) {
			t.Fatalf("list: %s", list.Body)
		}
		if got := s.Do(t, "GET", item, tok, ""); strings.Contains(string(got.Body), "secret") {
			t.Fatalf("get shows the secret: %s", got.Body)
		}
		rot := decode[webhookJSON](t, s.Do(t, "POST", item+"/rotate-secret", tok, ""))
		if rot.Secret == w.Secret || !strings.HasPrefix(rot.Secret, "whsec_") {
			t.Fatal("rotation kept the secret")
		}
		off := decode[webhookJSON](t, s.Do(t, "PATCH", item, tok, `{"enabled":false,"events":["conversation.created"]}`))
		if off.Enabled || len(off.Events) != 1 || off.Events[0] != "conversation.created" {
			t.Fatalf("patched %+v", off)
		}
		if d := s.Do(t, "GET", item+"/deliveries", tok, ""); strings.TrimSpace(string(d.Body)) != "[]" {
			t.Fatalf("deliveries of a new webhook: %s", d.Body)
		}
		wantStatus(t, s.Do(t, "POST", item+"/deliveries/12345/redeliver", tok, ""), 404, "delivery not found")

		for _, tc := range []struct{ body, detail string }{
			{`{"url":"http://127.0.0.1:8080/h","events":["message.completed"]}`, "loopback, private or link-local"},
			{`{"url":"http://169.254.169.254/latest/meta-data","events":["message.completed"]}`, "loopback, private or link-local"},
			{`{"url":"ftp://203.0.113.10/h","events":["message.completed"]}`, "https://"},
			{`{"url":"https://203.0.113.10/h","events":["message.exploded"]}`, "events"},
			{`{"url":"https://203.0.113.10/h","events":[]}`, "events"},
			{`{"url":"https://203.0.113.10/h"}`, "events"},
		} {
			wantStatus(t, s.Do(t, "POST", base, tok, tc.body), 400, tc.detail)
		}
		wantStatus(t, s.Do(t, "DELETE", item, tok, ""), 204, "")
		wantStatus(t, s.Do(t, "GET", item, tok, ""), 404, "")
	})
}

// Events reach the endpoint through the job queue, signed so the Standard Webhooks library verifies
// them; the delivery log records them and a redelivery sends the same event id again.
func TestWebhooks_ChatEventsDeliveredSigned(t *testing.T) {
	eachEngineWithUpstream(t, map[string]string{"WEBHOOK_ALLOW_PRIVATE": "true"}, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		got := make(chan received, 10)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			got <- received{r.Header.Clone(), body}
		}))
		t.Cleanup(receiver.Close)
		_, tok := s.NewUser(t)
		pid := newProject(t, s, tok, `{"name":"Hooked"}`)
		w := decode[webhookJSON](t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/webhooks", pid), tok,
			fmt.Sprintf(`{"url":%q,"events":["conversation.created","message.completed"]}`, receiver.URL)))
		reply := decode[chatReply](t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "Hello hooks", 0)))

		verifier, _ := standardwebhooks.NewWebhook(w.Secret)
		events := map[string]map[string]any{}
		ids := map[string]string{}
		for len(events) < 2 {
			select {
			case r := <-got:
				if err := verifier.Verify(r.body, r.header); err != nil {
					t.Fatalf("signature: %v", err)
				}
				var ev struct {
					ID, Type  string
					ProjectID int64 `json:"project_id"`
					Data      map[string]any
				}
				json.Unmarshal(r.body, &ev)
				if ev.ProjectID != pid || ev.ID != r.header.Get("webhook-id") {
					t.Fatalf("event %s", r.body)
				}
				events[ev.Type], ids[ev.Type] = ev.Data, ev.ID
			case <-time.After(15 * time.Second):
				t.Fatalf("events received: %v", events)
			}
		}
		if c := events["conversation.created"]; c["conversation_id"] != float64(reply.ConversationID) || c["title"] != "Hello hooks" {
			t.Fatalf("conversation.created data %v", c)
		}
		if m := events["message.completed"]; m["message_id"] != float64(reply.MessageID) || m["content"] != reply.Reply {
			t.Fatalf("message.completed data %v", m)
		}

		log := fmt.Sprintf("/projects/%d/webhooks/%d/deliveries", pid, w.ID)
		var ds []struct {
			ID             int64
			EventType      string `json:"event_type"`
			Status         string
			Attempts       int64
			ResponseStatus *int64 `json:"response_status"`
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			ds = decode[[]struct {
				ID             int64
				EventType      string `json:"event_type"`
				Status         string
				Attempts       int64
				ResponseStatus *int64 `json:"response_status"`
			}](t, s.Do(t, "GET", log, tok, ""))
			if len(ds) == 2 && ds[0].Status == "succeeded" && ds[1].Status == "succeeded" || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(ds) != 2 || ds[0].Status != "succeeded" || ds[0].Attempts != 1 || ds[0].ResponseStatus == nil || *ds[0].ResponseStatus != 200 {
			t.Fatalf("delivery log %+v", ds)
		}
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("%s/%d/redeliver", log, ds[0].ID), tok, ""), 202, "")
		select {
		case r := <-got:
			if id := r.header.Get("webhook-id"); id != ids[ds[0].EventType] {
				t.Fatalf("redelivery's webhook-id %q, want %q", id, ids[ds[0].EventType])
			}
		case <-time.After(15 * time.Second):
			t.Fatal("no redelivery")
		}
		// The runs are counted as each job returns, a moment after the receiver has the request.
		for end := time.Now().Add(5 * time.Second); jobRuns(t, s, "webhook_delivery", "completed") < 3 && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		if n := jobRuns(t, s, "webhook_delivery", "completed"); n < 3 {
			t.Fatalf("chatbot_job_runs_total{kind=webhook_delivery,outcome=completed} = %v, want at least 3", n)
		}
	})
}

// jobRuns reads chatbot_job_runs_total for kind and outcome from the server's registry.
func jobRuns(t *testing.T, s *apitest.Server, kind, outcome string) float64 {
	t.Helper()
	families, err := s.App.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "chatbot_job_runs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

type received struct {
	header http.Header
	body   []byte
}
