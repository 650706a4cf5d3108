package llm

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// tryInfo is what one upstream try learned below go-openai, which drops
// response headers on errors. It travels on the request context.
type tryInfo struct {
	status       int           // HTTP status (0: no answer)
	retryAfter   time.Duration // from Retry-After-Ms / Retry-After
	transportErr bool          // the HTTP round trip itself failed
	timedOut     atomic.Bool   // our per-try timer fired (set from a timer goroutine)
}

type infoKey struct{}

// recordingDoer is the HTTP doer given to go-openai (and used for raw calls):
// it notes status and Retry-After of each answer in the try's tryInfo.
type recordingDoer struct{ next openai.HTTPDoer }

func (d recordingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.next.Do(req)
	if info, ok := req.Context().Value(infoKey{}).(*tryInfo); ok {
		if err != nil {
			info.transportErr = true
		} else {
			info.status = resp.StatusCode
			info.retryAfter = parseRetryAfter(resp.Header, time.Now())
		}
	}
	return resp, err
}

// parseRetryAfter reads OpenAI's retry-after-ms, or Retry-After in seconds or
// as an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	return 0
}

// retryPolicy says which failures of an operation may be retried.
type retryPolicy int

const (
	retryAll       retryPolicy = iota // every retryable failure (idempotent calls)
	retryRateLimit                    // only 429s: the request was refused, not run
	retryNever                        // e.g. a streamed upload whose body cannot be replayed
)

// op describes an upstream operation for retries and logs.
type op struct {
	name     string // e.g. "responses", "files.upload"
	model    string
	retry    retryPolicy
	notFound bool // 404 means ErrNotFound; otherwise it is an upstream error
}

// tryFunc makes one upstream try. ctx carries info for recordingDoer.
type tryFunc func(ctx context.Context, info *tryInfo) error

// call runs try until it succeeds, fails for good, or the retries run out,
// waiting BaseDelay·2ⁿ (+0–10% jitter) or the longer Retry-After (capped)
// between tries. It returns the tries made and the last status seen.
func (c *Client) call(ctx context.Context, o op, try tryFunc) (attempts, status int, err *Error) {
	for attempt := 0; ; attempt++ {
		info := &tryInfo{}
		tryErr := try(context.WithValue(ctx, infoKey{}, info), info)
		attempts, status = attempt+1, info.status
		if tryErr == nil {
			return attempts, status, nil
		}
		e := classify(ctx, tryErr, info)
		if e.Kind == KindNotFound && !o.notFound {
			e.Kind = KindUpstream
		}
		e.Attempts = attempts
		retry := e.retry && (o.retry == retryAll || o.retry == retryRateLimit && e.Kind == KindRateLimited)
		if !retry || attempt >= c.cfg.MaxRetries {
			if e.Kind == KindRateLimited && e.RetryAfter == 0 {
				e.RetryAfter = c.cfg.BaseDelay << attempts // our next wait, as a hint for the caller
			}
			return attempts, status, e
		}
		wait := c.backoff(attempt, e.RetryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return attempts, status, e // no time left for another try: fail now with the real cause
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "openai retry", slog.String("op", o.name),
			slog.Int("attempt", attempts), slog.Int("status", status), slog.String("kind", e.Kind.String()),
			slog.Duration("wait", wait))
		c.retrying(ctx, o, attempts, status, e, wait)
		if err := c.sleep(ctx, wait); err != nil {
			ce := classify(ctx, err, info)
			ce.Attempts = attempts
			return attempts, status, ce
		}
	}
}

// run is call plus the outcome's log line, metrics and span.
func (c *Client) run(ctx context.Context, o op, try tryFunc) error {
	ctx, ob := c.begin(ctx, o, nil)
	attempts, status, err := c.call(ctx, o, try)
	c.finish(ctx, ob, attempts, status, err, nil)
	if err != nil {
		return err
	}
	return nil
}

// backoff is the wait before try attempt+2.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := c.cfg.BaseDelay << attempt
	d += time.Duration(c.jitter() * 0.1 * float64(d))
	if ra := min(retryAfter, c.cfg.MaxRetryAfter); ra > d {
		d = ra
	}
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// withTimeout bounds one try by d; when it fires the try is marked timed out
// (so it is told apart from the caller's own cancellation).
func withTimeout(ctx context.Context, info *tryInfo, d time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	t := time.AfterFunc(d, func() {
		info.timedOut.Store(true)
		cancel()
	})
	return ctx, func() {
		t.Stop()
		cancel()
	}
}

// logOutcome writes the one log line per upstream operation. It never logs the
// key or upstream message text: only status, code and kind.
func (c *Client) logOutcome(ctx context.Context, o op, attempts, status int, start time.Time, err *Error) {
	attrs := []slog.Attr{
		slog.String("op", o.name), slog.Int("attempts", attempts),
		slog.Duration("latency", time.Since(start)), slog.Int("status", status),
	}
	if o.model != "" {
		attrs = append(attrs, slog.String("model", o.model))
	}
	level := slog.LevelInfo
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Kind.String()))
		if err.Code != "" {
			attrs = append(attrs, slog.String("code", err.Code))
		}
		if err.Kind != KindCanceled && err.Kind != KindNotFound {
			level = slog.LevelWarn
		}
	}
	c.log.LogAttrs(ctx, level, "openai call", attrs...)
}

var defaultJitter = rand.Float64
