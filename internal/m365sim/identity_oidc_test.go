package m365sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// adminConsentURL builds the product's admin consent link.
func (e *idEnv) adminConsentURL(tenant string, params map[string]string) string {
	v := url.Values{"client_id": {e.app.ClientID}, "redirect_uri": {"http://localhost:8400/oauth/admin"}, "state": {"ac-1"}}
	for k, val := range params {
		v.Set(k, val)
	}
	return e.srv.Authority(tenant) + "/v2.0/adminconsent?" + v.Encode()
}

func TestConformance_16_AdminConsentEndpoint(t *testing.T) {
	t.Parallel()
	const adminRedirect = "http://localhost:8400/oauth/admin"

	t.Run("CommonRejected", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t)
		cb := newBrowser(t).get(e.adminConsentURL("common", map[string]string{"scope": GraphAudience + "/.default"})).callback(t, adminRedirect)
		require.Equal(t, "True", cb.Get("admin_consent"))
		require.Equal(t, "invalid_request", cb.Get("error"))
		require.Contains(t, cb.Get("error_description"), "AADSTS90130:")
		require.Equal(t, "ac-1", cb.Get("state"))
	})
	t.Run("ScopeRequired", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t)
		cb := newBrowser(t).get(e.adminConsentURL(e.tenant.ID, nil)).callback(t, adminRedirect)
		require.Equal(t, "True", cb.Get("admin_consent"))
		require.Equal(t, "invalid_request", cb.Get("error"))
		require.Contains(t, cb.Get("error_description"), "'scope'")
	})
	t.Run("NonAdminGetsOnlyAdminPage", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t)
		b := newBrowser(t)
		p := b.signIn(b.get(e.adminConsentURL("organizations", map[string]string{"scope": GraphAudience + "/.default"})), e.user.UserPrincipalName, userPassword)
		require.Equal(t, http.StatusOK, p.status)
		require.Empty(t, p.location)
		require.Contains(t, p.body, "needs permission to access resources in your organization that only an admin can grant")
		require.Empty(t, e.srv.ConsentGrants(e.tenant.ID))
	})
	t.Run("AdminCancel", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t)
		b := newBrowser(t)
		p := b.signIn(b.get(e.adminConsentURL(e.tenant.ID, map[string]string{"scope": GraphAudience + "/.default"})), e.admin.UserPrincipalName, userPassword)
		cb := b.click(p, "idBtn_Back", nil).callback(t, adminRedirect)
		require.Equal(t, "True", cb.Get("admin_consent"))
		require.Equal(t, "consent_required", cb.Get("error"))
		require.Contains(t, cb.Get("error_description"), "AADSTS65004:")
		require.Equal(t, "ac-1", cb.Get("state"))
	})
	t.Run("AdminAcceptsThenEveryUserSkipsConsent", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t)
		require.NoError(t, e.srv.SetAppPolicy(e.app.ClientID, AppPolicy{RequiredScopes: []string{"User.Read", "Mail.ReadWrite", "Mail.Send"}}))
		b := newBrowser(t)
		scope := GraphAudience + "/.default"
		p := b.signIn(b.get(e.adminConsentURL(e.tenant.ID, map[string]string{"scope": scope})), e.admin.UserPrincipalName, userPassword)
		require.Contains(t, p.body, "Accept for your organization")
		require.Contains(t, p.body, `data-scope="Mail.ReadWrite"`)
		p = b.click(p, "idBtn_Accept", nil)
		require.Equal(t, adminRedirect+"?admin_consent=True&tenant="+e.tenant.ID+"&scope="+url.QueryEscape(scope)+"&state=ac-1", p.location)

		for _, upn := range []string{e.user.UserPrincipalName, "zoe@contoso.com"} {
			if upn != e.user.UserPrincipalName {
				_, err := e.srv.AddUser(User{TenantID: e.tenant.ID, UserPrincipalName: upn, Password: userPassword})
				require.NoError(t, err)
			}
			cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
			b := newBrowser(t)
			p := b.signIn(b.get(cfg.AuthCodeURL("s")), upn, userPassword)
			cb := p.callback(t, e.redirect) // no consent page, no AADSTS90094
			tok, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"))
			require.NoError(t, err)
			require.Contains(t, tok.Extra("scope"), GraphAudience+"/Mail.ReadWrite")
		}
	})
}

func TestConformance_17_DiscoveryPerTenant(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t)
	cases := []struct{ segment, issuer string }{
		{"common", e.srv.URL + "/{tenantid}/v2.0"},
		{"organizations", e.srv.URL + "/{tenantid}/v2.0"},
		{"consumers", e.srv.URL + "/" + ConsumerTenantID + "/v2.0"},
		{e.tenant.ID, e.srv.URL + "/" + e.tenant.ID + "/v2.0"},
		{"contoso.com", e.srv.URL + "/" + e.tenant.ID + "/v2.0"},
	}
	for _, tc := range cases {
		t.Run(tc.segment, func(t *testing.T) {
			t.Parallel()
			resp, doc := getJSON(t, e.srv.Authority(tc.segment)+"/v2.0/.well-known/openid-configuration")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "max-age=86400, private", resp.Header.Get("Cache-Control"))
			require.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
			require.Equal(t, tc.issuer, doc["issuer"])
			require.Equal(t, []any{"client_secret_post", "private_key_jwt", "client_secret_basic"}, doc["token_endpoint_auth_methods_supported"])
			for _, k := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint", "userinfo_endpoint"} {
				require.True(t, strings.HasPrefix(doc[k].(string), e.srv.URL+"/"), "%s = %v", k, doc[k])
			}
			resp, jwks := getJSON(t, doc["jwks_uri"].(string))
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.NotEmpty(t, jwks["keys"])
			resp, _ = getJSON(t, doc["token_endpoint"].(string))
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, "the advertised token endpoint exists (and wants POST)")
		})
	}
	t.Run("UnknownTenant", func(t *testing.T) {
		t.Parallel()
		resp, body := getJSON(t, e.srv.Authority("nosuch.example")+"/v2.0/.well-known/openid-configuration")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "invalid_tenant", body["error"])
		require.Equal(t, []any{float64(90002)}, body["error_codes"])
	})
}

func TestConformance_18_JWKSAndIDTokenClaims(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))
	_, commonDoc := getJSON(t, e.srv.Authority("common")+"/v2.0/.well-known/openid-configuration")
	_, jwks := getJSON(t, commonDoc["jwks_uri"].(string))

	idToken := func(t *testing.T, tenant, upn string, scopes ...string) map[string]any {
		t.Helper()
		cfg := e.oauthConfig(tenant, oauth2.AuthStyleInParams, scopes...)
		verifier := oauth2.GenerateVerifier()
		cb := e.authorize(t, newBrowser(t), cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-0S6_WzA2Mj")), upn)
		tok, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		raw, ok := tok.Extra("id_token").(string)
		require.True(t, ok)
		verifyWithJWKS(t, raw, jwks)
		_, claims := jwtClaims(t, raw)
		// The product's rule: iss must be the discovery issuer with {tenantid}
		// replaced by the token's tid.
		require.Equal(t, strings.Replace(commonDoc["issuer"].(string), "{tenantid}", claims["tid"].(string), 1), claims["iss"])
		require.Equal(t, e.app.ClientID, claims["aud"])
		require.Equal(t, "2.0", claims["ver"])
		require.Equal(t, "n-0S6_WzA2Mj", claims["nonce"])
		require.NotEmpty(t, claims["sub"])
		return claims
	}
	t.Run("ProfileAndEmail", func(t *testing.T) {
		t.Parallel()
		c := idToken(t, "common", e.user.UserPrincipalName, "openid", "profile", "email", "User.Read")
		require.Equal(t, e.tenant.ID, c["tid"])
		require.Equal(t, e.user.ID, c["oid"], "oid is the Graph user id")
		require.Equal(t, "Adele Vance", c["name"])
		require.Equal(t, "adele@contoso.com", c["preferred_username"])
		require.Equal(t, "adele@contoso.com", c["email"])
	})
	t.Run("OpenIDOnly", func(t *testing.T) {
		t.Parallel()
		c := idToken(t, e.tenant.ID, e.user.UserPrincipalName, "openid", "User.Read")
		for _, k := range []string{"oid", "name", "preferred_username", "email"} {
			require.NotContains(t, c, k)
		}
	})
	t.Run("ProfileWithoutEmail", func(t *testing.T) {
		t.Parallel()
		c := idToken(t, "organizations", e.user.UserPrincipalName, "openid", "profile", "User.Read")
		require.Contains(t, c, "oid")
		require.NotContains(t, c, "email")
	})
	t.Run("PersonalAccountGetsConsumerTid", func(t *testing.T) {
		t.Parallel()
		_, err := e.srv.AddTenant(Tenant{ID: ConsumerTenantID, DisplayName: "Microsoft Services", Domains: []string{"outlook.com"}, ConsentMode: ConsentUser})
		require.NoError(t, err)
		u, err := e.srv.AddUser(User{TenantID: ConsumerTenantID, UserPrincipalName: "alex@outlook.com", DisplayName: "Alex", Password: userPassword})
		require.NoError(t, err)

		p := newBrowser(t).get(e.oauthConfig("consumers", oauth2.AuthStyleInParams, "openid").AuthCodeURL("s"))
		require.Contains(t, p.body, "AADSTS9002332", "a work-only app refuses /consumers")

		require.NoError(t, e.srv.SetAppPolicy(e.app.ClientID, AppPolicy{AllowPersonalAccounts: true}))
		c := idToken(t, "consumers", u.UserPrincipalName, "openid", "profile", "User.Read")
		require.Equal(t, ConsumerTenantID, c["tid"])
		require.Equal(t, e.srv.URL+"/"+ConsumerTenantID+"/v2.0", c["iss"])
	})
	t.Run("JWKSShape", func(t *testing.T) {
		t.Parallel()
		resp, doc := getJSON(t, e.srv.Authority(e.tenant.ID)+"/discovery/v2.0/keys")
		require.Equal(t, "max-age=86400, private", resp.Header.Get("Cache-Control"))
		key := doc["keys"].([]any)[0].(map[string]any)
		require.Equal(t, "RSA", key["kty"])
		require.Equal(t, "sig", key["use"])
		require.Equal(t, "AQAB", key["e"])
		require.NotEmpty(t, key["x5c"])
		require.Equal(t, e.srv.URL+"/{tenantid}/v2.0", key["issuer"])
	})
}

func TestOIDC_UserInfoLogoutAndErrorPage(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))

	t.Run("UserInfo", func(t *testing.T) {
		t.Parallel()
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...)
		_, doc := getJSON(t, e.srv.Authority("common")+"/v2.0/.well-known/openid-configuration")
		req, err := http.NewRequest(http.MethodGet, doc["userinfo_endpoint"].(string), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var info map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
		require.Equal(t, "Adele Vance", info["name"])
		require.Equal(t, "adele@contoso.com", info["email"])
		_, claims := jwtClaims(t, tok.Extra("id_token").(string))
		require.Equal(t, claims["sub"], info["sub"], "userinfo sub equals the ID token sub")

		resp2, err := http.Get(doc["userinfo_endpoint"].(string))
		require.NoError(t, err)
		resp2.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp2.StatusCode)
	})
	t.Run("LogoutEndsSession", func(t *testing.T) {
		t.Parallel()
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		b := newBrowser(t)
		e.authorize(t, b, cfg.AuthCodeURL("s"), e.user.UserPrincipalName)
		require.NotEmpty(t, b.get(cfg.AuthCodeURL("s")).callback(t, e.redirect).Get("code"))
		p := b.get(e.srv.Authority(e.tenant.ID) + "/oauth2/v2.0/logout?post_logout_redirect_uri=" + url.QueryEscape("http://localhost:8400/"))
		require.Equal(t, http.StatusFound, p.status)
		require.Equal(t, "http://localhost:8400/", p.location)
		require.Contains(t, b.get(cfg.AuthCodeURL("s")).body, `name="loginfmt"`, "signed out: the username page again")
	})
	t.Run("ErrorURIPage", func(t *testing.T) {
		t.Parallel()
		p := newBrowser(t).get(e.srv.URL + "/error?code=50173")
		require.Equal(t, http.StatusOK, p.status)
		require.Contains(t, p.body, "AADSTS50173")
		require.Contains(t, p.body, "The provided grant has expired due to it being revoked")
	})
}
