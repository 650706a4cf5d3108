package jobs_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "test_ping" }

type onceArgs struct {
	N int `json:"n" river:"unique"`
}

func (onceArgs) Kind() string { return "test_once" }
func (onceArgs) InsertOptions() jobs.InsertOptions {
	return jobs.InsertOptions{Unique: true, MaxAttempts: 3}
}

var ctx = context.Background()

func eachEngine(t *testing.T, fn func(t *testing.T, st store.Store)) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, eng.Open(t))
		})
	}
}

func kinds(t *testing.T, st store.Store) []string {
	t.Helper()
	list, err := st.Jobs().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range list {
		out = append(out, j.Kind)
	}
	return out
}

// TestEnqueue_IsTransactional: a job enqueued in a transaction that rolls back does not exist; one
// whose transaction commits does; outside InTx a job is added at once; unique kinds are added once.
func TestEnqueue_IsTransactional(t *testing.T) {
	eachEngine(t, func(t *testing.T, st store.Store) {
		boom := errors.New("boom")
		err := st.InTx(ctx, func(tx store.Store) error {
			if err := tx.Enqueue(ctx, pingArgs{N: 1}); err != nil {
				t.Fatal(err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if got := kinds(t, st); len(got) != 0 {
			t.Fatalf("a rolled-back transaction left jobs: %v", got)
		}
		if err := st.InTx(ctx, func(tx store.Store) error { return tx.Enqueue(ctx, pingArgs{N: 2}, onceArgs{N: 1}) }); err != nil {
			t.Fatal(err)
		}
		if err := st.Enqueue(ctx, onceArgs{N: 1}, onceArgs{N: 2}); err != nil {
			t.Fatal(err)
		}
		got := kinds(t, st)
		if want := []string{"test_ping", "test_once", "test_once"}; !slices.Equal(got, want) {
			t.Fatalf("jobs %v, want %v", got, want)
		}
	})
}

// TestQueue_WorksRetriesAndGivesUp: jobs run, a failing one is retried until it succeeds, one that
// keeps failing is given up after its last attempt (GaveUp runs once) and is listed as failed, and
// Stop lets a running job finish.
func TestQueue_WorksRetriesAndGivesUp(t *testing.T) {
	eachEngine(t, func(t *testing.T, st store.Store) {
		var mu sync.Mutex
		runs := map[int]int{}
		var gaveUp atomic.Int32
		w := jobs.NewWorkers()
		jobs.Add(w, jobs.Kind[pingArgs]{Work: func(ctx context.Context, j jobs.Job[pingArgs]) error {
			mu.Lock()
			runs[j.Args.N]++
			n := runs[j.Args.N]
			mu.Unlock()
			switch {
			case j.Args.N == 2 && n < 3:
				return errors.New("not yet")
			case j.Args.N == 3 && n < 3:
				return jobs.Snooze(10 * time.Millisecond)
			case j.Args.N == 4:
				time.Sleep(300 * time.Millisecond) // still running when Stop is called
			}
			return nil
		}})
		jobs.Add(w, jobs.Kind[onceArgs]{
			Work:   func(context.Context, jobs.Job[onceArgs]) error { return errors.New("never works") },
			GaveUp: func(context.Context, jobs.Job[onceArgs], error) { gaveUp.Add(1) },
		})
		q := st.Jobs()
		r, err := q.Start(ctx, w, jobs.StartOptions{PollInterval: 50 * time.Millisecond, RetryDelay: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Stop(ctx, time.Second) })
		if err := st.Enqueue(ctx, pingArgs{N: 1}, pingArgs{N: 2}, pingArgs{N: 3}, onceArgs{N: 7}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, func() bool {
			list, err := q.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range list {
				if !j.Finished {
					return false
				}
			}
			return len(list) == 4
		})
		mu.Lock()
		if runs[1] != 1 || runs[2] != 3 || runs[3] != 3 {
			t.Errorf("runs %v", runs)
		}
		mu.Unlock()
		if gaveUp.Load() != 1 {
			t.Errorf("GaveUp ran %d times", gaveUp.Load())
		}
		failed, err := q.Failed(ctx, 10)
		if err != nil || len(failed) != 1 || failed[0].Kind != "test_once" || failed[0].State != "discarded" ||
			failed[0].Attempt != 3 || failed[0].LastError != "never works" || failed[0].At.IsZero() {
			t.Fatalf("failed %+v %v", failed, err)
		}

		if err := st.Enqueue(ctx, pingArgs{N: 4}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return runs[4] == 1 })
		if !r.Stop(ctx, time.Second) {
			t.Fatal("stop")
		}
		list, _ := q.List(ctx, "test_ping")
		if j := list[len(list)-1]; j.State != "completed" {
			t.Fatalf("the job running at Stop: %+v", j)
		}
	})
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
