// Package postgres implements store.Store on PostgreSQL through a pgx pool.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/chatbot-platform/chatbot/db"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/postgres/sqlcgen"
)

// Store is the PostgreSQL store.
type Store struct {
	pool *pgxpool.Pool // nil inside a transaction
	w, r *sqlcgen.Queries
	tx   pgx.Tx
}

var _ store.Store = (*Store)(nil)

// ConnectTimeout bounds a new connection when the URL sets no connect_timeout: a server that does
// not answer fails the request (503) instead of holding it.
const ConnectTimeout = 5 * time.Second

// Open connects to url, checks the server answers and migrates the database.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 { // without connect_timeout in the URL, an unreachable server would hold requests
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	q := sqlcgen.New(pool)
	return &Store{pool: pool, w: q, r: q}, nil
}

// Migrate applies the embedded PostgreSQL migrations, holding an advisory lock meanwhile: instances
// starting together on one database migrate one after another (the later ones find nothing to do)
// instead of racing to create the same tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn := stdlib.OpenDBFromPool(pool)
	defer conn.Close()
	return store.Migrate(ctx, goose.DialectPostgres, conn, "migrations/postgres", db.Migrations,
		goose.WithSessionLocker(migrationLock{}))
}

// migrationLockWait bounds the wait for another instance's migrations.
const migrationLockWait = 5 * time.Minute

// migrationLock is PostgreSQL's session advisory lock with goose's lock id, waited for in the server
// rather than polled (goose's own locker tries every 5 s, delaying every instance but the first).
type migrationLock struct{}

func (migrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, migrationLockWait)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lock.DefaultLockID); err != nil {
		return fmt.Errorf("postgres: wait for another instance's migrations: %w", err)
	}
	return nil
}

func (migrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", lock.DefaultLockID)
	return err
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close releases the pool.
func (s *Store) Close() { s.pool.Close() }

// InTx runs fn in one transaction; nested calls join it.
func (s *Store) InTx(ctx context.Context, fn func(store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", mapErr(err))
	}
	q := s.w.WithTx(tx)
	if err := fn(&Store{w: q, r: q, tx: tx}); err != nil {
		tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", mapErr(err))
	}
	return nil
}

// unavailable reports errors that say the server cannot serve now, not that the call was wrong: no
// connection (refused, reset, closed mid-query, timed out), the server shutting down or starting up
// (SQLSTATE class 08, 57P01–57P03), out of resources (class 53, e.g. disk full), read-only (25006).
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "25006"
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "conn closed")
}

// CheckWritable runs, in a transaction, an update that matches no row: a read-only or unreachable
// server fails it.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.(*Store).w.LockUser(ctx, 0)
		return mapErr(err)
	})
}

// mapErr turns driver errors into the store's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
