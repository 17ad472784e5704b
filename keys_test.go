package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/tokencrypt"
)

func TestRun_KeysRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, err := tokencrypt.GenerateKey("k1")
	require.NoError(t, err)
	k2, err := tokencrypt.GenerateKey("k2")
	require.NoError(t, err)
	env := func(key string) func(string) string {
		return func(name string) string {
			return map[string]string{"DATA_DIR": dir, "MAILBRIDGE_TOKEN_KEY": key}[name]
		}
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"keys", "rotate"}, env(k2+","+k1), &out, io.Discard))
	require.Contains(t, out.String(), `Re-encrypted the tokens of 0 Microsoft accounts under key "k2"`)
	require.False(t, strings.Contains(out.String(), strings.TrimPrefix(k2, "k2:")), "never prints key material")

	err = run(context.Background(), []string{"keys"}, env(k1), io.Discard, io.Discard)
	require.ErrorContains(t, err, "usage: mailbridge keys rotate")
	err = run(context.Background(), []string{"keys", "rotate"}, env(""), io.Discard, io.Discard)
	require.ErrorContains(t, err, "MAILBRIDGE_TOKEN_KEY")
}
