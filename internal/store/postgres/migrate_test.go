package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// Instances started together on an empty database (a scale-out deployment's first start, or a
// rolling deploy that brings a migration) all migrate it: one after another, never racing to create
// the same tables.
func TestMigrate_InstancesStartingTogetherAllSucceed(t *testing.T) {
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	const instances = 4
	var wg sync.WaitGroup
	errs := make([]error, instances)
	for i := range instances {
		wg.Go(func() {
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = postgres.Migrate(ctx, pool)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
}
