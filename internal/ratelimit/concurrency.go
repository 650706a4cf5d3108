package ratelimit

import "sync"

// Concurrency counts what each key (a user) has running at once in this process, to cap it. It is
// per instance: with N instances behind a load balancer a key may run up to N times the cap.
type Concurrency struct {
	mu      sync.Mutex
	running map[string]int
}

// NewConcurrency returns an empty counter.
func NewConcurrency() *Concurrency { return &Concurrency{running: map[string]int{}} }

// Acquire takes one of key's max slots. When ok, release must be called exactly once when the work
// ends (further calls do nothing); when key already runs max, ok is false and release is nil.
func (c *Concurrency) Acquire(key string, max int) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running[key] >= max {
		return nil, false
	}
	c.running[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.running[key]--; c.running[key] <= 0 {
				delete(c.running, key)
			}
		})
	}, true
}

// Running is how many slots key holds now.
func (c *Concurrency) Running(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running[key]
}
