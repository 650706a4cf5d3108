package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// CopyBeforeMigrating writes a consistent copy of the database at path (which conn is open on) to
// "<path>.pre-<version>", version being the one the database is at before the upgrade, zero-padded
// like the migration files: app.db.pre-00006 is the database as version 00006 left it. A file already
// there is never overwritten: the copy takes the first free name of app.db.pre-00006.1, .2, … (a
// second attempt at the same upgrade, after a failed one, keeps both). Nothing is copied for a new
// database (version 0) or an in-memory one. It returns the copy's path ("" when none was made).
func CopyBeforeMigrating(ctx context.Context, conn *sql.DB, path string, version int64, log *slog.Logger) (string, error) {
	if version <= 0 || inMemory(path) {
		return "", nil
	}
	base := fmt.Sprintf("%s.pre-%05d", path, version)
	for i := range maxCopies {
		dest := base
		if i > 0 {
			dest = fmt.Sprintf("%s.%d", base, i)
		}
		err := copyTo(ctx, conn, dest)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("sqlite: nothing migrated: the copy of the database before migrating could not be written to %s: %w", dest, err)
		}
		if abs, err := filepath.Abs(dest); err == nil {
			dest = abs
		}
		log.Info("sqlite: copied the database before migrating it; restore this file to go back", "path", dest, "version", version)
		return dest, nil
	}
	return "", fmt.Errorf("sqlite: nothing migrated: %s and %d numbered copies beside it already exist; move old copies elsewhere", base, maxCopies-1)
}

// maxCopies bounds the names CopyBeforeMigrating tries for one version.
const maxCopies = 100

func inMemory(path string) bool {
	return path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory")
}

// Backup writes a consistent copy of the SQLite database at path to dest while other connections (a
// running server) go on reading and writing it: VACUUM INTO, from one read transaction. dest must not
// exist; the copy is written with mode 0600 and synced to disk. The database is not migrated.
func Backup(ctx context.Context, path, dest string) error {
	if inMemory(path) {
		return errors.New("sqlite: an in-memory database has nothing to back up")
	}
	if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
		return fmt.Errorf("sqlite: no database file at %s", path)
	}
	conn, err := sql.Open("sqlite", dsn(path, false, BusyTimeout)) // VACUUM INTO is refused under query_only
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer conn.Close()
	err = copyTo(ctx, conn, dest)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: a backup never overwrites a file; name a new one", dest)
	}
	if err != nil {
		return fmt.Errorf("sqlite: back up %s to %s: %w", path, dest, err)
	}
	return nil
}

// copyTo writes a consistent copy of the database conn is open on to dest, which it creates first
// (mode 0600, as the copy holds everything the database does; an error wrapping fs.ErrExist when dest
// exists), then syncs to disk (VACUUM INTO does not). A failed copy leaves no file behind.
func copyTo(ctx context.Context, conn *sql.DB, dest string) (err error) {
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dest)
		}
	}()
	// VACUUM INTO accepts an empty file; it writes the copy from one read transaction.
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(dest)); err == nil { // the new name, too
		d.Sync()
		d.Close()
	}
	return nil
}
