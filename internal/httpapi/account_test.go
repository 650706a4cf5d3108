package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
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

// Conversations can be renamed by their owner and found by words of their title or of any message.
func TestConversations_RenameAndSearch(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, tok := s.NewUser(t)
		pid := newProject(t, s, tok, `{"name":"Bot"}`)
		send := func(msg string) int64 {
			r := s.Do(t, "POST", "/chat", tok, fmt.Sprintf(`{"project_id":%d,"message":%q}`, pid, msg))
			wantStatus(t, r, 200, "")
			var out struct {
				ConversationID int64 `json:"conversation_id"`
			}
			json.Unmarshal(r.Body, &out)
			return out.ConversationID
		}
		pasta := send("How long should I cook Pasta?")
		send("What is the capital of France?")

		found := func(q string) string {
			r := s.Do(t, "GET", fmt.Sprintf("/projects/%d/conversations?q=%s", pid, url.QueryEscape(q)), tok, "")
			wantStatus(t, r, 200, "")
			return string(r.Body)
		}
		if b := found("PASTA"); !strings.Contains(b, "Pasta") || strings.Contains(b, "France") {
			t.Fatalf("search by title: %s", b)
		}
		// LIKE's % stands for one character only: "a%a" is not "a…a" (which both conversations hold).
		if b := found("a%a"); strings.TrimSpace(b) != "[]" {
			t.Fatalf("a %% in the search matched many characters: %s", b)
		}

		r := s.Do(t, "PATCH", fmt.Sprintf("/conversations/%d", pasta), tok, `{"title":"  Dinner plans "}`)
		wantStatus(t, r, 200, "")
		if !strings.Contains(string(r.Body), `"title":"Dinner plans"`) {
			t.Fatalf("rename: %s", r.Body)
		}
		// Found by a message's content once the title no longer says it.
		if b := found("pasta"); !strings.Contains(b, "Dinner plans") {
			t.Fatalf("search by content: %s", b)
		}
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/conversations/%d", pasta), tok, `{"title":"   "}`), 400, "title")
		_, other := s.NewUser(t)
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/conversations/%d", pasta), other, `{"title":"mine"}`), 404, "")
		kr := s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), tok, `{"name":"k","kind":"secret","scopes":["chat","read","write"]}`)
		var key struct{ Key string }
		json.Unmarshal(kr.Body, &key)
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/conversations/%d", pasta), key.Key, `{"title":"x"}`), 403, "")
	})
}

// The export holds everything of the account (never a key's secret) and nothing of anyone else's.
func TestAccount_ExportHoldsEverythingAndOnlyIt(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		email, tok := s.NewUser(t)
		pid := newProject(t, s, tok, `{"name":"Exported bot"}`)
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", pid), tok, `{"name":"Tone","content":"Be brief."}`), 201, "")
		kr := s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), tok, `{"name":"backend","kind":"secret"}`)
		wantStatus(t, kr, 201, "")
		var key struct{ Key string }
		json.Unmarshal(kr.Body, &key)
		wantStatus(t, s.Do(t, "POST", "/chat", tok, fmt.Sprintf(`{"project_id":%d,"message":"Remember the blue door"}`, pid)), 200, "")
		wantStatus(t, s.Do(t, "POST", "/chat", key.Key, `{"message":"Hello from a customer","user":"customer-7"}`), 200, "")
		_, other := s.NewUser(t)
		otherPid := newProject(t, s, other, `{"name":"Someone else's bot"}`)
		wantStatus(t, s.Do(t, "POST", "/chat", other, fmt.Sprintf(`{"project_id":%d,"message":"A secret of mine"}`, otherPid)), 200, "")

		r := s.Do(t, "GET", "/users/me/export", tok, "")
		wantStatus(t, r, 200, "")
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Fatalf("Content-Disposition = %q", cd)
		}
		body := string(r.Body)
		for _, want := range []string{email, "Exported bot", "Be brief.", "backend", "Remember the blue door", "Hello from a customer", "customer-7"} {
			if !strings.Contains(body, want) {
				t.Errorf("export lacks %q", want)
			}
		}
		for _, never := range []string{key.Key, "Someone else's bot", "A secret of mine", "hashed_password", "$pbkdf2"} {
			if strings.Contains(body, never) {
				t.Errorf("export holds %q", never)
			}
		}
		var out struct {
			Projects []struct {
				Conversations []struct{ Messages []json.RawMessage }
			}
		}
		if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Projects) != 1 || len(out.Projects[0].Conversations) != 2 ||
			len(out.Projects[0].Conversations[0].Messages) != 2 {
			t.Fatalf("export shape: %v %s", err, body)
		}
		wantStatus(t, s.Do(t, "GET", "/users/me/export", key.Key, ""), 403, "")
	})
}
