// Package testdb opens real, empty, migrated databases for tests: SQLite always, PostgreSQL when
// TEST_DATABASE_URL is set (CI sets it; a fresh machine without PostgreSQL skips those cases and says so).
package testdb

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
)

// Engine opens a fresh store of one kind.
type Engine struct {
	Name string
	Open func(t testing.TB) store.Store
}

// Engines lists SQLite and, when TEST_DATABASE_URL is set, PostgreSQL.
func Engines() []Engine {
	return []Engine{{"sqlite", SQLite}, {"postgres", Postgres}}
}

// SQLite opens a new database file in the test's temporary directory.
func SQLite(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), SQLitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// SQLitePath is a fresh database path in the test's temporary directory.
func SQLitePath(t testing.TB) string { return filepath.Join(t.TempDir(), "app.db") }

var seq atomic.Int64

// PostgresURL creates an empty database on the TEST_DATABASE_URL server, dropped when the test ends,
// and returns its URL. It skips the test when TEST_DATABASE_URL is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("PostgreSQL skipped: TEST_DATABASE_URL is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL is set but PostgreSQL is not reachable: %v", err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("chatbot_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, seq.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Postgres opens a store on a fresh PostgreSQL database; see PostgresURL.
func Postgres(t testing.TB) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
