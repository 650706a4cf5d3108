package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

type sessionView struct {
	ID        int64  `json:"id"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	Current   bool   `json:"current"`
}

func sessionsOf(t *testing.T, s *apitest.Server, token string) []sessionView {
	t.Helper()
	r := s.Do(t, "GET", "/users/me/sessions", token, "")
	wantStatus(t, r, 200, "")
	var out []sessionView
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// eachEngineTwoInstances runs fn against two platform instances over one database.
func eachEngineTwoInstances(t *testing.T, fn func(t *testing.T, a, b *apitest.Server)) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			st := e.Open(t)
			shared := func(testing.TB) store.Store { return st }
			fn(t, apitest.Start(t, apitest.Options{Store: shared}), apitest.Start(t, apitest.Options{Store: shared}))
		})
	}
}

// A sign-in is a session: logging out, ending one session or signing out everywhere fails its
// tokens at their very next request on the other instance too.
func TestSessions_EndedSessionsFailAtOnceOnEveryInstance(t *testing.T) {
	eachEngineTwoInstances(t, func(t *testing.T, a, b *apitest.Server) {
		email, first := a.NewUser(t)
		second := b.Login(t, email, "SecurePass123")
		third := a.Login(t, email, "SecurePass123")
		for _, tok := range []string{first, second, third} {
			wantStatus(t, b.Do(t, "GET", "/users/me", tok, ""), 200, "")
		}

		wantStatus(t, a.Do(t, "POST", "/users/logout", first, ""), 204, "")
		wantStatus(t, b.Do(t, "GET", "/users/me", first, ""), 401, "")
		wantStatus(t, a.Do(t, "GET", "/users/me", first, ""), 401, "")

		list := sessionsOf(t, b, second)
		if len(list) != 2 {
			t.Fatalf("sessions after logout: %+v", list)
		}
		var current, other sessionView
		for _, s := range list {
			if s.Current {
				current = s
			} else {
				other = s
			}
		}
		if current.ID == 0 || other.ID == 0 || current.IP == "" || current.UserAgent == "" {
			t.Fatalf("sessions: %+v", list)
		}
		_, stranger := a.NewUser(t)
		wantStatus(t, a.Do(t, "DELETE", fmt.Sprintf("/users/me/sessions/%d", other.ID), stranger, ""), 404, "session not found")
		wantStatus(t, a.Do(t, "DELETE", fmt.Sprintf("/users/me/sessions/%d", other.ID), second, ""), 204, "")
		wantStatus(t, b.Do(t, "GET", "/users/me", third, ""), 401, "")
		wantStatus(t, b.Do(t, "GET", "/users/me", second, ""), 200, "")

		fourth := b.Login(t, email, "SecurePass123")
		wantStatus(t, a.Do(t, "DELETE", "/users/me/sessions", second, ""), 204, "")
		for _, tok := range []string{second, fourth} {
			wantStatus(t, b.Do(t, "GET", "/projects", tok, ""), 401, "")
		}
		wantStatus(t, a.Do(t, "GET", "/users/me", stranger, ""), 200, "")
	})
}

// A token names its user's id and session: when the account is deleted and the address registered
// again, the old token does not open the new account.
func TestSessions_ReRegisteredAddressDoesNotHonourOldTokens(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		email, old := s.NewUser(t)
		u, err := s.Store.GetUserByEmail(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Store.DeleteUser(context.Background(), u.ID); err != nil {
			t.Fatal(err)
		}
		fresh := s.Signup(t, email, "AnotherPass456")
		wantStatus(t, s.Do(t, "GET", "/users/me", old, ""), 401, "")
		r := s.Do(t, "GET", "/users/me", fresh, "")
		wantStatus(t, r, 200, "")
		if !strings.Contains(string(r.Body), email) {
			t.Fatalf("new account: %s", r.Body)
		}
	})
}

// The dashboard's cookie session: the token in an httpOnly cookie, and every unsafe request proving
// it comes from our page with the CSRF header (matching its cookie and its session) and our Origin.
func TestSessions_CookieNeedsCSRFOnUnsafeRequests(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		email, _ := s.NewUser(t)
		signIn := func(headers ...string) (session, csrf *http.Cookie) {
			r := s.Do(t, "POST", "/users/session", "", `{"email":"`+email+`","password":"SecurePass123"}`, headers...)
			wantStatus(t, r, 200, "")
			if !strings.Contains(string(r.Body), email) {
				t.Fatalf("session answer: %s", r.Body)
			}
			for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
				switch ck.Name {
				case "session":
					session = ck
				case "csrf_token":
					csrf = ck
				}
			}
			if session == nil || csrf == nil {
				t.Fatalf("cookies: %v", r.Header["Set-Cookie"])
			}
			return session, csrf
		}
		session, csrf := signIn()
		if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || csrf.HttpOnly || csrf.SameSite != http.SameSiteStrictMode {
			t.Fatalf("cookie flags: %+v %+v", session, csrf)
		}
		if secure, _ := signIn("X-Forwarded-Proto", "https"); !secure.Secure {
			t.Fatal("the session cookie is not Secure over https")
		}
		jar := "session=" + session.Value + "; csrf_token=" + csrf.Value
		wantStatus(t, s.Do(t, "GET", "/projects", "", "", "Cookie", jar), 200, "")

		create := `{"name":"cookie bot"}`
		wantStatus(t, s.Do(t, "POST", "/projects", "", create, "Cookie", jar), 403, "X-CSRF-Token")
		wantStatus(t, s.Do(t, "POST", "/projects", "", create, "Cookie", jar, "X-CSRF-Token", "forged"), 403, "X-CSRF-Token")
		wantStatus(t, s.Do(t, "POST", "/projects", "", create, "Cookie", jar, "X-CSRF-Token", csrf.Value,
			"Origin", "https://evil.example"), 403, "X-CSRF-Token")
		// Another session's CSRF token, planted in both the cookie and the header, does not fit this one.
		_, other := signIn()
		planted := "session=" + session.Value + "; csrf_token=" + other.Value
		wantStatus(t, s.Do(t, "POST", "/projects", "", create, "Cookie", planted, "X-CSRF-Token", other.Value), 403, "X-CSRF-Token")
		origin := strings.TrimSuffix(s.URL, "/")
		wantStatus(t, s.Do(t, "POST", "/projects", "", create, "Cookie", jar, "X-CSRF-Token", csrf.Value, "Origin", origin), 201, "")
		wantStatus(t, s.Do(t, "POST", "/projects", "", create, "Cookie", jar, "X-CSRF-Token", csrf.Value), 201, "")
		// Behind a proxy that rewrites Host, the browser's host is the forwarded one.
		wantStatus(t, s.Do(t, "POST", "/projects", "", create, "Cookie", jar, "X-CSRF-Token", csrf.Value,
			"Origin", "https://chat.example.com", "X-Forwarded-Host", "chat.example.com"), 201, "")

		// Operations that take keys only do not take the cookie.
		wantStatus(t, s.Do(t, "GET", "/v1/models", "", "", "Cookie", jar), 401, "")

		r := s.Do(t, "DELETE", "/users/session", "", "", "Cookie", jar, "X-CSRF-Token", csrf.Value)
		wantStatus(t, r, 204, "")
		cleared := 0
		for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
			if (ck.Name == "session" || ck.Name == "csrf_token") && ck.MaxAge < 0 {
				cleared++
			}
		}
		if cleared != 2 {
			t.Fatalf("sign-out did not clear both cookies: %v", r.Header["Set-Cookie"])
		}
		wantStatus(t, s.Do(t, "GET", "/projects", "", "", "Cookie", jar), 401, "")
	})
}
