package config_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/config"
)

const testKey = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func production(extra map[string]string) map[string]string {
	m := map[string]string{
		"MAILBRIDGE_MODE": "production", "PUBLIC_URL": "https://mb.example.com",
		"MICROSOFT_CLIENT_ID": "11111111-2222-3333-4444-555555555555", "MICROSOFT_CLIENT_SECRET": "s3cret",
		"MAILBRIDGE_TOKEN_KEY": testKey,
	}
	for k, v := range extra {
		if v == "" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

func TestParse_MicrosoftDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(nil, env(production(nil)), io.Discard)
	require.NoError(t, err)
	m := c.Microsoft
	require.Equal(t, "organizations", m.Tenant, "never common")
	require.Equal(t, "https://login.microsoftonline.com", m.LoginURL)
	require.Equal(t, "https://graph.microsoft.com", m.GraphURL)
	require.True(t, m.Configured())
	r, err := m.Ring()
	require.NoError(t, err)
	require.Equal(t, "k1", r.Primary())

	red := fmt.Sprint(c.Redacted())
	require.NotContains(t, red, "s3cret")
	require.NotContains(t, red, strings.TrimPrefix(testKey, "k1:"))
	require.Contains(t, red, "11111111-2222-3333-4444-555555555555")
}

func TestParse_MicrosoftFlagsAndFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secretFile, keyFile := filepath.Join(dir, "secret"), filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(secretFile, []byte("from-file\n"), 0o600))
	require.NoError(t, os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600))
	c, err := config.Parse([]string{
		"--microsoft-tenant", "contoso.onmicrosoft.com",
		"--microsoft-login-url", "https://login.example.com/",
		"--microsoft-graph-url", "https://graph.example.com",
	}, env(production(map[string]string{
		"MICROSOFT_CLIENT_SECRET": "", "MICROSOFT_CLIENT_SECRET_FILE": secretFile,
		"MAILBRIDGE_TOKEN_KEY": "", "MAILBRIDGE_TOKEN_KEY_FILE": keyFile,
	})), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "from-file", c.Microsoft.ClientSecret)
	require.Equal(t, testKey, c.Microsoft.TokenKey)
	require.Equal(t, "contoso.onmicrosoft.com", c.Microsoft.Tenant)
	require.Equal(t, "https://login.example.com", c.Microsoft.LoginURL)
	require.Equal(t, "https://graph.example.com", c.Microsoft.GraphURL)
}

func TestParse_MicrosoftInvalid(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		vars map[string]string
		want []string
	}{
		"MissingInProduction": {
			vars: map[string]string{"MICROSOFT_CLIENT_ID": "", "MICROSOFT_CLIENT_SECRET": "", "MAILBRIDGE_TOKEN_KEY": ""},
			want: []string{"MICROSOFT_CLIENT_ID", "MICROSOFT_CLIENT_SECRET", "MAILBRIDGE_TOKEN_KEY", "openssl rand"},
		},
		"CommonTenant":  {vars: map[string]string{"MICROSOFT_TENANT": "common"}, want: []string{"MICROSOFT_TENANT", "work or school"}},
		"BadTenant":     {vars: map[string]string{"MICROSOFT_TENANT": "not a tenant"}, want: []string{"MICROSOFT_TENANT"}},
		"PlainHTTP":     {vars: map[string]string{"MICROSOFT_LOGIN_URL": "http://login.example.com"}, want: []string{"MICROSOFT_LOGIN_URL", "https://"}},
		"GraphWithPath": {vars: map[string]string{"MICROSOFT_GRAPH_URL": "https://graph.microsoft.com/v1.0"}, want: []string{"MICROSOFT_GRAPH_URL"}},
		"ShortKey":      {vars: map[string]string{"MAILBRIDGE_TOKEN_KEY": "k1:c2hvcnQ="}, want: []string{"MAILBRIDGE_TOKEN_KEY", "32"}},
		"SecretTwice":   {vars: map[string]string{"MICROSOFT_CLIENT_SECRET_FILE": "/nonexistent"}, want: []string{"MICROSOFT_CLIENT_SECRET or MICROSOFT_CLIENT_SECRET_FILE"}},
	} {
		_, err := config.Parse(nil, env(production(tc.vars)), io.Discard)
		require.Error(t, err, name)
		for _, w := range tc.want {
			require.ErrorContains(t, err, w, name)
		}
		require.NotContains(t, err.Error(), "s3cret", name)
	}
}

func TestParse_MicrosoftDemoLeavesBlanksForTheEmulator(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.Empty(t, c.Microsoft.ClientID)
	require.Empty(t, c.Microsoft.LoginURL)
	require.Equal(t, "organizations", c.Microsoft.Tenant)
	c, err = config.Parse(nil, env(map[string]string{"MICROSOFT_LOGIN_URL": "http://127.0.0.1:9365"}), io.Discard)
	require.NoError(t, err, "http is fine for loopback")
	require.Equal(t, "http://127.0.0.1:9365", c.Microsoft.LoginURL)
}

// TestParse_OutlookAddinMinVersion: empty by default (no check), set by the
// variable or the flag, and refused unless it is a dotted version.
func TestParse_OutlookAddinMinVersion(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(nil, env(production(nil)), io.Discard)
	require.NoError(t, err)
	require.Empty(t, c.Microsoft.OutlookAddinMinVersion)

	c, err = config.Parse(nil, env(production(map[string]string{"OUTLOOK_ADDIN_MIN_VERSION": "1.4.2"})), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "1.4.2", c.Microsoft.OutlookAddinMinVersion)

	c, err = config.Parse([]string{"--outlook-addin-min-version", "16.0.17328.20124"}, env(production(map[string]string{"OUTLOOK_ADDIN_MIN_VERSION": "1.0"})), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "16.0.17328.20124", c.Microsoft.OutlookAddinMinVersion, "the flag wins over the variable")

	for _, bad := range []string{"latest", "1.2-beta", "v2", "1..2", "1.2.3.4.5", " 1.2"} {
		_, err := config.Parse(nil, env(production(map[string]string{"OUTLOOK_ADDIN_MIN_VERSION": bad})), io.Discard)
		require.ErrorContains(t, err, "OUTLOOK_ADDIN_MIN_VERSION", bad)
		require.ErrorContains(t, err, "such as 1.4.2", bad)
	}
}
