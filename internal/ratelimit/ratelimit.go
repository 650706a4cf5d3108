// Package ratelimit limits how often a key (a client IP, a user) may act.
package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Limiter decides whether the key may act now, at perMinute actions a minute (perMinute > 0; each
// key keeps the rate it is asked with). When it may not, retryAfter says when it may.
// Implementations: Memory (one process) and Redis (shared by every instance).
type Limiter interface {
	Allow(ctx context.Context, key string, perMinute int) (ok bool, retryAfter time.Duration, err error)
	// Take is Allow at any rate r.
	Take(ctx context.Context, key string, r Rate) (ok bool, retryAfter time.Duration, err error)
	// Refund gives back one action Take took from key at r: for limits that count only failures, take
	// before trying (so concurrent tries cannot all pass) and refund what succeeded.
	Refund(ctx context.Context, key string, r Rate) error
}

// Rate is Burst actions at once, then one more each Interval: at most Burst in any Burst×Interval.
type Rate struct {
	Burst    int
	Interval time.Duration
}

// PerMinute is n actions a minute, n of them at once (n > 0).
func PerMinute(n int) Rate { return Rate{Burst: n, Interval: time.Minute / time.Duration(n)} }

// Memory is a token bucket per key, refilled continuously: one token each Interval, at most Burst
// stored. Keys idle until their bucket is full again are forgotten.
type Memory struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [32]shard
}

type shard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
	full   time.Duration // how long an empty bucket takes to fill
}

// NewMemory returns an in-memory limiter.
func NewMemory() *Memory {
	m := &Memory{now: time.Now, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].buckets = map[string]*bucket{}
	}
	return m
}

// Allow takes one token from key's bucket.
func (m *Memory) Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration, error) {
	return m.Take(ctx, key, PerMinute(perMinute))
}

// Take takes one token from key's bucket at rate r.
func (m *Memory) Take(_ context.Context, key string, r Rate) (bool, time.Duration, error) {
	now := m.now()
	s, b := m.bucket(key, r, now)
	defer s.mu.Unlock()
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	return false, time.Duration((1 - b.tokens) * float64(r.Interval)), nil
}

// Refund puts one token back in key's bucket.
func (m *Memory) Refund(_ context.Context, key string, r Rate) error {
	s, b := m.bucket(key, r, m.now())
	defer s.mu.Unlock()
	b.tokens = min(float64(r.Burst), b.tokens+1)
	return nil
}

// bucket returns key's bucket refilled up to now, with its shard locked.
func (m *Memory) bucket(key string, r Rate, now time.Time) (*shard, *bucket) {
	burst := float64(r.Burst)
	s := &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
	s.mu.Lock()
	if now.Sub(s.swept) > time.Minute {
		s.sweep(now)
	}
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		s.buckets[key] = b
	}
	b.full = time.Duration(r.Burst) * r.Interval
	b.tokens = min(burst, b.tokens+float64(now.Sub(b.at))/float64(r.Interval))
	b.at = now
	return s, b
}

// sweep forgets buckets idle long enough to be full again.
func (s *shard) sweep(now time.Time) {
	for k, b := range s.buckets {
		if now.Sub(b.at) >= b.full {
			delete(s.buckets, k)
		}
	}
	s.swept = now
}
