package eval

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// RunKind is the job that answers and judges every case of a run (RunArgs).
const RunKind = "eval_run"

const (
	// runAttempts: a run interrupted (a restart, the database away) continues where it stopped, with
	// the cases not recorded yet, up to this many times before it is marked failed.
	runAttempts = 5
	// runTimeout bounds one attempt: 200 cases, 4 at a time, each within the upstream timeout.
	runTimeout = 30 * time.Minute
)

// RunArgs is a run to carry out; one job per run.
type RunArgs struct {
	OwnerID   int64 `json:"owner_id"`
	ProjectID int64 `json:"project_id"`
	RunID     int64 `json:"run_id" river:"unique"`
}

// Kind names the job kind.
func (RunArgs) Kind() string { return RunKind }

// InsertOptions: one job per run.
func (RunArgs) InsertOptions() jobs.InsertOptions {
	return jobs.InsertOptions{Unique: true, MaxAttempts: runAttempts}
}

// RegisterJobs adds the run worker to w.
func (s *Service) RegisterJobs(w *jobs.Workers) {
	jobs.Add(w, jobs.Kind[RunArgs]{Work: s.work, Timeout: runTimeout, Backoff: jobs.Exponential(5*time.Second, 5*time.Minute),
		GaveUp: s.gaveUp})
}

// Target is what a run answers with: the draft (Release nil) or a release number.
type Target struct {
	Release *int64
}

// StartRun queues a run of every case of the owner's project against target and returns it
// (queued). Errors: store.ErrNotFound (project), *model.NotFoundError (release),
// *model.ValidationError (no cases; releases unavailable), *model.ConflictError (a run is in progress).
func (s *Service) StartRun(ctx context.Context, ownerID, projectID int64, target Target) (model.EvalRun, error) {
	run := model.EvalRun{ProjectID: projectID, TargetRelease: target.Release}
	if _, err := s.store.GetProject(ctx, ownerID, projectID); err != nil {
		return run, err
	}
	switch {
	case target.Release != nil && s.releases == nil:
		return run, model.Invalid("target", `releases are not available here: run on "draft"`)
	case target.Release != nil:
		if _, err := s.releases.Snapshot(ctx, ownerID, projectID, *target.Release); err != nil {
			var nf *model.NotFoundError
			if errors.As(err, &nf) || errors.Is(err, store.ErrNotFound) {
				return run, &model.NotFoundError{What: fmt.Sprintf("release %d", *target.Release)}
			}
			return run, err
		}
	case s.releases != nil:
		draft, err := s.releases.Draft(ctx, ownerID, projectID)
		if err != nil {
			return run, err
		}
		run.DraftDigest = draft.Digest()
	}
	err := s.store.InTx(ctx, func(tx store.Store) error {
		n, err := tx.LockAndCountEvalCases(ctx, ownerID, projectID)
		if err != nil {
			return err
		}
		if n == 0 {
			return model.Invalid("target", "this project has no evaluation cases: add one first")
		}
		if active, err := tx.CountActiveEvalRuns(ctx, projectID); err != nil {
			return err
		} else if active > 0 {
			return &model.ConflictError{Detail: "a run of this project's cases is already queued or running: wait for it to finish"}
		}
		cases, err := tx.ListEvalCases(ctx, ownerID, projectID)
		if err != nil {
			return err
		}
		if run, err = tx.CreateEvalRun(ctx, ownerID, run, cases); err != nil {
			return err
		}
		return tx.Enqueue(ctx, RunArgs{OwnerID: ownerID, ProjectID: projectID, RunID: run.ID})
	})
	if err == nil {
		s.log.InfoContext(ctx, "eval run queued", "project_id", projectID, "run_id", run.ID, "cases", run.Total, "target", targetLabel(run))
	}
	return run, err
}

// Run returns one of the owner's runs with its results. Returns store.ErrNotFound.
func (s *Service) Run(ctx context.Context, ownerID, id int64) (model.EvalRun, []model.EvalResult, error) {
	run, err := s.store.GetEvalRun(ctx, ownerID, id)
	if err != nil {
		return run, nil, err
	}
	results, err := s.store.ListEvalResults(ctx, run.ID)
	return run, results, err
}

// Runs lists a project's newest runs (at most MaxRunsListed), newest first. Returns
// store.ErrNotFound for another owner's project.
func (s *Service) Runs(ctx context.Context, ownerID, projectID int64) ([]model.EvalRun, error) {
	if _, err := s.store.GetProject(ctx, ownerID, projectID); err != nil {
		return nil, err
	}
	return s.store.ListEvalRuns(ctx, ownerID, projectID, MaxRunsListed)
}

// work carries out a run: every case still pending is answered and judged, RunConcurrency at a
// time, and recorded as it ends; then the run completes. Run again after an interruption, it
// continues with the cases not recorded yet.
func (s *Service) work(ctx context.Context, job jobs.Job[RunArgs]) error {
	a := job.Args
	run, err := s.store.GetEvalRun(ctx, a.OwnerID, a.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the project was deleted, and its runs with it
	}
	if err != nil {
		return err
	}
	if run.Status != model.EvalQueued && run.Status != model.EvalRunning {
		return nil
	}
	if err := s.store.StartEvalRun(ctx, run.ID); err != nil {
		return ignoreNotFound(err)
	}
	results, err := s.store.ListEvalResults(ctx, run.ID)
	if err != nil {
		return err
	}
	sem := make(chan struct{}, s.concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, r := range results {
		if r.Status != model.EvalPending {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.runCase(ctx, a.OwnerID, run, r); err != nil {
				mu.Lock()
				firstErr = cmpErr(firstErr, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr // the cases recorded stay; the next attempt answers the rest
	}
	return s.finish(ctx, run, model.EvalCompleted, "")
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// runCase answers one case and records its result. An answer the bot could not give (upstream
// error, budget spent, settings no longer allowed) is the case's failure; an error of the run itself
// (cancelled, the database away) is returned, and the case stays pending.
func (s *Service) runCase(ctx context.Context, ownerID int64, run model.EvalRun, r model.EvalResult) error {
	history := make([]model.Message, len(r.History))
	for i, t := range r.History {
		history[i] = model.Message{Role: t.Role, Content: t.Content}
	}
	target := chat.Target{Kind: chat.TargetDraft}
	if run.TargetRelease != nil {
		target = chat.Target{Kind: chat.TargetRelease, Number: *run.TargetRelease}
	}
	ev, err := s.chat.Evaluate(ctx, chat.Request{Viewer: chat.Viewer{OwnerID: ownerID}, ProjectID: run.ProjectID, Message: r.Input,
		History: history, Target: target})
	switch {
	case err == nil:
		r.Reply, r.Citations = ev.Reply, ev.Citations
		latency, in, out := ev.Latency.Milliseconds(), int64(ev.Usage.InputTokens), int64(ev.Usage.OutputTokens)
		r.LatencyMS, r.InputTokens, r.OutputTokens = &latency, &in, &out
		r.CheckResults = Judge(r.Checks, ev)
	case ctx.Err() != nil || errors.Is(err, store.ErrUnavailable):
		return err
	default:
		r.Error = answerError(err)
		r.CheckResults = []model.EvalCheckResult{{Check: "reply", Expected: "an answer", Detail: r.Error}}
	}
	r.Status = model.EvalPassed
	for _, c := range r.CheckResults {
		if !c.Passed {
			r.Status = model.EvalCaseFailed
		}
	}
	return ignoreNotFound(s.store.RecordEvalResult(context.WithoutCancel(ctx), r))
}

// answerError says why the bot gave no answer, in words fit for the owner (no internal details).
func answerError(err error) string {
	var (
		verr  *model.ValidationError
		nf    *model.NotFoundError
		limit *model.LimitError
		uerr  *llm.Error
	)
	switch {
	case errors.As(err, &verr):
		return verr.Error()
	case errors.As(err, &nf):
		return nf.Error()
	case errors.As(err, &limit):
		return limit.Detail
	case errors.As(err, &uerr):
		return uerr.Detail()
	}
	return "the bot could not answer"
}

// Judge checks a reply against a case's checks: one result per contains and not_contains string,
// one per other check given. contains and not_contains ignore case.
func Judge(c model.EvalChecks, ev chat.Evaluation) []model.EvalCheckResult {
	out := []model.EvalCheckResult{}
	add := func(check, expected string, passed bool, detail string) {
		if passed {
			detail = ""
		}
		out = append(out, model.EvalCheckResult{Check: check, Expected: expected, Passed: passed, Detail: detail})
	}
	reply := strings.ToLower(ev.Reply)
	for _, v := range c.Contains {
		add("contains", v, strings.Contains(reply, strings.ToLower(v)), fmt.Sprintf("the reply does not contain %q", v))
	}
	for _, v := range c.NotContains {
		add("not_contains", v, !strings.Contains(reply, strings.ToLower(v)), fmt.Sprintf("the reply contains %q", v))
	}
	if c.Regex != "" {
		re, err := regexp.Compile(c.Regex)
		add("regex", c.Regex, err == nil && re.MatchString(ev.Reply), fmt.Sprintf("the reply does not match %s", c.Regex))
	}
	if id := c.CitesFileID; id != nil {
		cited := false
		for _, ci := range ev.Citations {
			cited = cited || ci.FileID != nil && *ci.FileID == *id
		}
		add("cites_file_id", strconv.FormatInt(*id, 10), cited, fmt.Sprintf("the reply does not cite file %d", *id))
	}
	if most := c.MaxLatencyMS; most != nil {
		ms := ev.Latency.Milliseconds()
		add("max_latency_ms", strconv.FormatInt(*most, 10), ms <= *most, fmt.Sprintf("the reply took %d ms", ms))
	}
	if most := c.MaxOutputTokens; most != nil {
		n := int64(ev.Usage.OutputTokens)
		add("max_output_tokens", strconv.FormatInt(*most, 10), n <= *most, fmt.Sprintf("the reply used %d output tokens", n))
	}
	return out
}

// finish ends the run with its counts and records eval_run.completed, in one transaction; a run
// that ended already is left as it is.
func (s *Service) finish(ctx context.Context, run model.EvalRun, status, reason string) error {
	ctx = context.WithoutCancel(ctx)
	err := s.store.InTx(ctx, func(tx store.Store) error {
		results, err := tx.ListEvalResults(ctx, run.ID)
		if err != nil {
			return err
		}
		run.Status, run.Error, run.Passed, run.Failed = status, reason, 0, 0
		for _, r := range results {
			switch r.Status {
			case model.EvalPassed:
				run.Passed++
			case model.EvalCaseFailed:
				run.Failed++
			}
		}
		if err := tx.FinishEvalRun(ctx, run); err != nil {
			return err
		}
		return s.events.Emit(ctx, tx, run.ProjectID, webhook.EvalRunCompleted, runEvent{RunID: run.ID, Target: targetValue(run),
			Status: run.Status, Total: run.Total, Passed: run.Passed, Failed: run.Failed})
	})
	if err != nil {
		return ignoreNotFound(err)
	}
	s.log.InfoContext(ctx, "eval run finished", "project_id", run.ProjectID, "run_id", run.ID, "status", status,
		"target", targetLabel(run), "passed", run.Passed, "failed", run.Failed)
	return nil
}

// gaveUp marks a run that could not finish after its last attempt failed.
func (s *Service) gaveUp(ctx context.Context, job jobs.Job[RunArgs], err error) {
	run, gerr := s.store.GetEvalRun(ctx, job.Args.OwnerID, job.Args.RunID)
	if gerr == nil {
		gerr = s.finish(ctx, run, model.EvalFailed, "the run could not finish; run it again")
	}
	s.log.ErrorContext(ctx, "eval run abandoned", "project_id", job.Args.ProjectID, "run_id", job.Args.RunID, "error", err, "mark_error", gerr)
}

// runEvent is eval_run.completed's data.
type runEvent struct {
	RunID  int64  `json:"run_id"`
	Target any    `json:"target"` // "draft" or the release number
	Status string `json:"status"` // completed or failed
	Total  int64  `json:"total"`
	Passed int64  `json:"passed"`
	Failed int64  `json:"failed"`
}

// DraftTarget is the target of a run on the draft, as the API names it.
const DraftTarget = "draft"

func targetValue(r model.EvalRun) any {
	if r.TargetRelease == nil {
		return DraftTarget
	}
	return *r.TargetRelease
}

func targetLabel(r model.EvalRun) string {
	return fmt.Sprint(targetValue(r))
}

// AllowRelease is the publish gate (release.Gate): when the project has cases, a release of draft
// needs a completed run on that very draft (the same digest) with no failed case. Otherwise it
// returns a *model.ConflictError saying why (the release is refused with 409 unless forced).
func (s *Service) AllowRelease(ctx context.Context, ownerID, projectID int64, draft model.Snapshot) error {
	draftDigest := draft.Digest()
	cases, err := s.store.ListEvalCases(ctx, ownerID, projectID)
	if err != nil || len(cases) == 0 {
		return err
	}
	run, err := s.store.LatestDraftEvalRun(ctx, ownerID, projectID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &model.ConflictError{Detail: fmt.Sprintf("this project has %d evaluation cases and the draft was never run against them: run the evaluation on the draft, or publish with force", len(cases))}
	case err != nil:
		return err
	case run.DraftDigest != draftDigest:
		return &model.ConflictError{Detail: fmt.Sprintf("the draft changed since the last evaluation run (run %d): run the evaluation on the draft again, or publish with force", run.ID)}
	case run.Failed > 0:
		return &model.ConflictError{Detail: fmt.Sprintf("the latest evaluation run on the draft (run %d) failed %d of %d cases: fix the draft and run again, or publish with force", run.ID, run.Failed, run.Total)}
	}
	return nil
}
