package microsoft_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/internal/apperr"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft/microsofttest"
)

func requireKind(t *testing.T, err error, kind apperr.Kind) *apperr.Error {
	t.Helper()
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, kind, ae.Kind, ae.Message)
	return ae
}

func TestAddMailbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "john@contoso.com", Mail: "john@contoso.com",
		ProxyAddresses: []string{"SMTP:john@contoso.com", "smtp:sales@contoso.com"}})
	u, mbs := e.user("john@contoso.com", "john@contoso.com")
	outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "john@contoso.com"), nil))

	// An alias of the connected account uses the same grant at once.
	alias, err := e.svc.AddMailbox(e.as(u), " Sales@Contoso.com ")
	require.NoError(t, err)
	require.Equal(t, "sales@contoso.com", alias.Address)
	requireState(t, alias, mailbox.ConnectionStateCONNECTED)
	require.Equal(t, *e.mailbox(mbs[0].ID).MicrosoftAccountID, *alias.MicrosoftAccountID)

	// Another address starts Not connected.
	other, err := e.svc.AddMailbox(e.as(u), "john.personal@contoso.com")
	require.NoError(t, err)
	requireState(t, other, mailbox.ConnectionStateNOT_CONNECTED)
	require.Nil(t, other.MicrosoftAccountID)

	_, err = e.svc.AddMailbox(e.as(u), "SALES@contoso.com")
	requireKind(t, err, apperr.KindConflict)
	ae := requireKind(t, func() error { _, err := e.svc.AddMailbox(e.as(u), "not an address"); return err }(), apperr.KindValidation)
	require.Equal(t, "address", ae.Field)
}

func TestRemoveMailbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	u, mbs := e.user("john@contoso.com", "john@contoso.com", "old@contoso.com", "busy@contoso.com")
	require.NoError(t, e.client.Mailbox.UpdateOneID(mbs[0].ID).SetIsDefault(true).Exec(e.sys))
	scheduledEmails(t, e, u, e.mailbox(mbs[2].ID), 1)
	other, _ := e.user("eve@contoso.com")

	requireKind(t, func() error { _, err := e.svc.RemoveMailbox(e.as(u), mbs[0].ID); return err }(), apperr.KindConflict)
	ae := requireKind(t, func() error { _, err := e.svc.RemoveMailbox(e.as(u), mbs[2].ID); return err }(), apperr.KindConflict)
	require.Contains(t, ae.Message, "1 scheduled emails")
	requireKind(t, func() error { _, err := e.svc.RemoveMailbox(e.as(other), mbs[1].ID); return err }(), apperr.KindNotFound)

	_, err := e.svc.RemoveMailbox(e.as(u), mbs[1].ID)
	require.NoError(t, err)
	n, err := e.client.Mailbox.Query().Count(e.sys)
	require.NoError(t, err)
	require.Equal(t, 2, n)
}
