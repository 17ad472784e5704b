// Package dbtest gives each test its own real, migrated database, so tests
// can commit, run concurrently and exercise the production settings
// (STYLE.md §2.15).
//
//   - SQLite always runs: a fresh file in t.TempDir(), opened by db.Open
//     with the production DSN (WAL, busy_timeout, foreign keys,
//     _txlock=immediate, writer and query_only reader pools). The embedded
//     migrations run once per test process into a template file, which is
//     then copied for each test.
//   - PostgreSQL runs when a server is configured: each test gets a fresh
//     schema with a random name, selected through search_path, migrated, and
//     dropped when the test ends. Without a server the test is skipped with
//     a message naming the variable to set.
//
// # Which PostgreSQL database
//
// TEST_DATABASE_URL names it, for example
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. Setting that
// variable is the explicit opt-in: any database may be named, and dbtest only
// ever creates and drops its own mbtest_* schemas in it. As a fallback (for
// CI), DATABASE_URL is used, but only when its database name contains
// "test": DATABASE_URL is also what the server reads, and a developer's
// shell may point it at data that matters. Other names fail the test with an
// explanation rather than touch that database.
//
// Everything opened here is closed in t.Cleanup.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/db"
)

// SkipMessage is what a PostgreSQL test says when it is skipped for want of
// a server; it names the variable to set.
const SkipMessage = "set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run PostgreSQL tests"

// schemaPrefix marks the schemas dbtest owns; only these are ever dropped.
const schemaPrefix = "mbtest_"

// staleSchemaAge is how old an mbtest_ schema must be before a later test
// run drops it as left over from a crashed run. No test runs this long.
const staleSchemaAge = time.Hour

// setupTimeout bounds creating or dropping one test database.
const setupTimeout = time.Minute

// SQLite returns a migrated SQLite database in a fresh file under
// t.TempDir(), opened exactly as the server opens its database.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	tmpl, err := sqliteTemplate()
	require.NoError(t, err, "dbtest: building the migrated SQLite template")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mailbridge.db"), tmpl, 0o600))
	return open(t, db.Options{DataDir: dir})
}

// EmptySQLite returns an SQLite database with no tables, for tests of the
// migration machinery itself.
func EmptySQLite(t testing.TB) *db.DB {
	t.Helper()
	return open(t, db.Options{DataDir: t.TempDir()})
}

// sqliteTemplate migrates a database once per process and returns its
// file's bytes. The template is checkpointed and closed before it is read:
// in WAL mode, recent pages live in the -wal file until a checkpoint, and a
// copy of the main file alone would miss them.
var sqliteTemplate = sync.OnceValues(func() (_ []byte, err error) {
	dir, err := os.MkdirTemp("", "mailbridge-dbtest-")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	d, err := db.Open(ctx, db.Options{DataDir: dir})
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	var busy, logPages, checkpointed int
	if err := d.Write.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logPages, &checkpointed); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	if busy != 0 {
		return nil, errors.Join(errors.New("dbtest: WAL checkpoint of the template was blocked"), d.Close())
	}
	if err := d.Close(); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "mailbridge.db")
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("dbtest: template WAL still holds %d bytes after checkpoint and close", fi.Size())
	}
	return os.ReadFile(path)
})

// Postgres returns a migrated PostgreSQL database: a fresh schema in the
// database named by TEST_DATABASE_URL (or a test-named DATABASE_URL; see the
// package documentation), dropped when the test ends. It skips the test
// when no server is configured.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	d := EmptyPostgres(t)
	ctx, cancel := context.WithTimeout(t.Context(), setupTimeout)
	defer cancel()
	_, err := d.Migrate(ctx)
	require.NoError(t, err, "dbtest: migrating the PostgreSQL test schema")
	return d
}

// EmptyPostgres is Postgres without the migrations: an empty schema, for
// tests of the migration machinery itself.
func EmptyPostgres(t testing.TB) *db.DB {
	t.Helper()
	base := postgresURL(t)
	u, err := url.Parse(base)
	require.NoError(t, err, "dbtest: parsing the PostgreSQL URL")
	schema := fmt.Sprintf("%s%d_%s", schemaPrefix, time.Now().Unix(), randomHex(t, 6))
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	d := open(t, db.Options{URL: u.String()})
	ctx, cancel := context.WithTimeout(t.Context(), setupTimeout)
	defer cancel()
	dropStaleSchemas.Do(func() { dropStale(ctx, t, d) })
	sharedExtensions.Do(func() { createSharedExtensions(ctx, t, d) })
	_, err = d.Write.ExecContext(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err, "dbtest: creating the PostgreSQL test schema")
	// Registered after open's Close, so it runs before it (cleanups are LIFO).
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		_, err := d.Write.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		require.NoError(t, err, "dbtest: dropping the PostgreSQL test schema %s", schema)
	})
	return d
}

// Each runs f as two parallel subtests, SQLite and Postgres, each with its
// own migrated database. The Postgres subtest skips without a server.
func Each(t *testing.T, f func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		f(t, SQLite(t))
	})
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		f(t, Postgres(t))
	})
}

// EachEmpty is Each with empty, unmigrated databases.
func EachEmpty(t *testing.T, f func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		f(t, EmptySQLite(t))
	})
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		f(t, EmptyPostgres(t))
	})
}

func open(t testing.TB, o db.Options) *db.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), setupTimeout)
	defer cancel()
	d, err := db.Open(ctx, o)
	require.NoError(t, err, "dbtest: opening the test database")
	t.Cleanup(func() { require.NoError(t, d.Close(), "dbtest: closing the test database") })
	return d
}

// postgresURL picks the server URL or skips the test.
func postgresURL(t testing.TB) string {
	t.Helper()
	u, err := pickPostgresURL(os.Getenv)
	switch {
	case errors.Is(err, errNoPostgres):
		t.Skip(SkipMessage)
	case err != nil:
		t.Fatal(err)
	}
	return u
}

// errNoPostgres means no PostgreSQL server is configured.
var errNoPostgres = errors.New("dbtest: no PostgreSQL configured")

// pickPostgresURL applies the rules of the package documentation: any
// TEST_DATABASE_URL, else a DATABASE_URL whose database name contains
// "test", since DATABASE_URL is also what the server reads.
func pickPostgresURL(getenv func(string) string) (string, error) {
	if u := getenv("TEST_DATABASE_URL"); u != "" {
		return u, nil
	}
	u := getenv("DATABASE_URL")
	if u == "" || !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return "", errNoPostgres
	}
	name, err := databaseName(u)
	if err != nil {
		return "", fmt.Errorf("dbtest: parsing DATABASE_URL: %w", err)
	}
	if !strings.Contains(strings.ToLower(name), "test") {
		return "", fmt.Errorf("dbtest: refusing to run tests in DATABASE_URL's database %q: its name does not contain \"test\", so it may hold real data; point TEST_DATABASE_URL at a test server instead (setting it is the explicit opt-in), or unset DATABASE_URL", name)
	}
	return u, nil
}

func databaseName(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // never echo a password
		}
		return "", err
	}
	return strings.TrimPrefix(u.Path, "/"), nil
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

var dropStaleSchemas sync.Once

var sharedExtensions sync.Once

// createSharedExtensions installs pg_trgm into the public schema before any
// test schema is migrated. Extensions are per database: were the first
// test's migration to create it, it would live in (and be dropped with) that
// test's schema, taking every other test's trigram index with it. A failure
// is not fatal: the migration then creates or skips it as in production.
func createSharedExtensions(ctx context.Context, t testing.TB, d *db.DB) {
	t.Helper()
	if _, err := d.Write.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"); err != nil {
		t.Logf("dbtest: creating pg_trgm in public: %v", err)
	}
}

// dropStale removes mbtest_ schemas left behind by test processes that died
// before their cleanup ran. The creation time is in the name; only schemas
// older than staleSchemaAge are dropped, so concurrent test processes are
// never disturbed.
func dropStale(ctx context.Context, t testing.TB, d *db.DB) {
	t.Helper()
	rows, err := d.Write.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, schemaPrefix)
	require.NoError(t, err, "dbtest: listing stale test schemas")
	var stale []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		ts, _, ok := strings.Cut(strings.TrimPrefix(name, schemaPrefix), "_")
		if !ok {
			continue
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)) < staleSchemaAge {
			continue
		}
		stale = append(stale, name)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	for _, name := range stale {
		_, err := d.Write.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+name+`" CASCADE`)
		require.NoError(t, err, "dbtest: dropping stale test schema %s", name)
	}
}
