package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
)

// migrationsTable records applied migrations: one row per file, with the
// SHA-256 of the file as applied.
const migrationsTable = "mailbridge_migrations"

// generateHint tells a developer how to produce a migration properly.
const generateHint = "go run -mod=mod ./ent/migrate/main.go <name>"

var (
	// ErrMigrationsCorrupt means the embedded migration files do not match
	// their atlas.sum: a file was edited, added or removed by hand. The
	// binary was built from a broken tree and must not touch a database.
	ErrMigrationsCorrupt = errors.New("db: embedded migrations do not match atlas.sum")
	// ErrUnknownMigration means the database records a migration this binary
	// does not carry: it was migrated by a newer Mailbridge. Running an
	// older binary against it (a downgrade) could corrupt data.
	ErrUnknownMigration = errors.New("db: database has a migration this binary does not know")
	// ErrEditedMigration means an applied migration's file changed since it
	// ran, so the database schema is not what the file now says.
	ErrEditedMigration = errors.New("db: an applied migration was edited")
	// ErrOutOfOrder means a pending migration is older than the newest
	// applied one (typically from a merged branch); applying it could act on
	// a schema it was not written for, so it must be regenerated.
	ErrOutOfOrder = errors.New("db: migration added out of order")
)

// appliedMigration is a row of mailbridge_migrations.
type appliedMigration struct {
	version, description, checksum string
}

// Migrate applies the pending embedded migrations in version order, each in
// its own transaction together with its mailbridge_migrations row, and
// returns the names of the files it applied (none when the schema is up to
// date, so calling it at every start is cheap). Before touching the
// database it validates the embedded files against atlas.sum; it refuses to
// run when the database was migrated by a newer binary, when an applied
// migration was edited, or when a pending one is older than the newest
// applied one. Concurrent callers (several instances starting at once) are
// serialised: on PostgreSQL by an advisory lock per schema, on SQLite by the
// immediate write lock.
//
// River's job queue tables are migrated in the same step, after
// Mailbridge's, with rivermigrate (see migrateRiver); the returned names
// are Mailbridge's files only.
func (d *DB) Migrate(ctx context.Context) (applied []string, err error) {
	if applied, err = d.migrateApp(ctx); err != nil {
		return applied, err
	}
	if _, err := d.migrateRiver(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// migrateApp applies Mailbridge's own versioned migrations (see Migrate).
func (d *DB) migrateApp(ctx context.Context) (applied []string, err error) {
	files, err := d.migrationFiles()
	if err != nil {
		return nil, err
	}
	conn, err := d.Write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	defer conn.Close()
	if err := d.ensureMigrationsTable(ctx, conn); err != nil {
		return nil, err
	}
	for {
		recs, err := d.appliedMigrations(ctx, conn)
		if err != nil {
			return applied, err
		}
		pending, err := plan(d.Dialect, files, recs)
		if err != nil {
			return applied, err
		}
		if len(pending) == 0 {
			if len(applied) == 0 {
				d.logger.DebugContext(ctx, "database schema is up to date", "dialect", d.Dialect)
			}
			// Fresh planner statistics after a schema change, and on SQLite
			// at every start (it has no autovacuum to gather them; PRAGMA
			// optimize skips tables whose statistics are current).
			if len(applied) > 0 || d.Dialect == dialect.SQLite {
				if err := d.optimize(ctx, conn); err != nil {
					return applied, err
				}
			}
			return applied, nil
		}
		start := time.Now()
		done, err := d.applyMigration(ctx, conn, files, pending[0])
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, pending[0].Name())
			d.logger.InfoContext(ctx, "applied database migration",
				"dialect", d.Dialect, "version", pending[0].Version(),
				"description", pending[0].Desc(), "duration", time.Since(start))
		}
	}
}

// PendingMigrations returns the names of the embedded migrations that
// Migrate would apply, in order, without changing the database. It fails
// for the same reasons Migrate refuses to run, so a `migrate --dry-run` or a
// readiness check reports a broken state before any change is made.
func (d *DB) PendingMigrations(ctx context.Context) ([]string, error) {
	files, err := d.migrationFiles()
	if err != nil {
		return nil, err
	}
	exists, err := d.migrationsTableExists(ctx, d.Read)
	if err != nil {
		return nil, err
	}
	var recs []appliedMigration
	if exists {
		if recs, err = d.appliedMigrations(ctx, d.Read); err != nil {
			return nil, err
		}
	}
	pending, err := plan(d.Dialect, files, recs)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(pending))
	for i, f := range pending {
		names[i] = f.Name()
	}
	return names, nil
}

// migrationFiles loads the embedded directory into an Atlas MemDir, checks
// it against atlas.sum and returns the .sql files sorted by version.
func (d *DB) migrationFiles() ([]atlasmigrate.File, error) {
	entries, err := fs.ReadDir(d.migrations, ".")
	if err != nil {
		return nil, fmt.Errorf("db: reading embedded migrations: %w", err)
	}
	dir := &atlasmigrate.MemDir{}
	for _, e := range entries {
		if e.IsDir() || (path.Ext(e.Name()) != ".sql" && e.Name() != atlasmigrate.HashFileName) {
			continue
		}
		b, err := fs.ReadFile(d.migrations, e.Name())
		if err != nil {
			return nil, fmt.Errorf("db: reading embedded migration %s: %w", e.Name(), err)
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	if err := atlasmigrate.Validate(dir); err != nil {
		return nil, checksumError(d.Dialect, err)
	}
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	seen := make(map[string]string, len(files))
	for _, f := range files {
		if err := atlasmigrate.CheckVersion(f.Version()); err != nil {
			return nil, fmt.Errorf("%w: %s: version %q is not a timestamp (YYYYMMDDhhmmss); generate migrations with %s",
				ErrMigrationsCorrupt, f.Name(), f.Version(), generateHint)
		}
		if prev, ok := seen[f.Version()]; ok {
			return nil, fmt.Errorf("%w: %s and %s share version %s", ErrMigrationsCorrupt, prev, f.Name(), f.Version())
		}
		seen[f.Version()] = f.Name()
	}
	return files, nil
}

// checksumError explains an atlas.sum mismatch.
func checksumError(dialectName string, err error) error {
	var ce *atlasmigrate.ChecksumError
	switch {
	case errors.As(err, &ce):
		return fmt.Errorf("%w (%s): %s was %s without regenerating atlas.sum; never edit migrations by hand, restore the file and generate a new migration with %s",
			ErrMigrationsCorrupt, dialectName, ce.File, ce.Reason, generateHint)
	case errors.Is(err, atlasmigrate.ErrChecksumNotFound):
		return fmt.Errorf("%w (%s): atlas.sum is missing; generate migrations with %s", ErrMigrationsCorrupt, dialectName, generateHint)
	default:
		return fmt.Errorf("%w (%s): %v; generate migrations with %s", ErrMigrationsCorrupt, dialectName, err, generateHint)
	}
}

// plan compares the applied migrations with the embedded files and returns
// the pending files, or why the database must not be migrated by this
// binary.
func plan(dialectName string, files []atlasmigrate.File, recs []appliedMigration) ([]atlasmigrate.File, error) {
	byVersion := make(map[string]atlasmigrate.File, len(files))
	for _, f := range files {
		byVersion[f.Version()] = f
	}
	applied := make(map[string]bool, len(recs))
	var latest string
	for _, r := range recs {
		f, ok := byVersion[r.version]
		if !ok {
			return nil, fmt.Errorf("%w: the %s database is at migration %s (%s), which is newer than this binary's last migration %s; it was migrated by a newer Mailbridge, and downgrades are not supported: run that version or restore a backup",
				ErrUnknownMigration, dialectName, r.version, r.description, lastVersion(files))
		}
		if sum := fileChecksum(f); sum != r.checksum {
			return nil, fmt.Errorf("%w: %s was applied with checksum %s, but the embedded file now has %s; applied migrations must never change, so restore the file and put the change in a new migration (%s)",
				ErrEditedMigration, f.Name(), r.checksum, sum, generateHint)
		}
		applied[r.version] = true
		latest = max(latest, r.version)
	}
	var pending []atlasmigrate.File
	for _, f := range files {
		if applied[f.Version()] {
			continue
		}
		if f.Version() < latest {
			return nil, fmt.Errorf("%w: %s is older than the newest applied migration %s; delete it and regenerate it with %s so it sorts last",
				ErrOutOfOrder, f.Name(), latest, generateHint)
		}
		pending = append(pending, f)
	}
	return pending, nil
}

func lastVersion(files []atlasmigrate.File) string {
	if len(files) == 0 {
		return "(none)"
	}
	return files[len(files)-1].Version()
}

// fileChecksum is the SHA-256 of one file's content. Unlike atlas.sum's
// chained hashes it depends on nothing but the file, so adding a migration
// never changes the recorded checksum of an earlier one.
func fileChecksum(f atlasmigrate.File) string {
	sum := sha256.Sum256(f.Bytes())
	return hex.EncodeToString(sum[:])
}

// queryExecer is the part of *sql.DB, *sql.Conn and *sql.Tx migrations use.
type queryExecer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// lockSQL serialises migrations of one PostgreSQL schema across instances
// until the end of the transaction. The key is derived from the schema
// name, so parallel tests in per-test schemas do not wait for each other.
const lockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('mailbridge_migrations:' || current_schema(), 0))`

func (d *DB) ensureMigrationsTable(ctx context.Context, conn *sql.Conn) error {
	if d.Dialect == dialect.SQLite {
		_, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` (
	version text NOT NULL PRIMARY KEY,
	description text NOT NULL,
	checksum text NOT NULL,
	applied_at text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)`)
		if err != nil {
			return fmt.Errorf("db: creating %s: %w", migrationsTable, err)
		}
		return nil
	}
	// CREATE TABLE IF NOT EXISTS races on PostgreSQL (a unique violation in
	// pg_type), hence the lock.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: creating %s: %w", migrationsTable, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, lockSQL); err != nil {
		return fmt.Errorf("db: taking the migration lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` (
	version text NOT NULL PRIMARY KEY,
	description text NOT NULL,
	checksum text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return fmt.Errorf("db: creating %s: %w", migrationsTable, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: creating %s: %w", migrationsTable, err)
	}
	return nil
}

func (d *DB) migrationsTableExists(ctx context.Context, q queryExecer) (bool, error) {
	var exists bool
	var err error
	if d.Dialect == dialect.SQLite {
		err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)`, migrationsTable).Scan(&exists)
	} else {
		err = q.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, migrationsTable).Scan(&exists)
	}
	if err != nil {
		return false, fmt.Errorf("db: looking for %s: %w", migrationsTable, err)
	}
	return exists, nil
}

func (d *DB) appliedMigrations(ctx context.Context, q queryExecer) ([]appliedMigration, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, description, checksum FROM `+migrationsTable+` ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("db: reading %s: %w", migrationsTable, err)
	}
	defer rows.Close()
	var recs []appliedMigration
	for rows.Next() {
		var r appliedMigration
		if err := rows.Scan(&r.version, &r.description, &r.checksum); err != nil {
			return nil, fmt.Errorf("db: reading %s: %w", migrationsTable, err)
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: reading %s: %w", migrationsTable, err)
	}
	return recs, nil
}

// applyMigration runs f and records it in one transaction on conn. It
// re-plans under the migration lock and reports false when another process
// applied f in the meantime.
func (d *DB) applyMigration(ctx context.Context, conn *sql.Conn, files []atlasmigrate.File, f atlasmigrate.File) (done bool, err error) {
	stmts, err := f.StmtDecls()
	if err != nil {
		return false, fmt.Errorf("db: parsing migration %s: %w", f.Name(), err)
	}
	if d.Dialect == dialect.SQLite {
		// Rebuilding a table (how SQLite alters most things) drops it, and
		// with foreign keys on, dropping a referenced table deletes or
		// rejects the referencing rows. The pragma is a no-op inside a
		// transaction, so it is turned off around it, and foreign_key_check
		// verifies the result before commit, as Atlas does.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
			return false, fmt.Errorf("db: migration %s: disabling foreign keys: %w", f.Name(), err)
		}
		defer func() {
			if _, ferr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = on"); ferr != nil {
				// Never return a connection without foreign keys to the pool.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				err = errors.Join(err, fmt.Errorf("db: re-enabling foreign keys: %w", ferr))
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("db: migration %s: begin: %w", f.Name(), err)
	}
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	var fkBefore []string
	switch d.Dialect {
	case dialect.Postgres:
		// Index builds and table rewrites may take longer than the
		// connection's statement_timeout; ctx still bounds the migration.
		if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return false, fmt.Errorf("db: migration %s: %w", f.Name(), err)
		}
		if _, err := tx.ExecContext(ctx, lockSQL); err != nil {
			return false, fmt.Errorf("db: taking the migration lock: %w", err)
		}
	case dialect.SQLite:
		if fkBefore, err = foreignKeyViolations(ctx, tx); err != nil {
			return false, fmt.Errorf("db: migration %s: %w", f.Name(), err)
		}
	}
	recs, err := d.appliedMigrations(ctx, tx)
	if err != nil {
		return false, err
	}
	pending, err := plan(d.Dialect, files, recs)
	if err != nil {
		return false, err
	}
	if len(pending) == 0 || pending[0].Name() != f.Name() {
		return false, nil // applied concurrently; the caller re-plans
	}
	for i, s := range stmts {
		if _, err := tx.ExecContext(ctx, s.Text); err != nil {
			return false, fmt.Errorf("db: migration %s failed at statement %d (line %d), nothing of it was applied: %w",
				f.Name(), i+1, lineOf(f.Bytes(), s.Pos), err)
		}
	}
	if d.Dialect == dialect.SQLite {
		fkAfter, err := foreignKeyViolations(ctx, tx)
		if err != nil {
			return false, fmt.Errorf("db: migration %s: %w", f.Name(), err)
		}
		if added := slices.DeleteFunc(fkAfter, func(v string) bool { return slices.Contains(fkBefore, v) }); len(added) > 0 {
			return false, fmt.Errorf("db: migration %s leaves foreign key violations (table/rowid/parent/fk): %s", f.Name(), strings.Join(added, ", "))
		}
	}
	insert := `INSERT INTO ` + migrationsTable + ` (version, description, checksum) VALUES ($1, $2, $3)`
	if d.Dialect == dialect.SQLite {
		insert = `INSERT INTO ` + migrationsTable + ` (version, description, checksum) VALUES (?, ?, ?)`
	}
	if _, err := tx.ExecContext(ctx, insert, f.Version(), f.Desc(), fileChecksum(f)); err != nil {
		return false, fmt.Errorf("db: recording migration %s: %w", f.Name(), err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("db: migration %s: commit: %w", f.Name(), err)
	}
	return true, nil
}

// foreignKeyViolations lists SQLite's foreign key violations.
func foreignKeyViolations(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return nil, fmt.Errorf("checking foreign keys: %w", err)
	}
	defer rows.Close()
	var vs []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return nil, fmt.Errorf("checking foreign keys: %w", err)
		}
		vs = append(vs, fmt.Sprintf("%s/%d/%s/%d", table, rowid.Int64, parent, fk))
	}
	return vs, rows.Err()
}

// lineOf turns a byte offset into a 1-based line number.
func lineOf(b []byte, pos int) int {
	if pos > len(b) {
		pos = len(b)
	}
	return strings.Count(string(b[:max(pos, 0)]), "\n") + 1
}
