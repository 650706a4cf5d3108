package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
)

type refusedArgs struct{}

func (refusedArgs) Kind() string                      { return "test_refused" }
func (refusedArgs) InsertOptions() jobs.InsertOptions { return jobs.InsertOptions{MaxAttempts: 1} }

// TestCommands_Jobs: `chatbot jobs` says when no job failed, and lists a job given up with its kind,
// id, attempts, time and last error (on one line).
func TestCommands_Jobs(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	code, out := run(t, bin, dir, []string{"jobs"})
	if code != 0 || !strings.Contains(out, "no failed jobs") {
		t.Fatalf("exit %d: %s", code, out)
	}

	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	w := jobs.NewWorkers()
	jobs.Add(w, jobs.Kind[refusedArgs]{Work: func(context.Context, jobs.Job[refusedArgs]) error {
		return errors.New("OpenAI said no\nsecond line")
	}})
	r, err := st.Jobs().Start(ctx, w, jobs.StartOptions{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Enqueue(ctx, refusedArgs{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if failed, err := st.Jobs().Failed(ctx, 10); err == nil && len(failed) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not fail")
		}
	}
	r.Stop(ctx, time.Second)
	st.Close()

	code, out = run(t, bin, dir, []string{"jobs"})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "KIND") {
		t.Fatalf("exit %d: %s", code, out)
	}
	f := strings.Fields(lines[1])
	if len(f) < 6 || f[0] != "test_refused" || f[1] != "1" || f[2] != "discarded" || f[3] != "1/1" ||
		!strings.HasSuffix(lines[1], "OpenAI said no second line") {
		t.Fatalf("row %q", lines[1])
	}
	if _, err := time.Parse(time.RFC3339, f[4]); err != nil {
		t.Fatalf("finalized %q: %v", f[4], err)
	}
}
