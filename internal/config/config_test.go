package config

import (
	"strings"
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
