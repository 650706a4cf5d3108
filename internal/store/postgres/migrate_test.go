package postgres_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// TestMigrate_ConcurrentStartsMigrateOnce: three instances starting at once on a fresh database (three
// pools, as three processes would have) all succeed, and every migration is applied exactly once.
// Without the migration lock this failed within a few rounds ("duplicate key value violates unique
// constraint pg_type_typname_nsp_index" from two CREATE TABLEs at once).
func TestMigrate_ConcurrentStartsMigrateOnce(t *testing.T) {
	for round := range 5 {
		url := testdb.PostgresURL(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() {
				pool, err := pgxpool.New(ctx, url)
				if err != nil {
					errs[i] = err
					return
				}
				defer pool.Close()
				errs[i] = postgres.Migrate(ctx, pool, slog.New(slog.DiscardHandler))
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: migrator %d: %v", round, i, err)
			}
		}
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var rows, versions, latest, riverRows, riverVersions int64
		err = pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version_id), max(version_id) FROM goose_db_version`).Scan(&rows, &versions, &latest)
		if err == nil { // River's job queue tables migrate under the same lock
			err = pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT (line, version)) FROM river_migration`).Scan(&riverRows, &riverVersions)
		}
		pool.Close()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if rows != versions || latest < 6 {
			t.Fatalf("round %d: goose_db_version has %d rows for %d versions (latest %d): a migration ran twice", round, rows, versions, latest)
		}
		if riverRows != riverVersions || riverRows == 0 {
			t.Fatalf("round %d: river_migration has %d rows for %d versions", round, riverRows, riverVersions)
		}
	}
}
