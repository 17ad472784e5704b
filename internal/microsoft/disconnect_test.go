package microsoft_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/internal/apperr"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft/microsofttest"
)

func TestDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "john@contoso.com", Mail: "john@contoso.com",
		ProxyAddresses: []string{"SMTP:john@contoso.com", "smtp:john.work@contoso.com"}})
	u, mbs := e.user("john@contoso.com", "john@contoso.com", "john.work@contoso.com")
	for _, mb := range mbs {
		outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mb), "john@contoso.com"), nil))
	}
	require.NoError(t, e.client.Mailbox.UpdateOneID(mbs[0].ID).SetSyncEnabled(true).SetSendEnabled(true).Exec(e.sys))
	emails := scheduledEmails(t, e, u, mbs[0], 2)
	acctID := *e.mailbox(mbs[0].ID).MicrosoftAccountID

	other, _ := e.user("eve@contoso.com")
	_, err := e.svc.Disconnect(e.as(other), mbs[0].ID)
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindNotFound, ae.Kind)

	mb, err := e.svc.Disconnect(e.as(u), mbs[0].ID)
	require.NoError(t, err)
	requireState(t, mb, mailbox.ConnectionStateNOT_CONNECTED)
	require.False(t, mb.SyncEnabled || mb.SendEnabled)
	require.Nil(t, mb.MicrosoftAccountID)
	for _, se := range emails {
		got, err := e.client.ScheduledEmail.Get(e.sys, se.ID)
		require.NoError(t, err)
		require.Equal(t, scheduledemail.StateSCHEDULED, got.State, "held, not failed")
		require.Equal(t, mbs[0].ID, got.MailboxID)
	}
	_, err = e.client.MicrosoftAccount.Get(e.sys, acctID)
	require.NoError(t, err, "the alias still uses the grant")

	_, err = e.svc.Disconnect(e.as(u), mbs[1].ID)
	require.NoError(t, err)
	_, err = e.client.MicrosoftAccount.Get(e.sys, acctID)
	require.True(t, ent.IsNotFound(err), "tokens deleted with the last mailbox")

	_, err = e.svc.Disconnect(e.as(u), mbs[1].ID)
	ae, ok = apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindConflict, ae.Kind, "nothing left to disconnect")
}
