package db

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"

	"mailbridge/ent"
)

// LockTx serialises the transactions that take the same named lock, across
// every process using the database, until tx ends. On PostgreSQL it takes a
// transaction-scoped advisory lock keyed by name and the current schema. On
// SQLite it does nothing: every Mailbridge transaction already holds the
// database's single write lock from BEGIN (_txlock=immediate).
func (d *DB) LockTx(ctx context.Context, tx *ent.Tx, name string) error {
	if d.Dialect != dialect.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || current_schema(), 0))`, name); err != nil {
		return fmt.Errorf("db: taking the %s lock: %w", name, err)
	}
	return nil
}
