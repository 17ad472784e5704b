package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// sqlitePragmas is the production DSN tail (QUALITY.md §4.1). The pragmas
// live in the DSN so that every pooled connection gets them; busy_timeout
// in particular is per connection. _txlock=immediate makes BEGIN take the
// write lock at once, because a deferred transaction that later writes
// fails with SQLITE_BUSY without honouring busy_timeout.
//
// _timezone=UTC and _time_format=sqlite decide how the driver writes a
// time.Time, on every connection and for every caller (ent, raw SQL, River):
// converted to UTC, as "2006-01-02 15:04:05.999999999+00:00" (SQLite's own
// time-value format 4), without a monotonic clock reading. SQLite compares
// these texts byte by byte, and with one zone and one layout that order is
// the order of the instants ('+' sorts before '.' and the digits, so a
// shorter fraction sorts first), so `WHERE expires_at < ?` and ORDER BY are
// correct. Without them the driver writes time.String() in the process's
// zone ("… -0500 EST m=+8.05"), which does not sort across zones. Reads
// come back in UTC. Migration 20261129120000_utc_times rewrote older rows.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate&_time_format=sqlite&_timezone=UTC"

// sqliteDSN returns the modernc.org/sqlite DSN Mailbridge uses for the file
// at path; readOnly adds query_only(1) for the read pool.
func sqliteDSN(path string, readOnly bool) string {
	// SQLite parses "file:" names as URIs: escape '%', '?', '#' and spaces.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlitePragmas
	if readOnly {
		dsn += "&_pragma=query_only(1)"
	}
	return dsn
}

func dataDirPath(dataDir string) string { return filepath.Join(dataDir, sqliteFileName) }

// openSQLite opens the writer pool first, so that it creates the file and
// switches it to WAL before any query_only connection exists, then the
// read pool.
func openSQLite(ctx context.Context, path string, readConns int) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("db: SQLite path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("db: creating data directory: %w", err)
	}
	w, err := sql.Open("sqlite", sqliteDSN(abs, false))
	if err != nil {
		return nil, fmt.Errorf("db: opening SQLite %s: %w", abs, err)
	}
	// One writer: SQLite serialises writers anyway, and a second pooled
	// writer would only wait on the lock (or on busy_timeout).
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("db: opening SQLite %s: %w", abs, err), w.Close())
	}
	r, err := sql.Open("sqlite", sqliteDSN(abs, true))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("db: opening SQLite %s: %w", abs, err), w.Close())
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	if err := r.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("db: opening SQLite read pool %s: %w", abs, err), r.Close(), w.Close())
	}
	return &DB{
		Dialect: dialect.SQLite,
		Write:   w,
		Read:    r,
		drv: &routeDriver{
			w: entsql.OpenDB(dialect.SQLite, w),
			r: entsql.OpenDB(dialect.SQLite, r),
		},
	}, nil
}
