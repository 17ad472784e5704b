// Package dburl parses Mailbridge's database URL (DATABASE_URL). It is the
// one place that decides which URLs are accepted: the configuration
// validates with it and the database package opens what it returns, so the
// two cannot disagree.
package dburl

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"entgo.io/ent/dialect"
)

// SQLiteFileName is the embedded database's file under the data directory.
const SQLiteFileName = "mailbridge.db"

// Target is a parsed database URL.
type Target struct {
	// Dialect is dialect.SQLite or dialect.Postgres.
	Dialect string
	// Path is the SQLite file (SQLite only).
	Path string
	// URL is the PostgreSQL URL (PostgreSQL only).
	URL string
}

// Parse classifies raw. Empty or "sqlite:" selects the embedded SQLite file
// mailbridge.db under dataDir; "sqlite:PATH", "file:PATH" or a bare file
// path selects that SQLite file instead. "postgres://…" or "postgresql://…"
// selects PostgreSQL. Anything else is rejected, so a typo cannot silently
// fall back to a fresh empty database. Errors never contain a password.
func Parse(raw, dataDir string) (Target, error) {
	raw = strings.TrimSpace(raw)
	lower := strings.ToLower(raw)
	switch {
	case raw == "" || lower == "sqlite:" || lower == "sqlite://":
		if dataDir == "" {
			return Target{}, errors.New("embedded SQLite needs a data directory (DATA_DIR / --data-dir)")
		}
		return Target{Dialect: dialect.SQLite, Path: filepath.Join(dataDir, SQLiteFileName)}, nil
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return Target{}, fmt.Errorf("invalid PostgreSQL URL in DATABASE_URL: %w", RedactError(err))
		}
		return Target{Dialect: dialect.Postgres, URL: raw}, nil
	case strings.HasPrefix(lower, "sqlite://"):
		return sqlitePath(raw[len("sqlite://"):])
	case strings.HasPrefix(lower, "sqlite:"):
		return sqlitePath(raw[len("sqlite:"):])
	case strings.HasPrefix(lower, "file:"):
		return sqlitePath(raw[len("file:"):])
	case !strings.Contains(raw, ":"):
		return sqlitePath(raw)
	default:
		scheme, _, _ := strings.Cut(raw, ":")
		return Target{}, fmt.Errorf("unsupported database URL scheme %q in DATABASE_URL: use postgres://… for PostgreSQL, or leave it empty (or sqlite:PATH) for embedded SQLite", scheme)
	}
}

// sqlitePath validates an explicit SQLite file path. Query parameters are
// refused: Mailbridge sets its own pragmas and a user-supplied journal mode
// or txlock would silently break the writer/reader split.
func sqlitePath(p string) (Target, error) {
	if strings.ContainsAny(p, "?#") {
		return Target{}, fmt.Errorf("DATABASE_URL: SQLite URL %q must not carry parameters; Mailbridge sets its own pragmas", p)
	}
	if p == "" || strings.HasPrefix(p, ":memory") {
		return Target{}, errors.New("DATABASE_URL: SQLite needs a file path; in-memory databases lose data and skip WAL")
	}
	return Target{Dialect: dialect.SQLite, Path: p}, nil
}

// Location names the target for messages: the SQLite file's path, or the
// PostgreSQL URL without its password.
func (t Target) Location() string {
	if t.Dialect == dialect.SQLite {
		return t.Path
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return "PostgreSQL"
	}
	return u.Redacted()
}

// RedactError drops the URL from url.Parse errors, which would otherwise
// put a password into logs.
func RedactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
