package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/sony/gobreaker/v2"
)

// DefaultRedisTimeout bounds each call to Redis: a down or hung Redis costs a request at most this.
const DefaultRedisTimeout = 100 * time.Millisecond

// TuneRedis sets a limiter's Redis client to fail fast: no retries, timeout on dials, reads, writes
// and waits for a pooled connection, and the caller's context deadline honoured.
func TuneRedis(o *redis.Options, timeout time.Duration) {
	o.MaxRetries = -1
	o.DialerRetries = 1
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = timeout, timeout, timeout, timeout
	o.ContextTimeoutEnabled = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// ResilientOptions tune a Resilient limiter; zero values take the defaults.
type ResilientOptions struct {
	Timeout  time.Duration // deadline of each call to the shared limiter (default DefaultRedisTimeout)
	OpenFor  time.Duration // how long the shared limiter is skipped once it failed (default 5s)
	Failures uint32        // consecutive failures that start an outage (default 3)
}

// Resilient limits through a shared limiter (Redis) while it answers, within a short deadline. A
// circuit breaker skips it for a few seconds after failures; meanwhile, and whenever a call fails, keys
// are limited per instance in memory at the same rates. An outage is logged once when it starts and
// once when it ends. Allow never returns an error.
type Resilient struct {
	shared  Limiter
	local   *Memory
	timeout time.Duration
	cb      *gobreaker.CircuitBreaker[decision]
	log     *slog.Logger

	mu      sync.Mutex
	lastErr error     // the shared limiter's last failure
	since   time.Time // when the outage started
}

type decision struct {
	ok    bool
	retry time.Duration
}

// callerGone marks a failure caused by the caller's context (the client left): not Redis's fault.
type callerGone struct{ error }

// NewResilient wraps shared (e.g. a Redis limiter) with a deadline, a circuit breaker and a fallback
// in memory.
func NewResilient(shared Limiter, log *slog.Logger, o ResilientOptions) *Resilient {
	if o.Timeout <= 0 {
		o.Timeout = DefaultRedisTimeout
	}
	if o.OpenFor <= 0 {
		o.OpenFor = 5 * time.Second
	}
	if o.Failures == 0 {
		o.Failures = 3
	}
	r := &Resilient{shared: shared, local: NewMemory(), timeout: o.Timeout, log: log}
	r.cb = gobreaker.NewCircuitBreaker[decision](gobreaker.Settings{
		Name:        "ratelimit",
		MaxRequests: 1, // half-open: one call tries Redis, the others stay in memory
		Timeout:     o.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= o.Failures },
		IsExcluded:  func(err error) bool { return errors.As(err, new(callerGone)) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			r.mu.Lock()
			defer r.mu.Unlock()
			switch {
			case from == gobreaker.StateClosed && to == gobreaker.StateOpen:
				r.since = time.Now()
				r.log.Warn("rate limiter: Redis outage; limiting per instance in memory until it answers",
					"error", r.lastErr, "retry_every", o.OpenFor)
			case to == gobreaker.StateClosed:
				r.log.Info("rate limiter: Redis is back; limits are shared again", "down_for", time.Since(r.since).Round(time.Millisecond))
			}
		},
	})
	return r
}

// Allow asks the shared limiter, or memory while the shared one is failing.
func (r *Resilient) Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration, error) {
	return r.Take(ctx, key, PerMinute(perMinute))
}

// Take asks the shared limiter, or memory while the shared one is failing.
func (r *Resilient) Take(ctx context.Context, key string, rt Rate) (bool, time.Duration, error) {
	d, err := r.shielded(ctx, func(ctx context.Context) (decision, error) {
		ok, retry, err := r.shared.Take(ctx, key, rt)
		return decision{ok, retry}, err
	})
	if err != nil {
		return r.local.Take(ctx, key, rt)
	}
	return d.ok, d.retry, nil
}

// Refund gives back to the shared limiter, or to memory while the shared one is failing.
func (r *Resilient) Refund(ctx context.Context, key string, rt Rate) error {
	_, err := r.shielded(ctx, func(ctx context.Context) (decision, error) {
		return decision{}, r.shared.Refund(ctx, key, rt)
	})
	if err != nil {
		return r.local.Refund(ctx, key, rt)
	}
	return nil
}

// shielded runs call on the shared limiter within the deadline, through the circuit breaker.
func (r *Resilient) shielded(ctx context.Context, call func(context.Context) (decision, error)) (decision, error) {
	return r.cb.Execute(func() (decision, error) {
		cctx, cancel := context.WithTimeout(ctx, r.timeout)
		defer cancel()
		d, err := call(cctx)
		if err != nil {
			if ctx.Err() != nil {
				return decision{}, callerGone{err}
			}
			r.mu.Lock()
			r.lastErr = err
			r.mu.Unlock()
		}
		return d, err
	})
}
