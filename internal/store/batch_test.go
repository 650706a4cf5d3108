package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

func TestBatcher_GroupsConcurrentWritesAndIsolatesFailures(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			s := e.Open(t)
			ctx := context.Background()
			u, err := s.CreateUser(ctx, "batch@example.com", "h")
			if err != nil {
				t.Fatal(err)
			}
			b := store.NewBatcher(s, store.BatcherOptions{})
			defer b.Close()
			const n = 200
			boom := errors.New("boom")
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = b.Do(ctx, func(tx store.Store) error {
						if _, err := tx.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: fmt.Sprint(i), Model: "m", MaxOutputTokens: 16}); err != nil {
							return err
						}
						if i%50 == 7 {
							return boom // its project must be rolled back, the others kept
						}
						return nil
					})
				}()
			}
			wg.Wait()
			failed := 0
			for i, err := range errs {
				if i%50 == 7 {
					if !errors.Is(err, boom) {
						t.Fatalf("job %d: err = %v, want boom", i, err)
					}
					failed++
				} else if err != nil {
					t.Fatalf("job %d: %v", i, err)
				}
			}
			ps, _ := s.ListProjects(ctx, u.ID)
			if len(ps) != n-failed {
				t.Fatalf("%d projects stored, want %d", len(ps), n-failed)
			}

			// Without failures, concurrent jobs share commits.
			before := b.Commits()
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := b.Do(ctx, func(tx store.Store) error {
						_, err := tx.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: fmt.Sprint("ok", i), Model: "m", MaxOutputTokens: 16})
						return err
					}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			commits := b.Commits() - before
			if commits >= n/2 {
				t.Fatalf("%d concurrent jobs took %d commits: not batched", n, commits)
			}
			t.Logf("%d concurrent jobs in %d commits", n, commits)
		})
	}
}

// stuckStore is a database whose transactions never commit: they wait until their context ends.
type stuckStore struct{ store.Store }

func (stuckStore) InTx(ctx context.Context, _ func(store.Store) error) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestBatcher_ABatchThatCannotCommitFailsWithinItsDeadline: writes against a database that hangs fail
// with ErrUnavailable after about one deadline (the jobs queued behind the stuck batch at once), not
// one deadline per job, and not never.
func TestBatcher_ABatchThatCannotCommitFailsWithinItsDeadline(t *testing.T) {
	const timeout = 300 * time.Millisecond
	b := store.NewBatcher(stuckStore{testdb.SQLite(t)}, store.BatcherOptions{Timeout: timeout})
	defer b.Close()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 100)
	for i := range errs {
		wg.Go(func() { errs[i] = b.Do(context.Background(), func(store.Store) error { return nil }) })
	}
	wg.Wait()
	if took := time.Since(start); took > 3*timeout {
		t.Fatalf("100 writes took %v against a stuck database; the bound is about 2 × %v", took, timeout)
	}
	for _, err := range errs {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("error %v, want ErrUnavailable", err)
		}
	}
}
