package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/chatbot-platform/chatbot/db"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
)

// migrateTo brings a new database at path to version v with the embedded migrations, as an earlier
// release would have left it, with one user.
func migrateTo(t *testing.T, path string, v int64) {
	t.Helper()
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sub, err := fs.Sub(db.Migrations, "migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, conn, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO users (email, hashed_password, created_at) VALUES ('old@example.com', 'x', '2026-01-02 03:04:05+00:00')`); err != nil {
		t.Fatal(err)
	}
}

// dbVersion and users read a database file directly.
func dbVersion(t *testing.T, path string) (version int64, users int) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := conn.QueryRow(`SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var ok string
	if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("%s: integrity_check %q %v", path, ok, err)
	}
	return version, users
}

func latestVersion(t *testing.T) int64 {
	t.Helper()
	entries, err := fs.Glob(db.Migrations, "migrations/sqlite/*.sql")
	if err != nil || len(entries) == 0 {
		t.Fatal("no migrations", err)
	}
	var v int64
	fmt.Sscanf(filepath.Base(entries[len(entries)-1]), "%d", &v)
	return v
}

func copies(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.pre-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpen_CopiesTheDatabaseBeforeMigratingIt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.db")
	migrateTo(t, path, 5)
	var logs bytes.Buffer
	s, err := sqlite.OpenWith(context.Background(), path, sqlite.Options{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	want := path + ".pre-00005"
	if got := copies(t, dir); len(got) != 1 || got[0] != want {
		t.Fatalf("copies %v, want [%s]", got, want)
	}
	if v, users := dbVersion(t, want); v != 5 || users != 1 {
		t.Fatalf("the copy is at version %d with %d users, want 5 and 1", v, users)
	}
	if v, users := dbVersion(t, path); v != latestVersion(t) || users != 1 {
		t.Fatalf("the database is at version %d with %d users, want %d and 1", v, users, latestVersion(t))
	}
	if info, err := os.Stat(want); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the copy's mode: %v %v, want 0600", info.Mode(), err)
	}
	var line struct{ Level, Msg, Path string }
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(l, "before migrating") {
			json.Unmarshal([]byte(l), &line)
		}
	}
	if line.Level != "INFO" || line.Path != want {
		t.Fatalf("no Info line naming %s in the logs:\n%s", want, logs.String())
	}

	// Nothing pending: no copy.
	s, err = sqlite.OpenWith(context.Background(), path, sqlite.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := copies(t, dir); len(got) != 1 {
		t.Fatalf("copies %v after an open with nothing to migrate", got)
	}
}

func TestOpen_NeverOverwritesAnEarlierCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.db")
	migrateTo(t, path, 4)
	earlier := path + ".pre-00004"
	if err := os.WriteFile(earlier, []byte("an earlier copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(earlier+".1", nil, 0o600); err != nil { // even an empty file is kept
		t.Fatal(err)
	}
	s, err := sqlite.OpenWith(context.Background(), path, sqlite.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if b, _ := os.ReadFile(earlier); string(b) != "an earlier copy" {
		t.Fatalf("the earlier copy was changed: %q", b)
	}
	if b, err := os.ReadFile(earlier + ".1"); err != nil || len(b) != 0 {
		t.Fatalf("the empty file was changed: %d bytes, %v", len(b), err)
	}
	if v, users := dbVersion(t, earlier+".2"); v != 4 || users != 1 {
		t.Fatalf("the new copy is at version %d with %d users, want 4 and 1", v, users)
	}
}

func TestOpen_NewDatabaseIsNotCopied(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.OpenWith(context.Background(), filepath.Join(dir, "app.db"), sqlite.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := copies(t, dir); len(got) != 0 {
		t.Fatalf("copies of a new database: %v", got)
	}
}

func TestOpen_CopyFailureMigratesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.db")
	migrateTo(t, path, 5)
	// A copy cannot be written where a folder of the same name is.
	if err := os.Mkdir(path+".pre-00005", 0o700); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 100; i++ {
		if err := os.Mkdir(fmt.Sprintf("%s.pre-00005.%d", path, i), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	_, err := sqlite.OpenWith(context.Background(), path, sqlite.Options{Log: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "nothing migrated") || !strings.Contains(err.Error(), "already exist") {
		t.Fatalf("err = %v, want a refusal naming the existing copies", err)
	}
	if v, _ := dbVersion(t, path); v != 5 {
		t.Fatalf("version %d after a refused upgrade, want 5", v)
	}
}

func TestBackup_ConsistentWhileAnotherConnectionWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "app.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written int
	wg.Go(func() {
		for ; ; written++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.CreateUser(ctx, fmt.Sprintf("u%d@example.com", written), "x"); err != nil {
				t.Error(err)
				return
			}
		}
	})
	time.Sleep(50 * time.Millisecond)
	var counts []int
	for i := range 5 {
		dest := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		if err := sqlite.Backup(ctx, path, dest); err != nil {
			t.Fatal(err)
		}
		v, users := dbVersion(t, dest)
		if v != latestVersion(t) {
			t.Fatalf("backup at version %d", v)
		}
		counts = append(counts, users)
	}
	close(stop)
	wg.Wait()
	if counts[0] == 0 || counts[len(counts)-1] <= counts[0] || counts[len(counts)-1] > written {
		t.Fatalf("users in successive backups %v (written: %d): want growing copies of a live database", counts, written)
	}

	// An existing file is never overwritten, and a missing database is not created.
	dest := filepath.Join(dir, "backup-0.db")
	before, _ := os.ReadFile(dest)
	err = sqlite.Backup(ctx, path, dest)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("err = %v, want a refusal to overwrite", err)
	}
	if after, _ := os.ReadFile(dest); !bytes.Equal(before, after) {
		t.Fatal("the existing file was changed")
	}
	missing := filepath.Join(dir, "missing.db")
	if err := sqlite.Backup(ctx, missing, filepath.Join(dir, "b.db")); err == nil || !strings.Contains(err.Error(), "no database file") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("Backup created the database it was to copy")
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db")); err == nil {
		t.Fatal("a failed backup left a file")
	}
}
