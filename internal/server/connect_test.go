package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft/microsofttest"
)

// TestMutation_ConnectOffice365 drives the partner path through the real
// handler: an API token asks for the authorize URL, the user signs in at
// (the emulated) Microsoft, and GET /auth/microsoft/callback, reached with
// no Mailbridge session, connects the mailbox.
func TestMutation_ConnectOffice365(t *testing.T) {
	t.Parallel()
	const appURL, password = "http://127.0.0.1:8099", "Passw0rd!"
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	tenant, err := sim.AddTenant(m365sim.Tenant{DisplayName: "Acme", Domains: []string{"acme.test"}, ConsentMode: m365sim.ConsentUser})
	require.NoError(t, err)
	app, err := sim.AddApp(m365sim.App{DisplayName: "Mailbridge", Secrets: []m365sim.AppSecret{{Value: "s"}}, RedirectURIs: []string{appURL + "/auth/microsoft/callback"}})
	require.NoError(t, err)
	_, err = sim.AddUser(m365sim.User{TenantID: tenant.ID, UserPrincipalName: "ann@acme.test", Mail: "ann@acme.test", DisplayName: "Ann", Password: password})
	require.NoError(t, err)

	e := newEnv(t, dbtest.SQLite(t), envOptions{getenv: map[string]string{
		"PUBLIC_URL": appURL, "MICROSOFT_CLIENT_ID": app.ClientID, "MICROSOFT_CLIENT_SECRET": "s",
		"MICROSOFT_LOGIN_URL": sim.URL, "MICROSOFT_GRAPH_URL": sim.URL,
		"MAILBRIDGE_TOKEN_KEY": "k1:" + strings.Repeat("B", 43) + "=",
	}})
	org := e.org("Acme")
	ann := e.user(org, "ann@acme.test", user.RoleUSER)
	other := e.user(org, "bo@acme.test", user.RoleADMIN)
	mb := e.mailbox(ann, "ann@acme.test")

	const mutation = `mutation($id: ID!) { connectOffice365(input: {mailboxID: $id}) { authorizationURL mailbox { id address } } }`
	require.Equal(t, "FORBIDDEN", e.gql(e.token(other), mutation, map[string]any{"id": id(mb.ID)}).code(t),
		"an admin cannot connect someone else's mailbox")
	require.Equal(t, "UNAUTHENTICATED", e.gql(noCred{}, mutation, map[string]any{"id": id(mb.ID)}).code(t))

	res := e.gql(e.token(ann), mutation, map[string]any{"id": id(mb.ID)}).noErrors(t)
	authURL, _ := res.get(t, "connectOffice365.authorizationURL").(string)
	require.True(t, strings.HasPrefix(authURL, sim.URL+"/organizations/oauth2/v2.0/authorize?"), authURL)
	require.Equal(t, "ann@acme.test", res.get(t, "connectOffice365.mailbox.address"))

	location := microsofttest.NewBrowser(t, appURL, password).Connect(authURL, "ann@acme.test")
	u, err := url.Parse(location)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, "/settings/mailboxes?connect=connected&mailbox="+id(mb.ID), rec.Header().Get("Location"))

	got, err := e.client.Mailbox.Get(e.sys, mb.ID)
	require.NoError(t, err)
	require.Equal(t, mailbox.ConnectionStateCONNECTED, got.ConnectionState)

	// Tokens never reach GraphQL.
	res = e.gql(e.token(ann), `{ viewer { mailboxes { address connectionState provider } } }`, nil).noErrors(t)
	require.Equal(t, "CONNECTED", res.get(t, "viewer.mailboxes.0.connectionState"))
	require.NotContains(t, string(res.raw), "v1:")

	// Disconnect through the API: back to Not connected, tokens deleted.
	res = e.gql(e.token(ann), `mutation($id: ID!) { disconnectOffice365(input: {mailboxID: $id}) { mailbox { connectionState } } }`,
		map[string]any{"id": id(mb.ID)}).noErrors(t)
	require.Equal(t, "NOT_CONNECTED", res.get(t, "disconnectOffice365.mailbox.connectionState"))
	n, err := e.client.MicrosoftAccount.Query().Count(e.sys)
	require.NoError(t, err)
	require.Zero(t, n)

	// Admin consent: admins only.
	require.Equal(t, "FORBIDDEN", e.gql(e.token(ann), `mutation { adminConsentOffice365 { adminConsentURL } }`, nil).code(t))
	res = e.gql(e.token(other), `mutation { adminConsentOffice365 { adminConsentURL } }`, nil).noErrors(t)
	consentURL, _ := res.get(t, "adminConsentOffice365.adminConsentURL").(string)
	require.True(t, strings.HasPrefix(consentURL, sim.URL+"/organizations/v2.0/adminconsent?"), consentURL)

	// Mailboxes: add an alias, refuse a malformed one, remove it again.
	res = e.gql(e.token(ann), `mutation { addMailbox(input: {address: "ann.sales@acme.test"}) { mailbox { id address connectionState } } }`, nil).noErrors(t)
	require.Equal(t, "NOT_CONNECTED", res.get(t, "addMailbox.mailbox.connectionState"))
	added, _ := res.get(t, "addMailbox.mailbox.id").(string)
	bad := e.gql(e.token(ann), `mutation { addMailbox(input: {address: "nope"}) { mailbox { id } } }`, nil)
	require.Equal(t, "VALIDATION_FAILED", bad.code(t))
	require.Equal(t, "address", bad.Errors[0].Extensions.Field)
	res = e.gql(e.token(ann), `mutation($id: ID!) { removeMailbox(input: {mailboxID: $id}) { removedMailboxID } }`, map[string]any{"id": added}).noErrors(t)
	require.Equal(t, added, res.get(t, "removeMailbox.removedMailboxID"))
}
