package microsoft_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/dbtest"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/tokencrypt"
)

func TestRotateKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	_, _, acct := connected(t, e, "adele@contoso.com")
	oldRT := e.refreshToken(acct)
	require.True(t, strings.HasPrefix(*acct.RefreshToken, "v1:t1:"))

	newKey, err := tokencrypt.GenerateKey("t2")
	require.NoError(t, err)
	ring, err := tokencrypt.ParseRing(newKey + "," + e.cfg.TokenKey)
	require.NoError(t, err)
	n, err := microsoft.RotateKeys(context.Background(), e.client, ring)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	after := e.account(acct.ID)
	require.True(t, strings.HasPrefix(*after.RefreshToken, "v1:t2:"))
	require.True(t, strings.HasPrefix(*after.AccessToken, "v1:t2:"))
	only, err := tokencrypt.ParseRing(newKey)
	require.NoError(t, err)
	rt, err := only.Decrypt(*after.RefreshToken, tokencrypt.Place{Table: "microsoft_accounts", Column: "refresh_token", OrgID: after.OrgID, RowID: after.ID})
	require.NoError(t, err, "the old key can now be removed")
	require.Equal(t, oldRT, rt)

	n, err = microsoft.RotateKeys(context.Background(), e.client, ring)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to rotate")

	// A ring missing the key a token was encrypted with says which account.
	other, err := tokencrypt.GenerateKey("t3")
	require.NoError(t, err)
	wrong, err := tokencrypt.ParseRing(other)
	require.NoError(t, err)
	_, err = microsoft.RotateKeys(context.Background(), e.client, wrong)
	require.ErrorIs(t, err, tokencrypt.ErrDecrypt)
	require.Contains(t, err.Error(), "t2")
}

func TestCheckKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	connected(t, e, "adele@contoso.com")
	require.NoError(t, microsoft.CheckKeys(context.Background(), e.client, e.ring))

	other, err := tokencrypt.GenerateKey("t9")
	require.NoError(t, err)
	without, err := tokencrypt.ParseRing(other)
	require.NoError(t, err)
	err = microsoft.CheckKeys(context.Background(), e.client, without)
	require.ErrorContains(t, err, `key "t1"`)
}
