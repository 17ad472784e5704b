package config_test

import (
	"io"
	"os"
	"path/filepath"
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
	require.Equal(t, ":8080", c.Listen)
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
