package httpapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/mail/mailtest"
)

// BenchmarkPasswordResetRequest: asking a reset for an address with an account and for one without take
// the same time (the lookup and the mail happen after the answer). Requests alternate between the two, so
// background load falls on both alike; it reports each one's median and 90th percentile:
//
//	go test ./internal/httpapi -run '^$' -bench PasswordResetRequest -count 6
func BenchmarkPasswordResetRequest(b *testing.B) {
	inbox, err := mailtest.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(inbox.Close)
	s := apitest.Start(b, apitest.Options{Env: map[string]string{"SMTP_URL": "smtp://" + inbox.Addr,
		"MAIL_FROM": "no-reply@example.com", "PUBLIC_URL": "http://chat.example.test", "RATE_LIMIT_EMAIL": "0"}})
	s.Signup(b, "known@example.com", "SecurePass123")
	bodies := [2]string{`{"email":"known@example.com"}`, `{"email":"unknown@example.com"}`}
	var took [2][]time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		if r := s.Do(b, "POST", "/users/password-reset", "", bodies[i%2]); r.StatusCode != 202 {
			b.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		took[i%2] = append(took[i%2], time.Since(start))
		i++
	}
	for k, name := range []string{"known", "unknown"} {
		slices.Sort(took[k])
		if n := len(took[k]); n > 0 {
			b.ReportMetric(float64(took[k][n/2].Microseconds()), name+"-p50-µs")
			b.ReportMetric(float64(took[k][n*9/10].Microseconds()), name+"-p90-µs")
		}
	}
}
