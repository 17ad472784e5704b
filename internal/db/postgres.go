package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
)

// PostgreSQL pool settings. Each Mailbridge instance holds at most
// pgMaxConns connections, so several instances fit under PostgreSQL's
// default max_connections of 100 next to an admin session.
// Connections are recycled so that a failover or a PgBouncer restart is
// picked up without a restart of Mailbridge.
const (
	pgMaxConns        = 20
	pgMaxIdleConns    = 10
	pgConnMaxLifetime = 30 * time.Minute
	pgConnMaxIdleTime = 5 * time.Minute
	// pgStatementTimeout bounds any single statement unless the URL sets
	// statement_timeout itself: a runaway query must not pin a connection
	// (and its locks) forever. Migrations lift it for their transactions.
	pgStatementTimeout = "30s"
)

// openPostgres opens one pool for reads and writes. pgx turns URL query
// parameters it does not know into session settings (runtime params), so
// statement_timeout, application_name and search_path can all be given in
// the URL; the per-test schemas of dbtest rely on search_path.
func openPostgres(ctx context.Context, raw string) (*DB, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("db: invalid PostgreSQL URL: %w", redactURLError(err))
	}
	q := u.Query()
	if q.Get("statement_timeout") == "" && !strings.Contains(q.Get("options"), "statement_timeout") {
		q.Set("statement_timeout", pgStatementTimeout)
	}
	if q.Get("application_name") == "" {
		q.Set("application_name", "mailbridge")
	}
	u.RawQuery = q.Encode()
	p, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, fmt.Errorf("db: opening PostgreSQL: %w", err)
	}
	p.SetMaxOpenConns(pgMaxConns)
	p.SetMaxIdleConns(pgMaxIdleConns)
	p.SetConnMaxLifetime(pgConnMaxLifetime)
	p.SetConnMaxIdleTime(pgConnMaxIdleTime)
	if err := p.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("db: connecting to PostgreSQL %s: %w", u.Redacted(), err), p.Close())
	}
	return &DB{
		Dialect: dialect.Postgres,
		Write:   p,
		Read:    p,
		drv:     sharedDriver{entsql.OpenDB(dialect.Postgres, p)},
	}, nil
}
