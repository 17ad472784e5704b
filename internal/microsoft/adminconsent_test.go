package microsoft_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/auditevent"
	"mailbridge/ent/mailbox"
	"mailbridge/internal/apperr"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft/microsofttest"
)

// TestAdminConsent_ApprovalRequiredThenConnect is the consent path most
// customers meet: the tenant blocks user consent, the user ends Pending
// admin approval, an admin approves Mailbridge for the organization, and
// the user connects without a consent page.
func TestAdminConsent_ApprovalRequiredThenConnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), consentMode(m365sim.ConsentAdminRequired))
	e.msUser(m365sim.User{UserPrincipalName: "adele@contoso.com", Mail: "adele@contoso.com"})
	e.msUser(m365sim.User{UserPrincipalName: "megan@contoso.com", Mail: "megan@contoso.com", IsAdmin: true})
	u, mbs := e.user("adele@contoso.com", "adele@contoso.com")
	admin, err := e.client.User.Create().SetOrgID(e.org.ID).SetEmail("megan@contoso.com").SetName("Megan").SetRole("ADMIN").Save(e.sys)
	require.NoError(t, err)

	b := microsofttest.NewBrowser(t, publicURL, password)
	p := b.SignIn(e.start(u, mbs[0]), "adele@contoso.com")
	p = b.Click(p, "returnToApp", nil)
	require.Equal(t, "pending", outcome(t, e.callback(p.Location, nil)).Get("connect"))

	_, err = e.svc.StartAdminConsent(e.as(u))
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindForbidden, ae.Kind, "only admins")

	consentURL, err := e.svc.StartAdminConsent(e.as(admin))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(consentURL, e.sim.URL+"/organizations/v2.0/adminconsent?"), consentURL)
	require.Contains(t, consentURL, "https%3A%2F%2Fgraph.microsoft.com%2FMail.ReadWrite")
	ab := microsofttest.NewBrowser(t, publicURL, password)
	p = ab.SignIn(consentURL, "megan@contoso.com")
	p = ab.Click(p, "idBtn_Accept", nil)
	require.Equal(t, http.StatusFound, p.Status, p.Body)
	rec := e.callback(p.Location, nil)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, "/settings/mailboxes?adminConsent=granted", rec.Header().Get("Location"))

	pending := e.mailbox(mbs[0].ID)
	requireState(t, pending, mailbox.ConnectionStatePENDING_ADMIN_APPROVAL)
	require.Contains(t, *pending.ConnectionError, "An administrator approved Mailbridge", "the user is told they can connect now")
	n, err := e.client.AuditEvent.Query().Where(auditevent.Action("organization.adminConsent")).Count(e.sys)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	// Connecting now needs no consent page.
	p = microsofttest.NewBrowser(t, publicURL, password).SignIn(e.start(u, mbs[0]), "adele@contoso.com")
	require.Equal(t, http.StatusFound, p.Status, "no consent page after admin consent:\n%s", p.Body)
	require.Equal(t, "connected", outcome(t, e.callback(p.Location, nil)).Get("connect"))
	requireState(t, e.mailbox(mbs[0].ID), mailbox.ConnectionStateCONNECTED)
}

func TestAdminConsent_Refused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	admin, err := e.client.User.Create().SetOrgID(e.org.ID).SetEmail("megan@contoso.com").SetName("Megan").SetRole("ADMIN").Save(e.sys)
	require.NoError(t, err)
	consentURL, err := e.svc.StartAdminConsent(e.as(admin))
	require.NoError(t, err)
	state := queryOf(t, consentURL).Get("state")
	// Microsoft's error answer still says admin_consent=True.
	rec := e.callback(publicURL+"/auth/microsoft/callback?admin_consent=True&error=consent_required&error_description=AADSTS65004%3A+denied&state="+state, nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/settings/mailboxes?adminConsent=refused&code=AADSTS65004", rec.Header().Get("Location"))
	n, err := e.client.AuditEvent.Query().Where(auditevent.Action("organization.adminConsent")).Count(e.sys)
	require.NoError(t, err)
	require.Zero(t, n)
}
