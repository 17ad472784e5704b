package dbtest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

func TestEach(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pending, err := d.PendingMigrations(t.Context())
		require.NoError(t, err)
		require.Empty(t, pending, "dbtest databases are fully migrated")
		require.NoError(t, d.Ping(t.Context()))
	})
}

func TestSQLite(t *testing.T) {
	t.Parallel()

	t.Run("FreshDatabasePerCall", func(t *testing.T) {
		t.Parallel()
		ctx := viewer.SystemContext(t.Context())
		a, b := dbtest.SQLite(t), dbtest.SQLite(t)
		_, err := a.Client().Organization.Create().SetName("only in a").Save(ctx)
		require.NoError(t, err)
		n, err := b.Client().Organization.Query().Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("FileInTempDir", func(t *testing.T) {
		t.Parallel()
		d := dbtest.SQLite(t)
		var file string
		require.NoError(t, d.Read.QueryRowContext(t.Context(), "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file))
		require.True(t, filepath.IsAbs(file))
		require.Equal(t, "mailbridge.db", filepath.Base(file))
		_, err := os.Stat(file)
		require.NoError(t, err)
	})
}

func TestEmptySQLite(t *testing.T) {
	t.Parallel()
	d := dbtest.EmptySQLite(t)
	pending, err := d.PendingMigrations(t.Context())
	require.NoError(t, err)
	require.NotEmpty(t, pending)
}

func TestPostgres_DropsSchemaOnCleanup(t *testing.T) {
	t.Parallel()
	admin := dbtest.EmptyPostgres(t) // skips without a server
	var schema string
	t.Run("Inner", func(t *testing.T) {
		// Deliberately not parallel: a sequential subtest has finished, and
		// run its cleanups, when t.Run returns.
		d := dbtest.Postgres(t)
		require.NoError(t, d.Read.QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema))
	})
	require.NotEmpty(t, schema)
	var exists bool
	require.NoError(t, admin.Read.QueryRowContext(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists))
	require.False(t, exists, "schema %s was dropped when its test ended", schema)
}
