package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/chatbot-platform/chatbot/db"
	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// run runs bin with args in dir (a SQLite database there by default, no .env) and returns its exit
// code and everything it wrote.
func run(t *testing.T, bin, dir string, args []string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=sqlite:///app.db",
		"SECRET_KEY=" + apitest.TestSecret, "LOG_FILE="}, env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestCommands_MigrateAndBackup runs the real binary: backup of a running server's SQLite database,
// migrate's copy of an old database, and three migrate processes at once on one PostgreSQL database.
func TestCommands_MigrateAndBackup(t *testing.T) {
	bin := buildBinary(t)

	t.Run("backup copies the running server's database and never overwrites", func(t *testing.T) {
		dir := t.TempDir()
		startProcess(t, bin, dir)
		code, out := run(t, bin, dir, []string{"backup", "copy.db"})
		if code != 0 || !strings.Contains(out, "copied to copy.db") {
			t.Fatalf("exit %d: %s", code, out)
		}
		if v := version(t, filepath.Join(dir, "copy.db")); v < 6 {
			t.Fatalf("the copy is at version %d", v)
		}
		for _, args := range [][]string{{"backup", "copy.db"}, {"backup"}, {"backup", "a", "b"}} {
			code, out := run(t, bin, dir, args)
			if code == 0 || strings.Contains(out, "goroutine") {
				t.Fatalf("%v: exit %d: %s", args, code, out)
			}
			if args[len(args)-1] == "copy.db" && !strings.Contains(out, "copy.db already exists") {
				t.Fatalf("%v: %s", args, out)
			}
		}
	})

	t.Run("backup on PostgreSQL says to use pg_dump", func(t *testing.T) {
		code, out := run(t, bin, t.TempDir(), []string{"backup", "x.dump"}, "DATABASE_URL=postgres://u@127.0.0.1:1/none")
		if code == 0 || !strings.Contains(out, "pg_dump --format=custom --file=PATH") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})

	t.Run("migrate copies an older SQLite database first and says where", func(t *testing.T) {
		dir := t.TempDir()
		conn, err := sql.Open("sqlite", filepath.Join(dir, "app.db"))
		if err != nil {
			t.Fatal(err)
		}
		sub, _ := fs.Sub(db.Migrations, "migrations/sqlite")
		p, err := goose.NewProvider(goose.DialectSQLite3, conn, sub)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(context.Background(), 5); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		code, out := run(t, bin, dir, []string{"migrate"}, "LOG_FORMAT=json")
		want := `"path":"` + filepath.Join(dir, "app.db.pre-00005") + `"`
		if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, `"level":"INFO"`) {
			t.Fatalf("exit %d, want a log line with %s: %s", code, want, out)
		}
		if v := version(t, filepath.Join(dir, "app.db.pre-00005")); v != 5 {
			t.Fatalf("the copy is at version %d", v)
		}
	})

	t.Run("three migrate processes at once on PostgreSQL", func(t *testing.T) {
		for round := range 3 {
			url := testdb.PostgresURL(t)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var logs bytes.Buffer
			failed := false
			for range 3 {
				wg.Go(func() {
					code, out := run(t, bin, t.TempDir(), []string{"migrate"}, "DATABASE_URL="+url)
					mu.Lock()
					defer mu.Unlock()
					logs.WriteString(out)
					failed = failed || code != 0
				})
			}
			wg.Wait()
			if failed {
				t.Fatalf("round %d: a migrate failed:\n%s", round, logs.String())
			}
			ctx := context.Background()
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			var rows, versions int
			err = c.QueryRow(ctx, `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version`).Scan(&rows, &versions)
			c.Close(ctx)
			if err != nil || rows != versions {
				t.Fatalf("round %d: %d rows for %d versions (%v)", round, rows, versions, err)
			}
			if n := strings.Count(logs.String(), "database migrated"); n != 1 {
				t.Fatalf("round %d: %d processes migrated, want 1:\n%s", round, n, logs.String())
			}
		}
	})
}

func version(t *testing.T, path string) int64 {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var v int64
	if err := conn.QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
