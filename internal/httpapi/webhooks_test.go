package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/apitest"
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
