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
}

// Memory is a token bucket per key, refilled continuously: perMinute tokens a minute, at most perMinute
// stored. Keys idle for a minute are full again, and forgotten.
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
func (m *Memory) Allow(_ context.Context, key string, perMinute int) (bool, time.Duration, error) {
	now := m.now()
	interval, burst := time.Minute/time.Duration(perMinute), float64(perMinute)
	s := &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.swept) > time.Minute {
		s.sweep(now)
	}
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		s.buckets[key] = b
	}
	b.tokens = min(burst, b.tokens+float64(now.Sub(b.at))/float64(interval))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	return false, time.Duration((1 - b.tokens) * float64(interval)), nil
}

// sweep forgets buckets idle for a minute: at any rate they are full again.
func (s *shard) sweep(now time.Time) {
	for k, b := range s.buckets {
		if now.Sub(b.at) >= time.Minute {
			delete(s.buckets, k)
		}
	}
	s.swept = now
}
