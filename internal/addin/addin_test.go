package addin_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/internal/addin"
)

// TestVersion_Compare orders dotted versions number by number, with
// missing trailing parts as 0 (not as strings: 1.10 is newer than 1.9).
func TestVersion_Compare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.10", "1.9", 1}, {"1.9", "1.10", -1}, {"2", "2.0.0", 0}, {"2.0.1", "2", 1},
		{"16.0.17328.20124", "16.0.17328.20125", -1}, {"010", "10", 0},
	} {
		a, err := addin.ParseVersion(tc.a)
		require.NoError(t, err, tc.a)
		b, err := addin.ParseVersion(tc.b)
		require.NoError(t, err, tc.b)
		require.Equal(t, tc.want, a.Compare(b), "%s vs %s", tc.a, tc.b)
	}
	for _, bad := range []string{"", "1.", ".1", "1..2", "a", "1.2.3.4.5", "1.2-rc1", "+1", "1 2", "1234567890"} {
		_, err := addin.ParseVersion(bad)
		require.Error(t, err, bad)
	}
}

// TestService_ConnectWarning warns only when a minimum is set and the
// user's add-in reported an older (or unreadable) version.
func TestService_ConnectWarning(t *testing.T) {
	t.Parallel()
	_, err := addin.NewService(nil, "latest", nil)
	require.Error(t, err)
	none, err := addin.NewService(nil, "", nil)
	require.NoError(t, err)
	s, err := addin.NewService(nil, "2.1", nil)
	require.NoError(t, err)
	v := func(s string) *ent.User { return &ent.User{OutlookAddinVersion: &s} }
	require.Nil(t, none.ConnectWarning(v("0.1")))
	require.Nil(t, s.ConnectWarning(&ent.User{}))
	require.Nil(t, s.ConnectWarning(v("2.1")))
	require.Nil(t, s.ConnectWarning(v("3")))
	w := s.ConnectWarning(v("2.0.9"))
	require.NotNil(t, w)
	require.Equal(t, addin.CodeOutdated, w.Code)
	require.Contains(t, w.Message, "version 2.0.9")
	require.Contains(t, w.Message, "2.1 or later")
	require.NotNil(t, s.ConnectWarning(v("garbage")))
}
