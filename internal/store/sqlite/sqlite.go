// Package sqlite implements store.Store on SQLite (modernc.org/sqlite, pure Go).
//
// Writes go through one connection so the process never races itself for SQLite's single write lock
// ("database is locked"); reads use a pool of read-only connections, which WAL lets run alongside.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/chatbot-platform/chatbot/db"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite/sqlcgen"
)

// Store is the SQLite store.
type Store struct {
	writer, reader *sql.DB // nil inside a transaction
	w, r           *sqlcgen.Queries
	tx             *sql.Tx
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*Store, error) {
	if info, err := os.Stat(filepath.Dir(path)); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("sqlite: the folder of %s does not exist (an absolute path takes four slashes: sqlite:////var/lib/app.db)", path)
	}
	writer, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	if err := Migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxLifetime(0)
	w, err := sqlcgen.Prepare(ctx, writer)
	if err == nil {
		var r *sqlcgen.Queries
		if r, err = sqlcgen.Prepare(ctx, reader); err == nil {
			return &Store{writer: writer, reader: reader, w: w, r: r}, nil
		}
	}
	reader.Close()
	writer.Close()
	return nil, fmt.Errorf("sqlite: prepare queries: %w", err)
}

// dsn gives the connection settings the platform relies on: WAL so readers never wait for the writer,
// synchronous=FULL so a commit survives power loss, foreign keys for the cascades, IMMEDIATE
// transactions and a busy timeout so another process's writes wait instead of failing.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Migrate applies the embedded SQLite migrations.
func Migrate(ctx context.Context, conn *sql.DB) error {
	return store.Migrate(ctx, goose.DialectSQLite3, conn, "migrations/sqlite", db.Migrations)
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close releases both pools.
func (s *Store) Close() {
	s.r.Close()
	s.w.Close()
	s.reader.Close()
	s.writer.Close()
}

// InTx runs fn in one IMMEDIATE transaction on the writer connection; nested calls join it.
func (s *Store) InTx(ctx context.Context, fn func(store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	q := s.w.WithTx(tx)
	if err := fn(&Store{w: q, r: q, tx: tx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// mapErr turns driver errors into the store's sentinels.
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	return err
}
