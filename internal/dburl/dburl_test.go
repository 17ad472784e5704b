package dburl_test

import (
	"path/filepath"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/internal/dburl"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]dburl.Target{
		"":                         {Dialect: dialect.SQLite, Path: filepath.Join("data", "mailbridge.db")},
		"sqlite:":                  {Dialect: dialect.SQLite, Path: filepath.Join("data", "mailbridge.db")},
		"sqlite:/srv/mb.db":        {Dialect: dialect.SQLite, Path: "/srv/mb.db"},
		"sqlite:///srv/mb.db":      {Dialect: dialect.SQLite, Path: "/srv/mb.db"},
		"file:mb.db":               {Dialect: dialect.SQLite, Path: "mb.db"},
		"mb.db":                    {Dialect: dialect.SQLite, Path: "mb.db"},
		"postgres://u:pw@db/mb":    {Dialect: dialect.Postgres, URL: "postgres://u:pw@db/mb"},
		"POSTGRESQL://u@db/mb?x=1": {Dialect: dialect.Postgres, URL: "POSTGRESQL://u@db/mb?x=1"},
	} {
		got, err := dburl.Parse(raw, "data")
		require.NoError(t, err, raw)
		require.Equal(t, want, got, raw)
	}
	for raw, msg := range map[string]string{
		"mysql://root@db/mb":        `unsupported database URL scheme "mysql"`,
		"sqlite::memory:":           "in-memory",
		"sqlite:/srv/mb.db?mode=ro": "must not carry parameters",
		"postgres://u:p%zz@db/mb":   "invalid PostgreSQL URL",
	} {
		_, err := dburl.Parse(raw, "data")
		require.ErrorContains(t, err, msg, raw)
		require.NotContains(t, err.Error(), "p%zz", "errors never contain the password")
	}
	_, err := dburl.Parse("", "")
	require.ErrorContains(t, err, "DATA_DIR")
	require.Equal(t, "postgres://u:xxxxx@db/mb", dburl.Target{Dialect: dialect.Postgres, URL: "postgres://u:pw@db/mb"}.Location())
	require.Equal(t, "/srv/mb.db", dburl.Target{Dialect: dialect.SQLite, Path: "/srv/mb.db"}.Location())
}
