package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// MigrateOptions are what Migrate may vary.
type MigrateOptions struct {
	Log *slog.Logger // nil: nothing is logged
	// BeforeUp runs once migrations are known to be pending, before the first is applied, with the
	// version the database is at (0: a new database). An error stops the upgrade before it starts.
	BeforeUp func(ctx context.Context, current int64) error
}

// Migrate applies the pending migrations under dir of fsys with goose, and logs what it applied.
// On PostgreSQL run it inside WithMigrationLock, so that instances starting together migrate once.
func Migrate(ctx context.Context, dialect goose.Dialect, conn *sql.DB, dir string, fsys fs.FS, o MigrateOptions) error {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(dialect, conn, sub)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !pending {
		return nil
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if o.BeforeUp != nil {
		if err := o.BeforeUp(ctx, current); err != nil {
			return err
		}
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(results) > 0 {
		o.Log.Info("database migrated", "from_version", current, "to_version", results[len(results)-1].Source.Version,
			"applied", len(results))
	}
	return nil
}

// MigrationLockWait bounds how long an instance waits for another one's migrations to finish.
const MigrationLockWait = 10 * time.Minute

// WithMigrationLock runs fn, which brings a PostgreSQL database up to date, while this process holds
// the migration lock: a session-level advisory lock (goose's session locker, goose's lock id) taken on
// a connection of its own. Every migration step belongs inside fn — the platform's goose migrations
// today, River's later — so instances starting together migrate once: the first runs fn, the others
// wait (polling each second, up to MigrationLockWait) and then find nothing pending. The lock ends
// with the session, so a process that dies while migrating does not leave it held.
func WithMigrationLock(ctx context.Context, db *sql.DB, log *slog.Logger, fn func(context.Context) error) (err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, uint64(MigrationLockWait/time.Second)))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	waiting := time.AfterFunc(2*time.Second, func() {
		log.Info("waiting for another instance to finish migrating the database", "max_wait", MigrationLockWait)
	})
	err = locker.SessionLock(ctx, conn)
	waiting.Stop()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("migrate: could not take the migration lock (another instance may be migrating): %w", err)
	}
	defer func() {
		// A detached context: the lock must go even when ctx has ended. Closing the session would
		// release it too, but the connection goes back to a pool.
		if uerr := locker.SessionUnlock(context.WithoutCancel(ctx), conn); uerr != nil {
			err = errors.Join(err, fmt.Errorf("migrate: release the migration lock: %w", uerr))
		}
	}()
	return fn(ctx)
}
