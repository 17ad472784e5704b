package demo_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/config"
	"mailbridge/internal/demo"
)

func TestMicrosoft_FillsFromTheEmulator(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m, err := demo.Microsoft(config.Microsoft{Tenant: "organizations"}, "http://127.0.0.1:9999/", dir)
	require.NoError(t, err)
	require.Equal(t, demo.EmulatorClientID, m.ClientID)
	require.Equal(t, "http://127.0.0.1:9999", m.LoginURL)
	require.Equal(t, "http://127.0.0.1:9999", m.GraphURL)
	require.True(t, m.Configured())
	again, err := demo.Microsoft(config.Microsoft{Tenant: "organizations"}, "http://127.0.0.1:9999", dir)
	require.NoError(t, err)
	require.Equal(t, m.TokenKey, again.TokenKey, "the demo key is kept across restarts")
	key := "k9:" + strings.Repeat("A", 43) + "="
	given, err := demo.Microsoft(config.Microsoft{ClientID: "mine", TokenKey: key}, "http://127.0.0.1:9999", dir)
	require.NoError(t, err)
	require.Equal(t, "mine", given.ClientID, "explicit settings win")
	require.Equal(t, key, given.TokenKey)
}
