package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// eachEngineWithUpstream runs fn against a server with the OpenAI fake, on SQLite and on PostgreSQL.
func eachEngineWithUpstream(t *testing.T, env map[string]string, fn func(t *testing.T, s *apitest.Server, fake *fakeopenai.Server), opts ...fakeopenai.Option) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fake := fakeopenai.Start(t, opts...)
			vars := map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL(), "OPENAI_RETRY_BASE_DELAY": "10ms"}
			for k, v := range env {
				vars[k] = v
			}
			fn(t, apitest.Start(t, apitest.Options{Store: e.Open, Env: vars}), fake)
		})
	}
}

type createdKey struct {
	ID             int64
	Key            string
	Prefix         string
	IdentitySecret string `json:"identity_secret"`
}

func newKey(t *testing.T, s *apitest.Server, token string, projectID int64, body string) createdKey {
	t.Helper()
	r := s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", projectID), token, body)
	wantStatus(t, r, 201, "")
	var k createdKey
	json.Unmarshal(r.Body, &k)
	return k
}

func decode[T any](t *testing.T, r apitest.Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return v
}

const siteOrigin = "https://shop.example.com"

// TestKeys_ScopeRouteMatrix: every route of the API with every kind of credential. A key acts on its own
// project only, with one of the scopes the spec lists for the route; user-only routes refuse keys (403);
// another project's key sees 404 like another user does.
func TestKeys_ScopeRouteMatrix(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		_, bob := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"Support"}`)
		other := newProject(t, s, owner, `{"name":"Other"}`)
		prompt := decode[struct{ ID int64 }](t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", pid), owner, `{"name":"a","content":"b"}`))
		conv := decode[chatReply](t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "owner's own chat", 0)))
		spare := newKey(t, s, owner, pid, `{"name":"spare","kind":"secret"}`)

		keyFor := func(project int64, body string) string { return newKey(t, s, owner, project, body).Key }
		revoked := keyFor(pid, `{"name":"revoked","kind":"secret","scopes":["chat","read","write"]}`)
		wantStatus(t, s.Do(t, "DELETE", fmt.Sprintf("/projects/keys/%d", decode[[]struct{ ID int64 }](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/keys", pid), owner, ""))[1].ID), owner, ""), 204, "")

		creds := []struct {
			name, token string
			scopes      []string // nil: a user
			project     int64
			headers     []string
		}{
			{"owner", owner, nil, pid, nil},
			{"other user", bob, nil, 0, nil},
			{"secret chat", keyFor(pid, `{"name":"c","kind":"secret"}`), []string{"chat"}, pid, nil},
			{"secret read", keyFor(pid, `{"name":"r","kind":"secret","scopes":["read"]}`), []string{"read"}, pid, nil},
			{"secret write", keyFor(pid, `{"name":"w","kind":"secret","scopes":["write"]}`), []string{"write"}, pid, nil},
			{"secret all", keyFor(pid, `{"name":"a","kind":"secret","scopes":["chat","read","write"]}`), []string{"chat", "read", "write"}, pid, nil},
			{"other project's key", keyFor(other, `{"name":"o","kind":"secret","scopes":["chat","read","write"]}`), []string{"chat", "read", "write"}, other, nil},
			{"publishable", keyFor(pid, `{"name":"p","kind":"publishable","allowed_origins":["`+siteOrigin+`"]}`), []string{"chat"}, pid,
				[]string{"Origin", siteOrigin, "X-Visitor-Id", "visitor-0123456789abcdef"}},
			{"revoked key", revoked, []string{}, pid, nil},
		}

		// ok is the status when the credential may use the route; scopes nil marks a user-only route.
		// key overrides ok for a key that may (a chat-only key finds no conversation it did not start).
		routes := []struct {
			method, path, body string
			scopes             []string
			ok, key            int
			secretOnly         bool
		}{
			{"GET", "/users/me", "", nil, 200, 0, false},
			{"GET", "/projects", "", nil, 200, 0, false},
			{"POST", "/projects", `{"name":"x"}`, nil, 201, 0, false},
			{"DELETE", "/projects/999999", "", nil, 404, 0, false},
			{"GET", "/projects/{p}", "", []string{"read"}, 200, 0, false},
			{"PATCH", "/projects/{p}", `{"temperature":0.5}`, []string{"write"}, 200, 0, false},
			{"PATCH", "/projects/{p}", `{"name":"renamed"}`, []string{"write"}, 200, 403, false},
			{"GET", "/projects/{p}/prompts", "", []string{"read"}, 200, 0, false},
			{"POST", "/projects/{p}/prompts", `{"name":"n","content":"c"}`, []string{"write"}, 201, 0, false},
			{"PUT", "/projects/prompts/{prompt}", `{"name":"n","content":"c"}`, []string{"write"}, 200, 0, false},
			{"DELETE", "/projects/prompts/999999", "", []string{"write"}, 404, 0, false},
			{"GET", "/projects/{p}/files", "", []string{"read"}, 200, 0, false},
			{"DELETE", "/projects/files/999999", "", []string{"write"}, 404, 0, false},
			{"POST", "/chat", `{"project_id":{p},"message":"hi"}`, []string{"chat"}, 200, 0, false},
			{"POST", "/chat/stream", `{"project_id":{p},"message":"hi"}`, []string{"chat"}, 200, 0, false},
			{"POST", "/chat", `{"project_id":{p},"message":"hi","conversation_id":{conv}}`, []string{"chat"}, 200, 404, false},
			{"GET", "/projects/{p}/conversations", "", []string{"chat", "read"}, 200, 0, false},
			{"GET", "/conversations/{conv}", "", []string{"chat", "read"}, 200, 0, false},
			{"DELETE", "/conversations/999999", "", []string{"chat"}, 404, 0, false},
			{"GET", "/projects/{p}/export", "", nil, 200, 0, false},
			{"GET", "/projects/{p}/export?format=markdown", "", nil, 200, 0, false},
			{"POST", "/projects/import?template=writing-assistant", "", nil, 201, 0, false},
			{"POST", "/projects/import", `{"version":1,"project":{"name":"imported"}}`, nil, 201, 0, false},
			{"GET", "/project-templates", "", nil, 200, 0, false},
			{"PUT", "/conversations/{conv}/messages/{msg}/feedback", `{"rating":"up"}`, []string{"chat"}, 200, 404, false},
			{"DELETE", "/conversations/{conv}/messages/{msg}/feedback", "", []string{"chat"}, 204, 404, false},
			{"GET", "/projects/{p}/feedback", "", []string{"read"}, 200, 0, false},
			{"GET", "/projects/{p}/keys", "", nil, 200, 0, false},
			{"POST", "/projects/{p}/keys", `{"name":"k","kind":"secret"}`, nil, 201, 0, false},
			{"PATCH", "/projects/keys/{spare}", `{"name":"still spare"}`, nil, 200, 0, false},
			{"POST", "/projects/keys/{spare}/identity-secret", "", nil, 400, 0, false},
			{"DELETE", "/projects/keys/999999", "", nil, 404, 0, false},
			{"GET", "/projects/{p}/webhooks", "", nil, 200, 0, false},
			{"POST", "/projects/{p}/webhooks", `{"url":"https://203.0.113.10/hook","events":["message.completed"]}`, nil, 201, 0, false},
			{"GET", "/projects/{p}/webhooks/999999", "", nil, 404, 0, false},
			{"PATCH", "/projects/{p}/webhooks/999999", `{"enabled":false}`, nil, 404, 0, false},
			{"DELETE", "/projects/{p}/webhooks/999999", "", nil, 404, 0, false},
			{"POST", "/projects/{p}/webhooks/999999/rotate-secret", "", nil, 404, 0, false},
			{"GET", "/projects/{p}/webhooks/999999/deliveries", "", nil, 404, 0, false},
			{"POST", "/projects/{p}/webhooks/999999/deliveries/1/redeliver", "", nil, 404, 0, false},
			{"GET", "/projects/{p}/releases", "", nil, 200, 0, false},
			{"POST", "/projects/{p}/releases", `{"note":"n"}`, nil, 201, 0, false},
			{"GET", "/projects/{p}/releases/1", "", nil, 200, 0, false},
			{"POST", "/projects/{p}/releases/1/publish", "", nil, 200, 0, false},
			// After the releases: a case makes the publish gate ask for a run.
			{"GET", "/projects/{p}/eval-cases", "", nil, 200, 0, false},
			{"POST", "/projects/{p}/eval-cases", `{"input":"q","checks":{"contains":["echo"]}}`, nil, 201, 0, false},
			{"GET", "/projects/eval-cases/999999", "", nil, 404, 0, false},
			{"PUT", "/projects/eval-cases/999999", `{"input":"q"}`, nil, 404, 0, false},
			{"DELETE", "/projects/eval-cases/999999", "", nil, 404, 0, false},
			{"GET", "/projects/{p}/eval-runs", "", nil, 200, 0, false},
			{"POST", "/projects/{p}/eval-runs", `{"target":"draft"}`, nil, 202, 0, false},
			{"GET", "/projects/eval-runs/999999", "", nil, 404, 0, false},
			{"GET", "/v1/models", "", []string{"chat"}, 200, 0, true},
			{"POST", "/v1/chat/completions", `{"model":"x","messages":[{"role":"user","content":"hi"}]}`, []string{"chat"}, 200, 0, true},
		}
		fill := strings.NewReplacer("{p}", fmt.Sprint(pid), "{prompt}", fmt.Sprint(prompt.ID), "{conv}", fmt.Sprint(conv.ConversationID), "{msg}", fmt.Sprint(conv.MessageID),
			"{spare}", fmt.Sprint(spare.ID))
		for _, c := range creds {
			for _, r := range routes {
				path, body := fill.Replace(r.path), fill.Replace(r.body)
				key := c.scopes != nil
				mayUse := !key && r.scopes != nil || !key && !strings.HasPrefix(path, "/v1/") ||
					key && r.scopes != nil && overlaps(c.scopes, r.scopes) && !(r.secretOnly && c.name == "publishable")
				want := r.ok
				switch {
				case c.name == "revoked key" || !key && strings.HasPrefix(path, "/v1/"):
					want = 401
				case !mayUse:
					want = 403
				case c.name == "other user" && (strings.Contains(r.path, "{") || strings.Contains(r.body, "{p}")):
					want = 404
				case c.name == "other user" && r.ok == 400:
					want = 404
				case c.name == "other project's key" && (strings.Contains(r.path, "{") || strings.Contains(r.body, "{p}")):
					want = 404
				case key && r.key != 0:
					want = r.key
				case key && r.path == "/conversations/{conv}" && !overlaps(c.scopes, []string{"read"}):
					want = 404 // the owner's conversation is not a chat-only key's
				}
				if c.name == "other project's key" && strings.HasPrefix(path, "/v1/") {
					want = r.ok // its own project answers
				}
				got := s.Do(t, r.method, path, c.token, body, c.headers...)
				if got.StatusCode != want {
					t.Errorf("%s: %s %s -> %d, want %d (%s)", c.name, r.method, path, got.StatusCode, want, got.Body)
				}
			}
		}
	})
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func TestKeys_CreateShowsTheSecretOnceAndValidates(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		r := s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), owner, `{"name":" server ","kind":"secret","scopes":["read","chat"],"rate_limit_per_minute":30}`)
		wantStatus(t, r, 201, "")
		k := decode[map[string]any](t, r)
		key := k["key"].(string)
		if !strings.HasPrefix(key, "cb_sk_") || len(key) < 6+43 || !strings.HasPrefix(key, k["prefix"].(string)) || k["name"] != "server" {
			t.Fatalf("created %v", k)
		}
		if _, ok := k["identity_secret"]; ok {
			t.Fatal("a secret key got an identity secret")
		}
		list := s.Do(t, "GET", fmt.Sprintf("/projects/%d/keys", pid), owner, "")
		if strings.Contains(string(list.Body), key) || strings.Contains(string(list.Body), `"key"`) {
			t.Fatalf("the list shows the secret: %s", list.Body)
		}
		pk := decode[map[string]any](t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), owner,
			`{"name":"site","kind":"publishable","allowed_origins":["HTTPS://Shop.Example.com/"]}`))
		if !strings.HasPrefix(pk["key"].(string), "cb_pk_") || pk["identity_secret"] == "" || pk["visitor_messages_per_day"] != 50.0 ||
			fmt.Sprint(pk["allowed_origins"]) != "[https://shop.example.com]" || fmt.Sprint(pk["scopes"]) != "[chat]" {
			t.Fatalf("publishable %v", pk)
		}
		for _, tt := range []struct{ body, detail string }{
			{`{"name":"x","kind":"publishable","scopes":["read"]}`, "publishable keys are chat-only"},
			{`{"name":"x","kind":"secret","allowed_origins":["https://a.example"]}`, "only publishable keys have allowed origins"},
			{`{"name":"x","kind":"secret","visitor_messages_per_day":5}`, "for publishable keys only"},
			{`{"name":"x","kind":"publishable","allowed_origins":["https://a.example/path"]}`, "is not an origin"},
			{`{"name":"x","kind":"publishable","allowed_origins":["*.example.com"]}`, "is not an origin"},
			{`{"name":"x","kind":"secret","expires_at":"2001-01-01T00:00:00Z"}`, "must be in the future"},
			{`{"name":"","kind":"secret"}`, "must not be empty"},
			{`{"name":"x","kind":"admin"}`, "kind"},
			{`{"name":"x","kind":"secret","scopes":["admin"]}`, "scopes"},
			{`{"name":"x","kind":"secret","rate_limit_per_minute":0}`, "rate_limit_per_minute"},
			{`{"name":"x","kind":"secret","nmae":"typo"}`, "nmae"},
		} {
			wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), owner, tt.body), 400, tt.detail)
		}
		// PATCH: null clears; another user's key is 404.
		id := int64(k["id"].(float64))
		up := decode[map[string]any](t, s.Do(t, "PATCH", fmt.Sprintf("/projects/keys/%d", id), owner, `{"rate_limit_per_minute":null,"expires_at":"2999-01-01T00:00:00Z"}`))
		if up["rate_limit_per_minute"] != nil || up["expires_at"] == nil {
			t.Fatalf("patched %v", up)
		}
		up = decode[map[string]any](t, s.Do(t, "PATCH", fmt.Sprintf("/projects/keys/%d", id), owner, `{"expires_at":null}`))
		if up["expires_at"] != nil {
			t.Fatalf("expiry not cleared: %v", up)
		}
		_, bob := s.NewUser(t)
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/projects/keys/%d", id), bob, `{"name":"mine"}`), 404, "key not found")
		wantStatus(t, s.Do(t, "DELETE", fmt.Sprintf("/projects/keys/%d", id), bob, ""), 404, "key not found")
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/keys", pid), bob, ""), 404, "project not found")
	})
}

func TestKeys_RevokedAndUnknownKeysAre401(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		k := newKey(t, s, owner, pid, `{"name":"k","kind":"secret","scopes":["read"]}`)
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d", pid), k.Key, ""), 200, "")
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d", pid), k.Key+"x", ""), 401, "Invalid API key")
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d", pid), "cb_sk_unknown", ""), 401, "Invalid API key")
		wantStatus(t, s.Do(t, "DELETE", fmt.Sprintf("/projects/keys/%d", k.ID), owner, ""), 204, "")
		r := s.Do(t, "GET", fmt.Sprintf("/projects/%d", pid), k.Key, "")
		wantStatus(t, r, 401, "revoked")
		if r.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("401 without WWW-Authenticate: %v", r.Header)
		}
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d?key=%s", pid, k.Key), "", ""), 401, "")
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d", pid), k.Key, "", "Authorization", "Basic "+k.Key), 401, "")
		wantStatus(t, s.Do(t, "GET", "/projects/keys/1/identity-secret", owner, ""), 405, "")
	})
}

func TestKeys_EndUsersSeeOnlyTheirOwnConversations(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		chatKey := newKey(t, s, owner, pid, `{"name":"backend","kind":"secret"}`).Key
		otherKey := newKey(t, s, owner, pid, `{"name":"other","kind":"secret"}`).Key
		readKey := newKey(t, s, owner, pid, `{"name":"reader","kind":"secret","scopes":["read"]}`).Key

		ann := decode[chatReply](t, s.Do(t, "POST", "/chat", chatKey, `{"message":"I am Ann","user":"ann"}`))
		bo := decode[chatReply](t, s.Do(t, "POST", "/chat", chatKey, `{"message":"I am Bo","user":"bo"}`))
		if ann.ConversationID == 0 || bo.ConversationID == 0 {
			t.Fatal("chats through a key without project_id failed")
		}
		conv := func(id int64, token, query string) apitest.Response {
			return s.Do(t, "GET", fmt.Sprintf("/conversations/%d%s", id, query), token, "")
		}
		wantStatus(t, conv(ann.ConversationID, chatKey, "?user=ann"), 200, "")
		wantStatus(t, conv(ann.ConversationID, chatKey, "?user=bo"), 404, "conversation not found")
		wantStatus(t, conv(ann.ConversationID, chatKey, ""), 404, "conversation not found")
		wantStatus(t, conv(ann.ConversationID, otherKey, "?user=ann"), 404, "conversation not found")
		wantStatus(t, s.Do(t, "POST", "/chat", chatKey, fmt.Sprintf(`{"message":"hijack","user":"bo","conversation_id":%d}`, ann.ConversationID)), 404, "conversation not found")
		wantStatus(t, s.Do(t, "DELETE", fmt.Sprintf("/conversations/%d?user=bo", ann.ConversationID), chatKey, ""), 404, "")
		wantStatus(t, conv(ann.ConversationID, readKey, ""), 200, "")
		wantStatus(t, conv(ann.ConversationID, owner, ""), 200, "")

		list := func(token, query string) []map[string]any {
			return decode[[]map[string]any](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/conversations%s", pid, query), token, ""))
		}
		if l := list(chatKey, "?user=ann"); len(l) != 1 || l[0]["end_user"] != "ann" || l[0]["key_name"] != "backend" {
			t.Fatalf("ann's list: %v", l)
		}
		if l := list(chatKey, ""); len(l) != 0 {
			t.Fatalf("a key without end user sees %v", l)
		}
		if l := list(owner, ""); len(l) != 2 {
			t.Fatalf("owner sees %d conversations, want 2", len(l))
		}
		if l := list(owner, "?user=bo"); len(l) != 1 || l[0]["end_user"] != "bo" {
			t.Fatalf("owner filtered by end user: %v", l)
		}
		if l := list(readKey, "?user=ann"); len(l) != 1 {
			t.Fatalf("read key filtered by end user: %v", l)
		}
		wantStatus(t, s.Do(t, "DELETE", fmt.Sprintf("/conversations/%d?user=ann", ann.ConversationID), chatKey, ""), 204, "")
	})
}

func TestKeys_PublishableWidgetRules(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		pk := newKey(t, s, owner, pid, `{"name":"site","kind":"publishable","allowed_origins":["`+siteOrigin+`"],"visitor_messages_per_day":2}`)
		closed := newKey(t, s, owner, pid, `{"name":"closed","kind":"publishable"}`)
		visitor := "visitor-0123456789abcdef"
		chat := func(key, body string, headers ...string) apitest.Response {
			return s.Do(t, "POST", "/chat", key, body, headers...)
		}

		wantStatus(t, chat(closed.Key, `{"message":"hi"}`, "Origin", siteOrigin, "X-Visitor-Id", visitor), 403, "allows no origin")
		wantStatus(t, chat(pk.Key, `{"message":"hi"}`, "X-Visitor-Id", visitor), 403, "browser page")
		r := chat(pk.Key, `{"message":"hi"}`, "Origin", "https://evil.example.com", "X-Visitor-Id", visitor)
		wantStatus(t, r, 403, "not allowed for this key")
		wantStatus(t, chat(pk.Key, `{"message":"hi"}`, "Origin", siteOrigin), 400, "X-Visitor-Id")
		wantStatus(t, chat(pk.Key, `{"message":"hi"}`, "Origin", siteOrigin, "X-Visitor-Id", "short"), 400, "X-Visitor-Id")

		r = chat(pk.Key, `{"message":"first"}`, "Origin", siteOrigin, "X-Visitor-Id", visitor)
		wantStatus(t, r, 200, "")
		if r.Header.Get("Access-Control-Allow-Origin") != siteOrigin || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("CORS headers: %v", r.Header)
		}
		first := decode[chatReply](t, r)
		// The visitor's conversation is theirs alone.
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/conversations/%d", first.ConversationID), pk.Key, "", "Origin", siteOrigin, "X-Visitor-Id", visitor), 200, "")
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/conversations/%d", first.ConversationID), pk.Key, "", "Origin", siteOrigin, "X-Visitor-Id", "visitor-someone-else-000"), 404, "")
		// A visitor id cannot pose as a signed user, nor the other way round.
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/conversations/%d?user=%s", first.ConversationID, visitor), pk.Key, "", "Origin", siteOrigin), 401, "user_hash")

		// Daily quota: two messages a day for this visitor.
		wantStatus(t, chat(pk.Key, `{"message":"second"}`, "Origin", siteOrigin, "X-Visitor-Id", visitor), 200, "")
		r = chat(pk.Key, `{"message":"third"}`, "Origin", siteOrigin, "X-Visitor-Id", visitor)
		wantStatus(t, r, 429, "Daily message limit")
		if r.Header.Get("Retry-After") == "" || r.Header.Get("Access-Control-Expose-Headers") != "Retry-After" {
			t.Fatalf("429 headers: %v", r.Header)
		}
		wantStatus(t, chat(pk.Key, `{"message":"hi"}`, "Origin", siteOrigin, "X-Visitor-Id", "visitor-another-one-0000"), 200, "")

		// Signed visitors: the right hash works, a forged one is 401; a key requiring them refuses visitors.
		sign := func(secret, user string) string {
			m := hmac.New(sha256.New, []byte(secret))
			m.Write([]byte(user))
			return hex.EncodeToString(m.Sum(nil))
		}
		good := fmt.Sprintf(`{"message":"hi","user":"alice","user_hash":%q}`, sign(pk.IdentitySecret, "alice"))
		wantStatus(t, chat(pk.Key, good, "Origin", siteOrigin), 200, "")
		wantStatus(t, chat(pk.Key, `{"message":"hi","user":"alice","user_hash":"`+strings.Repeat("0", 64)+`"}`, "Origin", siteOrigin), 401, "user_hash does not match")
		wantStatus(t, chat(pk.Key, fmt.Sprintf(`{"message":"hi","user":"mallory","user_hash":%q}`, sign(pk.IdentitySecret, "alice")), "Origin", siteOrigin), 401, "user_hash")
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/projects/keys/%d", pk.ID), owner, `{"require_signed_user":true}`), 200, "")
		wantStatus(t, chat(pk.Key, `{"message":"hi"}`, "Origin", siteOrigin, "X-Visitor-Id", "visitor-a-third-one-0000"), 401, "signed-in visitors only")
		// Rotating the identity secret invalidates hashes made with the old one at once.
		rot := decode[struct {
			IdentitySecret string `json:"identity_secret"`
		}](t, s.Do(t, "POST", fmt.Sprintf("/projects/keys/%d/identity-secret", pk.ID), owner, ""))
		wantStatus(t, chat(pk.Key, good, "Origin", siteOrigin), 401, "user_hash")
		wantStatus(t, chat(pk.Key, fmt.Sprintf(`{"message":"hi","user":"alice","user_hash":%q}`, sign(rot.IdentitySecret, "alice")), "Origin", siteOrigin), 200, "")

		// Preflight from any page: allowed headers, no credentials; the request itself is checked.
		pre := s.Do(t, "OPTIONS", "/chat/stream", "", "", "Origin", "https://any.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization,content-type,x-visitor-id")
		if pre.StatusCode != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != "https://any.example" ||
			!strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "X-Visitor-Id") || pre.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("preflight %d %v", pre.StatusCode, pre.Header)
		}
		pre = s.Do(t, "OPTIONS", "/projects", "", "", "Origin", "https://any.example", "Access-Control-Request-Method", "GET")
		if pre.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("a user-only route answers other sites' preflights: %v", pre.Header)
		}
	})
}

func TestKeys_OwnRateLimit(t *testing.T) {
	eachEngineWithUpstream(t, map[string]string{"RATE_LIMIT_KEY": "3"}, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		byDefault := newKey(t, s, owner, pid, `{"name":"d","kind":"secret","scopes":["read"]}`).Key
		own := newKey(t, s, owner, pid, `{"name":"o","kind":"secret","scopes":["read"],"rate_limit_per_minute":5}`).Key
		get := func(key string) apitest.Response { return s.Do(t, "GET", fmt.Sprintf("/projects/%d", pid), key, "") }
		for i := 0; i < 3; i++ {
			wantStatus(t, get(byDefault), 200, "")
		}
		r := get(byDefault)
		wantStatus(t, r, 429, "Too many requests")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		for i := 0; i < 5; i++ {
			wantStatus(t, get(own), 200, "")
		}
		wantStatus(t, get(own), 429, "")
	})
}
