package microsoft_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/microsoft/microsofttest"
	"mailbridge/internal/tokencrypt"
)

// connected connects a fresh user's mailbox and returns it with its account.
func connected(t *testing.T, e *env, upn string) (*ent.User, *ent.Mailbox, *ent.MicrosoftAccount) {
	t.Helper()
	e.msUser(m365sim.User{UserPrincipalName: upn, Mail: upn})
	u, mbs := e.user(upn, upn)
	q := outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), upn), nil))
	require.Equal(t, "connected", q.Get("connect"))
	mb := e.mailbox(mbs[0].ID)
	acct, err := e.client.MicrosoftAccount.Get(e.sys, *mb.MicrosoftAccountID)
	require.NoError(t, err)
	return u, mb, acct
}

func (e *env) account(id int) *ent.MicrosoftAccount {
	e.t.Helper()
	a, err := e.client.MicrosoftAccount.Get(e.sys, id)
	require.NoError(e.t, err)
	return a
}

func (e *env) refreshToken(a *ent.MicrosoftAccount) string {
	e.t.Helper()
	rt, err := e.ring.Decrypt(*a.RefreshToken, tokencrypt.Place{Table: "microsoft_accounts", Column: "refresh_token", OrgID: a.OrgID, RowID: a.ID})
	require.NoError(e.t, err)
	return rt
}

func TestTokenSource_FreshTokenNeedsNoRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	_, _, acct := connected(t, e, "adele@contoso.com")
	tok, err := e.svc.Token(context.Background(), acct.ID)
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)
	require.Zero(t, e.refreshes.count())
}

func TestTokenSource_RotationPersisted(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, _, acct := connected(t, e, "adele@contoso.com")
		before, _ := e.svc.Token(context.Background(), acct.ID)
		oldRT := e.refreshToken(acct)

		e.clock.Advance(58 * time.Minute) // within 5 minutes of expiry: refresh ahead
		tok, err := e.svc.Token(context.Background(), acct.ID)
		require.NoError(t, err)
		require.Equal(t, 1, e.refreshes.count())
		require.NotEqual(t, before.AccessToken, tok.AccessToken)

		after := e.account(acct.ID)
		require.Equal(t, acct.TokenVersion+1, after.TokenVersion)
		require.NotEqual(t, oldRT, e.refreshToken(after), "the rotated refresh token is stored")
		require.Nil(t, after.RefreshingUntil, "lease released")
		require.True(t, after.TokenExpiresAt.After(e.clock.Now().Add(time.Hour-time.Minute)))

		// A new process (restart) uses the stored token without refreshing.
		again, err := e.newService(e.client).Token(context.Background(), acct.ID)
		require.NoError(t, err)
		require.Equal(t, tok.AccessToken, again.AccessToken)
		require.Equal(t, 1, e.refreshes.count())

		// And the stored refresh token works at Microsoft.
		e.clock.Advance(2 * time.Hour)
		_, err = e.svc.Token(context.Background(), acct.ID)
		require.NoError(t, err)
		require.Equal(t, 2, e.refreshes.count())
	})
}

func TestTokenSource_ConcurrentRefreshesMakeOne(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, e *env, sources []oauth2.TokenSource, acctID, version int) {
		t.Helper()
		e.clock.Advance(2 * time.Hour)
		tokens := make([]string, len(sources))
		var wg sync.WaitGroup
		for i, ts := range sources {
			wg.Go(func() {
				tok, err := ts.Token()
				if err == nil {
					tokens[i] = tok.AccessToken
				}
			})
		}
		wg.Wait()
		for _, tok := range tokens {
			require.NotEmpty(t, tok)
			require.Equal(t, tokens[0], tok, "every caller gets the one refreshed token")
		}
		require.Equal(t, 1, e.refreshes.count(), "one refresh at Microsoft")
		require.Equal(t, version+1, e.account(acctID).TokenVersion)
	}
	t.Run("TwoGoroutines", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, dbtest.SQLite(t))
		_, _, acct := connected(t, e, "adele@contoso.com")
		ctx := context.Background()
		check(t, e, []oauth2.TokenSource{e.svc.TokenSource(ctx, acct.ID), e.svc.TokenSource(ctx, acct.ID), e.svc.TokenSource(ctx, acct.ID)}, acct.ID, acct.TokenVersion)
	})
	t.Run("TwoInstancesOnOnePostgres", func(t *testing.T) {
		t.Parallel()
		d := dbtest.Postgres(t)
		e := newEnv(t, d)
		_, _, acct := connected(t, e, "adele@contoso.com")
		ctx := context.Background()
		// Two Mailbridge instances: separate ent clients over the same
		// database, separate single-flight groups.
		other := e.newService(d.Client())
		check(t, e, []oauth2.TokenSource{e.svc.TokenSource(ctx, acct.ID), other.TokenSource(ctx, acct.ID)}, acct.ID, acct.TokenVersion)
	})
}

func TestTokenSource_RevokedGrantNeedsReconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	u, mb, acct := connected(t, e, "adele@contoso.com")
	require.NoError(t, e.client.Mailbox.UpdateOneID(mb.ID).SetSyncEnabled(true).SetSendEnabled(true).Exec(e.sys))
	emails := scheduledEmails(t, e, u, mb, 2)

	n, err := e.sim.FailGrants(m365sim.GrantFilter{UserID: "adele@contoso.com"}, 50173)
	require.NoError(t, err)
	require.Positive(t, n)
	e.clock.Advance(2 * time.Hour)
	_, err = e.svc.Token(context.Background(), acct.ID)
	require.ErrorIs(t, err, microsoft.ErrNeedsReconnect)

	a := e.account(acct.ID)
	require.Equal(t, microsoftaccount.StatusNEEDS_RECONNECT, a.Status)
	require.Contains(t, *a.StatusReason, "AADSTS50173")
	got := e.mailbox(mb.ID)
	requireState(t, got, mailbox.ConnectionStateNEEDS_RECONNECT)
	require.Contains(t, *got.ConnectionError, "password change")
	require.Contains(t, *got.ConnectionError, "Reconnect")
	// Callers get the same answer without asking Microsoft again.
	count := e.refreshes.count()
	_, err = e.svc.Token(context.Background(), acct.ID)
	require.ErrorIs(t, err, microsoft.ErrNeedsReconnect)
	require.Equal(t, count, e.refreshes.count())

	// Reconnect runs the same flow and keeps the mailbox, its settings and
	// scheduled emails.
	_, err = e.sim.FailGrants(m365sim.GrantFilter{UserID: "adele@contoso.com"}, 0)
	require.NoError(t, err)
	q := outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mb), "adele@contoso.com"), nil))
	require.Equal(t, "connected", q.Get("connect"))
	got = e.mailbox(mb.ID)
	requireState(t, got, mailbox.ConnectionStateCONNECTED)
	require.Nil(t, got.ConnectionError)
	require.Equal(t, acct.ID, *got.MicrosoftAccountID, "same grant row (tenant id, object id)")
	require.True(t, got.SyncEnabled && got.SendEnabled)
	require.Equal(t, microsoftaccount.StatusACTIVE, e.account(acct.ID).Status)
	for _, se := range emails {
		again, err := e.client.ScheduledEmail.Get(e.sys, se.ID)
		require.NoError(t, err)
		require.Equal(t, mb.ID, again.MailboxID)
	}
	_, err = e.svc.Token(context.Background(), acct.ID)
	require.NoError(t, err)
}

func TestTokenSource_TransientErrorsAreRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	_, mb, acct := connected(t, e, "adele@contoso.com")
	e.refreshes.mu.Lock()
	e.refreshes.unavailable = 2
	e.refreshes.mu.Unlock()
	e.clock.Advance(2 * time.Hour)

	tok, err := e.svc.Token(context.Background(), acct.ID)
	require.NoError(t, err, "two 503s, then success")
	require.NotEmpty(t, tok.AccessToken)
	require.Equal(t, 3, e.refreshes.count())
	require.Equal(t, microsoftaccount.StatusACTIVE, e.account(acct.ID).Status)
	requireState(t, e.mailbox(mb.ID), mailbox.ConnectionStateCONNECTED)

	// An outage longer than the retries fails the call but changes nothing.
	e.refreshes.mu.Lock()
	e.refreshes.unavailable = 10
	e.refreshes.mu.Unlock()
	e.clock.Advance(2 * time.Hour)
	_, err = e.svc.Token(context.Background(), acct.ID)
	require.Error(t, err)
	require.NotErrorIs(t, err, microsoft.ErrNeedsReconnect)
	a := e.account(acct.ID)
	require.Equal(t, microsoftaccount.StatusACTIVE, a.Status)
	require.Nil(t, a.RefreshingUntil, "lease released")
	requireState(t, e.mailbox(mb.ID), mailbox.ConnectionStateCONNECTED)
}
