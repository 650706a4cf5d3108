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

	"gopkg.in/natefinch/lumberjack.v2"

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

func TestNewLogger_RotatesTheLogFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	cfg, err := config.FromLookup(func(k string) (string, bool) {
		v, ok := map[string]string{"LOG_FILE": path, "LOG_MAX_MB": "1", "LOG_MAX_FILES": "2"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	// Keep the console quiet: a megabyte of lines goes to stderr too.
	stderr := os.Stderr
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	os.Stderr = devNull
	log, closer, err := app.NewLogger(cfg)
	os.Stderr = stderr
	defer devNull.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	lj, ok := closer.(*lumberjack.Logger)
	if !ok || lj.Filename != path || lj.MaxSize != 1 || lj.MaxBackups != 2 {
		t.Fatalf("log file writer %#v, want lumberjack on %s with 1 MB and 2 backups", closer, path)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o640 {
		t.Fatalf("log file at start-up: %v %v", info, err)
	}

	line := strings.Repeat("x", 1000)
	for i := range 1100 { // over 1 MiB in all
		log.Info("filler", "i", i, "text", line)
	}
	closer.Close()
	files, err := filepath.Glob(filepath.Join(dir, "app*.log"))
	if err != nil || len(files) != 2 {
		t.Fatalf("files after a megabyte of lines: %v %v", files, err)
	}
	current, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(current), "msg=filler i=1099 ") || len(current) >= 1<<20 {
		t.Fatalf("current file: %d bytes, %v", len(current), err)
	}
}
