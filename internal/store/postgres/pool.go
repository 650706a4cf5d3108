package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbot-platform/chatbot/internal/store"
)

var _ store.Pooled = (*Store)(nil)

// PoolStats reports the pgx pool (nothing inside a transaction). Waits are acquires that found the
// pool empty.
func (s *Store) PoolStats() []store.PoolStats {
	if s.pool == nil {
		return nil
	}
	return []store.PoolStats{poolStats("main", s.pool.Stat()), poolStats("jobs", s.jobs.pool.Stat())}
}

func poolStats(name string, st *pgxpool.Stat) store.PoolStats {
	return store.PoolStats{Pool: name, MaxOpen: int(st.MaxConns()), InUse: int(st.AcquiredConns()),
		Idle: int(st.IdleConns()), Waits: st.EmptyAcquireCount(), WaitDuration: st.EmptyAcquireWaitTime()}
}
