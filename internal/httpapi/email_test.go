package httpapi_test

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/mail/mailtest"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// withMail starts a real SMTP server that keeps what it receives and the platform sending to it.
func withMail(t *testing.T, env map[string]string, fn func(t *testing.T, s *apitest.Server, inbox *mailtest.Server)) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			inbox, err := mailtest.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(inbox.Close)
			all := map[string]string{"SMTP_URL": "smtp://platform:pw@" + inbox.Addr, "MAIL_FROM": "Chatbot <no-reply@example.com>",
				"PUBLIC_URL": "http://chat.example.test"}
			for k, v := range env {
				all[k] = v
			}
			fn(t, apitest.Start(t, apitest.Options{Store: e.Open, Env: all}), inbox)
		})
	}
}

// linkToken waits for the message to `to` about subject and returns its link's token.
func linkToken(t *testing.T, inbox *mailtest.Server, to, subject, page string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := inbox.Wait(ctx, to, subject)
	if err != nil {
		t.Fatal(err)
	}
	link := m.Link("http://chat.example.test/" + page + "#token=")
	if link == "" || !strings.Contains(m.HTML, link) {
		t.Fatalf("no %s link in the text and HTML of %+v", page, m)
	}
	return strings.SplitN(link, "#token=", 2)[1]
}

func TestEmail_OffWithoutSMTP(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		email, tok := s.NewUser(t)
		wantStatus(t, s.Do(t, "POST", "/users/password-reset", "", `{"email":"`+email+`"}`), 501, "SMTP_URL")
		wantStatus(t, s.Do(t, "POST", "/users/me/verify-email", tok, ""), 501, "SMTP_URL")
		if r := s.Do(t, "GET", "/users/me", tok, ""); !strings.Contains(string(r.Body), `"email_verified":false`) {
			t.Fatalf("me: %s", r.Body)
		}
	})
}

// Registration mails a verification link; following it verifies the address, once.
func TestEmail_VerificationLinkFromRegistration(t *testing.T) {
	withMail(t, nil, func(t *testing.T, s *apitest.Server, inbox *mailtest.Server) {
		email, tok := s.NewUser(t)
		token := linkToken(t, inbox, email, "Verify your email", "verify-email")
		if r := s.Do(t, "GET", "/users/me", tok, ""); !strings.Contains(string(r.Body), `"email_verified":false`) {
			t.Fatalf("me before: %s", r.Body)
		}
		wantStatus(t, s.Do(t, "POST", "/users/verify-email/confirm", "", `{"token":"not-the-token"}`), 400, "invalid, used or expired")
		wantStatus(t, s.Do(t, "POST", "/users/verify-email/confirm", "", `{"token":"`+token+`"}`), 204, "")
		if r := s.Do(t, "GET", "/users/me", tok, ""); !strings.Contains(string(r.Body), `"email_verified":true`) {
			t.Fatalf("me after: %s", r.Body)
		}
		wantStatus(t, s.Do(t, "POST", "/users/verify-email/confirm", "", `{"token":"`+token+`"}`), 400, "invalid, used or expired")
		wantStatus(t, s.Do(t, "POST", "/users/me/verify-email", tok, ""), 409, "verified already")
		if got := inbox.Messages()[0]; got.From != "no-reply@example.com" || got.Auth != "platform" {
			t.Fatalf("sent from %q, signed in as %q", got.From, got.Auth)
		}
	})
}

// A reset answers alike for every address, mails only real accounts, works once, ends every session.
func TestEmail_PasswordReset(t *testing.T) {
	withMail(t, nil, func(t *testing.T, s *apitest.Server, inbox *mailtest.Server) {
		email, tok := s.NewUser(t)
		linkToken(t, inbox, email, "Verify your email", "verify-email") // registration's
		known := s.Do(t, "POST", "/users/password-reset", "", `{"email":" `+strings.ToUpper(email)+`"}`)
		unknown := s.Do(t, "POST", "/users/password-reset", "", `{"email":"nobody-here@example.com"}`)
		wantStatus(t, known, 202, "")
		wantStatus(t, unknown, 202, "")
		if string(known.Body) != string(unknown.Body) {
			t.Fatalf("answers differ: %s vs %s", known.Body, unknown.Body)
		}
		token := linkToken(t, inbox, email, "Reset your", "reset-password")
		wantStatus(t, s.Do(t, "POST", "/users/password-reset", "", `{"email":"not an address"}`), 400, "email")

		confirm := func(token, password string) apitest.Response {
			return s.Do(t, "POST", "/users/password-reset/confirm", "", `{"token":"`+token+`","new_password":"`+password+`"}`)
		}
		wantStatus(t, confirm(token, "onlyletters"), 400, "new_password") // the link survives a refused password
		wantStatus(t, confirm("forged", "NewSecret456"), 400, "token")
		wantStatus(t, s.Do(t, "GET", "/users/me", tok, ""), 200, "")
		wantStatus(t, confirm(token, "NewSecret456"), 204, "")
		wantStatus(t, s.Do(t, "GET", "/users/me", tok, ""), 401, "")
		wantStatus(t, s.Do(t, "POST", "/users/login", "", `{"email":"`+email+`","password":"SecurePass123"}`), 401, "")
		fresh := s.Login(t, email, "NewSecret456")
		if r := s.Do(t, "GET", "/users/me", fresh, ""); !strings.Contains(string(r.Body), `"email_verified":true`) {
			t.Fatalf("a followed reset link proves the address: %s", r.Body)
		}
		wantStatus(t, confirm(token, "OtherSecret789"), 400, "invalid, used or expired")
		for _, m := range inbox.Messages() {
			if slices.Contains(m.To, "nobody-here@example.com") {
				t.Fatalf("mailed an address with no account: %+v", m)
			}
		}

		// An expired link is refused (planted with a known token, 30 minutes and 1 second old).
		u, err := s.Store.GetUserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte("planted-expired-token"))
		if err := s.Store.PutEmailToken(ctx, model.EmailToken{Hash: h[:], UserID: u.ID, Purpose: model.PurposeResetPassword,
			Email: email, ExpiresAt: time.Now().Add(-time.Second)}); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, confirm("planted-expired-token", "OtherSecret789"), 400, "expired")
		s.Login(t, email, "NewSecret456")
	})
}

// Links mailed to one address are limited, whether or not it has an account.
func TestEmail_LimitedPerAddress(t *testing.T) {
	withMail(t, map[string]string{"RATE_LIMIT_EMAIL": "2"}, func(t *testing.T, s *apitest.Server, _ *mailtest.Server) {
		for _, addr := range []string{"someone@example.com", "nobody@example.com"} {
			for i := 0; i < 2; i++ {
				wantStatus(t, s.Do(t, "POST", "/users/password-reset", "", `{"email":"`+addr+`"}`), 202, "")
			}
			r := s.Do(t, "POST", "/users/password-reset", "", `{"email":"`+addr+`"}`)
			wantStatus(t, r, 429, "Too many emails")
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	})
}

// With REQUIRE_EMAIL_VERIFICATION, sign-in waits for the address, and each refusal mails a new link.
func TestEmail_RequiredVerificationRefusesSignIn(t *testing.T) {
	withMail(t, map[string]string{"REQUIRE_EMAIL_VERIFICATION": "true"}, func(t *testing.T, s *apitest.Server, inbox *mailtest.Server) {
		email := "unverified@example.com"
		wantStatus(t, s.Do(t, "POST", "/users/register", "", `{"email":"`+email+`","password":"SecurePass123"}`), 200, "")
		linkToken(t, inbox, email, "Verify your email", "verify-email")
		inbox.Reset()
		creds := `{"email":"` + email + `","password":"SecurePass123"}`
		wantStatus(t, s.Do(t, "POST", "/users/login", "", `{"email":"`+email+`","password":"WrongPass999"}`), 401, "")
		wantStatus(t, s.Do(t, "POST", "/users/login", "", creds), 403, "we have sent a new link to "+email)
		wantStatus(t, s.Do(t, "POST", "/users/session", "", creds), 403, "Verify your email")
		// Each refusal mailed a link that replaced the one before: only one works (mail may arrive out of order).
		deadline := time.Now().Add(10 * time.Second)
		for len(inbox.Messages()) < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		msgs := inbox.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d messages after two refused sign-ins, want 2", len(msgs))
		}
		worked := 0
		for _, m := range msgs {
			token := strings.SplitN(m.Link("#token="), "#token=", 2)[1]
			if s.Do(t, "POST", "/users/verify-email/confirm", "", `{"token":"`+token+`"}`).StatusCode == 204 {
				worked++
			}
		}
		if worked != 1 {
			t.Fatalf("%d of the two links worked, want 1", worked)
		}
		s.Login(t, email, "SecurePass123")
	})
}
