// Package migrations embeds Mailbridge's versioned SQL migrations, one Atlas
// directory per dialect, so the binary carries the exact files its schema was
// built from. internal/db applies them at startup.
//
// The files are generated, never hand-written:
//
//	go run -mod=mod ./ent/migrate/main.go <name>
//
// writes the next `<version>_<name>.sql` into sqlite/ and postgres/ and
// updates each directory's atlas.sum. An applied migration is never edited;
// a change is always a new migration.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"entgo.io/ent/dialect"
)

//go:embed sqlite/*.sql sqlite/atlas.sum postgres/*.sql postgres/atlas.sum
var files embed.FS

// FS returns the migration directory for an ent dialect (dialect.SQLite or
// dialect.Postgres): the `.sql` files and atlas.sum at its root. It returns
// an error for any other dialect, so a caller cannot silently run with no
// migrations.
func FS(d string) (fs.FS, error) {
	switch d {
	case dialect.SQLite:
		return fs.Sub(files, "sqlite")
	case dialect.Postgres:
		return fs.Sub(files, "postgres")
	default:
		return nil, fmt.Errorf("migrations: no migrations for dialect %q", d)
	}
}
