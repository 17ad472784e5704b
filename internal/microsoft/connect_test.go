package microsoft_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/ent/scheduledemail"
	"mailbridge/internal/apperr"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft/microsofttest"
	"mailbridge/internal/tokencrypt"
	"mailbridge/internal/viewer"
)

func TestConnect_HappyPath(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ms := e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
		u, mbs := e.user("adele@contoso.com", "adele@contoso.com")

		authURL := e.start(u, mbs[0])
		for _, want := range []string{"code_challenge_method=S256", "code_challenge=", "nonce=", "login_hint=adele%40contoso.com", "offline_access", "Mail.Send", "/organizations/oauth2/v2.0/authorize"} {
			require.Contains(t, authURL, want)
		}
		q := outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(authURL, ms.UserPrincipalName), nil))
		require.Equal(t, "connected", q.Get("connect"))

		mb := e.mailbox(mbs[0].ID)
		requireState(t, mb, mailbox.ConnectionStateCONNECTED)
		require.Equal(t, mailbox.ProviderOFFICE365_OAUTH, *mb.Provider)
		acct, err := e.client.MicrosoftAccount.Get(e.sys, *mb.MicrosoftAccountID)
		require.NoError(t, err)
		require.Equal(t, e.tenant.ID, acct.TenantID, "keyed by tenant id")
		require.Equal(t, ms.ID, acct.ObjectID, "and object id")
		require.Equal(t, u.ID, acct.UserID)
		require.Equal(t, microsoftaccount.StatusACTIVE, acct.Status)
		require.NotNil(t, acct.TokenExpiresAt)
		require.True(t, strings.HasPrefix(*acct.AccessToken, "v1:t1:"))
		require.True(t, strings.HasPrefix(*acct.RefreshToken, "v1:t1:"))
		rt, err := e.ring.Decrypt(*acct.RefreshToken, tokencrypt.Place{Table: "microsoft_accounts", Column: "refresh_token", OrgID: acct.OrgID, RowID: acct.ID})
		require.NoError(t, err)
		grants, err := e.sim.Grants(m365sim.GrantFilter{UserID: ms.UserPrincipalName})
		require.NoError(t, err)
		require.NotEmpty(t, grants)
		require.NotEmpty(t, rt)
		require.Contains(t, acct.Scopes, "https://graph.microsoft.com/Mail.Send")
	})
}

func TestConnect_AliasViaProxyAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "john@contoso.com", Mail: "john@contoso.com",
		ProxyAddresses: []string{"SMTP:john@contoso.com", "smtp:John.Work@contoso.com"}})
	u, mbs := e.user("john@contoso.com", "john@contoso.com", "john.work@contoso.com")

	q := outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[1]), "john@contoso.com"), nil))
	require.Equal(t, "connected", q.Get("connect"), "the alias is a proxy address of john's account (case-insensitive)")
	alias := e.mailbox(mbs[1].ID)
	requireState(t, alias, mailbox.ConnectionStateCONNECTED)

	// Connecting the primary too reuses the same grant (one account row).
	outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "john@contoso.com"), nil))
	primary := e.mailbox(mbs[0].ID)
	require.Equal(t, *alias.MicrosoftAccountID, *primary.MicrosoftAccountID)
	n, err := e.client.MicrosoftAccount.Query().Count(e.sys)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestConnect_UPNDiffersFromMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "s.lee@contoso.com", Mail: "sara@contoso.com"})
	u, mbs := e.user("sara@contoso.com", "sara@contoso.com")

	q := outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "s.lee@contoso.com"), nil))
	require.Equal(t, "connected", q.Get("connect"))
	requireState(t, e.mailbox(mbs[0].ID), mailbox.ConnectionStateCONNECTED)
}

func TestConnect_MismatchedAccountChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
	// bob@contoso.com has no Microsoft account of its own: the sign-in page
	// (pre-filled with it) lets the user type another account. (The
	// emulator's password page has no "use another account" arrow, which
	// Microsoft's has, so the hinted address must be unknown to it.)
	u, mbs := e.user("bob@contoso.com", "bob@contoso.com")

	q := outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "adele@contoso.com"), nil))
	require.Equal(t, "mismatch", q.Get("connect"))
	require.Equal(t, "adele@contoso.com", q.Get("signedInAs"))
	mb := e.mailbox(mbs[0].ID)
	requireState(t, mb, mailbox.ConnectionStateNOT_CONNECTED)
	require.Nil(t, mb.Provider)
	require.Nil(t, mb.MicrosoftAccountID)
	n, err := e.client.MicrosoftAccount.Query().Count(e.sys)
	require.NoError(t, err)
	require.Zero(t, n, "no grant is stored for an account that does not own the mailbox")
}

func TestConnect_Declined(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
	u, mbs := e.user("adele@contoso.com", "adele@contoso.com")

	b := microsofttest.NewBrowser(t, publicURL, password)
	p := b.SignIn(e.start(u, mbs[0]), "adele@contoso.com")
	p = b.Click(p, "declineLink", nil)
	require.Equal(t, http.StatusFound, p.Status)
	q := outcome(t, e.callback(p.Location, nil))
	require.Equal(t, "declined", q.Get("connect"))
	mb := e.mailbox(mbs[0].ID)
	requireState(t, mb, mailbox.ConnectionStateNOT_CONNECTED)
	require.Nil(t, mb.ConnectionError)
}

func TestConnect_AdminApprovalRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), consentMode(m365sim.ConsentAdminRequired))
	e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
	u, mbs := e.user("adele@contoso.com", "adele@contoso.com")

	b := microsofttest.NewBrowser(t, publicURL, password)
	p := b.SignIn(e.start(u, mbs[0]), "adele@contoso.com")
	require.Contains(t, p.Body, "AADSTS90094", "Microsoft's 'needs admin approval' page")
	p = b.Click(p, "returnToApp", nil)
	q := outcome(t, e.callback(p.Location, nil))
	require.Equal(t, "pending", q.Get("connect"))
	mb := e.mailbox(mbs[0].ID)
	requireState(t, mb, mailbox.ConnectionStatePENDING_ADMIN_APPROVAL)
	require.Contains(t, *mb.ConnectionError, "administrator must approve")

	// An admin grants consent for the organization; connecting again works.
	require.NoError(t, e.sim.GrantConsent(e.tenant.ID, e.app.ClientID, "", []string{"openid", "profile", "email", "offline_access", "User.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite"}))
	q = outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "adele@contoso.com"), nil))
	require.Equal(t, "connected", q.Get("connect"))
	requireState(t, e.mailbox(mbs[0].ID), mailbox.ConnectionStateCONNECTED)
}

func TestConnect_SignInErrorShowsReasonAndCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	u, mbs := e.user("adele@contoso.com", "adele@contoso.com")
	authURL := e.start(u, mbs[0])
	state := queryOf(t, authURL).Get("state")
	// Microsoft's error redirect for a disabled account.
	rec := e.callback(publicURL+"/auth/microsoft/callback?error=access_denied&error_description=AADSTS50057%3A+The+user+account+is+disabled.&state="+state, nil)
	q := outcome(t, rec)
	require.Equal(t, "error", q.Get("connect"))
	mb := e.mailbox(mbs[0].ID)
	requireState(t, mb, mailbox.ConnectionStateERROR)
	require.Contains(t, *mb.ConnectionError, "disabled")
	require.Contains(t, *mb.ConnectionError, "AADSTS50057")
}

func TestCallback_StateChecks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
		u, mbs := e.user("adele@contoso.com", "adele@contoso.com")

		requirePage := func(rec interface {
			Result() *http.Response
		}, status int, words string) {
			t.Helper()
			res := rec.Result()
			require.Equal(t, status, res.StatusCode)
			require.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			require.Contains(t, string(body), words)
			require.Contains(t, string(body), "Nothing was changed")
		}

		// Tampered (unknown) state.
		location := microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "adele@contoso.com")
		tampered := strings.Replace(location, "state=", "state=x", 1)
		requirePage(e.callback(tampered, nil), http.StatusBadRequest, "does not know this sign-in")
		requireState(t, e.mailbox(mbs[0].ID), mailbox.ConnectionStateNOT_CONNECTED)

		// The genuine one works once; a replay is refused.
		require.Equal(t, "connected", outcome(t, e.callback(location, nil)).Get("connect"))
		requirePage(e.callback(location, nil), http.StatusBadRequest, "already used")

		// Expired: the user took longer than 10 minutes.
		authURL := e.start(u, mbs[0])
		location = microsofttest.NewBrowser(t, publicURL, password).Connect(authURL, "adele@contoso.com")
		e.clock.Advance(11 * time.Minute)
		requirePage(e.callback(location, nil), http.StatusBadRequest, "expired")

		// No state at all.
		requirePage(e.callback(publicURL+"/auth/microsoft/callback?code=abc", nil), http.StatusBadRequest, "missing")
	})
}

func TestCallback_CodeFromAnotherFlowIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
	u, mbs := e.user("adele@contoso.com", "adele@contoso.com")

	// An attacker's code injected into the victim's flow: the PKCE verifier
	// bound to the victim's state does not match the code's challenge.
	victimState := queryOf(t, e.start(u, mbs[0])).Get("state")
	attacker := queryOf(t, microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "adele@contoso.com"))
	rec := e.callback(publicURL+"/auth/microsoft/callback?code="+attacker.Get("code")+"&state="+victimState, nil)
	require.Equal(t, "error", outcome(t, rec).Get("connect"))
	mb := e.mailbox(mbs[0].ID)
	requireState(t, mb, mailbox.ConnectionStateERROR)
	require.Contains(t, *mb.ConnectionError, "AADSTS501481", "Microsoft's code: code_verifier does not match")
	require.Nil(t, mb.MicrosoftAccountID)
}

func TestCallback_ReplayedCodeIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
	u, mbs := e.user("adele@contoso.com", "adele@contoso.com", "other@contoso.com")

	location := microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "adele@contoso.com")
	require.Equal(t, "connected", outcome(t, e.callback(location, nil)).Get("connect"))
	// The same code against another (fresh) state of the same user.
	fresh := queryOf(t, e.start(u, mbs[1])).Get("state")
	rec := e.callback(publicURL+"/auth/microsoft/callback?code="+queryOf(t, location).Get("code")+"&state="+fresh, nil)
	require.Equal(t, "error", outcome(t, rec).Get("connect"))
	requireState(t, e.mailbox(mbs[1].ID), mailbox.ConnectionStateERROR)
}

func TestCallback_RefusesAnotherSignedInUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
	u, mbs := e.user("adele@contoso.com", "adele@contoso.com")
	other, _ := e.user("eve@contoso.com")

	location := microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "adele@contoso.com")
	rec := e.callback(location, &viewer.Viewer{UserID: other.ID, OrgID: other.OrgID})
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, rec.Body.String(), "different user")
	requireState(t, e.mailbox(mbs[0].ID), mailbox.ConnectionStateNOT_CONNECTED)

	// Without a session (a partner handed the URL over) the owner's flow works.
	location = microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "adele@contoso.com")
	require.Equal(t, "connected", outcome(t, e.callback(location, nil)).Get("connect"))
}

func TestStartConnect_OnlyTheOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	_, mbs := e.user("adele@contoso.com", "adele@contoso.com")
	other, _ := e.user("eve@contoso.com")
	admin, err := e.client.User.Create().SetOrgID(e.org.ID).SetEmail("admin@contoso.com").SetName("admin").SetRole("ADMIN").Save(e.sys)
	require.NoError(t, err)

	_, _, err = e.svc.StartConnect(e.as(other), mbs[0].ID)
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindNotFound, ae.Kind, "another user's mailbox is invisible")
	_, _, err = e.svc.StartConnect(e.as(admin), mbs[0].ID)
	ae, ok = apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindForbidden, ae.Kind, "admins see it but cannot connect it for the user")
	_, _, err = e.svc.StartConnect(context.Background(), mbs[0].ID)
	require.Error(t, err)
}

func TestConnect_EWSMailboxMigratesInPlace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.msUser(m365sim.User{UserPrincipalName: "priya@contoso.com", Mail: "priya@contoso.com"})
	u, err := e.client.User.Create().SetOrgID(e.org.ID).SetEmail("priya@contoso.com").SetName("Priya").SetRole("USER").Save(e.sys)
	require.NoError(t, err)
	mb, err := e.client.Mailbox.Create().SetOrgID(e.org.ID).SetUserID(u.ID).SetAddress("priya@contoso.com").
		SetProvider(mailbox.ProviderEXCHANGE_EWS).SetConnectionState(mailbox.ConnectionStateCONNECTED).
		SetSyncEnabled(true).SetSendEnabled(true).SetIsDefault(true).SetDailySendLimit(321).Save(e.sys)
	require.NoError(t, err)
	emails := scheduledEmails(t, e, u, mb, 3)

	q := outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mb), "priya@contoso.com"), nil))
	require.Equal(t, "connected", q.Get("connect"))
	got := e.mailbox(mb.ID)
	require.Equal(t, mailbox.ProviderOFFICE365_OAUTH, *got.Provider)
	requireState(t, got, mailbox.ConnectionStateCONNECTED)
	require.True(t, got.SyncEnabled && got.SendEnabled && got.IsDefault, "settings kept")
	require.Equal(t, 321, got.DailySendLimit)
	for _, se := range emails {
		now, err := e.client.ScheduledEmail.Get(e.sys, se.ID)
		require.NoError(t, err)
		require.Equal(t, mb.ID, now.MailboxID, "scheduled emails stay on the mailbox")
		require.Equal(t, scheduledemail.StateSCHEDULED, now.State)
	}
}

func TestConnect_TokensUnreadableInTheDatabase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
		u, mbs := e.user("adele@contoso.com", "adele@contoso.com")
		outcome(t, e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(e.start(u, mbs[0]), "adele@contoso.com"), nil))

		grants, err := e.sim.Grants(m365sim.GrantFilter{UserID: "adele@contoso.com"})
		require.NoError(t, err)
		require.NotEmpty(t, grants)

		rows, err := d.Read.QueryContext(context.Background(), "SELECT access_token, refresh_token FROM microsoft_accounts")
		require.NoError(t, err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			var at, rt sql.NullString
			require.NoError(t, rows.Scan(&at, &rt))
			require.True(t, strings.HasPrefix(at.String, "v1:"), "stored encrypted")
			require.True(t, strings.HasPrefix(rt.String, "v1:"))
			acct, err := e.client.MicrosoftAccount.Query().Only(e.sys)
			require.NoError(t, err)
			plain, err := e.ring.Decrypt(rt.String, tokencrypt.Place{Table: "microsoft_accounts", Column: "refresh_token", OrgID: acct.OrgID, RowID: acct.ID})
			require.NoError(t, err)
			require.NotContains(t, rt.String, plain)
			// Moved into the access_token column it does not decrypt.
			_, err = e.ring.Decrypt(rt.String, tokencrypt.Place{Table: "microsoft_accounts", Column: "access_token", OrgID: acct.OrgID, RowID: acct.ID})
			require.ErrorIs(t, err, tokencrypt.ErrDecrypt)
			n++
		}
		require.NoError(t, rows.Err())
		require.Equal(t, 1, n)
	})
}

func scheduledEmails(t *testing.T, e *env, u *ent.User, mb *ent.Mailbox, n int) []*ent.ScheduledEmail {
	t.Helper()
	seq, err := e.client.Sequence.Create().SetOrgID(u.OrgID).SetUserID(u.ID).SetName("Seq").Save(e.sys)
	require.NoError(t, err)
	var out []*ent.ScheduledEmail
	for i := range n {
		p, err := e.client.Prospect.Create().SetOrgID(u.OrgID).SetEmail(strings.Repeat("p", i+1) + "@example.com").SetFirstName("P").Save(e.sys)
		require.NoError(t, err)
		s, err := e.client.SequenceState.Create().SetOrgID(u.OrgID).SetSequenceID(seq.ID).SetProspectID(p.ID).
			SetUserID(u.ID).SetMailboxID(mb.ID).Save(e.sys)
		require.NoError(t, err)
		se, err := e.client.ScheduledEmail.Create().SetOrgID(u.OrgID).SetSequenceStateID(s.ID).SetStep(1).SetMailboxID(mb.ID).
			SetToAddress(p.Email).SetSubject("Hi").SetBody("Hello").SetState(scheduledemail.StateSCHEDULED).
			SetSendAt(time.Now().Add(time.Hour)).Save(e.sys)
		require.NoError(t, err)
		out = append(out, se)
	}
	return out
}
