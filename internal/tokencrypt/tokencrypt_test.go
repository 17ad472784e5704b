package tokencrypt_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/tokencrypt"
)

func ring(t *testing.T, spec string) *tokencrypt.Ring {
	t.Helper()
	r, err := tokencrypt.ParseRing(spec)
	require.NoError(t, err)
	return r
}

func key(t *testing.T, kid string) string {
	t.Helper()
	k, err := tokencrypt.GenerateKey(kid)
	require.NoError(t, err)
	return k
}

var place = tokencrypt.Place{Table: "microsoft_accounts", Column: "refresh_token", OrgID: 1, RowID: 7}

func TestRing_EncryptDecrypt(t *testing.T) {
	t.Parallel()
	r := ring(t, key(t, "k1"))
	ct, err := r.Encrypt("secret-refresh-token", place)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(ct, "v1:k1:"), ct)
	require.NotContains(t, ct, "secret-refresh-token")
	pt, err := r.Decrypt(ct, place)
	require.NoError(t, err)
	require.Equal(t, "secret-refresh-token", pt)

	again, err := r.Encrypt("secret-refresh-token", place)
	require.NoError(t, err)
	require.NotEqual(t, ct, again, "a fresh nonce every time")
}

func TestRing_DecryptRefusesOtherPlaces(t *testing.T) {
	t.Parallel()
	r := ring(t, key(t, "k1"))
	ct, err := r.Encrypt("tok", place)
	require.NoError(t, err)
	for name, p := range map[string]tokencrypt.Place{
		"OtherRow":    {Table: place.Table, Column: place.Column, OrgID: 1, RowID: 8},
		"OtherColumn": {Table: place.Table, Column: "access_token", OrgID: 1, RowID: 7},
		"OtherOrg":    {Table: place.Table, Column: place.Column, OrgID: 2, RowID: 7},
		"OtherTable":  {Table: "sessions", Column: place.Column, OrgID: 1, RowID: 7},
	} {
		_, err := r.Decrypt(ct, p)
		require.ErrorIs(t, err, tokencrypt.ErrDecrypt, name)
	}
	tampered := ct[:len(ct)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(ct, "AA")]
	_, err = r.Decrypt(tampered, place)
	require.ErrorIs(t, err, tokencrypt.ErrDecrypt)
	_, err = r.Decrypt("plaintext", place)
	require.ErrorIs(t, err, tokencrypt.ErrDecrypt)
}

func TestRing_Rotation(t *testing.T) {
	t.Parallel()
	k1, k2 := key(t, "k1"), key(t, "k2")
	old := ring(t, k1)
	ct, err := old.Encrypt("tok", place)
	require.NoError(t, err)

	rotated := ring(t, k2+","+k1)
	require.Equal(t, "k2", rotated.Primary())
	require.True(t, rotated.NeedsRotation(ct))
	pt, err := rotated.Decrypt(ct, place)
	require.NoError(t, err, "old keys still decrypt")
	require.Equal(t, "tok", pt)
	fresh, err := rotated.Encrypt(pt, place)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(fresh, "v1:k2:"))
	require.False(t, rotated.NeedsRotation(fresh))

	_, err = ring(t, k2).Decrypt(ct, place)
	require.ErrorIs(t, err, tokencrypt.ErrDecrypt, "a removed key no longer decrypts")
	require.Contains(t, err.Error(), `"k1"`)
}

func TestParseRing_Errors(t *testing.T) {
	t.Parallel()
	for name, spec := range map[string]string{
		"Empty":     "",
		"NotBase64": "k1:***",
		"Short":     "k1:" + "c2hvcnQ=",
		"BadKid":    "k 1:" + strings.Repeat("A", 43) + "=",
		"Duplicate": "k1:" + strings.Repeat("A", 43) + "=,k1:" + strings.Repeat("B", 43) + "=",
	} {
		_, err := tokencrypt.ParseRing(spec)
		require.Error(t, err, name)
		require.NotContains(t, err.Error(), strings.Repeat("A", 43), "errors never echo key material")
	}
	r := ring(t, strings.Repeat("A", 43)+"=")
	require.Equal(t, "k1", r.Primary(), "a bare key gets the id k1")
}

func TestRing_NeverPrintsKeys(t *testing.T) {
	t.Parallel()
	k := key(t, "k1")
	r := ring(t, k)
	material := strings.TrimPrefix(k, "k1:")
	require.NotContains(t, fmt.Sprint(r), material)
	require.NotContains(t, fmt.Sprintf("%+v", r), material)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("ring", "ring", r)
	require.NotContains(t, buf.String(), material)
}
