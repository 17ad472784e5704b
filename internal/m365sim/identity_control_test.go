package m365sim

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func TestParseScopes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw    string
		wantOIDC     []string
		wantGraph    []string
		wantDefault  bool
		wantCode     int
		wantResponse string
	}{
		{name: "Short", raw: "Mail.Send", wantGraph: []string{"Mail.Send"}, wantResponse: "https://graph.microsoft.com/Mail.Send"},
		{name: "QualifiedAnyCase", raw: "https://graph.microsoft.com/mail.send openid OFFLINE_ACCESS", wantOIDC: []string{"openid", "offline_access"}, wantGraph: []string{"Mail.Send"}, wantResponse: "openid https://graph.microsoft.com/Mail.Send"},
		{name: "AppIDQualified", raw: GraphResourceAppID + "/User.Read User.Read", wantGraph: []string{"User.Read"}, wantResponse: "https://graph.microsoft.com/User.Read"},
		{name: "Default", raw: "https://graph.microsoft.com/.default offline_access", wantOIDC: []string{"offline_access"}, wantDefault: true},
		{name: "DefaultMixedWithExplicit", raw: ".default Mail.Send", wantCode: 70011},
		{name: "OtherResource", raw: "api://11112222-bbbb/access_as_user", wantCode: 500011},
		{name: "UnknownPermission", raw: "Mail.Sendd", wantCode: 650053},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ss, err := parseScopes(tc.raw, "Mailbridge")
			if tc.wantCode != 0 {
				var se *scopeError
				require.ErrorAs(t, err, &se)
				require.Equal(t, tc.wantCode, se.code)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantOIDC, ss.oidc)
			require.Equal(t, tc.wantGraph, ss.graph)
			require.Equal(t, tc.wantDefault, ss.isDefault)
			if !tc.wantDefault {
				require.Equal(t, tc.wantResponse, ss.responseScope())
			}
		})
	}
}

func TestIdentityControl_Endpoints(t *testing.T) {
	t.Parallel()

	t.Run("Policies", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t)
		status, body := controlCall(t, http.MethodPut, e.srv.URL+"/_m365sim/identity/policy", IdentityPolicy{StrictRefreshRotation: true})
		require.Equal(t, http.StatusOK, status, string(body))
		status, body = controlCall(t, http.MethodGet, e.srv.URL+"/_m365sim/identity/policy", nil)
		require.Equal(t, http.StatusOK, status)
		require.True(t, jsonBody[IdentityPolicy](t, body).StrictRefreshRotation)

		status, _ = controlCall(t, http.MethodPut, e.srv.URL+"/_m365sim/apps/"+newID()+"/policy", AppPolicy{})
		require.Equal(t, http.StatusNotFound, status)
		status, _ = controlCall(t, http.MethodPut, e.srv.URL+"/_m365sim/apps/"+e.app.ClientID+"/policy", AppPolicy{RequiredScopes: []string{"No.Such"}})
		require.Equal(t, http.StatusBadRequest, status)
		status, _ = controlCall(t, http.MethodPut, e.srv.URL+"/_m365sim/apps/"+e.app.ClientID+"/policy", AppPolicy{RequiredScopes: []string{"Mail.Send"}})
		require.Equal(t, http.StatusOK, status)
		status, body = controlCall(t, http.MethodGet, e.srv.URL+"/_m365sim/apps/"+e.app.ClientID+"/policy", nil)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, []string{"Mail.Send"}, jsonBody[AppPolicy](t, body).RequiredScopes)
	})
	t.Run("AdminGrantSkipsConsentAndRevokeRestoresIt", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t)
		status, body := controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/tenants/contoso.com/consentGrants", map[string]any{"ClientID": e.app.ClientID, "Scopes": []string{"User.Read", "Mail.ReadWrite", "Mail.Send"}})
		require.Equal(t, http.StatusOK, status, string(body))
		status, body = controlCall(t, http.MethodGet, e.srv.URL+"/_m365sim/tenants/"+e.tenant.ID+"/consentGrants", nil)
		require.Equal(t, http.StatusOK, status)
		grants := jsonBody[[]ConsentGrant](t, body)
		require.Len(t, grants, 1)
		require.Empty(t, grants[0].UserID, "tenant-wide")

		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...)
		require.NotEmpty(t, tok.RefreshToken)

		status, _ = controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/tenants/"+e.tenant.ID+"/consentGrants/revoke", map[string]string{"ClientID": e.app.ClientID})
		require.Equal(t, http.StatusOK, status)
		status, _ = controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/tenants/"+e.tenant.ID+"/consentGrants/revoke", map[string]string{"ClientID": e.app.ClientID})
		require.Equal(t, http.StatusNotFound, status, "nothing left to revoke")
		b := newBrowser(t)
		p := b.signIn(b.get(e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...).AuthCodeURL("s")), e.user.UserPrincipalName, userPassword)
		require.Contains(t, p.body, "AADSTS90094")
	})
	t.Run("FaultsGrantsAndLog", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...)
		status, _ := controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/identity/faults", TokenFault{Code: 0})
		require.Equal(t, http.StatusBadRequest, status)
		status, _ = controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/identity/faults", TokenFault{Code: 70043, UserID: "nobody@contoso.com"})
		require.Equal(t, http.StatusNotFound, status)
		status, _ = controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/identity/faults", TokenFault{Code: 70043})
		require.Equal(t, http.StatusOK, status)
		code, _ := e.refreshRaw(t, tok.RefreshToken)
		require.Equal(t, http.StatusBadRequest, code)
		status, _ = controlCall(t, http.MethodDelete, e.srv.URL+"/_m365sim/identity/faults", nil)
		require.Equal(t, http.StatusOK, status)
		code, _ = e.refreshRaw(t, tok.RefreshToken)
		require.Equal(t, http.StatusOK, code)

		status, body := controlCall(t, http.MethodGet, e.srv.URL+"/_m365sim/identity/grants?user="+e.user.UserPrincipalName, nil)
		require.Equal(t, http.StatusOK, status)
		grants := jsonBody[[]RefreshGrant](t, body)
		require.Len(t, grants, 1)
		require.Contains(t, grants[0].Scopes, "Mail.ReadWrite")
		require.Equal(t, e.app.ClientID, grants[0].ClientID)

		status, body = controlCall(t, http.MethodGet, e.srv.URL+"/_m365sim/identity/tokenRequests", nil)
		require.Equal(t, http.StatusOK, status)
		log := jsonBody[[]TokenRequest](t, body)
		require.Len(t, log, 3)
		require.Equal(t, "authorization_code", log[0].GrantType)
		require.Equal(t, 70043, log[1].ErrorCode)
		require.Equal(t, http.StatusOK, log[2].Status)
	})
	t.Run("ResetPasswordAndRevokedSessions", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		b := newBrowser(t)
		e.authorize(t, b, cfg.AuthCodeURL("s"), e.user.UserPrincipalName)
		require.NotEmpty(t, b.get(cfg.AuthCodeURL("s")).callback(t, e.redirect).Get("code"), "signed in: SSO")

		status, _ := controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/users/nobody@contoso.com/revokeSessions", nil)
		require.Equal(t, http.StatusNotFound, status)
		status, _ = controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/users/"+e.user.UserPrincipalName+"/resetPassword", map[string]string{"Password": ""})
		require.Equal(t, http.StatusBadRequest, status)
		e.clock.Advance(time.Second)
		status, _ = controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/users/"+e.user.UserPrincipalName+"/resetPassword", map[string]string{"Password": "Br4nd-new"})
		require.Equal(t, http.StatusOK, status)

		p := b.get(cfg.AuthCodeURL("s"))
		require.Contains(t, p.body, `name="loginfmt"`, "the browser session was revoked")
		p = b.click(p, "idSIButton9", map[string]string{"loginfmt": e.user.UserPrincipalName})
		require.Contains(t, b.click(p, "idSIButton9", map[string]string{"passwd": userPassword}).body, "Your account or password is incorrect.")
		p = b.click(p, "idSIButton9", map[string]string{"passwd": "Br4nd-new"})
		require.NotEmpty(t, p.callback(t, e.redirect).Get("code"))
	})
}
