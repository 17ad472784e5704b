package db_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"mailbridge/ent"
	"mailbridge/ent/migrate"
	"mailbridge/ent/migrate/migrations"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

// embeddedNames lists the embedded migration files of d's dialect.
func embeddedNames(t *testing.T, d *db.DB) []string {
	t.Helper()
	fsys, err := migrations.FS(d.Dialect)
	require.NoError(t, err)
	names, err := fs.Glob(fsys, "*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	return names
}

// migrationsWith returns the embedded directory of d's dialect with extra
// files added (or replaced) and atlas.sum regenerated, as the generator
// would leave it.
func migrationsWith(t *testing.T, d *db.DB, extra map[string]string) fs.FS {
	t.Helper()
	fsys, err := migrations.FS(d.Dialect)
	require.NoError(t, err)
	dir := &atlasmigrate.MemDir{}
	names, err := fs.Glob(fsys, "*.sql")
	require.NoError(t, err)
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		require.NoError(t, err)
		require.NoError(t, dir.WriteFile(n, b))
	}
	for n, content := range extra {
		require.NoError(t, dir.WriteFile(n, []byte(content)))
	}
	sum, err := dir.Checksum()
	require.NoError(t, err)
	require.NoError(t, atlasmigrate.WriteSumFile(dir, sum))
	out := fstest.MapFS{}
	files, err := dir.Files()
	require.NoError(t, err)
	for _, f := range append(files, atlasmigrate.NewLocalFile(atlasmigrate.HashFileName, nil)) {
		b, err := fs.ReadFile(dir, f.Name())
		require.NoError(t, err)
		out[f.Name()] = &fstest.MapFile{Data: b}
	}
	return out
}

// diffMu serialises schema diffs: ent's NamedDiff sets up the package-level
// migrate.Tables in place, so parallel diffs race on them.
var diffMu sync.Mutex

// schemaDrift diffs the ent schema against the live database the way the
// generator does and returns the statements a new migration would hold.
func schemaDrift(t *testing.T, d *db.DB) string {
	t.Helper()
	diffMu.Lock()
	defer diffMu.Unlock()
	dir, err := atlasmigrate.NewLocalDir(t.TempDir())
	require.NoError(t, err)
	err = migrate.NewSchema(d.Driver()).NamedDiff(t.Context(), "drift",
		schema.WithDir(dir),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithErrNoPlan(true),
		schema.WithDiffHook(db.KeepHandWrittenIndexes),
	)
	if errors.Is(err, atlasmigrate.ErrNoPlan) {
		return ""
	}
	require.NoError(t, err)
	files, err := dir.Files()
	require.NoError(t, err)
	var drift []string
	for _, f := range files {
		drift = append(drift, string(f.Bytes()))
	}
	return strings.Join(drift, "\n")
}

func TestDB_Migrate(t *testing.T) {
	t.Parallel()

	t.Run("AppliesAllToAnEmptyDatabaseAndLeavesNoDrift", func(t *testing.T) {
		t.Parallel()
		dbtest.EachEmpty(t, func(t *testing.T, d *db.DB) {
			ctx := t.Context()
			want := embeddedNames(t, d)
			pending, err := d.PendingMigrations(ctx)
			require.NoError(t, err)
			require.Equal(t, want, pending)

			applied, err := d.Migrate(ctx)
			require.NoError(t, err)
			require.Equal(t, want, applied)
			require.Empty(t, schemaDrift(t, d), "the migrations do not produce the ent schema: generate a migration")

			applied, err = d.Migrate(ctx)
			require.NoError(t, err)
			require.Empty(t, applied, "a second Migrate is a no-op")
			pending, err = d.PendingMigrations(ctx)
			require.NoError(t, err)
			require.Empty(t, pending)

			var n int
			require.NoError(t, d.Read.QueryRowContext(ctx, "SELECT count(*) FROM mailbridge_migrations").Scan(&n))
			require.Equal(t, len(want), n)
		})
	})

	t.Run("DriftCheckSeesChanges", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			// The no-drift check above is only worth something if it fails
			// when the database and the ent schema disagree.
			_, err := d.Write.ExecContext(t.Context(), "ALTER TABLE organizations ADD COLUMN not_in_ent text")
			require.NoError(t, err)
			_, err = d.Write.ExecContext(t.Context(), "DROP INDEX user_org_id_email")
			require.NoError(t, err)
			drift := schemaDrift(t, d)
			// PostgreSQL drops the column; SQLite rebuilds the table without it.
			require.Contains(t, drift, "organizations")
			require.Contains(t, drift, "CREATE UNIQUE INDEX")
			require.Contains(t, drift, "user_org_id_email")
		})
	})

	t.Run("GlobalIDRanges", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			// sql/globalid: each table's IDs live in their own 1<<32 range,
			// set by the migrations (sqlite_sequence / identity START WITH).
			ctx := viewer.SystemContext(t.Context())
			client := d.Client()
			org, err := client.Organization.Create().SetName("Acme").Save(ctx)
			require.NoError(t, err)
			u, err := client.User.Create().SetOrgID(org.ID).SetEmail("a@example.com").SetName("A").Save(ctx)
			require.NoError(t, err)
			ranges := map[string]int{"organization": org.ID >> 32, "user": u.ID >> 32}
			require.Equal(t, map[string]int{"organization": 4, "user": 10}, ranges,
				"IDs fall in the ranges of ent/internal/globalid.go")
			// The range alone tells a Relay node lookup which table to read.
			n, err := client.Noder(ctx, u.ID)
			require.NoError(t, err)
			require.IsType(t, &ent.User{}, n)
			require.Equal(t, u.ID, n.(*ent.User).ID)
		})
	})

	t.Run("ConcurrentCallersApplyEachMigrationOnce", func(t *testing.T) {
		t.Parallel()
		dbtest.EachEmpty(t, func(t *testing.T, d *db.DB) {
			want := embeddedNames(t, d)
			results := make([][]string, 3)
			var g errgroup.Group
			for i := range results {
				g.Go(func() error {
					var err error
					results[i], err = d.Migrate(t.Context())
					return err
				})
			}
			require.NoError(t, g.Wait())
			var all []string
			for _, r := range results {
				all = append(all, r...)
			}
			require.ElementsMatch(t, want, all)
		})
	})

	t.Run("AppliesOnlyANewMigration", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			ctx := t.Context()
			const name = "99990101000000_add_extra.sql"
			db.SetMigrationsFS(d, migrationsWith(t, d, map[string]string{
				name: "-- Create \"extra_things\" table\nCREATE TABLE extra_things (id integer NOT NULL PRIMARY KEY);\nCREATE INDEX extra_things_id ON extra_things (id);\n",
			}))
			pending, err := d.PendingMigrations(ctx)
			require.NoError(t, err)
			require.Equal(t, []string{name}, pending)
			applied, err := d.Migrate(ctx)
			require.NoError(t, err)
			require.Equal(t, []string{name}, applied)
			_, err = d.Write.ExecContext(ctx, "INSERT INTO extra_things (id) VALUES (1)")
			require.NoError(t, err)
			var desc string
			require.NoError(t, d.Read.QueryRowContext(ctx, "SELECT description FROM mailbridge_migrations WHERE version = '99990101000000'").Scan(&desc))
			require.Equal(t, "add_extra", desc)
		})
	})

	t.Run("FailedMigrationLeavesNothingBehind", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			ctx := t.Context()
			const name = "99990101000000_broken.sql"
			db.SetMigrationsFS(d, migrationsWith(t, d, map[string]string{
				name: "CREATE TABLE half_done (id integer);\nSELECT * FROM no_such_table;\n",
			}))
			_, err := d.Migrate(ctx)
			require.ErrorContains(t, err, "migration "+name+" failed at statement 2 (line 2)")
			require.ErrorContains(t, err, "no_such_table")

			_, err = d.Read.ExecContext(ctx, "SELECT * FROM half_done")
			require.Error(t, err, "the first statement was rolled back with the second")
			pending, err := d.PendingMigrations(ctx)
			require.NoError(t, err)
			require.Equal(t, []string{name}, pending)
			if d.Dialect == dialect.SQLite {
				var fk int
				require.NoError(t, d.Write.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
				require.Equal(t, 1, fk, "foreign keys are back on after a failed migration")
			}
		})
	})

	t.Run("SQLiteTableRebuildKeepsReferencingRows", func(t *testing.T) {
		t.Parallel()
		// Atlas alters most SQLite tables by rebuilding them, which drops a
		// table other rows reference. With foreign keys on, that DROP fails
		// (or cascades); the runner turns them off around the transaction
		// and checks the result with foreign_key_check instead.
		// The rebuild adds a column to organizations as Atlas would: the
		// current table's definition under a new name, its rows copied.
		rebuild := func(t *testing.T, d *db.DB) string {
			t.Helper()
			var create, cols string
			require.NoError(t, d.Write.QueryRowContext(t.Context(),
				"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'organizations'").Scan(&create))
			require.NoError(t, d.Write.QueryRowContext(t.Context(),
				"SELECT group_concat('`' || name || '`', ', ') FROM pragma_table_info('organizations')").Scan(&cols))
			// SQLite keeps the name as it was last written (quoted or not).
			create = "CREATE TABLE `new_organizations` " + create[strings.Index(create, "("):]
			create = create[:strings.LastIndex(create, ")")] + ", `note` text NULL)"
			return "PRAGMA foreign_keys = off;\n" + create + ";\n" +
				"INSERT INTO `new_organizations` (" + cols + ") SELECT " + cols + " FROM `organizations`;\n" +
				"DROP TABLE `organizations`;\n" +
				"ALTER TABLE `new_organizations` RENAME TO `organizations`;\n" +
				"PRAGMA foreign_keys = on;\n"
		}
		type testBundle struct {
			d      *db.DB
			ctx    context.Context
			client *ent.Client
		}
		setup := func(t *testing.T) *testBundle {
			t.Helper()
			d := dbtest.SQLite(t)
			ctx := viewer.SystemContext(t.Context())
			client := d.Client()
			org, err := client.Organization.Create().SetName("Acme").Save(ctx)
			require.NoError(t, err)
			_, err = client.User.Create().SetOrgID(org.ID).SetEmail("a@example.com").SetName("A").Save(ctx)
			require.NoError(t, err)
			return &testBundle{d: d, ctx: ctx, client: client}
		}

		t.Run("Rebuild", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			db.SetMigrationsFS(b.d, migrationsWith(t, b.d, map[string]string{"99990101000000_rebuild.sql": rebuild(t, b.d)}))
			applied, err := b.d.Migrate(b.ctx)
			require.NoError(t, err)
			require.Len(t, applied, 1)
			u, err := b.client.User.Query().WithOrganization().Only(b.ctx)
			require.NoError(t, err)
			require.Equal(t, "Acme", u.Edges.Organization.Name)
			var fk int
			require.NoError(t, b.d.Write.QueryRowContext(b.ctx, "PRAGMA foreign_keys").Scan(&fk))
			require.Equal(t, 1, fk)
		})

		t.Run("ViolationRollsBack", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			db.SetMigrationsFS(b.d, migrationsWith(t, b.d, map[string]string{"99990101000000_orphan.sql": "DELETE FROM organizations;\n"}))
			_, err := b.d.Migrate(b.ctx)
			require.ErrorContains(t, err, "99990101000000_orphan.sql leaves foreign key violations")
			n, err := b.client.Organization.Query().Count(b.ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
		})
	})

	t.Run("RefusesFilesThatDoNotMatchAtlasSum", func(t *testing.T) {
		t.Parallel()
		dbtest.EachEmpty(t, func(t *testing.T, d *db.DB) {
			ctx := t.Context()
			fsys, err := migrations.FS(d.Dialect)
			require.NoError(t, err)
			tampered := fstest.MapFS{}
			names := embeddedNames(t, d)
			for _, n := range append(names, atlasmigrate.HashFileName) {
				b, err := fs.ReadFile(fsys, n)
				require.NoError(t, err)
				tampered[n] = &fstest.MapFile{Data: b}
			}
			tampered[names[0]].Data = append(tampered[names[0]].Data, "\n-- hand edit\n"...)
			db.SetMigrationsFS(d, tampered)

			_, err = d.Migrate(ctx)
			require.ErrorIs(t, err, db.ErrMigrationsCorrupt)
			require.ErrorContains(t, err, "atlas.sum")
			require.ErrorContains(t, err, names[0]+" was edited")
			_, err = d.PendingMigrations(ctx)
			require.ErrorIs(t, err, db.ErrMigrationsCorrupt)

			delete(tampered, atlasmigrate.HashFileName)
			_, err = d.Migrate(ctx)
			require.ErrorContains(t, err, "atlas.sum is missing")

			var exists bool
			require.NoError(t, d.Read.QueryRowContext(ctx, existsSQL(d), "mailbridge_migrations").Scan(&exists))
			require.False(t, exists, "nothing was written before the files were validated")
		})
	})

	t.Run("RefusesAVersionItDoesNotKnow", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			ctx := t.Context()
			_, err := d.Write.ExecContext(ctx, "INSERT INTO mailbridge_migrations (version, description, checksum) VALUES ('99991231235959', 'from_the_future', 'x')")
			require.NoError(t, err)
			_, err = d.Migrate(ctx)
			require.ErrorIs(t, err, db.ErrUnknownMigration)
			require.ErrorContains(t, err, "99991231235959 (from_the_future)")
			require.ErrorContains(t, err, "downgrades are not supported")
			_, err = d.PendingMigrations(ctx)
			require.ErrorIs(t, err, db.ErrUnknownMigration)
		})
	})

	t.Run("RefusesAnEditedMigration", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			ctx := t.Context()
			first := embeddedNames(t, d)[0]
			version, _, _ := strings.Cut(first, "_")
			_, err := d.Write.ExecContext(ctx, "UPDATE mailbridge_migrations SET checksum = 'deadbeef' WHERE version = '"+version+"'")
			require.NoError(t, err)
			_, err = d.Migrate(ctx)
			require.ErrorIs(t, err, db.ErrEditedMigration)
			require.ErrorContains(t, err, first+" was applied with checksum deadbeef")
		})
	})

	t.Run("RefusesAMigrationAddedOutOfOrder", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			const name = "20000101000000_from_an_old_branch.sql"
			db.SetMigrationsFS(d, migrationsWith(t, d, map[string]string{name: "CREATE TABLE old_branch (id integer);\n"}))
			_, err := d.Migrate(t.Context())
			require.ErrorIs(t, err, db.ErrOutOfOrder)
			require.ErrorContains(t, err, name+" is older than the newest applied migration")
		})
	})
}

func existsSQL(d *db.DB) string {
	if d.Dialect == dialect.SQLite {
		return "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)"
	}
	return "SELECT to_regclass($1) IS NOT NULL"
}
