package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/app"
	"github.com/chatbot-platform/chatbot/internal/config"
)

func newApp(t *testing.T, env map[string]string) *app.App {
	t.Helper()
	cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func do(t *testing.T, h http.Handler, method, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRestart_KeepsUsersAndTheGeneratedSecret: without SECRET_KEY, the generated key is stored beside
// the database (0600) and reused, so tokens issued before a restart still work after it.
func TestRestart_KeepsUsersAndTheGeneratedSecret(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": "sqlite:///" + filepath.Join(dir, "app.db"), "PASSWORD_HASH_ROUNDS": "1000", "LOG_FILE": ""}
	first := newApp(t, env)
	creds := `{"email":"alice@example.com","password":"SecurePass123"}`
	if r := do(t, first.Echo, "POST", "/users/register", "", creds); r.Code != 200 {
		t.Fatalf("register: %d %s", r.Code, r.Body)
	}
	r := do(t, first.Echo, "POST", "/users/login", "", creds)
	token := strings.Split(strings.Split(r.Body.String(), `"access_token":"`)[1], `"`)[0]
	first.Close()

	info, err := os.Stat(filepath.Join(dir, ".secret_key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret key file: %v, mode %v; want 0600", err, info.Mode())
	}
	second := newApp(t, env)
	defer second.Close()
	if r := do(t, second.Echo, "GET", "/users/me", token, ""); r.Code != 200 || !strings.Contains(r.Body.String(), "alice@example.com") {
		t.Fatalf("token from before the restart: %d %s", r.Code, r.Body)
	}
	if r := do(t, second.Echo, "POST", "/users/login", "", creds); r.Code != 200 {
		t.Fatalf("login after restart: %d %s", r.Code, r.Body)
	}
}

func TestShortSecretKeyIsRefused(t *testing.T) {
	_, err := config.FromLookup(func(k string) (string, bool) {
		if k == "SECRET_KEY" {
			return "too-short", true
		}
		return "", false
	})
	if err == nil || !strings.Contains(err.Error(), "SECRET_KEY must be at least 32 bytes") {
		t.Fatalf("err = %v", err)
	}
}
