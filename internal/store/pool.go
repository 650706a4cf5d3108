package store

import "github.com/chatbot-platform/chatbot/internal/metrics"

// PoolStats is one connection pool's figures (in use, idle, limit, waits).
type PoolStats = metrics.PoolStats

// Pooled is implemented by stores that can report their connection pools (both adapters). It is not
// part of Store: callers check for it with a type assertion, so test stores need not implement it.
type Pooled interface {
	PoolStats() []PoolStats
}
