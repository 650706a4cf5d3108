package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/chatbot-platform/chatbot/db"
	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// upgradeEngine opens an empty database of one engine for the upgrade test: a *sql.DB for the fixtures
// and the earlier migrations, and the engine's own Migrate (what start-up runs) for the last step.
type upgradeEngine struct {
	name    string
	dialect goose.Dialect
	open    func(t *testing.T) (conn *sql.DB, migrate func(context.Context) error)
	tables  string // lists the tables
}

var upgradeEngines = []upgradeEngine{
	{
		name: "sqlite", dialect: goose.DialectSQLite3,
		open: func(t *testing.T) (*sql.DB, func(context.Context) error) {
			path := testdb.SQLitePath(t)
			conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_time_format=sqlite")
			if err != nil {
				t.Fatal(err)
			}
			conn.SetMaxOpenConns(1)
			t.Cleanup(func() { conn.Close() })
			return conn, func(ctx context.Context) error { return sqlite.Migrate(ctx, conn, path, nil) }
		},
		tables: `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'goose_db_version' ORDER BY name`,
	},
	{
		name: "postgres", dialect: goose.DialectPostgres,
		open: func(t *testing.T) (*sql.DB, func(context.Context) error) {
			cfg, err := pgxpool.ParseConfig(testdb.PostgresURL(t))
			if err != nil {
				t.Fatal(err)
			}
			// No statement cache: the test reads the same tables before and after their columns change.
			cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
			pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			conn := stdlib.OpenDBFromPool(pool)
			t.Cleanup(func() { conn.Close(); pool.Close() })
			return conn, func(ctx context.Context) error { return postgres.Migrate(ctx, pool, nil) }
		},
		tables: `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
		         AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version' ORDER BY table_name`,
	},
}

// pinned are values the fixtures wrote, checked after the upgrade when their table existed before it.
var pinned = []struct{ table, where, column, want string }{
	{"users", "id = 1", "email", "alice@example.com"},
	{"users", "id = 3", "display_name", "Carol 🌷"},
	{"projects", "id = 2", "name", "Ünïcødé — bot ✓"},
	{"projects", "id = 3", "price_output", "600000"},
	{"prompts", "id = 2", "content", "Line one\nline two, with 'quotes'"},
	{"messages", "id = 2", "citations", `[{"file_id":"file-abc","filename":"handbook.pdf"}]`},
	{"messages", "id = 2", "output_tokens", "15"},
	{"conversations", "id = 2", "end_user", "customer-42"},
	{"api_keys", "id = 2", "allowed_origins", `["https://example.com"]`},
	{"api_keys", "id = 3", "version", "3"},
	{"usage_events", "id = 1", "cost_micro_usd", "27"},
	{"budget_counters", "scope = 'project:1'", "limit_micro_usd", "5000000"},
	{"sessions", "id = 2", "ip", "2001:db8::1"},
	{"idempotency_keys", "id = 1", "result", `{"conversation_id":1,"message":{"content":"See the handbook"}}`},
}

// TestUpgrade_KeepsEveryRow: for every earlier version v, a database an earlier release left at v,
// holding rows written at each version up to v (testdata/upgrade), is migrated to the latest version
// by the engine's Migrate, and still holds every row with every value of every column it had. New
// migrations are picked up by themselves: the latest is whatever db/migrations holds.
func TestUpgrade_KeepsEveryRow(t *testing.T) {
	for _, e := range upgradeEngines {
		t.Run(e.name, func(t *testing.T) {
			sub, err := fs.Sub(db.Migrations, "migrations/"+e.name)
			if err != nil {
				t.Fatal(err)
			}
			var versions []int64
			for _, s := range providerFor(t, e.dialect, nil, sub).ListSources() {
				versions = append(versions, s.Version)
			}
			if len(versions) < 2 {
				t.Skip("one migration: nothing to upgrade from")
			}
			for _, from := range versions[:len(versions)-1] {
				t.Run(fmt.Sprintf("from %05d", from), func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					conn, migrate := e.open(t)
					p := providerFor(t, e.dialect, conn, sub)
					for _, v := range versions {
						if v > from {
							break
						}
						if _, err := p.UpTo(ctx, v); err != nil {
							t.Fatalf("migrate to %05d: %v", v, err)
						}
						applyFixture(ctx, t, conn, e, v)
					}
					before := snapshot(ctx, t, conn, e)
					for table, rows := range before {
						if len(rows.rows) == 0 {
							t.Logf("%s is empty at %05d: add its rows to testdata/upgrade to test its upgrade", table, from)
						}
					}

					if err := migrate(ctx); err != nil {
						t.Fatalf("upgrade from %05d: %v", from, err)
					}
					var latest int64
					if err := conn.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&latest); err != nil || latest != versions[len(versions)-1] {
						t.Fatalf("at version %d after the upgrade (%v), want %d", latest, err, versions[len(versions)-1])
					}
					after := snapshot(ctx, t, conn, e)
					for table, b := range before {
						a, ok := after[table]
						if !ok {
							t.Errorf("table %s is gone", table)
							continue
						}
						if len(a.rows) != len(b.rows) {
							t.Errorf("%s: %d rows before the upgrade, %d after", table, len(b.rows), len(a.rows))
							continue
						}
						// Every value of the columns the table had before: select those columns now.
						now := tableRows(ctx, t, conn, table, b.columns)
						if !slices.Equal(now, b.rows) {
							t.Errorf("%s: rows changed by the upgrade\nbefore: %q\nafter:  %q", table, b.rows, now)
						}
					}
					for _, c := range pinned {
						if _, ok := before[c.table]; !ok || !slices.Contains(before[c.table].columns, c.column) {
							continue
						}
						var got sql.NullString
						q := fmt.Sprintf("SELECT CAST(%s AS TEXT) FROM %s WHERE %s", c.column, c.table, c.where)
						if err := conn.QueryRowContext(ctx, q).Scan(&got); err != nil && !errors.Is(err, sql.ErrNoRows) {
							t.Fatalf("%s: %v", q, err)
						}
						if got.String != c.want {
							t.Errorf("%s.%s where %s = %q, want %q", c.table, c.column, c.where, got.String, c.want)
						}
					}
				})
			}
		})
	}
}

func providerFor(t *testing.T, dialect goose.Dialect, conn *sql.DB, fsys fs.FS) *goose.Provider {
	t.Helper()
	if conn == nil { // only to list the sources
		var err error
		if conn, err = sql.Open("sqlite", ":memory:"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
	}
	p, err := goose.NewProvider(dialect, conn, fsys)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// applyFixture runs testdata/upgrade/<engine>/NNNNN.sql, else testdata/upgrade/NNNNN.sql, when there is one.
func applyFixture(ctx context.Context, t *testing.T, conn *sql.DB, e upgradeEngine, v int64) {
	t.Helper()
	name := fmt.Sprintf("%05d.sql", v)
	b, err := os.ReadFile(filepath.Join("testdata", "upgrade", e.name, name))
	if errors.Is(err, fs.ErrNotExist) {
		b, err = os.ReadFile(filepath.Join("testdata", "upgrade", name))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, string(b)); err != nil {
		t.Fatalf("fixture %s on %s: %v", name, e.name, err)
	}
	if e.dialect == goose.DialectPostgres {
		// Explicit ids leave identity sequences behind: move them past the rows, as the application would.
		if _, err := conn.ExecContext(ctx, `DO $$ DECLARE r record; BEGIN
			FOR r IN SELECT table_name FROM information_schema.columns
			         WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES' LOOP
				EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), GREATEST((SELECT max(id) FROM %I), 1))', r.table_name, r.table_name);
			END LOOP; END $$`); err != nil {
			t.Fatal(err)
		}
	}
}

type tableSnapshot struct {
	columns []string
	rows    []string // each row's values, sorted
}

// snapshot reads every table (but goose's): its columns and all its rows.
func snapshot(ctx context.Context, t *testing.T, conn *sql.DB, e upgradeEngine) map[string]tableSnapshot {
	t.Helper()
	rs, err := conn.QueryContext(ctx, e.tables)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rs.Next() {
		var name string
		if err := rs.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
	out := map[string]tableSnapshot{}
	for _, table := range tables {
		r, err := conn.QueryContext(ctx, "SELECT * FROM "+table+" WHERE 1 = 0")
		if err != nil {
			t.Fatal(err)
		}
		cols, err := r.Columns()
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[table] = tableSnapshot{columns: cols, rows: tableRows(ctx, t, conn, table, cols)}
	}
	return out
}

// tableRows reads columns of every row of table as text, one string per row, sorted.
func tableRows(ctx context.Context, t *testing.T, conn *sql.DB, table string, columns []string) []string {
	t.Helper()
	r, err := conn.QueryContext(ctx, "SELECT "+strings.Join(columns, ", ")+" FROM "+table)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer r.Close()
	var rows []string
	for r.Next() {
		vals := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				parts[i] = "NULL"
			case []byte:
				parts[i] = string(v)
			case time.Time:
				parts[i] = v.UTC().Format(time.RFC3339Nano)
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		rows = append(rows, strings.Join(parts, " | "))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(rows)
	return rows
}
