package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
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
