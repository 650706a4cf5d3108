// Package jobs runs the platform's background jobs on River, in the platform's own database
// (PostgreSQL or SQLite): a job is a row, inserted in the same transaction as the change that
// causes it (store.Store's Enqueue), so it exists exactly when that change does, survives restarts,
// and is worked once whatever the number of instances.
//
// Domain packages define a job kind with an Args type (its Kind and, optionally, InsertOptions) and
// a Kind value (Work, and optionally Timeout, Backoff and GaveUp), and register it with Add; River's
// own types stay in this package and in the store adapters.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/chatbot-platform/chatbot/internal/metrics"
)

// Args is a job's payload, stored as JSON; Kind names its kind, whose worker runs it. The zero
// value's Kind must work (a value receiver returning a constant).
type Args interface {
	Kind() string
}

// InsertOptions are how a kind's jobs are inserted.
type InsertOptions struct {
	// MaxAttempts is how many times a failing job runs before it is discarded (its GaveUp runs);
	// snoozes do not count. 0: DefaultMaxAttempts.
	MaxAttempts int
	// Unique keeps at most one job of the kind per args (the fields tagged `river:"unique"`, or all
	// of them when none is) waiting, running or completed (until River removes completed jobs, a
	// day later): enqueueing it again while one exists does nothing.
	Unique bool
}

// WithInsertOptions is implemented by Args whose kind is not inserted with the defaults.
type WithInsertOptions interface {
	Args
	InsertOptions() InsertOptions
}

// DefaultMaxAttempts is how many times a job runs before it is discarded when its kind says nothing.
const DefaultMaxAttempts = 10

// Job is one run of a job.
type Job[T Args] struct {
	ID   int64
	Args T
	// Attempt counts this run (1 the first time; snoozes do not count); the job is discarded when a
	// run with Attempt == MaxAttempts fails.
	Attempt, MaxAttempts int
	// Snoozes counts the runs that ended in Snooze.
	Snoozes int
	// CreatedAt is when the job was enqueued.
	CreatedAt time.Time
}

// Snooze, returned by Work, runs the job again after d without using an attempt: for a job that
// waits for something (a file being indexed) rather than failing.
func Snooze(d time.Duration) error { return river.JobSnooze(max(d, 0)) }

// Kind is how the jobs of one kind are worked.
type Kind[T Args] struct {
	// Work does the job. nil: done; Snooze(d): again after d; another error: again after Backoff,
	// until MaxAttempts runs have failed. Work must be idempotent: a job can run again after an
	// instance dies mid-run (River rescues it after an hour).
	Work func(ctx context.Context, job Job[T]) error
	// Timeout bounds one run (its ctx is cancelled then). 0: one minute.
	Timeout time.Duration
	// Backoff is the wait before the next run after the attempt-th failed (1, 2, ...). nil: River's
	// default (attempt⁴ seconds, with jitter).
	Backoff func(attempt int) time.Duration
	// GaveUp, when set, runs after the last attempt failed: the job is discarded and will not run
	// again (say so loudly, or record the outcome).
	GaveUp func(ctx context.Context, job Job[T], err error)
}

// Exponential is a Backoff: base, 2·base, 4·base… at most limit.
func Exponential(base, limit time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		n := min(max(attempt-1, 0), 62)
		d := float64(base) * math.Pow(2, float64(n))
		if d >= float64(limit) {
			return limit
		}
		return time.Duration(d)
	}
}

// Workers is the set of job kinds a queue works. Register every kind (Add) before Queue.Start.
type Workers struct {
	river  *river.Workers
	gaveUp map[string]func(ctx context.Context, row *rivertype.JobRow, err error)
	// retryDelay, set by Start from StartOptions.RetryDelay, replaces every kind's Backoff.
	retryDelay time.Duration
	metrics    *metrics.Metrics // job runs by kind and outcome; nil: none
}

// Observe counts every run of these workers' jobs on m (chatbot_job_runs_total).
func (w *Workers) Observe(m *metrics.Metrics) { w.metrics = m }

// NewWorkers returns an empty set.
func NewWorkers() *Workers {
	return &Workers{river: river.NewWorkers(), gaveUp: map[string]func(context.Context, *rivertype.JobRow, error){}}
}

// Add registers k as the worker of T's kind. It panics when the kind is registered already or k
// has no Work (a programming error, found at start-up).
func Add[T Args](w *Workers, k Kind[T]) {
	if k.Work == nil {
		panic("jobs: Kind without Work")
	}
	river.AddWorker(w.river, &worker[T]{k: k, w: w})
	if k.GaveUp != nil {
		var zero T
		w.gaveUp[zero.Kind()] = func(ctx context.Context, row *rivertype.JobRow, err error) {
			var args T
			if uerr := json.Unmarshal(row.EncodedArgs, &args); uerr != nil {
				return
			}
			k.GaveUp(ctx, fromRow(row, args), err)
		}
	}
}

// worker adapts a Kind to River's Worker.
type worker[T Args] struct {
	river.WorkerDefaults[T]
	k Kind[T]
	w *Workers
}

func (w *worker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	err := w.k.Work(ctx, fromRow(job.JobRow, job.Args))
	var snooze *rivertype.JobSnoozeError
	switch {
	case err == nil:
		w.w.metrics.JobRun(job.Kind, metrics.JobCompleted)
	case errors.As(err, &snooze):
		w.w.metrics.JobRun(job.Kind, metrics.JobSnoozed)
	} // failures are counted by the error handler, which knows whether the job is given up
	return err
}

func (w *worker[T]) Timeout(*river.Job[T]) time.Duration { return w.k.Timeout }

func (w *worker[T]) NextRetry(job *river.Job[T]) time.Time {
	switch {
	case w.w.retryDelay > 0:
		return time.Now().Add(w.w.retryDelay)
	case w.k.Backoff != nil:
		return time.Now().Add(w.k.Backoff(job.Attempt))
	}
	return time.Time{} // River's default policy
}

func fromRow[T Args](row *rivertype.JobRow, args T) Job[T] {
	var meta struct {
		Snoozes int `json:"snoozes"`
	}
	json.Unmarshal(row.Metadata, &meta)
	return Job[T]{ID: row.ID, Args: args, Attempt: row.Attempt, MaxAttempts: row.MaxAttempts, Snoozes: meta.Snoozes,
		CreatedAt: row.CreatedAt}
}

// errorHandler logs failed runs and runs GaveUp after a job's last attempt.
type errorHandler struct {
	w   *Workers
	log *slog.Logger
}

func (h *errorHandler) HandleError(ctx context.Context, row *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.failed(ctx, row, err)
	return nil
}

func (h *errorHandler) HandlePanic(ctx context.Context, row *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	h.log.ErrorContext(ctx, "job panicked", "job_kind", row.Kind, "job_id", row.ID, "panic", fmt.Sprint(v), "trace", trace)
	h.failed(ctx, row, fmt.Errorf("panic: %v", v))
	return nil
}

func (h *errorHandler) failed(ctx context.Context, row *rivertype.JobRow, err error) {
	last := row.Attempt >= row.MaxAttempts
	outcome := metrics.JobFailed
	if last {
		outcome = metrics.JobDiscarded
	}
	h.w.metrics.JobRun(row.Kind, outcome)
	h.log.WarnContext(ctx, "job failed", "job_kind", row.Kind, "job_id", row.ID, "attempt", row.Attempt,
		"max_attempts", row.MaxAttempts, "discarded", last, "error", err)
	if gaveUp := h.w.gaveUp[row.Kind]; last && gaveUp != nil {
		gaveUp(ctx, row, err)
	}
}

// runner is what the queue uses of a River client, whatever its transaction type.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// Options are how a store adapter sets up its queue.
type Options struct {
	Log *slog.Logger // River's own log lines (warnings and errors) and the jobs' failures; nil: none
	// PollOnly polls the database for new jobs every PollInterval instead of listening for them
	// (SQLite: River's listener would poll a table 20 times a second).
	PollOnly bool
}

// Queue is River on the platform's database: the store adapter inserts its jobs (Inserter, inside
// the store's transactions); Start works them; Failed lists those that failed.
type Queue struct {
	log    *slog.Logger
	opts   Options
	lister runner // an insert-only client: lists, never works
	// newClient makes a working client, with the workers and queues in cfg.
	newClient func(cfg *river.Config) (runner, error)
}

// Runner is a started queue: River working jobs until Stop.
type Runner struct {
	log    *slog.Logger
	mu     sync.Mutex
	client runner // nil once stopped
}

// Inserter inserts jobs within the store adapter's transactions (TTx: pgx.Tx or *sql.Tx).
type Inserter[TTx any] struct {
	client *river.Client[TTx]
}

// NewQueue sets up River on driver: a queue to start, and the inserter the store adapter uses.
// Nothing runs until Queue.Start.
func NewQueue[TTx any](driver riverdriver.Driver[TTx], o Options) (*Queue, *Inserter[TTx], error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ins, err := river.NewClient(driver, &river.Config{Logger: riverLogger(o.Log)})
	if err != nil {
		return nil, nil, fmt.Errorf("jobs: %w", err)
	}
	q := &Queue{log: o.Log, opts: o, lister: ins, newClient: func(cfg *river.Config) (runner, error) {
		return river.NewClient(driver, cfg)
	}}
	return q, &Inserter[TTx]{client: ins}, nil
}

// InsertTx inserts jobs in tx: they exist once tx commits, and never if it rolls back.
func (in *Inserter[TTx]) InsertTx(ctx context.Context, tx TTx, args ...Args) error {
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a, InsertOpts: insertOpts(a)}
	}
	if _, err := in.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueue %s: %w", args[0].Kind(), err)
	}
	return nil
}

func insertOpts(a Args) *river.InsertOpts {
	o := InsertOptions{}
	if w, ok := a.(WithInsertOptions); ok {
		o = w.InsertOptions()
	}
	opts := &river.InsertOpts{MaxAttempts: orDefault(o.MaxAttempts, DefaultMaxAttempts)}
	if o.Unique {
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true}
	}
	return opts
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// StartOptions are what Start may vary.
type StartOptions struct {
	// PollInterval is how often the queue looks for new jobs when nothing told it of one (always, in
	// PollOnly mode). 0: one second.
	PollInterval time.Duration
	// MaxWorkers is how many jobs this instance runs at once. 0: 10.
	MaxWorkers int
	// RetryDelay, when set, replaces every kind's Backoff (tests).
	RetryDelay time.Duration
}

// Start works the jobs of w's kinds until the Runner's Stop. Jobs of kinds w lacks fail (an
// unknown kind). Each Start is one more worker of the same queue, like another instance.
func (q *Queue) Start(ctx context.Context, w *Workers, o StartOptions) (*Runner, error) {
	w.retryDelay = o.RetryDelay
	poll := cmpDuration(o.PollInterval, time.Second)
	c, err := q.newClient(&river.Config{
		Workers:           w.river,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: orDefault(o.MaxWorkers, 10)}},
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, 100*time.Millisecond),
		PollOnly:          q.opts.PollOnly,
		ErrorHandler:      &errorHandler{w: w, log: q.log},
		Logger:            riverLogger(q.log),
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	// Not ctx: cancelling Start's context would stop River; Stop does that, at the caller's pace.
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("jobs: start: %w", err)
	}
	return &Runner{log: q.log, client: c}, nil
}

func cmpDuration(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// Stop stops taking jobs and waits until the running ones have returned, or ctx ends; then it
// cancels those still running and waits for them up to cancelWait more. true: every job returned
// (a cancelled job runs again later). Once stopped, Stop returns at once.
func (r *Runner) Stop(ctx context.Context, cancelWait time.Duration) bool {
	r.mu.Lock()
	c := r.client
	r.client = nil
	r.mu.Unlock()
	if c == nil {
		return true
	}
	q := r
	if err := c.Stop(ctx); err == nil {
		q.log.Info("background jobs stopped")
		return true
	}
	q.log.Warn("background jobs: grace period over; cancelling the jobs still running")
	cctx, cancel := context.WithTimeout(context.Background(), cancelWait)
	defer cancel()
	if err := c.StopAndCancel(cctx); err != nil {
		q.log.Error("background jobs still running after cancellation", "error", err)
		return false
	}
	q.log.Info("background jobs stopped")
	return true
}

// Failure is a job that failed: it will run again (State "retryable") or was given up ("discarded").
type Failure struct {
	ID                   int64
	Kind, State          string
	Attempt, MaxAttempts int
	LastError            string
	// At is when the job was given up (FinalizedAt) or, for a job still retrying, when it runs next.
	At time.Time
}

// Failed lists the most recent failed jobs (retryable or discarded), newest first; at most limit.
func (q *Queue) Failed(ctx context.Context, limit int) ([]Failure, error) {
	res, err := q.lister.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateRetryable, rivertype.JobStateDiscarded).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	out := make([]Failure, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		f := Failure{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, At: j.ScheduledAt}
		if j.FinalizedAt != nil {
			f.At = *j.FinalizedAt
		}
		if n := len(j.Errors); n > 0 {
			f.LastError = j.Errors[n-1].Error
		}
		out = append(out, f)
	}
	return out, nil
}

// Listed is one job as List shows it (tests and operators).
type Listed struct {
	ID       int64
	Kind     string
	State    string
	Attempt  int
	Args     []byte
	Snoozes  int
	Finished bool // completed, discarded or cancelled
}

// List returns every job of the given kinds still in the database (all kinds: none given), oldest
// first, at most 1,000.
func (q *Queue) List(ctx context.Context, kinds ...string) ([]Listed, error) {
	p := river.NewJobListParams().First(1000)
	if len(kinds) > 0 {
		p = p.Kinds(kinds...)
	}
	res, err := q.lister.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	out := make([]Listed, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		job := fromRow(j, Args(nil))
		out = append(out, Listed{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, Args: j.EncodedArgs,
			Snoozes: job.Snoozes, Finished: j.FinalizedAt != nil})
	}
	return out, nil
}

// Migrate brings River's tables in the database driver is on up to date (rivermigrate, up). The
// caller runs it right after the platform's own migrations (under the same lock on PostgreSQL).
func Migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: riverLogger(log)})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if n := len(res.Versions); n > 0 {
		log.Info("job queue tables migrated", "to_version", res.Versions[n-1].Version, "applied", n)
	}
	return nil
}

// riverLogger passes River's warnings and errors to log; its info lines (each client start, stop,
// leadership change and job retry) would drown the platform's own, and the error handler reports
// failed jobs already.
func riverLogger(log *slog.Logger) *slog.Logger {
	return slog.New(minLevel{Handler: log.Handler(), min: slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(a), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
