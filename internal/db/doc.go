// Package db opens Mailbridge's database and applies its migrations.
//
// Mailbridge runs on one of two dialects, chosen by a URL (Options.URL):
//
//   - Embedded SQLite (the default; modernc.org/sqlite, no cgo) in a file
//     mailbridge.db under the data directory. Every connection is opened with
//     the production DSN: WAL, busy_timeout(5000), synchronous(NORMAL),
//     foreign_keys(1) and _txlock=immediate (QUALITY.md §4.1), and times
//     are written as UTC text in one sortable layout (_time_format=sqlite,
//     _timezone=UTC: "2006-01-02 15:04:05.999999999+00:00"), so that SQL
//     comparisons and ORDER BY on time columns are correct whatever the
//     process's zone. SQLite allows
//     one writer at a time, so the writer pool (DB.Write) holds exactly one
//     connection and a second pool (DB.Read) of query_only connections serves
//     reads concurrently through WAL. The ent driver routes each statement:
//     plain reads (SELECT, or WITH without a data-changing statement) outside
//     a transaction go to the read pool; everything else, including
//     INSERT … RETURNING (which ent issues through Query, not Exec) and every
//     statement of a transaction, goes to the writer. Because the read pool is
//     query_only, a mis-routed write fails loudly instead of racing the writer.
//   - PostgreSQL (postgres:// or postgresql:// URLs, through pgx's database/sql
//     driver) for multi-instance deployments. One pool serves reads and
//     writes; DB.Read and DB.Write are the same *sql.DB.
//
// The single-writer trap (QUALITY.md §4.1): while a transaction holds the
// only SQLite writer connection, any other write waits until its context
// expires. Inside a transaction, send every statement through the
// transaction, and never hold one across a network call.
//
// Fair sharing: WithRequestLimit marks a request's context, and the
// drivers then run at most one of its statements at a time on SQLite (four
// on PostgreSQL), so one request of many aliased lists cannot hold every
// pooled connection while other requests wait.
//
// Planner statistics: Migrate ends with Optimize (PRAGMA optimize on
// SQLite, ANALYZE of the current schema's tables on PostgreSQL after a
// migration), and an open SQLite database runs PRAGMA optimize hourly.
//
// Migrations are Atlas-format versioned SQL files generated from the ent
// schema (see mailbridge/ent/migrate/migrations) and embedded in the binary.
// DB.Migrate applies the pending ones, each in its own transaction, and
// records them in the mailbridge_migrations table; it refuses to run against
// a database migrated by a newer binary or with an edited migration.
//
// Tests get per-test databases, migrated with the same files, from
// mailbridge/internal/dbtest.
package db
