package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

var ctx = context.Background()

// received is one request the test endpoint got.
type received struct {
	header http.Header
	body   []byte
}

func endpoint(t *testing.T, status *int) (*httptest.Server, chan received) {
	got := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), body}
		w.WriteHeader(*status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// setup makes a user with a project. Emit enqueues delivery jobs that nothing works here: the tests
// attempt the deliveries themselves.
func setup(t *testing.T, open func(testing.TB) store.Store, allowPrivate bool) (*webhook.Service, store.Store, int64, int64) {
	st := open(t)
	u, err := st.CreateUser(ctx, "owner@example.com", "hash")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: "Bot", Model: "gpt-4o-mini", Temperature: 0.7, MaxOutputTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	return webhook.NewService(st, allowPrivate, slog.New(slog.DiscardHandler)), st, u.ID, p.ID
}

func ptr[T any](v T) *T { return &v }

func TestDelivery_SignedPerStandardWebhooksRetriedAndDisabled(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			svc, st, owner, project := setup(t, e.Open, true)
			status := 204
			srv, got := endpoint(t, &status)
			w, err := svc.Create(ctx, owner, project, webhook.Input{URL: ptr(srv.URL + "/hook"), Events: ptr([]string{webhook.MessageCompleted})})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(w.Secret, "whsec_") {
				t.Fatalf("secret %q", w.Secret)
			}
			emit := func(eventType string) {
				t.Helper()
				if err := st.InTx(ctx, func(tx store.Store) error {
					return svc.Emit(ctx, tx, project, eventType, map[string]any{"conversation_id": 7})
				}); err != nil {
					t.Fatal(err)
				}
			}
			deliveries := func() []model.WebhookDelivery {
				ds, err := st.ListDeliveries(ctx, owner, project, w.ID)
				if err != nil {
					t.Fatal(err)
				}
				return ds
			}
			emit(webhook.ConversationCreated) // not subscribed
			if ds := deliveries(); len(ds) != 0 {
				t.Fatalf("an unsubscribed event was recorded: %+v", ds)
			}
			emit(webhook.MessageCompleted)
			ds := deliveries()
			if len(ds) != 1 {
				t.Fatalf("recorded %+v, want one delivery", ds)
			}
			id := ds[0].ID

			// A success: signed so the specification's own library verifies it.
			retry, err := svc.Attempt(ctx, id, time.Now())
			if err != nil || retry {
				t.Fatalf("Attempt = %v, %v", retry, err)
			}
			r := <-got
			verifier, _ := standardwebhooks.NewWebhook(w.Secret)
			if err := verifier.Verify(r.body, r.header); err != nil {
				t.Fatalf("signature does not verify: %v (headers %v)", err, r.header)
			}
			var ev webhook.Event
			if err := json.Unmarshal(r.body, &ev); err != nil || ev.Type != webhook.MessageCompleted || ev.ProjectID != project ||
				r.header.Get("webhook-id") != ev.ID || !strings.HasPrefix(ev.ID, "evt_") {
				t.Fatalf("payload %s, webhook-id %q", r.body, r.header.Get("webhook-id"))
			}

			// A failure is retried with the same event id; after 24 hours it is given up.
			status = 500
			if retry, err := svc.Attempt(ctx, id, time.Now()); err != nil || !retry {
				t.Fatalf("after a 500: Attempt = %v, %v; want a retry", retry, err)
			}
			if again := <-got; again.header.Get("webhook-id") != ev.ID {
				t.Fatal("a retry carries another webhook-id")
			}
			if d := deliveries()[0]; d.Status != model.DeliveryPending || d.Attempts != 2 || d.ResponseStatus == nil || *d.ResponseStatus != 500 || d.Error == "" {
				t.Fatalf("delivery after the failure = %+v", d)
			}
			if retry, _ := svc.Attempt(ctx, id, time.Now().Add(-25*time.Hour)); retry {
				t.Fatal("retried past 24 hours")
			}
			<-got
			if ds, _ := st.ListDeliveries(ctx, owner, project, w.ID); ds[0].Status != model.DeliveryFailed {
				t.Fatalf("status %q after 24 hours, want failed", ds[0].Status)
			}

			// An endpoint failing for 24 hours is disabled, and says why.
			failing := time.Now().Add(-25 * time.Hour)
			cur, _ := st.GetWebhook(ctx, owner, project, w.ID)
			cur.FailingSince = &failing
			if _, err := st.UpdateWebhook(ctx, owner, cur); err != nil {
				t.Fatal(err)
			}
			svc.Attempt(ctx, id, time.Now())
			<-got
			cur, _ = st.GetWebhook(ctx, owner, project, w.ID)
			if cur.Enabled || !strings.Contains(cur.DisabledReason, "failed for 24 hours") {
				t.Fatalf("after 24 hours of failures: enabled %v, reason %q", cur.Enabled, cur.DisabledReason)
			}
			if retry, err := svc.Attempt(ctx, id, time.Now()); retry || err != nil {
				t.Fatalf("a disabled webhook's delivery: %v, %v", retry, err)
			}
			select {
			case <-got:
				t.Fatal("sent to a disabled webhook")
			default:
			}
			// Turning it on again clears the reason.
			if cur, err = svc.Update(ctx, owner, project, w.ID, webhook.Input{Enabled: ptr(true)}); err != nil || cur.DisabledReason != "" || cur.FailingSince != nil {
				t.Fatalf("enabled again: %+v, %v", cur, err)
			}
		})
	}
}

func TestURLs_PrivateAddressesRefusedWhenSavedAndWhenDelivered(t *testing.T) {
	svc, st, owner, project := setup(t, testdb.SQLite, false)
	for _, u := range []string{"http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::1]/x",
		"http://localhost/x", "ftp://example.com/x", "https://user:pw@example.com/x", "not a url"} {
		if _, err := svc.Create(ctx, owner, project, webhook.Input{URL: ptr(u), Events: ptr([]string{webhook.FileIndexed})}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if _, err := svc.Create(ctx, owner, project, webhook.Input{URL: ptr("https://203.0.113.10/x"), Events: ptr([]string{"file.exploded"})}); err == nil ||
		!strings.Contains(err.Error(), "not an event type") {
		t.Errorf("unknown event: %v", err)
	}

	// Saved while allowed (another service), delivered by one that is not: refused at connect time.
	status := 204
	srv, got := endpoint(t, &status)
	lenient := webhook.NewService(st, true, slog.New(slog.DiscardHandler))
	w, err := lenient.Create(ctx, owner, project, webhook.Input{URL: ptr(srv.URL), Events: ptr([]string{webhook.FileIndexed})})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(ctx, func(tx store.Store) error { return svc.Emit(ctx, tx, project, webhook.FileIndexed, nil) }); err != nil {
		t.Fatal(err)
	}
	ds, _ := st.ListDeliveries(ctx, owner, project, w.ID)
	if retry, err := svc.Attempt(ctx, ds[0].ID, time.Now()); err != nil || !retry {
		t.Fatalf("Attempt = %v, %v", retry, err)
	}
	select {
	case <-got:
		t.Fatal("delivered to a loopback address")
	default:
	}
	ds, _ = st.ListDeliveries(ctx, owner, project, w.ID)
	if !strings.Contains(ds[0].Error, "not a public address") {
		t.Fatalf("error %q", ds[0].Error)
	}
}

func TestRetryDelay_ExponentialWithinTheDay(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		age     time.Duration
		want    time.Duration
	}{
		{1, 0, 5 * time.Second},
		{2, 5 * time.Second, 5 * time.Minute},
		{4, time.Hour, 2 * time.Hour},
		{6, 8 * time.Hour, 10 * time.Hour},
		{7, 18 * time.Hour, 6 * time.Hour},
		{9, 24 * time.Hour, 0},
	} {
		if got := webhook.RetryDelay(tc.attempt, tc.age); got != tc.want {
			t.Errorf("RetryDelay(%d, %v) = %v, want %v", tc.attempt, tc.age, got, tc.want)
		}
	}
}
