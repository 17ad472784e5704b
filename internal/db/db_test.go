package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"mailbridge/ent"
	"mailbridge/ent/organization"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

func TestOpen_RejectsBadURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    db.Options
		wantErr string
	}{
		{"MySQL", db.Options{URL: "mysql://root@localhost/mailbridge"}, `unsupported database URL scheme "mysql"`},
		{"HTTP", db.Options{URL: "http://example.com/db"}, `unsupported database URL scheme "http"`},
		{"SQLiteWithoutDataDir", db.Options{}, "needs a data directory"},
		{"SQLiteParams", db.Options{URL: "sqlite:/tmp/x.db?_pragma=journal_mode(DELETE)"}, "must not carry parameters"},
		{"SQLiteMemory", db.Options{URL: "sqlite::memory:"}, "needs a file path"},
		{"BadPostgresURL", db.Options{URL: "postgres://user:secret@host:99999999999/db%zz"}, "invalid PostgreSQL URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := db.Open(t.Context(), tt.opts)
			require.ErrorContains(t, err, tt.wantErr)
			require.NotContains(t, err.Error(), "secret")
			require.Nil(t, d)
		})
	}
}

func TestOpen_SQLite(t *testing.T) {
	t.Parallel()

	t.Run("CreatesPrivateDataDir", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "var", "mailbridge")
		d, err := db.Open(t.Context(), db.Options{DataDir: dir})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		require.Equal(t, dialect.SQLite, d.Dialect)
		fi, err := os.Stat(dir)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
		_, err = os.Stat(filepath.Join(dir, "mailbridge.db"))
		require.NoError(t, err)
		require.NoError(t, d.Ping(t.Context()))
	})

	t.Run("ExplicitPath", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "with space", "other.db")
		d, err := db.Open(t.Context(), db.Options{URL: "sqlite:" + path})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		_, err = d.Migrate(t.Context())
		require.NoError(t, err)
		_, err = os.Stat(path)
		require.NoError(t, err)
	})
}

func TestDB_SQLitePragmas(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	ctx := t.Context()

	check := func(t *testing.T, c *sql.Conn, wantQueryOnly string) {
		t.Helper()
		pragma := func(name string) string {
			var v string
			require.NoError(t, c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v))
			return v
		}
		require.Equal(t, "wal", pragma("journal_mode"))
		require.Equal(t, "1", pragma("foreign_keys"))
		require.Equal(t, "5000", pragma("busy_timeout"))
		require.Equal(t, "1", pragma("synchronous"), "synchronous=NORMAL")
		require.Equal(t, wantQueryOnly, pragma("query_only"))
	}

	w, err := d.Write.Conn(ctx)
	require.NoError(t, err)
	check(t, w, "0")
	require.NoError(t, w.Close())

	// Every reader connection, not just the first, gets the pragmas.
	var conns []*sql.Conn
	for range 4 {
		c, err := d.Read.Conn(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	for _, c := range conns {
		check(t, c, "1")
		require.NoError(t, c.Close())
	}
	require.Equal(t, 1, d.Write.Stats().MaxOpenConnections)
	require.Equal(t, 4, d.Read.Stats().MaxOpenConnections)
}

func TestDB_SQLiteRouting(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		d      *db.DB
		client *ent.Client
		ctx    context.Context
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		d := dbtest.SQLite(t)
		return &testBundle{d: d, client: d.Client(), ctx: viewer.SystemContext(t.Context())}
	}

	t.Run("ReadPoolRefusesWrites", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.d.Read.ExecContext(b.ctx, "INSERT INTO organizations (created_at, updated_at, name) VALUES ('2026-01-01', '2026-01-01', 'x')")
		require.ErrorContains(t, err, "readonly")
	})

	t.Run("WritesGoToWriter", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// ent inserts with INSERT … RETURNING through Query: on the
		// query_only pool this would fail.
		org, err := b.client.Organization.Create().SetName("Acme").Save(b.ctx)
		require.NoError(t, err)
		orgs, err := b.client.Organization.CreateBulk(
			b.client.Organization.Create().SetName("B"),
			b.client.Organization.Create().SetName("C"),
		).Save(b.ctx)
		require.NoError(t, err)
		require.Len(t, orgs, 2)
		require.NoError(t, b.client.Organization.UpdateOneID(org.ID).SetName("Acme 2").Exec(b.ctx))
		rows, err := b.client.QueryContext(b.ctx, "INSERT INTO organizations (created_at, updated_at, name) VALUES (?, ?, ?) RETURNING id", time.Now(), time.Now(), "raw")
		require.NoError(t, err)
		require.True(t, rows.Next())
		require.NoError(t, rows.Close())
		_, err = b.client.Organization.Delete().Where(organization.Name("B")).Exec(b.ctx)
		require.NoError(t, err)
		n, err := b.client.Organization.Query().Count(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})

	t.Run("ReadsDoNotWaitForTheWriter", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.client.Organization.Create().SetName("Acme").Save(b.ctx)
		require.NoError(t, err)
		// Hold the only writer connection in an open write transaction.
		tx, err := b.d.Write.BeginTx(b.ctx, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = tx.Rollback() })
		_, err = tx.ExecContext(b.ctx, "UPDATE organizations SET name = 'locked'")
		require.NoError(t, err)
		// Routed to the writer, these would block until the deadline.
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		got, err := b.client.Organization.Query().Only(ctx)
		require.NoError(t, err)
		require.Equal(t, "Acme", got.Name, "the read pool sees the last committed state")
		rows, err := b.client.QueryContext(ctx, "WITH o AS (SELECT name FROM organizations) SELECT count(*) FROM o")
		require.NoError(t, err)
		require.NoError(t, rows.Close())
		require.NoError(t, tx.Rollback())
	})

	t.Run("TransactionsUseTheWriter", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tx, err := b.client.Tx(b.ctx)
		require.NoError(t, err)
		_, err = tx.Organization.Create().SetName("in tx").Save(b.ctx)
		require.NoError(t, err)
		// A read inside the transaction sees its own uncommitted row: it
		// went through the transaction, not the read pool.
		n, err := tx.Organization.Query().Count(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = b.client.Organization.Query().Count(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n, "outside the transaction the row is not visible yet")
		require.NoError(t, tx.Commit())
		n, err = b.client.Organization.Query().Count(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

// TestDB_SQLiteConcurrentWriters runs ent transactions from many goroutines
// through two independently opened handles on one file, as two processes
// would: the writers contend for SQLite's lock, and _txlock=immediate with
// busy_timeout must turn that into waiting, never SQLITE_BUSY.
func TestDB_SQLiteConcurrentWriters(t *testing.T) {
	t.Parallel()
	const (
		handles    = 2
		goroutines = 4
		txs        = 15
	)
	dir := t.TempDir()
	ctx := viewer.SystemContext(t.Context())
	var clients []*ent.Client
	for i := range handles {
		d, err := db.Open(ctx, db.Options{DataDir: dir})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		if i == 0 {
			_, err := d.Migrate(ctx)
			require.NoError(t, err)
		}
		clients = append(clients, d.Client())
	}
	var g errgroup.Group
	for h, client := range clients {
		for w := range goroutines {
			g.Go(func() error {
				for i := range txs {
					tx, err := client.Tx(ctx)
					if err != nil {
						return fmt.Errorf("begin: %w", err)
					}
					// Read, then write: the pattern that fails with
					// SQLITE_BUSY under a deferred BEGIN.
					if _, err := tx.Organization.Query().Count(ctx); err != nil {
						return errors.Join(err, tx.Rollback())
					}
					if _, err := tx.Organization.Create().SetName(fmt.Sprintf("h%d-w%d-%d", h, w, i)).Save(ctx); err != nil {
						return errors.Join(err, tx.Rollback())
					}
					if err := tx.Commit(); err != nil {
						return fmt.Errorf("commit: %w", err)
					}
				}
				return nil
			})
		}
	}
	require.NoError(t, g.Wait())
	n, err := clients[0].Organization.Query().Count(ctx)
	require.NoError(t, err)
	require.Equal(t, handles*goroutines*txs, n)
}

func TestDB_TxClient(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := viewer.SystemContext(t.Context())
		tx, err := d.Write.BeginTx(ctx, nil)
		require.NoError(t, err)
		c := d.TxClient(tx)
		_, err = c.Organization.Create().SetName("via ent").Save(ctx)
		require.NoError(t, err)
		// Code that opens its own ent transaction joins the shared one.
		inner, err := c.Tx(ctx)
		require.NoError(t, err)
		_, err = inner.Organization.Create().SetName("nested").Save(ctx)
		require.NoError(t, err)
		require.NoError(t, inner.Commit(), "commit of a joined transaction is a no-op")
		n, err := c.Organization.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n)

		require.NoError(t, tx.Rollback())
		n, err = d.Client().Organization.Query().Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "the rollback of the shared transaction undid every write")
	})
}

func TestDB_Postgres(t *testing.T) {
	t.Parallel()

	t.Run("Settings", func(t *testing.T) {
		t.Parallel()
		d := dbtest.Postgres(t)
		require.Equal(t, dialect.Postgres, d.Dialect)
		require.Same(t, d.Read, d.Write)
		require.NoError(t, d.Ping(t.Context()))
		var timeout, app string
		require.NoError(t, d.Read.QueryRowContext(t.Context(), "SHOW statement_timeout").Scan(&timeout))
		require.Equal(t, "30s", timeout)
		require.NoError(t, d.Read.QueryRowContext(t.Context(), "SHOW application_name").Scan(&app))
		require.Equal(t, "mailbridge", app)
		require.Equal(t, 20, d.Write.Stats().MaxOpenConnections)
	})

	// Two tests writing the same rows at the same time each see only their
	// own: every test has its own schema.
	for _, name := range []string{"IsolatedA", "IsolatedB"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := dbtest.Postgres(t)
			ctx := viewer.SystemContext(t.Context())
			client := d.Client()
			for i := range 5 {
				_, err := client.Organization.Create().SetName(fmt.Sprintf("%s-%d", name, i)).Save(ctx)
				require.NoError(t, err)
			}
			orgs, err := client.Organization.Query().All(ctx)
			require.NoError(t, err)
			require.Len(t, orgs, 5)
			for _, o := range orgs {
				require.Contains(t, o.Name, name)
			}
			var schema string
			require.NoError(t, d.Read.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema))
			require.Contains(t, schema, "mbtest_")
		})
	}
}
