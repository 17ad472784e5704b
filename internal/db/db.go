package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"mailbridge/ent"
	"mailbridge/ent/migrate/migrations"
	"mailbridge/internal/dburl"
	// The runtime package wires the schema's hooks, privacy policies and
	// defaults into the generated client; without it every ent call fails.
	_ "mailbridge/ent/runtime"
)

// Options selects and tunes the database. The zero value is not usable:
// embedded SQLite needs DataDir.
type Options struct {
	// URL picks the dialect. Empty or "sqlite:" selects the embedded SQLite
	// file mailbridge.db under DataDir; "sqlite:PATH", "file:PATH" or a bare
	// file path selects that SQLite file instead. "postgres://…" or
	// "postgresql://…" selects PostgreSQL. Anything else is rejected, so a
	// typo cannot silently fall back to a fresh empty database.
	URL string
	// DataDir holds mailbridge.db for the default SQLite database. It is
	// created with mode 0700 because the database holds OAuth tokens.
	DataDir string
	// ReadConns is the size of the SQLite read pool (default 4). Writes
	// always use a single connection. Ignored for PostgreSQL.
	ReadConns int
	// Logger receives migration progress. Nil discards it.
	Logger *slog.Logger
	// MustExist refuses to create a database: an SQLite file that does not
	// exist yet is an error (naming the path) instead of a new empty
	// database. Commands other than serve and migrate set it, so a mistyped
	// DATA_DIR cannot silently start from nothing.
	MustExist bool
}

const (
	// sqliteFileName is the database file under Options.DataDir.
	sqliteFileName = "mailbridge.db"
	// defaultReadConns sizes the SQLite read pool: enough for concurrent
	// GraphQL resolvers, few enough to keep page caches small.
	defaultReadConns = 4
)

// DB is an open Mailbridge database: its dialect, its connection pools and
// the ent driver that routes between them. It is safe for concurrent use and
// is meant to live for the whole process; Close it on shutdown.
type DB struct {
	// Dialect is dialect.SQLite or dialect.Postgres; callers that need
	// dialect-specific SQL (LockTx, the mailbox service) switch on it.
	Dialect string
	// Write is the pool for writes and transactions. On SQLite it has
	// exactly one connection. A *sql.Tx begun on it can be shared by ent
	// (TxClient) and other SQL in one transaction (QUALITY.md §4.5).
	Write *sql.DB
	// Read is the pool for reads outside transactions. On SQLite its
	// connections are query_only; on PostgreSQL it is the same pool as Write.
	Read *sql.DB

	drv        dialect.Driver
	logger     *slog.Logger
	migrations fs.FS
	opts       Options
	location   string

	// SQLite's maintenance goroutine (maintain): stop ends it, maintDone
	// says it has ended.
	stop      chan struct{}
	stopOnce  sync.Once
	maintDone chan struct{}
	// riverMu serialises River's migrations within the process on SQLite
	// (PostgreSQL uses an advisory lock).
	riverMu sync.Mutex
}

// Open opens the database selected by o.URL, verifies the connection and
// returns it. It does not migrate: call Migrate before serving traffic.
func Open(ctx context.Context, o Options) (*DB, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var d *DB
	kind, target, err := parseURL(o)
	if err != nil {
		return nil, err
	}
	switch kind {
	case dialect.SQLite:
		if o.MustExist {
			if _, err := os.Stat(target); err != nil {
				return nil, fmt.Errorf("db: no SQLite database at %s (check DATA_DIR / --data-dir; \"mailbridge migrate\" creates one): %w", target, err)
			}
		}
		readConns := o.ReadConns
		if readConns <= 0 {
			readConns = defaultReadConns
		}
		d, err = openSQLite(ctx, target, readConns)
	default:
		d, err = openPostgres(ctx, target)
	}
	if err != nil {
		return nil, err
	}
	d.logger = logger
	d.opts = o
	d.location = dburl.Target{Dialect: kind, Path: target, URL: target}.Location()
	if d.migrations, err = migrations.FS(d.Dialect); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	if d.Dialect == dialect.SQLite {
		d.stop, d.maintDone = make(chan struct{}), make(chan struct{})
		go d.maintain()
	}
	return d, nil
}

// Options returns the options d was opened with, e.g. to open a second
// handle on the same database.
func (d *DB) Options() Options { return d.opts }

// Location names the database for messages: the SQLite file's path, or the
// PostgreSQL URL without its password.
func (d *DB) Location() string { return d.location }

// parseURL classifies o.URL (internal/dburl, shared with the
// configuration) and returns the SQLite file path or the PostgreSQL URL.
func parseURL(o Options) (kind, target string, err error) {
	t, err := dburl.Parse(o.URL, o.DataDir)
	if err != nil {
		return "", "", fmt.Errorf("db: %w", err)
	}
	if t.Dialect == dialect.SQLite {
		return t.Dialect, t.Path, nil
	}
	return t.Dialect, t.URL, nil
}

// redactURLError drops the URL from url.Parse errors, which would otherwise
// put a password into logs.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Driver returns the ent driver over the pools. On SQLite it routes plain
// reads to Read and everything else to Write. Closing it is a no-op: the
// pools belong to the DB.
func (d *DB) Driver() dialect.Driver { return d.drv }

// Client returns a new ent client on Driver. Clients are cheap; build one
// per set of options (hooks, a debug logger) rather than per request.
// Closing a client does not close the DB.
func (d *DB) Client(opts ...ent.Option) *ent.Client {
	return ent.NewClient(append([]ent.Option{ent.Driver(d.drv)}, opts...)...)
}

// TxClient returns an ent client bound to tx, a transaction begun on
// d.Write, so that ent and other SQL on tx share one transaction
// (QUALITY.md §4.5). Every statement of the client goes through tx. The
// client's own Tx/BeginTx join tx rather than start a new one: the returned
// *ent.Tx's Commit and Rollback do nothing, and whoever began tx commits or
// rolls it back.
func (d *DB) TxClient(tx *sql.Tx, opts ...ent.Option) *ent.Client {
	drv := &sqlTxDriver{Driver: entsql.NewDriver(d.Dialect, entsql.Conn{ExecQuerier: tx})}
	return ent.NewClient(append([]ent.Option{ent.Driver(drv)}, opts...)...)
}

// Ping checks that both pools can reach the database, for /readyz.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.Write.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping writer: %w", err)
	}
	if d.Read != d.Write {
		if err := d.Read.PingContext(ctx); err != nil {
			return fmt.Errorf("db: ping reader: %w", err)
		}
	}
	return nil
}

// Close closes the pools. On SQLite the last connection to close
// checkpoints the WAL into the database file.
func (d *DB) Close() error {
	if d.stop != nil {
		d.stopOnce.Do(func() { close(d.stop) })
		<-d.maintDone
	}
	var err error
	if d.Read != nil && d.Read != d.Write {
		err = d.Read.Close()
	}
	if d.Write != nil {
		err = errors.Join(err, d.Write.Close())
	}
	return err
}

// Optimize refreshes the query planner's statistics: ANALYZE on
// PostgreSQL, PRAGMA optimize on SQLite, which analyzes only the tables
// whose statistics are missing or stale (0x10002: every table, not only
// those this connection used, with no row limit). Migrate calls it;
// PostgreSQL's autovacuum keeps the statistics current afterwards, and on
// SQLite the DB's own maintenance goroutine runs PRAGMA optimize hourly.
//
// On PostgreSQL only the tables of the current schema are analyzed, not
// every schema of the database.
func (d *DB) Optimize(ctx context.Context) error { return d.optimize(ctx, d.Write) }

// optimize is Optimize on q, e.g. the connection Migrate holds (on SQLite
// the writer pool's only one).
func (d *DB) optimize(ctx context.Context, qe queryExecer) error {
	q := "PRAGMA optimize(0x10002)"
	if d.Dialect == dialect.Postgres {
		rows, err := qe.QueryContext(ctx, `SELECT format('%I', tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
		if err != nil {
			return fmt.Errorf("db: listing tables to analyze: %w", err)
		}
		var tables []string
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				return errors.Join(fmt.Errorf("db: listing tables to analyze: %w", err), rows.Close())
			}
			tables = append(tables, t)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("db: listing tables to analyze: %w", err)
		}
		if len(tables) == 0 {
			return nil
		}
		q = "ANALYZE " + strings.Join(tables, ", ")
	}
	if _, err := qe.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("db: refreshing planner statistics: %w", err)
	}
	return nil
}

// sqliteOptimizeEvery is how often an open SQLite database refreshes its
// planner statistics, as SQLite recommends for long-lived connections.
const sqliteOptimizeEvery = time.Hour

// maintain runs PRAGMA optimize every sqliteOptimizeEvery until Close. The
// 0x10 bit keeps each run short by sampling at most a few hundred rows per
// index; a failure is logged and retried at the next tick.
func (d *DB) maintain() {
	defer close(d.maintDone)
	tick := time.NewTicker(sqliteOptimizeEvery)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if _, err := d.Write.ExecContext(ctx, "PRAGMA optimize(0x10012)"); err != nil {
				d.logger.Warn("db: refreshing SQLite planner statistics", "error", err)
			}
			cancel()
		}
	}
}
