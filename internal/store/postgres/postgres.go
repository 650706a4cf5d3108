// Package postgres implements store.Store on PostgreSQL through a pgx pool.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/chatbot-platform/chatbot/db"
	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/postgres/sqlcgen"
)

// Store is the PostgreSQL store.
type Store struct {
	pool *pgxpool.Pool // nil inside a transaction
	w, r *sqlcgen.Queries
	tx   pgx.Tx
	jobs *jobQueue
}

// jobQueue is River on its own small pool (its listener holds a connection for good, which the
// requests' pool should not lose); jobs are inserted in the store's transactions all the same.
type jobQueue struct {
	queue *jobs.Queue
	ins   *jobs.Inserter[pgx.Tx]
	pool  *pgxpool.Pool
}

// JobPoolSize is the most connections River's pool opens (listener, fetches, completions, leader).
const JobPoolSize = 4

var _ store.Store = (*Store)(nil)

// ConnectTimeout bounds a new connection when the URL sets no connect_timeout: a server that does
// not answer fails the request (503) instead of holding it.
const ConnectTimeout = 5 * time.Second

// Options are what OpenWith may vary.
type Options struct {
	Log *slog.Logger // where migrations and background jobs are reported; nil: nothing is logged
}

// Open connects to url, checks the server answers and migrates the database.
func Open(ctx context.Context, url string) (*Store, error) { return OpenWith(ctx, url, Options{}) }

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, o Options) (*Store, error) {
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
	if err := Migrate(ctx, pool, o.Log); err != nil {
		pool.Close()
		return nil, err
	}
	jq, err := openJobs(ctx, cfg, o.Log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	q := sqlcgen.New(pool)
	return &Store{pool: pool, w: q, r: q, jobs: jq}, nil
}

// openJobs sets up River's queue on a pool of its own (connections are opened when it starts).
func openJobs(ctx context.Context, cfg *pgxpool.Config, log *slog.Logger) (*jobQueue, error) {
	cfg = cfg.Copy()
	cfg.MaxConns, cfg.MinConns = JobPoolSize, 0
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: jobs pool: %w", err)
	}
	queue, ins, err := jobs.NewQueue(riverpgxv5.New(pool), jobs.Options{Log: log})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &jobQueue{queue: queue, ins: ins, pool: pool}, nil
}

// Migrate applies the embedded PostgreSQL migrations under the migration lock, so that instances
// starting together migrate once (store.WithMigrationLock). log nil: nothing is logged.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	conn := stdlib.OpenDBFromPool(pool)
	defer conn.Close()
	return store.WithMigrationLock(ctx, conn, log, func(ctx context.Context) error {
		// Every migration step goes here, under the one lock: ours, then River's job queue tables.
		if err := store.Migrate(ctx, goose.DialectPostgres, conn, "migrations/postgres", db.Migrations, store.MigrateOptions{Log: log}); err != nil {
			return err
		}
		return jobs.Migrate(ctx, riverpgxv5.New(pool), log)
	})
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close releases the pools; the job queue must be stopped first.
func (s *Store) Close() {
	s.jobs.pool.Close()
	s.pool.Close()
}

// Jobs is River's queue on this database.
func (s *Store) Jobs() *jobs.Queue { return s.jobs.queue }

// Enqueue inserts jobs in the store's transaction (River's InsertTx on its pgx.Tx); outside InTx,
// in one of their own.
func (s *Store) Enqueue(ctx context.Context, args ...jobs.Args) error {
	if len(args) == 0 {
		return nil
	}
	if s.tx == nil {
		return s.InTx(ctx, func(tx store.Store) error { return tx.Enqueue(ctx, args...) })
	}
	return mapErr(s.jobs.ins.InsertTx(ctx, s.tx, args...))
}

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
	if err := fn(&Store{w: q, r: q, tx: tx, jobs: s.jobs}); err != nil {
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

// createConversation inserts a conversation into a project of its owner and returns its id;
// pgx.ErrNoRows when the project is not the owner's.
func createConversation(ctx context.Context, q *sqlcgen.Queries, arg sqlcgen.CreateConversationParams) (int64, error) {
	return q.CreateConversation(ctx, arg)
}

// createMessagePair inserts a question and its answer and returns their ids. Concurrent
// transactions draw from the same sequence, so the ids come back in insertion order, not
// necessarily consecutive.
func createMessagePair(ctx context.Context, q *sqlcgen.Queries, arg sqlcgen.CreateMessagePairParams) ([2]int64, error) {
	ids, err := q.CreateMessagePair(ctx, arg)
	if err != nil {
		return [2]int64{}, err
	}
	if len(ids) != 2 {
		return [2]int64{}, fmt.Errorf("postgres: a message pair came back as %d rows", len(ids))
	}
	return [2]int64{min(ids[0], ids[1]), max(ids[0], ids[1])}, nil
}
