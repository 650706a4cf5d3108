package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

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
			b := store.NewBatcher(s, nil, nil)
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
