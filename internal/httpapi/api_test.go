package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/redis/go-redis/v9"

	"github.com/chatbot-platform/chatbot/api/client"
	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

var ctx = context.Background()

// eachEngine runs fn against a server on SQLite and on PostgreSQL.
func eachEngine(t *testing.T, env map[string]string, fn func(t *testing.T, s *apitest.Server)) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, apitest.Start(t, apitest.Options{Store: e.Open, Env: env}))
		})
	}
}

func wantStatus(t *testing.T, r apitest.Response, status int, detailContains string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.Body)
	}
	if detailContains == "" {
		return
	}
	var e struct{ Detail string }
	if err := json.Unmarshal(r.Body, &e); err != nil || !strings.Contains(e.Detail, detailContains) {
		t.Fatalf("%s %s: detail %q does not contain %q (body %s)", r.Request.Method, r.Request.URL.Path, e.Detail, detailContains, r.Body)
	}
}

func TestFlow_ThroughTheGeneratedClient(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		c := s.Client
		reg, err := c.RegisterUserWithResponse(ctx, client.Credentials{Email: "  Alice@Example.COM ", Password: "SecurePass123"})
		if err != nil || reg.JSON200 == nil || reg.JSON200.Message != "User registered successfully" {
			t.Fatalf("register: %v %s", err, reg.Body)
		}
		token := s.Login(t, "alice@example.com", "SecurePass123")
		auth := apitest.Bearer(token)

		me, _ := c.GetCurrentUserWithResponse(ctx, auth)
		if me.JSON200 == nil || me.JSON200.Email != "alice@example.com" {
			t.Fatalf("me: %s", me.Body)
		}
		created, _ := c.CreateProjectWithResponse(ctx, client.ProjectCreate{Name: " My Chatbot "}, auth)
		if created.StatusCode() != http.StatusCreated || created.JSON201.Name != "My Chatbot" || created.JSON201.Model != "gpt-4o-mini" ||
			created.JSON201.Temperature != 0.7 || created.JSON201.MaxOutputTokens != 2000 {
			t.Fatalf("create project: %d %s", created.StatusCode(), created.Body)
		}
		pid := created.JSON201.Id
		c.CreateProjectWithResponse(ctx, client.ProjectCreate{Name: "Support Bot"}, auth)
		list, _ := c.ListProjectsWithResponse(ctx, auth)
		if list.JSON200 == nil || len(*list.JSON200) != 2 || (*list.JSON200)[0].Name != "My Chatbot" || (*list.JSON200)[1].Name != "Support Bot" {
			t.Fatalf("list: %s", list.Body)
		}
		name, temp := "Renamed", 1.2
		up, _ := c.UpdateProjectWithResponse(ctx, pid, client.ProjectUpdate{Name: &name, Temperature: &temp}, auth)
		if up.JSON200 == nil || up.JSON200.Name != "Renamed" || up.JSON200.Temperature != 1.2 || up.JSON200.Model != "gpt-4o-mini" {
			t.Fatalf("update: %s", up.Body)
		}
		got, _ := c.GetProjectWithResponse(ctx, pid, auth)
		if got.JSON200 == nil || got.JSON200.Name != "Renamed" {
			t.Fatalf("get: %s", got.Body)
		}

		first, _ := c.CreatePromptWithResponse(ctx, pid, client.PromptCreate{Name: "System Instructions", Content: "You are terse."}, auth)
		second, _ := c.CreatePromptWithResponse(ctx, pid, client.PromptCreate{Name: "Tone", Content: "Be kind."}, auth)
		if first.JSON201 == nil || second.JSON201 == nil || first.JSON201.Position != 0 || second.JSON201.Position != 1 || !first.JSON201.Enabled {
			t.Fatalf("create prompts: %s %s", first.Body, second.Body)
		}
		pos, off := 5, false
		edited, _ := c.UpdatePromptWithResponse(ctx, first.JSON201.Id, client.PromptUpdate{Name: "System", Content: "You are brief.", Position: &pos, Enabled: &off}, auth)
		if edited.JSON200 == nil || edited.JSON200.Name != "System" || edited.JSON200.Position != 5 || edited.JSON200.Enabled {
			t.Fatalf("update prompt: %s", edited.Body)
		}
		prompts, _ := c.ListPromptsWithResponse(ctx, pid, nil, auth)
		if prompts.JSON200 == nil || len(*prompts.JSON200) != 2 || (*prompts.JSON200)[0].Name != "Tone" {
			t.Fatalf("prompts after reorder: %s", prompts.Body)
		}
		del, _ := c.DeletePromptWithResponse(ctx, second.JSON201.Id, auth)
		if del.StatusCode() != http.StatusNoContent {
			t.Fatalf("delete prompt: %d", del.StatusCode())
		}
		delp, _ := c.DeleteProjectWithResponse(ctx, pid, auth)
		if delp.StatusCode() != http.StatusNoContent {
			t.Fatalf("delete project: %d", delp.StatusCode())
		}
		gone, _ := c.GetProjectWithResponse(ctx, pid, auth)
		if gone.JSON404 == nil || gone.JSON404.Detail != "project not found" {
			t.Fatalf("deleted project: %d %s", gone.StatusCode(), gone.Body)
		}
		if _, err := s.Store.GetPrompt(ctx, me.JSON200.Id, first.JSON201.Id); err == nil {
			t.Fatal("the deleted project's prompts survived")
		}
		health, _ := c.HealthCheckWithResponse(ctx)
		if health.JSON200 == nil || health.JSON200.Status != "healthy" || health.JSON200.Database != "connected" {
			t.Fatalf("health: %s", health.Body)
		}
	})
}

func TestRegister_PasswordPolicyAndEmails(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	tests := []struct {
		email, password string
		status          int
		detail          string
	}{
		{"ok1@example.com", "SecurePass123", 200, ""},
		{"ok2@example.com", "abcdefg1", 200, ""},
		{"ok3@example.com", strings.Repeat("a", 127) + "1", 200, ""},
		{"short@example.com", "Abc1234", 400, "at least 8 characters"},
		{"long@example.com", strings.Repeat("a", 128) + "1", 400, "at most 128 characters"},
		{"noletter@example.com", "12345678", 400, "at least one letter"},
		{"nodigit@example.com", "abcdefgh", 400, "at least one digit"},
		{"unicode@example.com", "ééééééé1", 400, "at least one letter"},
		{"not-an-email", "SecurePass123", 400, "not a valid email"},
		{"a@b", "SecurePass123", 400, "not a valid email"},
		{"OK1@Example.com", "SecurePass123", 400, "already registered"},
		{" ok1@example.com ", "SecurePass123", 400, "already registered"},
	}
	for _, tt := range tests {
		body, _ := json.Marshal(map[string]string{"email": tt.email, "password": tt.password})
		wantStatus(t, s.Do(t, "POST", "/users/register", "", string(body)), tt.status, tt.detail)
	}
}

func TestLogin_FailuresLookAlike(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Env: map[string]string{"PASSWORD_HASH_ROUNDS": "100000"}})
	s.Signup(t, "alice@example.com", "SecurePass123")
	timeLogin := func(email, password string) (apitest.Response, time.Duration) {
		start := time.Now()
		r := s.Do(t, "POST", "/users/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
		return r, time.Since(start)
	}
	var unknownTook, wrongTook time.Duration
	var unknown, wrong apitest.Response
	for range 3 {
		r1, d1 := timeLogin("nobody@example.com", "SecurePass123")
		r2, d2 := timeLogin("alice@example.com", "WrongPass123")
		unknown, wrong = r1, r2
		unknownTook, wrongTook = unknownTook+d1, wrongTook+d2
	}
	wantStatus(t, unknown, 401, "Incorrect email or password")
	if string(unknown.Body) != string(wrong.Body) || unknown.StatusCode != wrong.StatusCode ||
		unknown.Header.Get("WWW-Authenticate") != "Bearer" || wrong.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("unknown email and wrong password differ: %d %s / %d %s", unknown.StatusCode, unknown.Body, wrong.StatusCode, wrong.Body)
	}
	// An unknown email must cost a password hash too, or timing tells which emails exist.
	if unknownTook < wrongTook/2 {
		t.Fatalf("unknown email took %v, wrong password %v: the unknown-email path skips the hash", unknownTook, wrongTook)
	}
	r, _ := timeLogin(" ALICE@example.com", "SecurePass123")
	wantStatus(t, r, 200, "")
}

func TestLogin_UpgradesWeakerHashes(t *testing.T) {
	st := testdb.SQLite(t)
	weak := apitest.Start(t, apitest.Options{Store: func(testing.TB) storeT { return st }, Env: map[string]string{"PASSWORD_HASH_ROUNDS": "1000"}})
	weak.Signup(t, "alice@example.com", "SecurePass123")
	strong := apitest.Start(t, apitest.Options{Store: func(testing.TB) storeT { return st }, Env: map[string]string{"PASSWORD_HASH_ROUNDS": "2000"}})
	strong.Login(t, "alice@example.com", "SecurePass123")
	u, err := st.GetUserByEmail(ctx, "alice@example.com")
	if err != nil || !strings.HasPrefix(u.PasswordHash, "$pbkdf2-sha256$2000$") {
		t.Fatalf("hash after login = %q, %v; want 2000 rounds", u.PasswordHash, err)
	}
	strong.Login(t, "alice@example.com", "SecurePass123")
}

func TestTokens_RejectedWith401(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	email, good := s.NewUser(t)
	key := []byte(apitest.TestSecret)
	now := time.Now()
	build := func(exp time.Time, withExp bool) jwt.Token {
		b := jwt.NewBuilder().Subject(email).IssuedAt(now)
		if withExp {
			b = b.Expiration(exp)
		}
		tok, _ := b.Build()
		return tok
	}
	sign := func(tok jwt.Token, alg jwa.SignatureAlgorithm, key []byte) string {
		b, err := jwt.Sign(tok, jwt.WithKey(alg, key))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(good, ".")
	claims := b64([]byte(fmt.Sprintf(`{"sub":%q,"exp":%d}`, "other@example.com", now.Add(time.Hour).Unix())))

	deletedEmail, deletedToken := s.NewUser(t)
	u, _ := s.Store.GetUserByEmail(ctx, deletedEmail)
	if err := s.Store.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{
		"missing":      "",
		"garbage":      "abc.def.ghi",
		"expired":      sign(build(now.Add(-time.Minute), true), jwa.HS256(), key),
		"no exp":       sign(build(time.Time{}, false), jwa.HS256(), key),
		"HS512":        sign(build(now.Add(time.Hour), true), jwa.HS512(), key),
		"wrong key":    sign(build(now.Add(time.Hour), true), jwa.HS256(), []byte(strings.Repeat("z", 40))),
		"alg none":     b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
		"tampered":     parts[0] + "." + claims + "." + parts[2],
		"user deleted": deletedToken,
	} {
		r := s.Do(t, "GET", "/projects", token, "")
		if r.StatusCode != 401 || r.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s token: %d %q %s; want 401 with WWW-Authenticate: Bearer", name, r.StatusCode, r.Header.Get("WWW-Authenticate"), r.Body)
		}
	}
	wantStatus(t, s.Do(t, "GET", "/projects", good, ""), 200, "")
	r := s.Do(t, "GET", "/projects", "", "", "Authorization", "Basic "+b64([]byte("a:b")))
	wantStatus(t, r, 401, "Could not validate credentials")
}

// TestTokens_HeaderAlgMustBeHS256: tokens whose HMAC-SHA256 signature with the server's key is right,
// but whose header names another algorithm (or none), are 401 from GET /users/me.
func TestTokens_HeaderAlgMustBeHS256(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	_, real := s.NewUser(t)
	b64 := base64.RawURLEncoding.EncodeToString
	payload := strings.Split(real, ".")[1] // a live session's claims
	token := func(header string) string {
		mac := hmac.New(sha256.New, []byte(apitest.TestSecret))
		mac.Write([]byte(b64([]byte(header)) + "." + payload))
		return b64([]byte(header)) + "." + payload + "." + b64(mac.Sum(nil))
	}
	wantStatus(t, s.Do(t, "GET", "/users/me", token(`{"alg":"HS256","typ":"JWT"}`), ""), 200, "")
	for _, header := range []string{
		`{"alg":"RS256","typ":"JWT"}`,
		`{"alg":"ES256","typ":"JWT"}`,
		`{"alg":"PS256","typ":"JWT"}`,
		`{"alg":"EdDSA","typ":"JWT"}`,
		`{"alg":"HS512","typ":"JWT"}`,
		`{"alg":"none","typ":"JWT"}`,
		`{"alg":"hs256","typ":"JWT"}`,
		`{"alg":"Hs256","typ":"JWT"}`,
		`{"typ":"JWT"}`,
	} {
		for range 2 {
			r := s.Do(t, "GET", "/users/me", token(header), "")
			if r.StatusCode != 401 || r.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("header %s: %d %q %s; want 401 with WWW-Authenticate: Bearer", header, r.StatusCode, r.Header.Get("WWW-Authenticate"), r.Body)
			}
		}
	}
}

// TestIsolation_AnotherUsersIDsAre404 tries every route that takes an id with another user's ids:
// each must answer 404 exactly like a missing id, and change nothing.
func TestIsolation_AnotherUsersIDsAre404(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		_, alice := s.NewUser(t)
		_, bob := s.NewUser(t)
		project := s.Do(t, "POST", "/projects", alice, `{"name":"Alice's bot"}`)
		var p struct{ ID int64 }
		json.Unmarshal(project.Body, &p)
		prompt := s.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", p.ID), alice, `{"name":"secret","content":"alice only"}`)
		var pr struct{ ID int64 }
		json.Unmarshal(prompt.Body, &pr)
		if r := s.Do(t, "POST", fmt.Sprintf("/projects/%d/releases", p.ID), alice, `{}`); r.StatusCode != 201 {
			t.Fatalf("release: %d %s", r.StatusCode, r.Body)
		}
		snapshot := func() string {
			a := s.Do(t, "GET", fmt.Sprintf("/projects/%d", p.ID), alice, "")
			b := s.Do(t, "GET", fmt.Sprintf("/projects/%d/prompts", p.ID), alice, "")
			return string(a.Body) + string(b.Body)
		}
		before := snapshot()

		routes := []struct{ method, path, body, notFound string }{
			{"GET", "/projects/%d", "", "project not found"},
			{"PATCH", "/projects/%d", `{"name":"stolen"}`, "project not found"},
			{"DELETE", "/projects/%d", "", "project not found"},
			{"GET", "/projects/%d/prompts", "", "project not found"},
			{"GET", "/projects/%d/export", "", "project not found"},
			{"GET", "/projects/%d/export?include=conversations", "", "project not found"},
			{"GET", "/projects/%d/export?format=markdown", "", "project not found"},
			{"POST", "/projects/%d/prompts", `{"name":"x","content":"injected"}`, "project not found"},
			{"POST", "/projects/%d/prompts", `{"name":"x","content":"injected","position":0}`, "project not found"},
			{"PUT", "/projects/prompts/%d", `{"name":"x","content":"overwritten"}`, "prompt not found"},
			{"DELETE", "/projects/prompts/%d", "", "prompt not found"},
			{"GET", "/projects/%d/eval-cases", "", "project not found"},
			{"POST", "/projects/%d/eval-cases", `{"input":"injected"}`, "project not found"},
			{"GET", "/projects/%d/eval-runs", "", "project not found"},
			{"POST", "/projects/%d/eval-runs", `{"target":"draft"}`, "project not found"},
			{"GET", "/projects/%d/releases", "", "project not found"},
			{"POST", "/projects/%d/releases", `{"note":"stolen"}`, "project not found"},
			{"GET", "/projects/%d/releases/1", "", "project not found"},
			{"POST", "/projects/%d/releases/1/publish", "", "project not found"},
			{"GET", "/projects/%d/feedback", "", "project not found"},
		}
		for _, r := range routes {
			id := p.ID
			if strings.Contains(r.path, "prompts/%d") {
				id = pr.ID
			}
			wantStatus(t, s.Do(t, r.method, fmt.Sprintf(r.path, id), bob, r.body), 404, r.notFound)
			wantStatus(t, s.Do(t, r.method, fmt.Sprintf(r.path, id+1000), bob, r.body), 404, r.notFound)
		}
		if list := s.Do(t, "GET", "/projects", bob, ""); strings.TrimSpace(string(list.Body)) != "[]" {
			t.Fatalf("bob's list shows %s", list.Body)
		}
		if after := snapshot(); after != before {
			t.Fatalf("alice's data changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}

func TestBadInput_Clear4xx(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		_, tok := s.NewUser(t)
		r := s.Do(t, "POST", "/projects", tok, `{"name":"p"}`)
		var p struct{ ID int64 }
		json.Unmarshal(r.Body, &p)
		prompts := fmt.Sprintf("/projects/%d/prompts", p.ID)
		tests := []struct {
			name, method, path, body string
			headers                  []string
			status                   int
			detail                   string
		}{
			{"malformed JSON", "POST", "/projects", `{"name":`, nil, 400, "body: is not valid JSON"},
			{"wrong type", "POST", "/projects", `{"name":5}`, nil, 400, "name"},
			{"missing field", "POST", "/projects", `{}`, nil, 400, "name"},
			{"empty name", "POST", "/projects", `{"name":"   "}`, nil, 400, "name: must not be empty"},
			{"long name", "POST", "/projects", `{"name":"` + strings.Repeat("x", 101) + `"}`, nil, 400, "at most 100 characters"},
			{"NUL in name", "POST", "/projects", `{"name":"a\u0000b"}`, nil, 400, "NUL"},
			{"invalid UTF-8", "POST", "/projects", "{\"name\":\"\xff\xfe\"}", nil, 400, "UTF-8"},
			{"bad temperature", "POST", "/projects", `{"name":"p","temperature":3}`, nil, 400, "temperature"},
			{"bad model", "POST", "/projects", `{"name":"p","model":"<script>"}`, nil, 400, "model"},
			{"bad max tokens", "POST", "/projects", `{"name":"p","max_output_tokens":1}`, nil, 400, "max_output_tokens"},
			{"empty patch", "PATCH", fmt.Sprintf("/projects/%d", p.ID), `{}`, nil, 400, ""},
			{"no body", "POST", "/projects", ``, nil, 400, "body: is required"},
			{"not JSON", "POST", "/projects", `name=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "application/json"},
			{"oversized body", "POST", "/projects", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, "too large"},
			{"id not a number", "GET", "/projects/abc", "", nil, 400, "project_id"},
			{"id zero", "GET", "/projects/0", "", nil, 400, "project_id"},
			{"empty content", "POST", prompts, `{"name":"a","content":" "}`, nil, 400, "content: must not be empty"},
			{"NUL content", "POST", prompts, `{"name":"a","content":"\u0000"}`, nil, 400, "NUL"},
			{"long content", "POST", prompts, `{"name":"a","content":"` + strings.Repeat("x", 32001) + `"}`, nil, 400, "at most 32000"},
			{"bad position", "POST", prompts, `{"name":"a","content":"x","position":-1}`, nil, 400, "position"},
			{"unknown route", "GET", "/nope", "", nil, 404, "Not Found"},
			{"wrong method", "PUT", "/projects", "", nil, 405, "Method Not Allowed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := s.Do(t, tt.method, tt.path, tok, tt.body, tt.headers...)
				wantStatus(t, r, tt.status, tt.detail)
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("content type %q", ct)
				}
			})
		}
		if list := s.Do(t, "GET", "/projects", tok, ""); strings.Count(string(list.Body), `"id"`) != 1 {
			t.Fatalf("bad requests left rows behind: %s", list.Body)
		}
	})
}

func TestRateLimits(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Env: map[string]string{"RATE_LIMIT_AUTH": "3", "RATE_LIMIT_API": "5"}})
	login := `{"email":"nobody@example.com","password":"SecurePass123"}`
	for i := range 3 {
		wantStatus(t, s.Do(t, "POST", "/users/login", "", login, "X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i)), 401, "")
	}
	// A client-sent X-Forwarded-For must not buy a fresh budget.
	r := s.Do(t, "POST", "/users/login", "", login, "X-Forwarded-For", "10.9.9.9")
	wantStatus(t, r, 429, "Too many requests")
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After = %q", ra)
	}

	// Per user on the rest of the API: one user's flood does not limit another.
	u := apitest.Start(t, apitest.Options{Env: map[string]string{"RATE_LIMIT_API": "5"}})
	_, alice := u.NewUser(t)
	_, bob := u.NewUser(t)
	for range 5 {
		wantStatus(t, u.Do(t, "GET", "/projects", alice, ""), 200, "")
	}
	wantStatus(t, u.Do(t, "GET", "/projects", alice, ""), 429, "Too many requests")
	wantStatus(t, u.Do(t, "GET", "/projects", bob, ""), 200, "")
	wantStatus(t, u.Do(t, "GET", "/health", "", ""), 200, "")
}

func TestRateLimits_TrustedProxyForwardsClientIP(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Env: map[string]string{"RATE_LIMIT_AUTH": "2", "TRUSTED_PROXIES": "127.0.0.1"}})
	login := `{"email":"nobody@example.com","password":"SecurePass123"}`
	for range 2 {
		wantStatus(t, s.Do(t, "POST", "/users/login", "", login, "X-Forwarded-For", "203.0.113.7"), 401, "")
	}
	wantStatus(t, s.Do(t, "POST", "/users/login", "", login, "X-Forwarded-For", "203.0.113.7"), 429, "")
	wantStatus(t, s.Do(t, "POST", "/users/login", "", login, "X-Forwarded-For", "203.0.113.8"), 401, "")
}

func TestHealth_DatabaseDown(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		s.Store.Close()
		start := time.Now()
		r := s.Do(t, "GET", "/health", "", "")
		wantStatus(t, r, 503, "")
		if strings.TrimSpace(string(r.Body)) != `{"database":"disconnected","status":"unhealthy"}` {
			t.Fatalf("body %s", r.Body)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("health took %v with the database down", took)
		}
	})
}

func TestCORS(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Env: map[string]string{"CORS_ORIGINS": "https://app.example.com"}})
	r := s.Do(t, "OPTIONS", "/projects", "", "", "Origin", "https://app.example.com", "Access-Control-Request-Method", "GET")
	if r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("allowed origin got %v", r.Header)
	}
	r = s.Do(t, "GET", "/health", "", "", "Origin", "https://evil.example.com")
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("unlisted origin allowed: %v", r.Header)
	}
	none := apitest.Start(t, apitest.Options{})
	if r := none.Do(t, "GET", "/health", "", "", "Origin", "https://app.example.com"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS must be off by default")
	}
}

func TestSpecIsServed(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	r := s.Do(t, "GET", "/openapi.json", "", "")
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.0") || doc.Paths["/projects/{project_id}/prompts"] == nil {
		t.Fatalf("/openapi.json: %v %.200s", err, r.Body)
	}
	if y := s.Do(t, "GET", "/openapi.yaml", "", ""); !strings.HasPrefix(string(y.Body), "openapi: 3.0") {
		t.Fatalf("/openapi.yaml: %.100s", y.Body)
	}
}

// TestRateLimits_SharedThroughRedis: two instances with the same REDIS_URL share each client's budget.
func TestRateLimits_SharedThroughRedis(t *testing.T) {
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		t.Skip("Redis skipped: TEST_REDIS_URL is not set")
	}
	redis.NewClient(mustParseRedis(t, url)).FlushDB(ctx)
	st := testdb.SQLite(t)
	env := map[string]string{"REDIS_URL": url, "RATE_LIMIT_AUTH": "2"}
	a := apitest.Start(t, apitest.Options{Env: env, Store: func(testing.TB) storeT { return st }})
	b := apitest.Start(t, apitest.Options{Env: env, Store: func(testing.TB) storeT { return st }})
	login := `{"email":"nobody@example.com","password":"SecurePass123"}`
	wantStatus(t, a.Do(t, "POST", "/users/login", "", login), 401, "")
	wantStatus(t, b.Do(t, "POST", "/users/login", "", login), 401, "")
	r := a.Do(t, "POST", "/users/login", "", login)
	wantStatus(t, r, 429, "Too many requests")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

func mustParseRedis(t *testing.T, url string) *redis.Options {
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestRateLimits_RedisHung: a Redis that accepts connections and never answers neither stalls login
// nor lifts its limit: the limiter gives up on Redis within its deadline and limits from memory.
func TestRateLimits_RedisHung(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // accept and hold every connection, never reading or answering
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	start := time.Now()
	s := apitest.Start(t, apitest.Options{Env: map[string]string{"REDIS_URL": "redis://" + ln.Addr().String() + "/0", "RATE_LIMIT_AUTH": "3"}})
	t.Logf("start-up with Redis hung: %v", time.Since(start))
	login := `{"email":"nobody@example.com","password":"SecurePass123"}`
	for i := range 4 {
		want := 401
		if i == 3 {
			want = 429
		}
		start := time.Now()
		r := s.Do(t, "POST", "/users/login", "", login)
		took := time.Since(start)
		t.Logf("login %d: %d in %v", i+1, r.StatusCode, took)
		wantStatus(t, r, want, "")
		if took > time.Second {
			t.Fatalf("login %d took %v with Redis hung", i+1, took)
		}
	}
}
