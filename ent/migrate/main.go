//go:build ignore

// Command migrate writes the next versioned migration for both dialects.
//
//	go run -mod=mod ./ent/migrate/main.go <name>
//
// It replays the committed migrations on a dev database, diffs the result
// against the ent schema (ent/migrate.Tables, including the sql/globalid ID
// ranges) and writes `<version>_<name>.sql` plus an updated atlas.sum into
//
//   - ent/migrate/migrations/sqlite/, against an in-memory SQLite database;
//   - ent/migrate/migrations/postgres/, against a scratch database created
//     and dropped on the PostgreSQL named by MIGRATE_DEV_POSTGRES_URL
//     (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable).
//
// Both dialects are planned in memory first and written only when both
// succeeded, with one shared version, so the two directories never drift
// apart because one dev database was unreachable. The Atlas CLI is not
// needed. Run it from the repository root after `go generate ./...`.
//
// A data migration, or SQL the ent schema cannot express (PostgreSQL's
// trigram indexes), is written by hand into a new `<version>_<name>.sql`
// (version: a UTC timestamp newer than every existing one, in the
// directories of the dialects that need it); then
//
//	go run -mod=mod ./ent/migrate/main.go -rehash
//
// recomputes both atlas.sum files with Atlas (never edit atlas.sum by hand).
// Indexes whose name ends in "_trgm" exist only in such files; the diff keeps
// them instead of dropping them for not being in the ent schema
// (db.KeepHandWrittenIndexes).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"mailbridge/ent/migrate"
	"mailbridge/internal/db"
)

const (
	migrationsDir      = "ent/migrate/migrations"
	defaultDevPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func main() {
	log.SetFlags(0)
	log.SetPrefix("ent/migrate: ")
	if len(os.Args) == 2 && os.Args[1] == "-rehash" {
		for _, d := range []string{"sqlite", "postgres"} {
			if err := rehash(filepath.Join(migrationsDir, d)); err != nil {
				log.Fatalf("%s: %v", d, err)
			}
		}
		return
	}
	if len(os.Args) != 2 || !validName.MatchString(os.Args[1]) {
		log.Fatalf("usage: go run -mod=mod ./ent/migrate/main.go <name>  (name: lowercase letters, digits and _, e.g. add_prospect_index)")
	}
	name := os.Args[1]
	if _, err := os.Stat(filepath.Join(migrationsDir, "embed.go")); err != nil {
		log.Fatalf("run from the repository root: %v", err)
	}
	ctx := context.Background()
	version := atlas.NewVersion()

	plans := []struct {
		dialect, dir string
		diff         func(context.Context, []schema.MigrateOption, string) error
	}{
		{dialect.SQLite, "sqlite", diffSQLite},
		{dialect.Postgres, "postgres", diffPostgres},
	}
	type result struct {
		path string
		dir  *atlas.MemDir
	}
	var results []result
	for _, p := range plans {
		path := filepath.Join(migrationsDir, p.dir)
		dir, err := loadDir(path)
		if err != nil {
			log.Fatal(err)
		}
		f, err := formatter(version)
		if err != nil {
			log.Fatal(err)
		}
		err = p.diff(ctx, []schema.MigrateOption{
			schema.WithDir(dir),
			schema.WithMigrationMode(schema.ModeReplay),
			schema.WithFormatter(f),
			schema.WithDropColumn(true),
			schema.WithDropIndex(true),
			schema.WithErrNoPlan(true),
			schema.WithDiffHook(db.KeepHandWrittenIndexes),
		}, name)
		switch {
		case errors.Is(err, atlas.ErrNoPlan):
			log.Printf("%s: schema matches the migrations, nothing to write", p.dir)
			continue
		case err != nil:
			log.Fatalf("%s: %v", p.dir, err)
		}
		if p.dialect == dialect.Postgres {
			if err := checkUnqualified(dir); err != nil {
				log.Fatalf("%s: %v", p.dir, err)
			}
		}
		results = append(results, result{path: path, dir: dir})
	}
	for _, r := range results {
		written, err := flush(r.dir, r.path)
		if err != nil {
			log.Fatal(err)
		}
		for _, w := range written {
			log.Printf("wrote %s", w)
		}
	}
}

// rehash recomputes path's atlas.sum from its files with Atlas, after a
// hand-written migration was added.
func rehash(path string) error {
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return err
	}
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	if err := atlas.WriteSumFile(dir, sum); err != nil {
		return err
	}
	log.Printf("rehashed %s", filepath.Join(path, atlas.HashFileName))
	return nil
}

// formatter is Atlas' default formatter with a fixed version, so that the
// SQLite and PostgreSQL files of one change share their version.
func formatter(version string) (atlas.Formatter, error) {
	n, err := template.New("name").Parse(version + "{{ with .Name }}_{{ . }}{{ end }}.sql")
	if err != nil {
		return nil, err
	}
	return atlas.NewTemplateFormatter(n, atlas.DefaultFormatter[0].C)
}

// loadDir copies the committed directory into memory; ent writes the new
// file and atlas.sum there, and flush copies them out once every dialect
// has been planned.
func loadDir(path string) (*atlas.MemDir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	dir := &atlas.MemDir{}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() || (filepath.Ext(e.Name()) != ".sql" && e.Name() != atlas.HashFileName) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return dir, nil
}

// flush writes the files of dir that are new or changed to path.
func flush(dir *atlas.MemDir, path string) ([]string, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	names := []string{atlas.HashFileName}
	for _, f := range files {
		names = append(names, f.Name())
	}
	var written []string
	for _, n := range names {
		b, err := fs.ReadFile(dir, n)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(path, n)
		if old, err := os.ReadFile(p); err == nil && string(old) == string(b) {
			continue
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
		written = append(written, p)
	}
	return written, nil
}

// diffSQLite plans against a private in-memory SQLite database. One pooled
// connection keeps every statement on the same in-memory database.
func diffSQLite(ctx context.Context, opts []schema.MigrateOption, name string) error {
	db, err := sql.Open("sqlite", "file:mailbridge_dev?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	return migrate.NewSchema(entsql.OpenDB(dialect.SQLite, db)).NamedDiff(ctx, name, opts...)
}

// diffPostgres plans against a scratch database on the dev server. The
// files carry no schema qualifier (ent plans them unqualified), so they
// apply into whatever schema search_path selects.
func diffPostgres(ctx context.Context, opts []schema.MigrateOption, name string) (err error) {
	raw := os.Getenv("MIGRATE_DEV_POSTGRES_URL")
	if raw == "" {
		raw = defaultDevPostgres
	}
	admin, err := sql.Open("pgx", raw)
	if err != nil {
		return err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		return fmt.Errorf("connecting to the dev PostgreSQL (set MIGRATE_DEV_POSTGRES_URL): %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	scratch := "mailbridge_migrate_dev_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+scratch); err != nil {
		return fmt.Errorf("creating scratch database: %w", err)
	}
	defer func() {
		_, derr := admin.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+scratch+" WITH (FORCE)")
		err = errors.Join(err, derr)
	}()
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	u.Path = "/" + scratch
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate.NewSchema(entsql.OpenDB(dialect.Postgres, db)).NamedDiff(ctx, name, opts...)
}

// checkUnqualified fails when a PostgreSQL file names a schema: the runner
// applies migrations into the schema search_path selects (a per-test schema,
// or a deployment's own), so a qualifier would silently escape it.
func checkUnqualified(dir *atlas.MemDir) error {
	files, err := dir.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if strings.Contains(string(f.Bytes()), `"public".`) {
			return fmt.Errorf("%s is schema-qualified; migrations must apply via search_path", f.Name())
		}
	}
	return nil
}
