// Package sqlite implements store.Store on SQLite (modernc.org/sqlite, pure Go).
//
// Writes go through one connection so the process never races itself for SQLite's single write lock
// ("database is locked"); reads use a pool of read-only connections, which WAL lets run alongside.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/chatbot-platform/chatbot/db"
	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite/sqlcgen"
)

// Store is the SQLite store.
type Store struct {
	writer, reader *sql.DB // nil inside a transaction
	w, r           *sqlcgen.Queries
	tx             *sql.Tx
	jobs           *jobQueue
	cached         *store.ReadCache // nil inside a transaction
}

// Cached is this store behind its read cache (store.ReadCache): what the server runs on, since one
// server owns a SQLite database and so sees every write. It is one cache per Store, so apps that share
// a Store (tests start two "instances" on one database) share its cache as they share its writer.
func (s *Store) Cached() *store.ReadCache { return s.cached }

// jobQueue is River on a connection of its own to the same file (River's SQLite driver wants one
// connection: its parallel work would otherwise meet "database is locked"); jobs are inserted in
// the store's transactions, on the writer, all the same.
type jobQueue struct {
	queue *jobs.Queue
	ins   *jobs.Inserter[*sql.Tx]
	db    *sql.DB
}

// JobBusyTimeout is how long River's connection waits for the write lock: longer than BusyTimeout,
// as no request waits on it.
const JobBusyTimeout = 5 * time.Second

var _ store.Store = (*Store)(nil)

// Options are what OpenWith may vary.
type Options struct {
	// Log is where migrations, the copy made before them and background jobs are reported; nil:
	// nothing is logged.
	Log *slog.Logger
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*Store, error) { return OpenWith(ctx, path, Options{}) }

// OpenWith is Open with options. Before it applies a migration to an existing database file, it
// writes a copy of the database beside it (see CopyBeforeMigrating).
func OpenWith(ctx context.Context, path string, o Options) (*Store, error) {
	if info, err := os.Stat(filepath.Dir(path)); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("sqlite: the folder of %s does not exist (an absolute path takes four slashes: sqlite:////var/lib/app.db)", path)
	}
	writer, err := openOne(path, BusyTimeout)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, writer, path, o.Log); err != nil {
		writer.Close()
		return nil, err
	}
	jq, err := openJobs(path, o.Log)
	if err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", dsn(path, true, BusyTimeout))
	if err != nil {
		jq.db.Close()
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxLifetime(0)
	w, err := sqlcgen.Prepare(ctx, writer)
	if err == nil {
		var r *sqlcgen.Queries
		if r, err = sqlcgen.Prepare(ctx, reader); err == nil {
			st := &Store{writer: writer, reader: reader, w: w, r: r, jobs: jq}
			st.cached = store.NewReadCache(st)
			return st, nil
		}
	}
	reader.Close()
	jq.db.Close()
	writer.Close()
	return nil, fmt.Errorf("sqlite: prepare queries: %w", err)
}

// BusyTimeout is how long a write waits for another process's write lock before it fails with
// store.ErrUnavailable (a 503); it bounds how long a locked database can hold a request.
const BusyTimeout = 3 * time.Second

// openOne opens a pool of one read-write connection to path.
func openOne(path string, busy time.Duration) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, false, busy))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// openJobs sets up River's queue on its own connection to path (River polls for jobs: SQLite has
// no LISTEN).
func openJobs(path string, log *slog.Logger) (*jobQueue, error) {
	db, err := openOne(path, JobBusyTimeout)
	if err != nil {
		return nil, err
	}
	queue, ins, err := jobs.NewQueue(riversqlite.New(db), jobs.Options{Log: log, PollOnly: true})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &jobQueue{queue: queue, ins: ins, db: db}, nil
}

// dsn gives the connection settings the platform relies on: WAL so readers never wait for the writer,
// synchronous=FULL so a commit survives power loss, foreign keys for the cascades, IMMEDIATE
// transactions and a busy timeout so another process's writes wait instead of failing.
func dsn(path string, readOnly bool, busy time.Duration) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds())} {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Migrate applies the embedded SQLite migrations to the database at path, which conn is open on; when
// one is pending and the database already has a version, it first writes a copy (CopyBeforeMigrating).
// Then River's job queue tables are brought up to date. log nil: nothing is logged.
func Migrate(ctx context.Context, conn *sql.DB, path string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	err := store.Migrate(ctx, goose.DialectSQLite3, conn, "migrations/sqlite", db.Migrations, store.MigrateOptions{
		Log: log,
		BeforeUp: func(ctx context.Context, current int64) error {
			_, err := CopyBeforeMigrating(ctx, conn, path, current, log)
			return err
		},
	})
	if err != nil {
		return err
	}
	return jobs.Migrate(ctx, riversqlite.New(conn), log)
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// CheckWritable takes the write lock (BEGIN IMMEDIATE) and runs an update that matches no row.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.(*Store).w.LockUser(ctx, 0)
		return mapErr(err)
	})
}

// Close releases the connections; the job queue must be stopped first.
func (s *Store) Close() {
	s.r.Close()
	s.w.Close()
	s.reader.Close()
	s.jobs.db.Close()
	s.writer.Close()
}

// Jobs is River's queue on this database.
func (s *Store) Jobs() *jobs.Queue { return s.jobs.queue }

// Enqueue inserts jobs in the store's transaction (River's InsertTx on its *sql.Tx, the writer's);
// outside InTx, in one of their own.
func (s *Store) Enqueue(ctx context.Context, args ...jobs.Args) error {
	if len(args) == 0 {
		return nil
	}
	if s.tx == nil {
		return s.InTx(ctx, func(tx store.Store) error { return tx.Enqueue(ctx, args...) })
	}
	return mapErr(s.jobs.ins.InsertTx(ctx, s.tx, args...))
}

// InTx runs fn in one IMMEDIATE transaction on the writer connection; nested calls join it.
func (s *Store) InTx(ctx context.Context, fn func(store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	// The wait for the one writer connection counts too: behind a write stuck on another process's
	// lock, a queue of transactions would otherwise each wait their own busy timeout in turn. A
	// transaction here lasts milliseconds; one that cannot finish in BusyTimeout fails (503).
	ctx, cancel := context.WithTimeout(ctx, BusyTimeout)
	defer cancel()
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", mapErr(err))
	}
	q := s.w.WithTx(tx)
	if err := fn(&Store{w: q, r: q, tx: tx, jobs: s.jobs}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", mapErr(err))
	}
	return nil
}

// mapErr turns driver errors into the store's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_INTERRUPT:
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// createConversation inserts a conversation into a project of its owner and returns its id;
// sql.ErrNoRows when the project is not the owner's.
func createConversation(ctx context.Context, q *sqlcgen.Queries, arg sqlcgen.CreateConversationParams) (int64, error) {
	res, err := q.CreateConversation(ctx, arg)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, errors.Join(sql.ErrNoRows, err)
	}
	return res.LastInsertId()
}

// createMessagePair inserts a question and its answer and returns their ids. One statement on the
// one writer connection gives its two rows consecutive ids, the last one the statement's.
func createMessagePair(ctx context.Context, q *sqlcgen.Queries, arg sqlcgen.CreateMessagePairParams) ([2]int64, error) {
	res, err := q.CreateMessagePair(ctx, arg)
	if err != nil {
		return [2]int64{}, err
	}
	last, err := res.LastInsertId()
	return [2]int64{last - 1, last}, err
}
