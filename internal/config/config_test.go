package config

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestDefaultsWorkOnAFreshMachine(t *testing.T) {
	c, err := FromLookup(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8000" || c.DatabaseURL != "sqlite:///./app.db" || c.AccessTokenTTL != time.Hour ||
		c.PasswordHashRounds != 600000 || c.RateLimitAuth != 10 || c.RateLimitAPI != 120 || c.LogFile != "app.log" ||
		c.OpenAIModel != "gpt-4o-mini" || c.OpenAITemperature != 0.7 || c.OpenAIMaxOutputTokens != 2000 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestInvalidValuesAreAllReported(t *testing.T) {
	_, err := FromLookup(lookup(map[string]string{
		"SECRET_KEY": "short", "RATE_LIMIT_API": "many", "DATABASE_URL": "mysql://x", "TRUSTED_PROXIES": "10.0.0.0/8,nope",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"SECRET_KEY must be at least 32 bytes", "RATE_LIMIT_API", "DATABASE_URL", `TRUSTED_PROXIES has "nope"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestParseDatabaseURL(t *testing.T) {
	tests := []struct{ in, engine, target string }{
		{"sqlite:///./app.db", SQLite, "./app.db"},
		{"sqlite:////var/lib/app.db", SQLite, "/var/lib/app.db"},
		{"sqlite:data/app.db", SQLite, "data/app.db"},
		{"postgres://u@h:5432/db?sslmode=disable", Postgres, "postgres://u@h:5432/db?sslmode=disable"},
		{"postgresql://u@h/db", Postgres, "postgresql://u@h/db"},
	}
	for _, tt := range tests {
		e, target, err := ParseDatabaseURL(tt.in)
		if err != nil || e != tt.engine || target != tt.target {
			t.Errorf("ParseDatabaseURL(%q) = %q, %q, %v", tt.in, e, target, err)
		}
	}
	for _, bad := range []string{"", "sqlite://app.db", "sqlite:", "mysql://x", "sqlite:///a.db?mode=ro"} {
		if _, _, err := ParseDatabaseURL(bad); err == nil {
			t.Errorf("ParseDatabaseURL(%q) accepted", bad)
		}
	}
}

func TestMetricsAddrIsCheckedAndLoopbackKnown(t *testing.T) {
	if c, err := FromLookup(lookup(map[string]string{"METRICS_ADDR": "127.0.0.1:9090"})); err != nil || c.MetricsAddr != "127.0.0.1:9090" {
		t.Fatalf("METRICS_ADDR: %+v %v", c.MetricsAddr, err)
	}
	for _, bad := range []string{"9090", "127.0.0.1:8000"} { // no port; the public listener's address
		if _, err := FromLookup(lookup(map[string]string{"METRICS_ADDR": bad})); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
			t.Errorf("METRICS_ADDR=%s: %v", bad, err)
		}
	}
	for addr, want := range map[string]bool{
		"127.0.0.1:9090": true, "[::1]:9090": true, "localhost:9090": true,
		":9090": false, "0.0.0.0:9090": false, "10.0.0.5:9090": false, "metrics.internal:9090": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestLogRotationSettings(t *testing.T) {
	c, err := FromLookup(lookup(nil))
	if err != nil || c.LogMaxMB != 100 || c.LogMaxFiles != 5 {
		t.Fatalf("defaults: LOG_MAX_MB %d, LOG_MAX_FILES %d, %v", c.LogMaxMB, c.LogMaxFiles, err)
	}
	c, err = FromLookup(lookup(map[string]string{"LOG_MAX_MB": " 1 ", "LOG_MAX_FILES": "30"}))
	if err != nil || c.LogMaxMB != 1 || c.LogMaxFiles != 30 {
		t.Fatalf("set: LOG_MAX_MB %d, LOG_MAX_FILES %d, %v", c.LogMaxMB, c.LogMaxFiles, err)
	}
	for _, bad := range []map[string]string{
		{"LOG_MAX_MB": "0"}, {"LOG_MAX_MB": "-5"}, {"LOG_MAX_MB": "1e3"}, {"LOG_MAX_MB": "100MB"}, {"LOG_MAX_MB": "1000000"},
		{"LOG_MAX_FILES": "0"}, {"LOG_MAX_FILES": "many"}, {"LOG_MAX_FILES": "100000"},
	} {
		_, err := FromLookup(lookup(bad))
		for name := range bad {
			if err == nil || !strings.Contains(err.Error(), name+" must be a whole number from 1 to ") {
				t.Errorf("%v: %v", bad, err)
			}
		}
	}
}

func TestDefaultModelsAreThePriceTable(t *testing.T) {
	b, err := os.ReadFile("../usage/prices.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct{ Models map[string]any }
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(DefaultModels, ",")
	want := slices.Collect(maps.Keys(table.Models))
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("DefaultModels = %v, the price table knows %v", got, want)
	}
	c, err := FromLookup(lookup(nil))
	if err != nil || c.OpenAIMaxOutputTokensCap != 16000 || !slices.Contains(c.OpenAIModels, c.OpenAIModel) {
		t.Fatalf("defaults: %v, %+v", err, c)
	}
}

func TestUnsafeSettingsRefuseToStart(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // "" : accepted
	}{
		{"https upstream", map[string]string{"OPENAI_BASE_URL": "https://api.example.com/v1"}, ""},
		{"http to loopback", map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:8090/v1"}, ""},
		{"http to localhost", map[string]string{"OPENAI_BASE_URL": "http://localhost:8090/v1"}, ""},
		{"http to ::1", map[string]string{"OPENAI_BASE_URL": "http://[::1]:8090/v1"}, ""},
		{"http to another host", map[string]string{"OPENAI_BASE_URL": "http://llm.internal:8090/v1"}, "OPENAI_BASE_URL is plain http to llm.internal"},
		{"http to a LAN IP", map[string]string{"OPENAI_BASE_URL": "http://10.0.0.5/v1"}, "OPENAI_BASE_URL is plain http"},
		{"http allowed explicitly", map[string]string{"OPENAI_BASE_URL": "http://10.0.0.5/v1", "OPENAI_ALLOW_INSECURE_HTTP": "true"}, ""},
		{"not a URL", map[string]string{"OPENAI_BASE_URL": "api.openai.com"}, "OPENAI_BASE_URL must be an absolute URL"},
		{"pprof on loopback", map[string]string{"PPROF_ADDR": "127.0.0.1:6060"}, ""},
		{"pprof on every interface", map[string]string{"PPROF_ADDR": ":6060"}, "PPROF_ADDR must be a loopback address"},
		{"pprof on a public IP", map[string]string{"PPROF_ADDR": "0.0.0.0:6060"}, "PPROF_ADDR must be a loopback address"},
		{"default model not allowed", map[string]string{"OPENAI_MODELS": "gpt-4.1"}, `OPENAI_MODEL "gpt-4o-mini" must be one of OPENAI_MODELS (gpt-4.1)`},
		{"default tokens above the cap", map[string]string{"OPENAI_MAX_OUTPUT_TOKENS_CAP": "1000"}, "OPENAI_MAX_OUTPUT_TOKENS must not exceed OPENAI_MAX_OUTPUT_TOKENS_CAP (1000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromLookup(lookup(tt.env))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want it to say %q", err, tt.want)
			}
			if tt.env["OPENAI_ALLOW_INSECURE_HTTP"] == "true" && len(c.Warnings()) != 1 {
				t.Fatalf("warnings = %v, want the insecure upstream named", c.Warnings())
			}
		})
	}
}

func TestSecretKeyFileIsPrivateAndFixedWhenReadable(t *testing.T) {
	dir := t.TempDir()
	c := Config{SecretKeyFile: filepath.Join(dir, "sub", ".secret_key")}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	key, err := c.SigningKey(log)
	if err != nil || len(key) != 64 {
		t.Fatalf("generated key %q, %v", key, err)
	}
	info, err := os.Stat(c.SecretKeyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", info.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "sub", ".secret_key.tmp-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	again, err := c.SigningKey(log)
	if err != nil || string(again) != string(key) {
		t.Fatalf("second start read %q, %v", again, err)
	}
	if err := os.Chmod(c.SecretKeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	again, err = c.SigningKey(log)
	if err != nil || string(again) != string(key) {
		t.Fatalf("readable file: %q, %v", again, err)
	}
	if info, _ := os.Stat(c.SecretKeyFile); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode not fixed: %v", info.Mode())
	}
	if !strings.Contains(logs.String(), "readable by others") {
		t.Fatalf("no warning: %s", logs.String())
	}
}

func TestSecretKeyConcurrentStartsAgree(t *testing.T) {
	c := Config{SecretKeyFile: filepath.Join(t.TempDir(), ".secret_key")}
	keys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := c.SigningKey(slog.New(slog.DiscardHandler))
			if err != nil {
				t.Error(err)
			}
			keys[i] = string(k)
		})
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("instances disagree: %q", keys)
		}
	}
}

func TestMailSettings(t *testing.T) {
	smtp := map[string]string{"SMTP_URL": "smtp://u:p@mail.example.com:587", "MAIL_FROM": "Chatbot <no-reply@example.com>", "PUBLIC_URL": "https://chat.example.com/"}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(smtp)
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want string // "" : accepted
	}{
		{"off by default", nil, ""},
		{"smtp with everything", smtp, ""},
		{"smtp without MAIL_FROM", with(map[string]string{"MAIL_FROM": ""}), "MAIL_FROM is required with SMTP_URL"},
		{"smtp without PUBLIC_URL", with(map[string]string{"PUBLIC_URL": ""}), "PUBLIC_URL is required with SMTP_URL"},
		{"smtp with another scheme", with(map[string]string{"SMTP_URL": "https://mail.example.com"}), "SMTP_URL scheme"},
		{"PUBLIC_URL not a URL", with(map[string]string{"PUBLIC_URL": "chat.example.com"}), "PUBLIC_URL must be an http(s) origin"},
		{"verification required without mail", map[string]string{"REQUIRE_EMAIL_VERIFICATION": "true"}, "REQUIRE_EMAIL_VERIFICATION needs SMTP_URL"},
		{"verification required with logged links", map[string]string{"REQUIRE_EMAIL_VERIFICATION": "true", "MAIL_LOG_LINKS": "true"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromLookup(lookup(tt.env))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want it to say %q", err, tt.want)
			}
		})
	}
	c, _ := FromLookup(lookup(smtp))
	if c.PublicURL != "https://chat.example.com" || !c.MailOn() {
		t.Fatalf("PUBLIC_URL = %q, mail on %v", c.PublicURL, c.MailOn())
	}
	c, _ = FromLookup(lookup(map[string]string{"MAIL_LOG_LINKS": "true"}))
	if c.PublicURL != "http://127.0.0.1:8000" || len(c.Warnings()) != 1 {
		t.Fatalf("with MAIL_LOG_LINKS: PUBLIC_URL = %q, warnings %v", c.PublicURL, c.Warnings())
	}
}

// TestREADMEListsEverySetting keeps README.md's settings table in step with Settings.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings {
		if !strings.Contains(string(readme), "| `"+s.Name+"` |") {
			t.Errorf("README.md's settings table has no row for %s", s.Name)
		}
	}
}
