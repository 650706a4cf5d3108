// Package postgres implements store.Store on PostgreSQL through a pgx pool.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

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

// Open connects to url, checks the server answers and migrates the database.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, err := pgxpool.New(ctx, url)
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

// Migrate applies the embedded PostgreSQL migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn := stdlib.OpenDBFromPool(pool)
	defer conn.Close()
	return store.Migrate(ctx, goose.DialectPostgres, conn, "migrations/postgres", db.Migrations)
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
		return fmt.Errorf("postgres: begin: %w", err)
	}
	q := s.w.WithTx(tx)
	if err := fn(&Store{w: q, r: q, tx: tx}); err != nil {
		tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// mapErr turns driver errors into the store's sentinels.
func mapErr(err error) error {
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
	return err
}
