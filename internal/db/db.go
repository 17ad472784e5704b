package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"mailbridge/ent"
	"mailbridge/ent/migrate/migrations"
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
}

const (
	// sqliteFileName is the database file under Options.DataDir.
	sqliteFileName = "mailbridge.db"
	// defaultReadConns sizes the SQLite read pool: enough for concurrent
	// GraphQL resolvers and workers, few enough to keep page caches small.
	defaultReadConns = 4
)

// DB is an open Mailbridge database: its dialect, its connection pools and
// the ent driver that routes between them. It is safe for concurrent use and
// is meant to live for the whole process; Close it on shutdown.
type DB struct {
	// Dialect is dialect.SQLite or dialect.Postgres; callers that need
	// dialect-specific SQL (River's driver, raw claims) switch on it.
	Dialect string
	// Write is the pool for writes and transactions. On SQLite it has
	// exactly one connection. Use it to begin a *sql.Tx shared by ent
	// (TxClient) and River (QUALITY.md §4.5).
	Write *sql.DB
	// Read is the pool for reads outside transactions. On SQLite its
	// connections are query_only; on PostgreSQL it is the same pool as Write.
	Read *sql.DB

	drv        dialect.Driver
	logger     *slog.Logger
	migrations fs.FS
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
	var (
		d   *DB
		err error
	)
	switch kind, target, perr := parseURL(o); {
	case perr != nil:
		return nil, perr
	case kind == dialect.SQLite:
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
	if d.migrations, err = migrations.FS(d.Dialect); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	return d, nil
}

// parseURL classifies o.URL and returns the SQLite file path or the
// PostgreSQL URL.
func parseURL(o Options) (kind, target string, err error) {
	raw := strings.TrimSpace(o.URL)
	lower := strings.ToLower(raw)
	switch {
	case raw == "" || lower == "sqlite:" || lower == "sqlite://":
		if o.DataDir == "" {
			return "", "", errors.New("db: embedded SQLite needs a data directory (Options.DataDir)")
		}
		return dialect.SQLite, dataDirPath(o.DataDir), nil
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return "", "", fmt.Errorf("db: invalid PostgreSQL URL: %w", redactURLError(err))
		}
		return dialect.Postgres, raw, nil
	case strings.HasPrefix(lower, "sqlite://"):
		return sqlitePath(raw[len("sqlite://"):])
	case strings.HasPrefix(lower, "sqlite:"):
		return sqlitePath(raw[len("sqlite:"):])
	case strings.HasPrefix(lower, "file:"):
		return sqlitePath(raw[len("file:"):])
	case !strings.Contains(raw, "://") && !strings.Contains(raw, ":"):
		return sqlitePath(raw)
	default:
		scheme, _, _ := strings.Cut(raw, ":")
		return "", "", fmt.Errorf("db: unsupported database URL scheme %q: use postgres://… for PostgreSQL, or leave the URL empty (or sqlite:PATH) for embedded SQLite", scheme)
	}
}

// sqlitePath validates an explicit SQLite file path. Query parameters are
// refused: Mailbridge sets its own pragmas and a user-supplied journal mode
// or txlock would silently break the writer/reader split.
func sqlitePath(p string) (string, string, error) {
	if strings.ContainsAny(p, "?#") {
		return "", "", fmt.Errorf("db: SQLite URL %q must not carry parameters; Mailbridge sets its own pragmas", p)
	}
	if p == "" || p == ":memory:" || strings.HasPrefix(p, ":memory") {
		return "", "", errors.New("db: SQLite needs a file path; in-memory databases lose data and skip WAL")
	}
	return dialect.SQLite, p, nil
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
// d.Write, so that ent and River's InsertTx share one transaction
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
	var err error
	if d.Read != nil && d.Read != d.Write {
		err = d.Read.Close()
	}
	if d.Write != nil {
		err = errors.Join(err, d.Write.Close())
	}
	return err
}
