package m365sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// codeFor runs the browser part of the flow and returns a fresh code and
// its PKCE verifier.
func (e *idEnv) codeFor(t *testing.T, cfg *oauth2.Config, upn string) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	cb := e.authorize(t, newBrowser(t), cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), upn)
	return cb.Get("code"), verifier
}

// tokenRequestsSince returns the token requests logged after the first n.
func tokenRequestsSince(s *Server, n int) []TokenRequest { return s.TokenRequests()[n:] }

func TestConformance_10_ClientAuthentication(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))

	t.Run("AutoDetectSucceedsWithOneBasicPOST", func(t *testing.T) {
		t.Parallel()
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleAutoDetect, mailScopes...)
		code, verifier := e.codeFor(t, cfg, e.user.UserPrincipalName)
		tok, err := cfg.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		require.NoError(t, err, "the secret %q must be URL-decoded from Basic", appSecret)
		var mine []TokenRequest
		for _, r := range e.srv.TokenRequests() {
			if r.ClientID == e.app.ClientID && r.GrantType == "authorization_code" && r.Status == http.StatusOK {
				mine = append(mine, r)
			}
		}
		require.NotEmpty(t, mine)
		require.Equal(t, "client_secret_basic", mine[len(mine)-1].AuthMethod)
		require.NotEmpty(t, tok.RefreshToken)
	})
	t.Run("AutoDetectFailingGrantMakesTwoPOSTs", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleAutoDetect, mailScopes...)
		code, verifier := e.codeFor(t, cfg, e.user.UserPrincipalName)
		n := len(e.srv.TokenRequests())
		_, err := cfg.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		require.Len(t, tokenRequestsSince(e.srv, n), 1, "success: exactly one Basic POST")

		fresh := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleAutoDetect, mailScopes...) // new auth style cache
		n = len(e.srv.TokenRequests())
		_, err = fresh.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		requireAADError(t, err, "invalid_grant", 54005)
		reqs := tokenRequestsSince(e.srv, n)
		require.Len(t, reqs, 2, "a failing grant is retried with the credentials in the body")
		require.Equal(t, "client_secret_basic", reqs[0].AuthMethod)
		require.Equal(t, "client_secret_post", reqs[1].AuthMethod)
	})
	t.Run("InParamsUsesPost", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		code, verifier := e.codeFor(t, cfg, e.user.UserPrincipalName)
		_, err := cfg.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		reqs := e.srv.TokenRequests()
		require.Len(t, reqs, 1)
		require.Equal(t, "client_secret_post", reqs[0].AuthMethod)
	})
	errorCases := []struct {
		name      string
		cfg       func() *oauth2.Config
		wantError string
		code      int
		status    int
	}{
		{"PublicClientWithSecret", func() *oauth2.Config {
			c := e.publicConfig(e.tenant.ID, oauth2.AuthStyleInParams)
			c.ClientSecret = "not-for-public-clients"
			return c
		}, "invalid_client", 700025, http.StatusUnauthorized},
		{"ConfidentialWithoutSecret", func() *oauth2.Config {
			c := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams)
			c.ClientSecret = ""
			return c
		}, "invalid_client", 7000218, http.StatusUnauthorized},
		{"WrongSecret", func() *oauth2.Config {
			c := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInHeader)
			c.ClientSecret = "wrong"
			return c
		}, "invalid_client", 7000215, http.StatusUnauthorized},
		{"UnknownClient", func() *oauth2.Config {
			c := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams)
			c.ClientID = newID()
			return c
		}, "unauthorized_client", 700016, http.StatusBadRequest},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.cfg().Exchange(exchangeCtx(t), "any-code")
			requireAADError(t, err, tc.wantError, tc.code)
			re, _ := retrieveError(t, err)
			require.Equal(t, tc.status, re.Response.StatusCode)
		})
	}
	t.Run("ExpiredSecret", func(t *testing.T) {
		t.Parallel()
		app, err := e.srv.AddApp(App{DisplayName: "Old", RedirectURIs: []string{e.redirect}, Secrets: []AppSecret{{Value: "old", ExpiresAt: e.clock.Now().Add(-time.Hour)}}})
		require.NoError(t, err)
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams)
		cfg.ClientID, cfg.ClientSecret = app.ClientID, "old"
		_, err = cfg.Exchange(exchangeCtx(t), "any-code")
		requireAADError(t, err, "invalid_client", 7000222)
	})
	t.Run("PublicClientBasicKnob", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		cfg := e.publicConfig(e.tenant.ID, oauth2.AuthStyleAutoDetect, mailScopes...)
		cfg.RedirectURL = "http://localhost:8401/cb"
		e.redirect = cfg.RedirectURL
		code, verifier := e.codeFor(t, cfg, e.user.UserPrincipalName)
		_, err := cfg.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		require.NoError(t, err, "without the knob a public client may use Basic with an empty secret")
		require.Len(t, e.srv.TokenRequests(), 1)

		status, _ := controlCall(t, http.MethodPut, e.srv.URL+"/_m365sim/identity/policy", IdentityPolicy{RejectPublicClientBasicAuth: true})
		require.Equal(t, http.StatusOK, status)
		cfg = e.publicConfig(e.tenant.ID, oauth2.AuthStyleAutoDetect, mailScopes...)
		code, verifier = e.codeFor(t, cfg, e.user.UserPrincipalName)
		_, err = cfg.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		require.NoError(t, err, "x/oauth2 retries in the body after AADSTS900144")
		reqs := tokenRequestsSince(e.srv, 1)
		require.Len(t, reqs, 2)
		require.Equal(t, 900144, reqs[0].ErrorCode)
		require.Equal(t, "none", reqs[1].AuthMethod)
		require.Equal(t, http.StatusOK, reqs[1].Status)
	})
}

func TestConformance_11_CodesSingleUseExpiringAndBound(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)

	t.Run("ReuseGives54005", func(t *testing.T) {
		t.Parallel()
		code, verifier := e.codeFor(t, cfg, e.user.UserPrincipalName)
		_, err := cfg.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		_, err = cfg.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		requireAADError(t, err, "invalid_grant", 54005)
	})
	t.Run("BoundToRedirectURI", func(t *testing.T) {
		t.Parallel()
		code, verifier := e.codeFor(t, cfg, e.user.UserPrincipalName)
		other := *cfg
		other.RedirectURL = "http://localhost:8400/oauth/admin" // registered, but not the one used
		_, err := other.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		requireAADError(t, err, "invalid_grant", 50011)
	})
	t.Run("ExpiresAfterCodeLifetime", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		code1, v1 := e.codeFor(t, cfg, e.user.UserPrincipalName)
		code2, v2 := e.codeFor(t, cfg, e.user.UserPrincipalName)
		e.clock.Advance(9 * time.Minute)
		_, err := cfg.Exchange(exchangeCtx(t), code1, oauth2.VerifierOption(v1))
		require.NoError(t, err)
		e.clock.Advance(time.Minute + time.Second)
		_, err = cfg.Exchange(exchangeCtx(t), code2, oauth2.VerifierOption(v2))
		requireAADError(t, err, "invalid_grant", 70008)
	})
	t.Run("GarbageCode", func(t *testing.T) {
		t.Parallel()
		_, err := cfg.Exchange(exchangeCtx(t), "not-a-code")
		requireAADError(t, err, "invalid_grant", 9002313)
	})
}

func TestConformance_12_TokenResponseShape(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))

	t.Run("WireFormat", func(t *testing.T) {
		t.Parallel()
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		code, verifier := e.codeFor(t, cfg, e.user.UserPrincipalName)
		resp, body := postForm(t, cfg.Endpoint.TokenURL, url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {e.redirect},
			"code_verifier": {verifier}, "client_id": {e.app.ClientID}, "client_secret": {appSecret},
		})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Equal(t, "no-store, no-cache", resp.Header.Get("Cache-Control"))
		require.Equal(t, "no-cache", resp.Header.Get("Pragma"))
		require.Equal(t, "Bearer", body["token_type"])
		require.Equal(t, "openid profile email https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send", body["scope"])
		require.NotContains(t, body["scope"], "offline_access")
		require.IsType(t, float64(0), body["expires_in"])
		require.IsType(t, float64(0), body["ext_expires_in"])
		require.Equal(t, float64(3600), body["expires_in"])
		for _, k := range []string{"access_token", "refresh_token", "id_token"} {
			require.NotEmpty(t, body[k], k)
		}
	})
	t.Run("ThroughXOAuth2", func(t *testing.T) {
		t.Parallel()
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...)
		require.Equal(t, "Bearer", tok.TokenType)
		require.NotEmpty(t, tok.Extra("id_token"))
		require.Equal(t, float64(3600), tok.Extra("ext_expires_in"))
		require.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, time.Minute)
		claims, err := e.srv.verifyAccessToken(tok.AccessToken)
		require.NoError(t, err, "Graph accepts the access token")
		require.Equal(t, e.user.ID, claims.UserID)
		require.True(t, claims.HasScope("Mail.Send"))
	})
	t.Run("NoRefreshTokenWithoutOfflineAccess", func(t *testing.T) {
		t.Parallel()
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, "openid", "User.Read")
		require.Empty(t, tok.RefreshToken)
		require.NotEmpty(t, tok.Extra("id_token"))
	})
	t.Run("NoIDTokenWithoutOpenID", func(t *testing.T) {
		t.Parallel()
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, "offline_access", "https://graph.microsoft.com/User.Read")
		require.Nil(t, tok.Extra("id_token"))
		require.NotEmpty(t, tok.RefreshToken)
		require.Equal(t, "https://graph.microsoft.com/User.Read", strings.Fields(tok.Extra("scope").(string))[0])
	})
}

func TestConformance_13_ScopeOptionalOnBothGrants(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser), withConfig(func(c *Config) { c.AccessTokenLifetime = 5 * time.Second }))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)

	t.Run("RefreshWithoutScopeKeepsGrantedScopes", func(t *testing.T) {
		t.Parallel()
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...)
		require.Equal(t, float64(5), tok.Extra("expires_in"))
		// Five seconds is inside x/oauth2's 10 s expiry delta, so the token
		// source refreshes at once, sending no scope.
		next, err := cfg.TokenSource(exchangeCtx(t), tok).Token()
		require.NoError(t, err)
		require.NotEqual(t, tok.AccessToken, next.AccessToken)
		require.NotEqual(t, tok.RefreshToken, next.RefreshToken)
		require.Equal(t, tok.Extra("scope"), next.Extra("scope"))
		last := e.srv.TokenRequests()
		require.Equal(t, "refresh_token", last[len(last)-1].GrantType)
	})
	t.Run("OnlyOIDCScopesGive90009", func(t *testing.T) {
		t.Parallel()
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, "openid", "profile", "offline_access")
		code, verifier := e.codeFor(t, cfg, e.user.UserPrincipalName)
		_, err := cfg.Exchange(exchangeCtx(t), code, oauth2.VerifierOption(verifier))
		requireAADError(t, err, "invalid_request", 90009)
	})
	t.Run("RefreshWithScopes", func(t *testing.T) {
		t.Parallel()
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...)
		refresh := func(scope string) (*http.Response, map[string]any) {
			return postForm(t, cfg.Endpoint.TokenURL, url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {scope},
				"client_id": {e.app.ClientID}, "client_secret": {appSecret},
			})
		}
		resp, body := refresh("https://graph.microsoft.com/Mail.Send offline_access")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Contains(t, body["scope"], "https://graph.microsoft.com/Mail.Send")
		require.NotEmpty(t, body["refresh_token"])
		resp, body = refresh("openid offline_access")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, []any{float64(90009)}, body["error_codes"])
		resp, body = refresh("Calendars.ReadWrite")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "consent_required", body["suberror"])
		require.Equal(t, []any{float64(65001)}, body["error_codes"])
	})
}

// refreshRaw redeems a refresh token with a plain POST.
func (e *idEnv) refreshRaw(t *testing.T, rt string) (int, map[string]any) {
	t.Helper()
	resp, body := postForm(t, e.srv.Authority(e.tenant.ID)+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {e.app.ClientID}, "client_secret": {appSecret},
	})
	return resp.StatusCode, body
}

func TestConformance_14_RefreshRotation(t *testing.T) {
	t.Parallel()
	t.Run("EveryRefreshRotatesOldStaysValid", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		rt1 := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...).RefreshToken
		status, body := e.refreshRaw(t, rt1)
		require.Equal(t, http.StatusOK, status)
		rt2 := body["refresh_token"].(string)
		status, body = e.refreshRaw(t, rt2)
		require.Equal(t, http.StatusOK, status)
		rt3 := body["refresh_token"].(string)
		require.NotEqual(t, rt1, rt2)
		require.NotEqual(t, rt2, rt3)
		status, _ = e.refreshRaw(t, rt1)
		require.Equal(t, http.StatusOK, status, "Entra keeps old refresh tokens valid")
	})
	t.Run("StrictKnobRevokesFamilyOnReuse", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		status, _ := controlCall(t, http.MethodPut, e.srv.URL+"/_m365sim/apps/"+e.app.ClientID+"/policy", AppPolicy{StrictRefreshRotation: true})
		require.Equal(t, http.StatusOK, status)
		rt1 := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...).RefreshToken
		_, body := e.refreshRaw(t, rt1)
		rt2 := body["refresh_token"].(string)
		status, body = e.refreshRaw(t, rt1)
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "invalid_grant", body["error"])
		status, _ = e.refreshRaw(t, rt2)
		require.Equal(t, http.StatusBadRequest, status, "reuse revokes the whole family")
		gs, err := e.srv.Grants(GrantFilter{UserID: e.user.UserPrincipalName})
		require.NoError(t, err)
		require.Len(t, gs, 1)
		require.True(t, gs[0].Revoked)
	})
	t.Run("SurvivesRestart", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "state.json")
		e := newIDEnv(t, withConsentMode(ConsentUser), withConfig(func(c *Config) { c.StatePath = path }))
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...)
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		tok.Expiry = time.Now().Add(-time.Minute)
		rotated, err := cfg.TokenSource(exchangeCtx(t), tok).Token()
		require.NoError(t, err)
		require.NoError(t, e.srv.Close())

		srv2 := startTestSim(t, e.clock, Config{StatePath: path})
		cfg2 := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		cfg2.Endpoint.TokenURL = srv2.Authority(e.tenant.ID) + "/oauth2/v2.0/token"
		rotated.Expiry = time.Now().Add(-time.Minute)
		again, err := cfg2.TokenSource(exchangeCtx(t), rotated).Token()
		require.NoError(t, err)
		require.NotEqual(t, rotated.RefreshToken, again.RefreshToken)
		_, err = srv2.verifyAccessToken(again.AccessToken)
		require.NoError(t, err)
	})
}

func TestConformance_15_FailureKnobs(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser), withConfig(func(c *Config) { c.AccessTokenLifetime = 5 * time.Second }))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)

	// signedIn creates a user, signs them in and returns their token.
	signedIn := func(t *testing.T, name string) (User, *oauth2.Token) {
		t.Helper()
		u, err := e.srv.AddUser(User{TenantID: e.tenant.ID, UserPrincipalName: name + "@contoso.com", Password: userPassword})
		require.NoError(t, err)
		return u, e.tokenFor(t, newBrowser(t), u.UserPrincipalName, mailScopes...)
	}
	cases := []struct {
		name      string
		knob      func(t *testing.T, u User, tok *oauth2.Token)
		wantError string
		code      int
		suberror  string
	}{
		{"Expired70008", func(t *testing.T, _ User, tok *oauth2.Token) {
			n, err := e.srv.FailGrants(GrantFilter{RefreshToken: tok.RefreshToken}, 70008)
			require.NoError(t, err)
			require.Equal(t, 1, n)
		}, "invalid_grant", 70008, ""},
		{"SPALifetime700084", func(t *testing.T, u User, _ *oauth2.Token) {
			status, _ := controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/identity/grants/fail", map[string]any{"UserID": u.UserPrincipalName, "Code": 700084})
			require.Equal(t, http.StatusOK, status)
		}, "invalid_grant", 700084, ""},
		{"SignInFrequency70043", func(t *testing.T, u User, _ *oauth2.Token) {
			_, err := e.srv.FailGrants(GrantFilter{UserID: u.ID, ClientID: e.app.ClientID}, 70043)
			require.NoError(t, err)
		}, "invalid_grant", 70043, ""},
		{"RevokedSessions50173", func(t *testing.T, u User, _ *oauth2.Token) {
			e.clock.Advance(time.Second)
			status, _ := controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/users/"+u.ID+"/revokeSessions", nil)
			require.Equal(t, http.StatusOK, status)
		}, "invalid_grant", 50173, "bad_token"},
		{"PasswordReset50173", func(t *testing.T, u User, _ *oauth2.Token) {
			e.clock.Advance(time.Second)
			require.NoError(t, e.srv.ResetPassword(u.UserPrincipalName, "N3w-passw0rd"))
		}, "invalid_grant", 50173, "bad_token"},
		{"ConsentRevoked65001", func(t *testing.T, u User, _ *oauth2.Token) {
			status, _ := controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/tenants/"+e.tenant.ID+"/consentGrants/revoke", map[string]string{"ClientID": e.app.ClientID, "User": u.UserPrincipalName})
			require.Equal(t, http.StatusOK, status)
		}, "invalid_grant", 65001, "consent_required"},
		{"MFA50076", func(t *testing.T, u User, _ *oauth2.Token) {
			require.NoError(t, e.srv.InjectTokenError(TokenFault{Code: 50076, UserID: u.ID}))
		}, "interaction_required", 50076, ""},
		{"MFAEnrolment50079", func(t *testing.T, u User, _ *oauth2.Token) {
			status, _ := controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/identity/faults", TokenFault{Code: 50079, UserID: u.UserPrincipalName, GrantType: "refresh_token"})
			require.Equal(t, http.StatusOK, status)
		}, "interaction_required", 50079, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, tok := signedIn(t, strings.ToLower(tc.name))
			ts := cfg.TokenSource(exchangeCtx(t), tok)
			_, err := ts.Token()
			require.NoError(t, err, "the grant works before the knob")
			tc.knob(t, u, tok)
			_, err = cfg.TokenSource(exchangeCtx(t), tok).Token()
			body := requireAADError(t, err, tc.wantError, tc.code)
			re, _ := retrieveError(t, err)
			require.Equal(t, http.StatusBadRequest, re.Response.StatusCode)
			if tc.suberror == "" {
				require.NotContains(t, body, "suberror")
			} else {
				require.Equal(t, tc.suberror, body["suberror"])
			}
		})
	}
	t.Run("NextNRequestsFail", func(t *testing.T) {
		t.Parallel()
		u, tok := signedIn(t, "flaky")
		require.NoError(t, e.srv.InjectTokenError(TokenFault{Code: 53003, Count: 2, UserID: u.ID}))
		for range 2 {
			_, err := cfg.TokenSource(exchangeCtx(t), tok).Token()
			requireAADError(t, err, "invalid_grant", 53003)
		}
		_, err := cfg.TokenSource(exchangeCtx(t), tok).Token()
		require.NoError(t, err, "the fault is used up")
	})
	t.Run("Inactive700082", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		tok := e.tokenFor(t, newBrowser(t), e.user.UserPrincipalName, mailScopes...)
		tok.Expiry = time.Now().Add(-time.Minute)
		e.clock.Advance(89 * 24 * time.Hour)
		fresh, err := cfg.TokenSource(exchangeCtx(t), tok).Token()
		require.NoError(t, err, "a token used within 90 days keeps working")
		e.clock.Advance(90*24*time.Hour + time.Second)
		fresh.Expiry = time.Now().Add(-time.Minute)
		_, err = cfg.TokenSource(exchangeCtx(t), fresh).Token()
		body := requireAADError(t, err, "invalid_grant", 700082)
		require.Contains(t, body["error_description"], "inactive for 90.00:00:00")
	})
}

// jsonBody decodes a control API answer.
func jsonBody[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), string(b))
	return v
}
