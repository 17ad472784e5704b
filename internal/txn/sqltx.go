package txn

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"entgo.io/contrib/entgql"

	"mailbridge/ent"
	"mailbridge/internal/db"
)

type sqlTxKey struct{}

// SQLTx returns the *sql.Tx that the context's ent transaction runs on, when
// it was opened by Opener or RunSQL; River's InsertTx takes it so a job is
// enqueued in the same transaction as the change (QUALITY.md §4.5).
func SQLTx(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(sqlTxKey{}).(*sql.Tx)
	return tx
}

// withSQLTx puts tx, a transaction-bound ent client and its ent.Tx into ctx.
func withSQLTx(ctx context.Context, d *db.DB, tx *sql.Tx) (context.Context, *ent.Client, error) {
	c := d.TxClient(tx)
	etx, err := c.Tx(ctx) // joins tx; its Commit and Rollback do nothing
	if err != nil {
		return nil, nil, fmt.Errorf("txn: bind ent to the transaction: %w", err)
	}
	ctx = context.WithValue(ctx, sqlTxKey{}, tx)
	ctx = ent.NewTxContext(ent.NewContext(ctx, etx.Client()), etx)
	return ctx, etx.Client(), nil
}

// Opener is the TxOpener of the GraphQL mutations (entgql.Transactioner):
// it begins a *sql.Tx on the writer pool and binds ent to it, so services
// can both write through ent (txn.Run sees the transaction) and enqueue
// River jobs with the same *sql.Tx (SQLTx). Transactioner commits or rolls
// back the returned *sql.Tx.
func Opener(d *db.DB) entgql.TxOpener {
	return entgql.TxOpenerFunc(func(ctx context.Context) (context.Context, driver.Tx, error) {
		tx, err := d.Write.BeginTx(ctx, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("txn: begin: %w", err)
		}
		ctx, _, err = withSQLTx(ctx, d, tx)
		if err != nil {
			return nil, nil, errors.Join(err, tx.Rollback())
		}
		return ctx, tx, nil
	})
}

// RunSQL is Run for code that also needs the *sql.Tx (River's InsertTx,
// raw statements): it joins the context's *sql.Tx when there is one (the
// caller commits), or begins one on d.Write and commits it when fn
// succeeds, rolls it back when fn fails.
func RunSQL(ctx context.Context, d *db.DB, fn func(ctx context.Context, c *ent.Client, tx *sql.Tx) error) error {
	if tx := SQLTx(ctx); tx != nil {
		return fn(ctx, ent.FromContext(ctx), tx)
	}
	if ent.TxFromContext(ctx) != nil {
		return errors.New("txn: the context's transaction is not a *sql.Tx; open it with txn.Opener")
	}
	tx, err := d.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("txn: begin: %w", err)
	}
	ctx, c, err := withSQLTx(ctx, d, tx)
	if err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := fn(ctx, c, tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("txn: rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("txn: commit: %w", err)
	}
	return nil
}
