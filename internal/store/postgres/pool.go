package postgres

import "github.com/chatbot-platform/chatbot/internal/store"

var _ store.Pooled = (*Store)(nil)

// PoolStats reports the pgx pool (nothing inside a transaction). Waits are acquires that found the
// pool empty.
func (s *Store) PoolStats() []store.PoolStats {
	if s.pool == nil {
		return nil
	}
	st := s.pool.Stat()
	return []store.PoolStats{{Pool: "main", MaxOpen: int(st.MaxConns()), InUse: int(st.AcquiredConns()),
		Idle: int(st.IdleConns()), Waits: st.EmptyAcquireCount(), WaitDuration: st.EmptyAcquireWaitTime()}}
}
