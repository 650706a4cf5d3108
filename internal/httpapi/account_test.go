package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/apitest"
)

func TestAccount_DisplayName(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		_, tok := s.NewUser(t)
		r := s.Do(t, "PATCH", "/users/me", tok, `{"display_name":"  Ada Lovelace "}`)
		wantStatus(t, r, 200, "")
		if !strings.Contains(string(r.Body), `"display_name":"Ada Lovelace"`) {
			t.Fatalf("patch: %s", r.Body)
		}
		if r := s.Do(t, "GET", "/users/me", tok, ""); !strings.Contains(string(r.Body), `"display_name":"Ada Lovelace"`) {
			t.Fatalf("me: %s", r.Body)
		}
		wantStatus(t, s.Do(t, "PATCH", "/users/me", tok, `{"display_name":"`+strings.Repeat("a", 101)+`"}`), 400, "")
		wantStatus(t, s.Do(t, "PATCH", "/users/me", tok, `{"display_name":"bad\u0000name"}`), 400, "")
		wantStatus(t, s.Do(t, "PATCH", "/users/me", tok, `{"display_name":"x","email":"other@example.com"}`), 400, "")
		if r := s.Do(t, "PATCH", "/users/me", tok, `{"display_name":""}`); !strings.Contains(string(r.Body), `"display_name":""`) {
			t.Fatalf("clear: %s", r.Body)
		}
	})
}

// Changing the password needs the current one and signs out every other session.
func TestAccount_PasswordChangeEndsOtherSessions(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		email, here := s.NewUser(t)
		elsewhere := s.Login(t, email, "SecurePass123")
		change := func(current, next string) apitest.Response {
			return s.Do(t, "POST", "/users/me/password", here, `{"current_password":"`+current+`","new_password":"`+next+`"}`)
		}
		wantStatus(t, change("WrongPass999", "NewSecret456"), 400, "current_password")
		wantStatus(t, change("SecurePass123", "onlyletters"), 400, "new_password")
		wantStatus(t, s.Do(t, "GET", "/users/me", elsewhere, ""), 200, "")
		wantStatus(t, change("SecurePass123", "NewSecret456"), 204, "")
		wantStatus(t, s.Do(t, "GET", "/users/me", elsewhere, ""), 401, "")
		wantStatus(t, s.Do(t, "GET", "/users/me", here, ""), 200, "")
		wantStatus(t, s.Do(t, "POST", "/users/login", "", `{"email":"`+email+`","password":"SecurePass123"}`), 401, "")
		s.Login(t, email, "NewSecret456")
	})
}

// Deleting the account needs the password and removes everything, at OpenAI too.
func TestAccount_DeleteRemovesEverythingEverywhere(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		e.mustUpload(t, "notes.txt", []byte("The launch code is 4242."))
		e.newProject(t, e.token)
		_, other := e.NewUser(t)
		otherProject := e.newProject(t, other)

		wantStatus(t, e.Do(t, "DELETE", "/users/me", e.token, `{"password":"WrongPass999"}`), 400, "password")
		wantStatus(t, e.Do(t, "GET", "/projects", e.token, ""), 200, "")
		wantStatus(t, e.Do(t, "DELETE", "/users/me", e.token, `{"password":"SecurePass123"}`), 204, "")

		e.noUpstreamFiles(t)
		wantStatus(t, e.Do(t, "GET", "/users/me", e.token, ""), 401, "")
		if ps, err := e.Store.ListProjects(ctx, e.userID); err != nil || len(ps) != 0 {
			t.Fatalf("projects left: %v %v", ps, err)
		}
		wantStatus(t, e.Do(t, "GET", fmt.Sprintf("/projects/%d", otherProject), other, ""), 200, "")
	})
}
