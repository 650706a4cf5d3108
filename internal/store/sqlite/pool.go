package sqlite

import (
	"database/sql"

	"github.com/chatbot-platform/chatbot/internal/store"
)

var _ store.Pooled = (*Store)(nil)

// PoolStats reports the writer connection and the reader pool (nothing inside a transaction).
func (s *Store) PoolStats() []store.PoolStats {
	if s.writer == nil {
		return nil
	}
	return []store.PoolStats{dbStats("writer", s.writer.Stats()), dbStats("reader", s.reader.Stats()), dbStats("jobs", s.jobs.db.Stats())}
}

func dbStats(pool string, st sql.DBStats) store.PoolStats {
	return store.PoolStats{Pool: pool, MaxOpen: st.MaxOpenConnections, InUse: st.InUse, Idle: st.Idle,
		Waits: st.WaitCount, WaitDuration: st.WaitDuration}
}
