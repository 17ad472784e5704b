package config_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/config"
)

func env(m map[string]string) config.Getenv { return func(k string) string { return m[k] } }

func TestParse_Defaults(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.Equal(t, config.ModeDemo, c.Mode)
	require.Equal(t, "127.0.0.1:8080", c.Listen, "demo mode listens on loopback by default")
	require.Equal(t, "http://localhost:8080", c.PublicURL)
	require.Empty(t, c.DatabaseURL, "embedded SQLite by default")
	require.Equal(t, "data", c.DataDir)
	require.Equal(t, "text", c.LogFormat)
	require.Equal(t, 20*time.Minute, c.SessionIdleTimeout)
	require.True(t, c.Dev())
	require.False(t, c.SecureCookies())
}

func TestParse_EnvAndFlags(t *testing.T) {
	t.Parallel()
	c, err := config.Parse([]string{"--log-level", "debug"}, env(map[string]string{
		"PORT": "9000", "MAILBRIDGE_MODE": "production", "PUBLIC_URL": "https://mb.example.com/",
		"DATABASE_URL":        "postgres://u:secret@db/mailbridge",
		"MICROSOFT_CLIENT_ID": "cid", "MICROSOFT_CLIENT_SECRET": "csecret", "MAILBRIDGE_TOKEN_KEY": testKey,
	}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, ":9000", c.Listen)
	require.Equal(t, "https://mb.example.com", c.PublicURL)
	require.Equal(t, "json", c.LogFormat)
	require.True(t, c.SecureCookies())
	require.False(t, c.Dev())
	require.NotContains(t, c.Redacted(), "postgres://u:secret@db/mailbridge")
	require.Contains(t, c.Redacted(), "postgres://u:REDACTED@db/mailbridge")
}

func TestParse_SecretFromFile(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "db")
	require.NoError(t, os.WriteFile(f, []byte("postgres://u:p@db/x\n"), 0o600))
	c, err := config.Parse(nil, env(map[string]string{"DATABASE_URL_FILE": f}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "postgres://u:p@db/x", c.DatabaseURL)

	_, err = config.Parse(nil, env(map[string]string{"DATABASE_URL_FILE": f, "DATABASE_URL": "postgres://x"}), io.Discard)
	require.ErrorContains(t, err, "DATABASE_URL or DATABASE_URL_FILE, not both")
}

func TestParse_InvalidValuesAreAllReported(t *testing.T) {
	t.Parallel()
	_, err := config.Parse(nil, env(map[string]string{
		"MAILBRIDGE_MODE": "staging", "LOG_LEVEL": "loud", "SESSION_IDLE_TIMEOUT": "soon",
		"PUBLIC_URL": "mailbridge.example.com", "DATABASE_URL": "mysql://x", "GRAPHQL_COMPLEXITY_LIMIT": "lots",
	}), io.Discard)
	require.Error(t, err)
	for _, want := range []string{"MAILBRIDGE_MODE", "LOG_LEVEL", "SESSION_IDLE_TIMEOUT", "PUBLIC_URL", "DATABASE_URL", "GRAPHQL_COMPLEXITY_LIMIT"} {
		require.ErrorContains(t, err, want)
	}
	_, err = config.Parse(nil, env(map[string]string{"MAILBRIDGE_MODE": "production", "PUBLIC_URL": "http://mb.example.com"}), io.Discard)
	require.ErrorContains(t, err, "https://")
}

func TestParse_RequestLimits(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.Equal(t, 50, c.MaxDBQueries)
	require.Equal(t, 30, c.MaxAliases)
	require.Equal(t, 600, c.RateLimitPerMinute)
	require.Equal(t, 60, c.RateLimitBurst)

	c, err = config.Parse([]string{"--rate-limit-burst", "5"}, env(map[string]string{
		"GRAPHQL_MAX_DB_QUERIES": "80", "GRAPHQL_MAX_ALIASES": "0", "RATE_LIMIT_PER_MINUTE": "0",
	}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, 80, c.MaxDBQueries)
	require.Equal(t, 0, c.MaxAliases)
	require.Equal(t, 0, c.RateLimitPerMinute, "0 turns the rate limit off")
	require.Equal(t, 5, c.RateLimitBurst)

	_, err = config.Parse(nil, env(map[string]string{"GRAPHQL_MAX_DB_QUERIES": "1", "RATE_LIMIT_PER_MINUTE": "-1"}), io.Discard)
	require.ErrorContains(t, err, "GRAPHQL_MAX_DB_QUERIES")
	_, err = config.Parse(nil, env(map[string]string{"RATE_LIMIT_BURST": "many"}), io.Discard)
	require.ErrorContains(t, err, "RATE_LIMIT_BURST")
}

// TestParse_DemoListensOnLoopback: demo sign-in is passwordless, so demo
// mode binds loopback unless told otherwise; production binds everywhere.
func TestParse_DemoListensOnLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{":8080", "0.0.0.0:8080", "192.0.2.10:8080", "[::]:8080"} {
		_, err := config.Parse(nil, env(map[string]string{"LISTEN_ADDR": addr}), io.Discard)
		require.ErrorContains(t, err, "DEMO_ALLOW_REMOTE", addr)
		c, err := config.Parse([]string{"--demo-allow-remote"}, env(map[string]string{"LISTEN_ADDR": addr}), io.Discard)
		require.NoError(t, err, addr)
		require.Equal(t, addr, c.Listen)
		require.True(t, c.DemoAllowRemote)
		_, err = config.Parse(nil, env(map[string]string{"LISTEN_ADDR": addr, "DEMO_ALLOW_REMOTE": "true"}), io.Discard)
		require.NoError(t, err, addr)
	}
	for _, addr := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "127.0.0.1:0"} {
		c, err := config.Parse(nil, env(map[string]string{"LISTEN_ADDR": addr}), io.Discard)
		require.NoError(t, err, addr)
		require.Equal(t, addr, c.Listen)
	}
	c, err := config.Parse(nil, env(map[string]string{"PORT": "9000"}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9000", c.Listen)
	c, err = config.Parse(nil, env(production(map[string]string{"PORT": "9000"})), io.Discard)
	require.NoError(t, err)
	require.Equal(t, ":9000", c.Listen)
}

// TestParse_InvalidModeIsReportedAlone: a wrong MAILBRIDGE_MODE must not
// also produce a LOG_FORMAT error (whose default depends on the mode).
func TestParse_InvalidModeIsReportedAlone(t *testing.T) {
	t.Parallel()
	_, err := config.Parse(nil, env(map[string]string{"MAILBRIDGE_MODE": "staging"}), io.Discard)
	require.ErrorContains(t, err, `MAILBRIDGE_MODE must be demo or production, not "staging"`)
	require.NotContains(t, err.Error(), "LOG_FORMAT")
	require.Equal(t, 2, strings.Count(err.Error(), "\n")+1, "one heading line and one problem: %s", err)
}

// TestParse_DatabaseURLMatchesTheDatabasePackage: the configuration accepts
// exactly the URLs the database package opens (one parser, internal/dburl).
func TestParse_DatabaseURLMatchesTheDatabasePackage(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "sqlite:/var/lib/mailbridge/mb.db", "file:/tmp/x.db", "postgres://u@db/mb", "postgresql://u@db/mb"} {
		c, err := config.Parse(nil, env(map[string]string{"DATABASE_URL": ok}), io.Discard)
		require.NoError(t, err, ok)
		require.Equal(t, ok, c.DatabaseURL)
	}
	for _, bad := range []string{"mysql://x", "sqlite::memory:", "sqlite:/tmp/x.db?_pragma=journal_mode(DELETE)"} {
		_, err := config.Parse(nil, env(map[string]string{"DATABASE_URL": bad}), io.Discard)
		require.ErrorContains(t, err, "DATABASE_URL", bad)
	}
}
