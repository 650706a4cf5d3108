package store

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// LastUsed records when rows (keys, sessions) were last used without a write per request: a row is
// written only when both its stored time (which every instance sees) and this instance's last write
// for it are older than Every, and the write happens off the request's path.
type LastUsed struct {
	Every time.Duration
	Write func(ctx context.Context, id int64, t time.Time) error
	Log   *slog.Logger
	What  string // for the log: "key", "session"

	written sync.Map // id -> time.Time of this instance's last write
	n       atomic.Int64
}

// maxLastUsed bounds the ids an instance remembers; when full it starts over (costing a few writes).
const maxLastUsed = 100_000

// Record notes that row id, whose stored time is stored (nil: never), was used at now.
func (l *LastUsed) Record(ctx context.Context, id int64, stored *time.Time, now time.Time) {
	if stored != nil && now.Sub(*stored) < l.Every {
		return
	}
	if last, ok := l.written.Load(id); ok && now.Sub(last.(time.Time)) < l.Every {
		return
	}
	if l.n.Add(1) > maxLastUsed {
		l.written.Clear()
		l.n.Store(1)
	}
	l.written.Store(id, now)
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := l.Write(ctx, id, now.UTC().Truncate(time.Microsecond)); err != nil {
			l.Log.WarnContext(ctx, l.What+" last use not recorded", "id", id, "error", err)
		}
	}()
}
