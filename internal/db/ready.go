package db

import (
	"context"
	"fmt"
)

// Ready reports whether the service can take traffic on this database: it
// is reachable and every embedded migration has been applied. /readyz
// calls it.
func (d *DB) Ready(ctx context.Context) error {
	if err := d.Ping(ctx); err != nil {
		return err
	}
	pending, err := d.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("db: %d migrations pending", len(pending))
	}
	return nil
}
