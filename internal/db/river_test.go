package db_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

func TestDB_MigrateRiver(t *testing.T) {
	t.Parallel()
	dbtest.EachEmpty(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		_, err := d.Migrate(ctx)
		require.NoError(t, err)
		// River's job table is there, in the same database (and on
		// PostgreSQL the same schema) as Mailbridge's tables.
		var n int
		require.NoError(t, d.Read.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&n))
		require.Zero(t, n)
		var versions int
		require.NoError(t, d.Read.QueryRowContext(ctx, "SELECT count(*) FROM river_migration").Scan(&versions))
		require.Positive(t, versions)
		// A second Migrate leaves River's versions as they are.
		_, err = d.Migrate(ctx)
		require.NoError(t, err)
		var again int
		require.NoError(t, d.Read.QueryRowContext(ctx, "SELECT count(*) FROM river_migration").Scan(&again))
		require.Equal(t, versions, again)
	})
}
