package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

const reportAddin = `mutation($v: String!) { reportOutlookAddinVersion(input: {version: $v}) { user { id outlookAddinVersion outlookAddinReportedAt } } }`

// TestMutation_ReportOutlookAddinVersion records the version the viewer's
// Outlook add-in reports (with an API token and with a session), on the
// viewer's own user only, and refuses what is not a dotted version.
func TestMutation_ReportOutlookAddinVersion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 11, 30, 15, 4, 5, 0, time.UTC)
		e := newEnv(t, d, envOptions{now: func() time.Time { return now }, getenv: map[string]string{"OUTLOOK_ADDIN_MIN_VERSION": "2.1"}})
		org := e.org("Acme")
		ann := e.user(org, "ann@acme.test", user.RoleUSER)
		bo := e.user(org, "bo@acme.test", user.RoleADMIN)

		res := e.gql(e.token(ann), reportAddin, map[string]any{"v": "1.4.2"}).noErrors(t)
		require.Equal(t, id(ann.ID), res.get(t, "reportOutlookAddinVersion.user.id"))
		require.Equal(t, "1.4.2", res.get(t, "reportOutlookAddinVersion.user.outlookAddinVersion"))
		require.Equal(t, "2026-11-30T15:04:05Z", res.get(t, "reportOutlookAddinVersion.user.outlookAddinReportedAt"))

		got, err := e.client.User.Get(e.sys, ann.ID)
		require.NoError(t, err)
		require.Equal(t, "1.4.2", *got.OutlookAddinVersion)
		require.True(t, now.Equal(*got.OutlookAddinReportedAt))
		other, err := e.client.User.Get(e.sys, bo.ID)
		require.NoError(t, err)
		require.Nil(t, other.OutlookAddinVersion, "only the viewer's own user records the version")

		// A session works too, and a newer report replaces the old one.
		e.gql(e.session(ann), reportAddin, map[string]any{"v": "16.0.17328.20124"}).noErrors(t)
		res = e.gql(e.token(ann), `{ viewer { outlookAddinMinVersion user { outlookAddinVersion } } }`, nil).noErrors(t)
		require.Equal(t, "16.0.17328.20124", res.get(t, "viewer.user.outlookAddinVersion"))
		require.Equal(t, "2.1", res.get(t, "viewer.outlookAddinMinVersion"))

		for _, bad := range []string{"", "latest", "1..2", "1.2.3.4.5", "-1", "1.2-beta", "v1.2", "1.2.", "1234567890.1", "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15"} {
			res := e.gql(e.token(ann), reportAddin, map[string]any{"v": bad})
			require.Equal(t, "VALIDATION_FAILED", res.code(t), "version %q", bad)
			require.Equal(t, "version", res.Errors[0].Extensions.Field, "version %q", bad)
			require.Contains(t, res.Errors[0].Message, "such as 1.4.2", "version %q", bad)
		}
		got, err = e.client.User.Get(e.sys, ann.ID)
		require.NoError(t, err)
		require.Equal(t, "16.0.17328.20124", *got.OutlookAddinVersion, "bad input changes nothing")

		require.Equal(t, "UNAUTHENTICATED", e.gql(noCred{}, reportAddin, map[string]any{"v": "1.0"}).code(t))
	})
}

// TestMutation_ConnectOffice365_WarnsBelowAddinMinimum: connecting a
// legacy EWS mailbox still returns Microsoft's URL when the user's Outlook
// add-in last reported a version below OUTLOOK_ADDIN_MIN_VERSION, with an
// OUTLOOK_ADDIN_OUTDATED warning; at or above the minimum, or with no
// report, there is none.
func TestMutation_ConnectOffice365_WarnsBelowAddinMinimum(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{getenv: map[string]string{"OUTLOOK_ADDIN_MIN_VERSION": "2.1"}})
		org := e.org("Acme")
		ann := e.user(org, "ann@acme.test", user.RoleUSER)
		mb := e.mailbox(ann, "ann@acme.test", connected(mailbox.ProviderEXCHANGE_EWS))
		const connect = `mutation($id: ID!) { connectOffice365(input: {mailboxID: $id}) { authorizationURL warnings { code message } } }`

		res := e.gql(e.token(ann), connect, map[string]any{"id": id(mb.ID)}).noErrors(t)
		require.Empty(t, res.get(t, "connectOffice365.warnings"), "no report yet: no warning")

		for _, tc := range []struct {
			version string
			warn    bool
		}{{"2.0.9", true}, {"1.10", true}, {"2.1", false}, {"2.1.0", false}, {"2.10", false}, {"10", false}} {
			e.gql(e.token(ann), reportAddin, map[string]any{"v": tc.version}).noErrors(t)
			res := e.gql(e.token(ann), connect, map[string]any{"id": id(mb.ID)}).noErrors(t)
			require.NotEmpty(t, res.get(t, "connectOffice365.authorizationURL"), "a warning does not block: %s", tc.version)
			warnings, _ := res.get(t, "connectOffice365.warnings").([]any)
			if !tc.warn {
				require.Empty(t, warnings, tc.version)
				continue
			}
			require.Len(t, warnings, 1, tc.version)
			require.Equal(t, "OUTLOOK_ADDIN_OUTDATED", res.get(t, "connectOffice365.warnings.0.code"))
			msg, _ := res.get(t, "connectOffice365.warnings.0.message").(string)
			require.Contains(t, msg, "version "+tc.version)
			require.Contains(t, msg, "2.1 or later")
		}

		// Without a minimum there is never a warning.
		e2 := newEnv(t, d, envOptions{})
		res = e2.gql(e2.token(ann), `{ viewer { outlookAddinMinVersion } }`, nil).noErrors(t)
		require.Nil(t, res.get(t, "viewer.outlookAddinMinVersion"))
		e2.gql(e2.token(ann), reportAddin, map[string]any{"v": "0.1"}).noErrors(t)
		res = e2.gql(e2.token(ann), connect, map[string]any{"id": id(mb.ID)}).noErrors(t)
		require.Empty(t, res.get(t, "connectOffice365.warnings"))
	})
}
