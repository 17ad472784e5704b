package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"database/sql"
	"entgo.io/ent/dialect"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// RiverDriver returns River's driver over the writer pool, so River's
// InsertTx takes the same *sql.Tx as ent (TxClient): riversqlite on SQLite
// (whose docs ask for the single-connection pool Write already is) and
// riverdatabasesql on PostgreSQL (the pgx database/sql pool ent uses).
func (d *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if d.Dialect == dialect.SQLite {
		return riversqlite.New(d.Write)
	}
	return riverdatabasesql.New(d.Write)
}

// riverLockSQL serialises River's migrations of one PostgreSQL schema across
// instances starting together; the session lock is released by
// riverUnlockSQL.
const (
	riverLockSQL   = `SELECT pg_advisory_lock(hashtextextended('mailbridge_river_migrations:' || current_schema(), 0))`
	riverUnlockSQL = `SELECT pg_advisory_unlock(hashtextextended('mailbridge_river_migrations:' || current_schema(), 0))`
)

// migrateRiver applies River's own migrations (its job queue tables) in the
// same database and the same step as Mailbridge's, with rivermigrate, and
// returns the names of the versions it applied. River's migrations are
// idempotent; when River is up to date it only reads river_migration.
func (d *DB) migrateRiver(ctx context.Context) (applied []string, err error) {
	d.riverMu.Lock()
	defer d.riverMu.Unlock()
	if d.Dialect == dialect.Postgres {
		// A dedicated session holds the lock while rivermigrate runs on
		// other pooled connections.
		conn, err := d.Write.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("db: river migrations: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, riverLockSQL); err != nil {
			return nil, fmt.Errorf("db: taking the river migration lock: %w", err)
		}
		defer func() {
			if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), riverUnlockSQL); uerr != nil {
				err = errors.Join(err, fmt.Errorf("db: releasing the river migration lock: %w", uerr))
			}
		}()
	}
	m, err := rivermigrate.New(d.RiverDriver(), &rivermigrate.Config{Logger: d.logger})
	if err != nil {
		return nil, fmt.Errorf("db: river migrator: %w", err)
	}
	start := time.Now()
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("db: river migrations: %w", err)
	}
	for _, v := range res.Versions {
		applied = append(applied, fmt.Sprintf("river_%03d_%s", v.Version, v.Name))
	}
	if len(applied) > 0 {
		d.logger.InfoContext(ctx, "applied River job queue migrations",
			"dialect", d.Dialect, "versions", applied, "duration", time.Since(start))
	}
	return applied, nil
}
