// Package txn runs service code inside the request's ent transaction. GraphQL
// mutations already run in one (entgql.Transactioner puts a transactional
// client in the context); other callers — the CLI, jobs, tests — get a
// transaction of their own, so a service's writes are always atomic.
package txn

import (
	"context"
	"errors"
	"fmt"

	"mailbridge/ent"
)

// Client returns the transactional client of ctx, or fallback.
func Client(ctx context.Context, fallback *ent.Client) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return fallback
}

// Run calls fn with a client bound to a transaction: the caller's if ctx
// already carries one (the caller then commits), otherwise a new one that is
// committed when fn succeeds and rolled back when it fails.
func Run(ctx context.Context, fallback *ent.Client, fn func(ctx context.Context, c *ent.Client) error) error {
	if ent.TxFromContext(ctx) != nil {
		return fn(ctx, ent.FromContext(ctx))
	}
	tx, err := fallback.Tx(ctx)
	if err != nil {
		return fmt.Errorf("txn: begin: %w", err)
	}
	ctx = ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx)
	if err := fn(ctx, tx.Client()); err != nil {
		return errors.Join(err, rollback(tx))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("txn: commit: %w", err)
	}
	return nil
}

func rollback(tx *ent.Tx) error {
	if err := tx.Rollback(); err != nil {
		return fmt.Errorf("txn: rollback: %w", err)
	}
	return nil
}
