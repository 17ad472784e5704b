package db

import "io/fs"

// SetMigrationsFS replaces the embedded migrations of d, so tests can feed
// Migrate a tampered, extended or broken directory.
func SetMigrationsFS(d *DB, fsys fs.FS) { d.migrations = fsys }
