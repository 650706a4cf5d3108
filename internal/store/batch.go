package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/panics"
)

// Batcher runs small write transactions from many requests as one transaction per batch ("group
// commit"): while one batch commits, the next one gathers, so N concurrent requests pay for about one
// fsync instead of N. A request waits only for the commit that holds its writes, so every write it was
// told succeeded is durable.
//
// If a batch fails, its jobs are rerun one transaction each, so one bad job (e.g. a conversation deleted
// meanwhile, or a job that panics) fails alone. Jobs must therefore only touch the database through the Store they are given.
//
// Each batch has a deadline (the timeout): a database that cannot commit (locked, down, disk full)
// fails the batch with ErrUnavailable within it, and the jobs already queued behind it fail at once
// with the same error instead of each waiting out a deadline of its own; the next job tries again.
// So a job waits at most about two deadlines, however long the database stays down.
//
// Each batch is a span of its own (it serves many requests), linked to the span of every request it
// holds; its size, the jobs' time in the queue and the transaction's time go to the metrics.
type Batcher struct {
	store    Store
	jobs     chan *job
	maxBatch int
	wg       sync.WaitGroup
	commits  int64 // transactions committed, for tests and benchmarks
	mu       sync.Mutex
	metrics  *metrics.Metrics
	tracer   trace.Tracer
	timeout  time.Duration
	log      *slog.Logger
}

// DefaultBatchTimeout is a batch's deadline when NewBatcher is given none.
const DefaultBatchTimeout = 5 * time.Second

type job struct {
	fn     func(Store) error
	done   chan error
	queued time.Time
	caller trace.SpanContext // the request's span, which the batch's span links to
}

// ErrBatcherClosed: Do was called after Close.
var ErrBatcherClosed = errors.New("store: batcher closed")

// BatcherOptions tune a Batcher; zero fields take defaults.
type BatcherOptions struct {
	Metrics        *metrics.Metrics     // nil: none recorded
	TracerProvider trace.TracerProvider // nil: no spans
	Timeout        time.Duration        // a batch's deadline; 0: DefaultBatchTimeout
	Log            *slog.Logger         // failed batches; nil: discarded
}

// NewBatcher starts a batcher writing to s.
func NewBatcher(s Store, o BatcherOptions) *Batcher {
	tp := o.TracerProvider
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultBatchTimeout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	b := &Batcher{store: s, jobs: make(chan *job, 1024), maxBatch: 256, metrics: o.Metrics, timeout: o.Timeout, log: o.Log,
		tracer: tp.Tracer("github.com/chatbot-platform/chatbot/internal/store")}
	b.wg.Add(1)
	go b.loop()
	return b
}

// Do runs fn inside a batch transaction and returns once that transaction committed (nil) or fn's
// writes were rolled back (fn's error, or the commit's). Once queued, the job runs even if ctx ends:
// a client that goes away must not lose what it already said.
func (b *Batcher) Do(ctx context.Context, fn func(Store) error) (err error) {
	j := &job{fn: fn, done: make(chan error, 1), queued: time.Now(), caller: trace.SpanContextFromContext(ctx)}
	defer func() {
		if recover() != nil { // send on a closed channel: Close has run
			err = ErrBatcherClosed
		}
	}()
	select {
	case b.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-j.done
}

// Close finishes the queued jobs and stops the batcher.
func (b *Batcher) Close() {
	close(b.jobs)
	b.wg.Wait()
}

// Commits is the number of transactions committed so far.
func (b *Batcher) Commits() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.commits
}

func (b *Batcher) loop() {
	defer b.wg.Done()
	batch := make([]*job, 0, b.maxBatch)
	for first := range b.jobs {
		batch = append(batch[:0], first)
	gather:
		for len(batch) < b.maxBatch {
			select {
			case j, ok := <-b.jobs:
				if !ok {
					break gather
				}
				batch = append(batch, j)
			default:
				break gather
			}
		}
		if b.run(batch) {
			b.failQueued()
		}
	}
}

// failQueued fails, without trying them, the jobs queued while a batch found the database
// unavailable: they would each wait out a deadline against the same database.
func (b *Batcher) failQueued() {
	n := 0
	for {
		select {
		case j, ok := <-b.jobs:
			if !ok {
				return
			}
			j.done <- fmt.Errorf("%w: an earlier write batch could not commit", ErrUnavailable)
			n++
		default:
			if n > 0 {
				b.log.Error("database unavailable: failed the writes queued behind a batch that could not commit", "jobs", n)
			}
			return
		}
	}
}

// run commits batch; unavailable reports that it failed because the database could not commit.
func (b *Batcher) run(batch []*job) (unavailable bool) {
	start := time.Now()
	var links []trace.Link
	for _, j := range batch {
		b.metrics.BatchWait(start.Sub(j.queued))
		if j.caller.IsValid() {
			links = append(links, trace.Link{SpanContext: j.caller})
		}
	}
	ctx, span := b.tracer.Start(context.Background(), "store.batch", trace.WithNewRoot(), trace.WithLinks(links...),
		trace.WithAttributes(attribute.Int("chatbot.batch.jobs", len(batch))))
	defer span.End()
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	err := b.store.InTx(ctx, func(tx Store) error {
		for _, j := range batch {
			if err := j.call(tx); err != nil {
				return err
			}
		}
		return nil
	})
	b.metrics.Batch(len(batch), time.Since(start))
	if err != nil {
		span.SetStatus(codes.Error, "batch failed")
		span.SetAttributes(attribute.Bool("chatbot.batch.rerun_alone", len(batch) > 1))
	}
	if err != nil && (errors.Is(err, ErrUnavailable) || ctx.Err() != nil) {
		// The database, not one job, failed: running each job alone would only multiply the wait.
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: the write batch did not commit within %v: %w", ErrUnavailable, b.timeout, err)
		}
		b.log.Error("database unavailable: a write batch could not commit", "jobs", len(batch), "timeout", b.timeout, "error", err)
		for _, j := range batch {
			j.done <- err
		}
		return true
	}
	if err == nil || len(batch) == 1 {
		b.count(err)
		for _, j := range batch {
			j.done <- err
		}
		return false
	}
	for _, j := range batch { // isolate the failing job, each with a deadline of its own
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
		err := b.store.InTx(jctx, j.call)
		cancel()
		b.count(err)
		j.done <- err
	}
	return false
}

// call runs the job's fn; a panic in it fails the job (and, like any error, its batch, whose other
// jobs are then rerun alone) as a *panics.Error instead of ending the batcher and the process.
func (j *job) call(tx Store) (err error) {
	defer panics.Recover(&err)
	panics.Hook(panics.PointBatchJob)
	return j.fn(tx)
}

func (b *Batcher) count(err error) {
	if err == nil {
		b.mu.Lock()
		b.commits++
		b.mu.Unlock()
	}
}
