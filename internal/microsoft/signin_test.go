package microsoft_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/microsoft/microsofttest"
)

// signIn runs Sign in with Microsoft as upn and returns the callback's answer.
func (e *env) signIn(t *testing.T, upn string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	e.svc.StartSignIn(rec, httptest.NewRequest(http.MethodGet, microsoft.SignInPath, nil))
	require.Equal(t, http.StatusFound, rec.Code)
	authURL := rec.Header().Get("Location")
	require.Contains(t, authURL, "scope=openid+profile+email+User.Read&")
	require.NotContains(t, authURL, "Mail.", "sign-in asks for identity only")
	return e.callback(microsofttest.NewBrowser(t, publicURL, password).Connect(authURL, upn), nil)
}

func TestSignInWithMicrosoft(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	adele, _, _ := connected(t, e, "adele@contoso.com")

	// Known by (tenant id, object id) of her connected account.
	rec := e.signIn(t, "adele@contoso.com")
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, microsoft.MailboxesPath, rec.Header().Get("Location"))
	require.Equal(t, adele.ID, <-e.signedIn)

	// First sign-in of a colleague: their UPN among the users of the
	// organization this tenant belongs to.
	e.msUser(m365sim.User{UserPrincipalName: "bob@contoso.com", Mail: "bob@contoso.com"})
	bob, _ := e.user("Bob@contoso.com")
	rec = e.signIn(t, "bob@contoso.com")
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, bob.ID, <-e.signedIn)

	// Unknown identities are refused: no self sign-up.
	e.msUser(m365sim.User{UserPrincipalName: "carol@contoso.com", Mail: "carol@contoso.com"})
	rec = e.signIn(t, "carol@contoso.com")
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, rec.Body.String(), "Mailbridge has no user for carol@contoso.com")
	require.Empty(t, e.signedIn)
}

func TestSignInWithMicrosoft_OtherTenantRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	// A Mailbridge user whose email matches, but no account of the
	// organization ties it to this Microsoft tenant: refused.
	e.msUser(m365sim.User{UserPrincipalName: "dan@contoso.com", Mail: "dan@contoso.com"})
	e.user("dan@contoso.com")
	rec := e.signIn(t, "dan@contoso.com")
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Empty(t, e.signedIn)
}
