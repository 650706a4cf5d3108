// Package ratelimit limits how often a key (a client IP, a user) may act.
package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Limiter decides whether the key may act now. When it may not, retryAfter says when it may.
// Implementations: Memory (one process) and Redis (shared by every instance).
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Memory is a token bucket per key, refilled continuously: perMinute tokens a minute, at most perMinute
// stored. Keys idle long enough to be full again are forgotten.
type Memory struct {
	interval time.Duration // time to earn one token
	burst    float64
	now      func() time.Time
	seed     maphash.Seed
	shards   [32]shard
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

// NewMemory returns an in-memory limiter allowing perMinute actions a minute per key (perMinute > 0).
func NewMemory(perMinute int) *Memory {
	m := &Memory{interval: time.Minute / time.Duration(perMinute), burst: float64(perMinute), now: time.Now, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].buckets = map[string]*bucket{}
	}
	return m
}

// Allow takes one token from key's bucket.
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := m.now()
	s := &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.swept) > time.Minute {
		s.sweep(now, m.full())
	}
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: m.burst, at: now}
		s.buckets[key] = b
	}
	b.tokens = min(m.burst, b.tokens+float64(now.Sub(b.at))/float64(m.interval))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	return false, time.Duration((1 - b.tokens) * float64(m.interval)), nil
}

// full is how long an empty bucket takes to fill.
func (m *Memory) full() time.Duration { return time.Duration(m.burst) * m.interval }

func (s *shard) sweep(now time.Time, full time.Duration) {
	for k, b := range s.buckets {
		if now.Sub(b.at) >= full {
			delete(s.buckets, k)
		}
	}
	s.swept = now
}
