package m365sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// authorizeURL builds an authorize URL by hand for parameters x/oauth2 does
// not set.
func (e *idEnv) authorizeURL(tenant string, params map[string]string) string {
	v := url.Values{}
	for k, val := range params {
		if val != "\x00" {
			v.Set(k, val)
		}
	}
	return e.srv.Authority(tenant) + "/oauth2/v2.0/authorize?" + v.Encode()
}

func TestConformance_01_UnknownClientOrRedirectShowsPage(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t)
	single, err := e.srv.AddApp(App{DisplayName: "Single", RedirectURIs: []string{e.redirect}, Secrets: []AppSecret{{Value: "x"}}, HomeTenantID: e.tenant.ID})
	require.NoError(t, err)
	cases := []struct {
		name, tenant, client, redirect string
		code                           int
	}{
		{"UnknownClient", e.tenant.ID, newID(), e.redirect, 700016},
		{"RedirectTrailingSlash", e.tenant.ID, e.app.ClientID, e.redirect + "/", 50011},
		{"RedirectOtherHost", e.tenant.ID, e.app.ClientID, "https://attacker.example/oauth/callback", 50011},
		{"RedirectDifferentCase", e.tenant.ID, e.app.ClientID, strings.Replace(e.redirect, "callback", "Callback", 1), 50011},
		{"MissingRedirect", e.tenant.ID, e.app.ClientID, "\x00", 900144},
		{"UnknownTenant", "fabrikam.onmicrosoft.com", e.app.ClientID, e.redirect, 90002},
		{"SingleTenantAppOnCommon", "common", single.ClientID, e.redirect, 50194},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newBrowser(t).get(e.authorizeURL(tc.tenant, map[string]string{
				"client_id": tc.client, "redirect_uri": tc.redirect, "response_type": "code",
				"scope": "openid Mail.Send", "state": "s1",
			}))
			require.Equal(t, http.StatusBadRequest, p.status)
			require.Empty(t, p.location, "an untrusted redirect URI must never be redirected to")
			require.Equal(t, "text/html; charset=utf-8", p.header.Get("Content-Type"))
			require.Contains(t, p.body, "AADSTS"+itoa(tc.code)+":")
			require.Contains(t, p.body, "Sorry, but we're having trouble signing you in.")
			require.NotContains(t, p.body, "s1", "the state must not leak into the page")
		})
	}
}

func TestConformance_02_SuccessRedirectsWithCodeStateSessionState(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)

	t.Run("Query", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		verifier := oauth2.GenerateVerifier()
		p := b.signIn(b.get(cfg.AuthCodeURL("st/1 2", oauth2.S256ChallengeOption(verifier))), e.user.UserPrincipalName, userPassword)
		if p.isConsentPage() {
			p = b.click(p, "idBtn_Accept", nil)
		}
		require.Equal(t, http.StatusFound, p.status)
		require.Regexp(t, `^`+regexp.QuoteMeta(e.redirect)+`\?code=[^&]+&state=st%2F1\+2&session_state=[0-9a-f-]{36}$`, p.location)
		cb := p.callback(t, e.redirect)
		require.Equal(t, "st/1 2", cb.Get("state"))
		tok, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		require.NotEmpty(t, tok.AccessToken)
	})
	t.Run("FormPost", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		verifier := oauth2.GenerateVerifier()
		p := b.signIn(b.get(cfg.AuthCodeURL("st2", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("response_mode", "form_post"))), e.user.UserPrincipalName, userPassword)
		if p.isConsentPage() {
			p = b.click(p, "idBtn_Accept", nil)
		}
		require.Equal(t, http.StatusOK, p.status)
		require.Empty(t, p.location)
		require.Contains(t, p.body, "document.forms[0].submit()")
		forms := p.forms(t)
		require.Len(t, forms, 1)
		require.Equal(t, e.redirect, forms[0].action)
		require.Equal(t, "POST", forms[0].method)
		require.Equal(t, "st2", forms[0].fields.Get("state"))
		require.Regexp(t, `^[0-9a-f-]{36}$`, forms[0].fields.Get("session_state"))
		tok, err := cfg.Exchange(exchangeCtx(t), forms[0].fields.Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		require.NotEmpty(t, tok.AccessToken)
	})
	t.Run("Fragment", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("st3", oauth2.SetAuthURLParam("response_mode", "fragment"))), e.user.UserPrincipalName, userPassword)
		if p.isConsentPage() {
			p = b.click(p, "idBtn_Accept", nil)
		}
		require.True(t, strings.HasPrefix(p.location, e.redirect+"#code="), p.location)
		require.Equal(t, "st3", p.callback(t, e.redirect).Get("state"))
	})
}

func TestConformance_03_ResponseTypeMustContainCode(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
	cases := []struct {
		name, responseType, wantError string
		code                          int
	}{
		{"HybridWithoutImplicitIDTokens", "code id_token", "unsupported_response_type", 700054},
		{"ImplicitToken", "token", "unsupported_response_type", 700051},
		{"Missing", "", "invalid_request", 900144},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newBrowser(t).get(cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("response_type", tc.responseType), oauth2.SetAuthURLParam("nonce", "n")))
			cb := p.callback(t, e.redirect)
			require.Equal(t, tc.wantError, cb.Get("error"))
			require.Contains(t, cb.Get("error_description"), "AADSTS"+itoa(tc.code)+":")
			require.Equal(t, "s", cb.Get("state"))
			require.Empty(t, cb.Get("code"))
		})
	}
	t.Run("HybridWithImplicitIDTokensEnabled", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentUser))
		require.NoError(t, e.srv.SetAppPolicy(e.app.ClientID, AppPolicy{IDTokenImplicitGrant: true}))
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		cb := e.authorize(t, newBrowser(t), cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("response_type", "code id_token"), oauth2.SetAuthURLParam("nonce", "n-1")), e.user.UserPrincipalName)
		require.NotEmpty(t, cb.Get("code"))
		_, claims := jwtClaims(t, cb.Get("id_token"))
		require.Equal(t, "n-1", claims["nonce"])
		require.NotEmpty(t, claims["c_hash"])
		_, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"))
		require.NoError(t, err)
	})
}

func TestConformance_04_PKCE(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)

	t.Run("S256WrongVerifier", func(t *testing.T) {
		t.Parallel()
		verifier := oauth2.GenerateVerifier()
		cb := e.authorize(t, newBrowser(t), cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), e.user.UserPrincipalName)
		_, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		requireAADError(t, err, "invalid_grant", 501481)
		_, err = cfg.Exchange(exchangeCtx(t), cb.Get("code"))
		requireAADError(t, err, "invalid_grant", 501481)
		tok, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err, "a failed verifier check does not burn the code")
		require.NotEmpty(t, tok.AccessToken)
	})
	t.Run("PlainAssumedWhenMethodOmitted", func(t *testing.T) {
		t.Parallel()
		verifier := oauth2.GenerateVerifier()
		b := newBrowser(t)
		cb := e.authorize(t, b, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))), e.user.UserPrincipalName)
		_, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"), oauth2.VerifierOption(verifier))
		requireAADError(t, err, "invalid_grant", 501481)
		cb = e.authorize(t, b, cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", verifier)), e.user.UserPrincipalName)
		_, err = cfg.Exchange(exchangeCtx(t), cb.Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
	})
	t.Run("ExplicitPlain", func(t *testing.T) {
		t.Parallel()
		verifier := oauth2.GenerateVerifier()
		cb := e.authorize(t, newBrowser(t), cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", verifier), oauth2.SetAuthURLParam("code_challenge_method", "plain")), e.user.UserPrincipalName)
		_, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
	})
	t.Run("UnknownMethod", func(t *testing.T) {
		t.Parallel()
		p := newBrowser(t).get(cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("code_challenge_method", "S512")))
		cb := p.callback(t, e.redirect)
		require.Equal(t, "invalid_request", cb.Get("error"))
		require.Empty(t, cb.Get("code"))
	})
}

func TestConformance_05_PromptNoneLoginConsentSelectAccount(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
	none := oauth2.SetAuthURLParam("prompt", "none")

	t.Run("NoneWithoutSession", func(t *testing.T) {
		t.Parallel()
		cb := newBrowser(t).get(cfg.AuthCodeURL("s", none)).callback(t, e.redirect)
		require.Equal(t, "login_required", cb.Get("error"))
		require.Contains(t, cb.Get("error_description"), "AADSTS50058:")
		require.Equal(t, "s", cb.Get("state"))
		require.Empty(t, cb.Get("code"))
	})
	t.Run("NoneWithoutConsent", func(t *testing.T) {
		t.Parallel()
		u, err := e.srv.AddUser(User{TenantID: e.tenant.ID, UserPrincipalName: "nora@contoso.com", Password: userPassword})
		require.NoError(t, err)
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("s")), u.UserPrincipalName, userPassword)
		require.True(t, p.isConsentPage())
		cb := b.get(cfg.AuthCodeURL("s2", none)).callback(t, e.redirect)
		require.Equal(t, "consent_required", cb.Get("error"))
		require.Contains(t, cb.Get("error_description"), "AADSTS65001:")
		require.Equal(t, "s2", cb.Get("state"))
	})
	t.Run("NoneAfterConsentAndConsentAlwaysShowsPage", func(t *testing.T) {
		t.Parallel()
		u, err := e.srv.AddUser(User{TenantID: e.tenant.ID, UserPrincipalName: "omar@contoso.com", Password: userPassword})
		require.NoError(t, err)
		b := newBrowser(t)
		e.authorize(t, b, cfg.AuthCodeURL("s"), u.UserPrincipalName)
		cb := b.get(cfg.AuthCodeURL("s2", none)).callback(t, e.redirect)
		require.NotEmpty(t, cb.Get("code"))
		p := b.get(cfg.AuthCodeURL("s3", oauth2.ApprovalForce))
		require.True(t, p.isConsentPage(), "prompt=consent shows the consent page even when consent exists")
		require.Equal(t, "s3", b.click(p, "idBtn_Accept", nil).callback(t, e.redirect).Get("state"))
	})
	t.Run("SessionSkipsPasswordLoginForcesIt", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		e.authorize(t, b, cfg.AuthCodeURL("s"), e.user.UserPrincipalName)
		require.NotEmpty(t, b.get(cfg.AuthCodeURL("s")).callback(t, e.redirect).Get("code"))
		p := b.get(cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("login_hint", e.user.UserPrincipalName)))
		require.Contains(t, p.body, `name="passwd"`)
		require.Contains(t, p.body, e.user.UserPrincipalName)
		require.NotEmpty(t, b.click(p, "idSIButton9", map[string]string{"passwd": userPassword}).callback(t, e.redirect).Get("code"))
	})
	t.Run("SelectAccountShowsPicker", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		e.authorize(t, b, cfg.AuthCodeURL("s"), e.user.UserPrincipalName)
		p := b.get(cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "select_account")))
		require.Contains(t, p.body, "Pick an account")
		require.Contains(t, p.body, e.user.UserPrincipalName)
		require.Contains(t, p.body, "Use another account")
		for _, f := range p.forms(t) {
			f.fields.Set("account", e.user.ID)
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+f.action, strings.NewReader(f.fields.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			require.NotEmpty(t, b.do(req).callback(t, e.redirect).Get("code"))
		}
	})
	t.Run("NoneWithTwoAccounts", func(t *testing.T) {
		t.Parallel()
		u, err := e.srv.AddUser(User{TenantID: e.tenant.ID, UserPrincipalName: "pia@contoso.com", Password: userPassword})
		require.NoError(t, err)
		b := newBrowser(t)
		e.authorize(t, b, cfg.AuthCodeURL("s"), e.user.UserPrincipalName)
		p := b.signIn(b.get(cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "login"))), u.UserPrincipalName, userPassword)
		if p.isConsentPage() {
			b.click(p, "idBtn_Accept", nil)
		}
		cb := b.get(cfg.AuthCodeURL("s", none)).callback(t, e.redirect)
		require.Equal(t, "interaction_required", cb.Get("error"))
		p = b.get(cfg.AuthCodeURL("s"))
		require.Contains(t, p.body, "Pick an account", "two accounts in the session show the picker")
	})
	t.Run("WrongPasswordShowsErrorOnPage", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		p := b.get(cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("login_hint", e.user.UserPrincipalName)))
		require.Contains(t, p.body, `name="passwd"`, "login_hint skips the username page")
		p = b.click(p, "idSIButton9", map[string]string{"passwd": "nope"})
		require.Equal(t, http.StatusOK, p.status)
		require.Empty(t, p.location)
		require.Contains(t, p.body, "Your account or password is incorrect.")
		p = b.click(p, "idSIButton9", map[string]string{"passwd": userPassword})
		if p.isConsentPage() {
			p = b.click(p, "idBtn_Accept", nil)
		}
		require.NotEmpty(t, p.callback(t, e.redirect).Get("code"))
	})
	t.Run("UnknownUserShowsErrorOnPage", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		p := b.click(b.get(cfg.AuthCodeURL("s")), "idSIButton9", map[string]string{"loginfmt": "nobody@contoso.com"})
		require.Contains(t, p.body, "This username may be incorrect.")
		require.Empty(t, p.location)
	})
}

func TestConformance_06_UserConsentModeShowsConsentThenCode(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
	b := newBrowser(t)
	p := b.signIn(b.get(cfg.AuthCodeURL("s")), e.user.UserPrincipalName, userPassword)
	require.True(t, p.isConsentPage())
	require.Contains(t, p.body, "Mailbridge")
	require.Contains(t, p.body, "Read and write access to your mail")
	require.Contains(t, p.body, `data-scope="Mail.Send"`)
	require.NotContains(t, p.body, "Consent on behalf of your organization", "only admins get the organisation checkbox")
	cb := b.click(p, "idBtn_Accept", nil).callback(t, e.redirect)
	tok, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"))
	require.NoError(t, err)
	require.Contains(t, tok.Extra("scope"), GraphAudience+"/Mail.ReadWrite")

	grants := e.srv.ConsentGrants(e.tenant.ID)
	require.Len(t, grants, 1)
	require.Equal(t, e.user.ID, grants[0].UserID)

	// A second browser signs in again: consent exists, so no consent page.
	b2 := newBrowser(t)
	p = b2.signIn(b2.get(cfg.AuthCodeURL("s")), e.user.UserPrincipalName, userPassword)
	require.NotEmpty(t, p.callback(t, e.redirect).Get("code"))
}

func TestConformance_07_AdminRequiredShowsInterstitialThenCancel(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t) // default tenant: admin consent required for Mail.ReadWrite
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)

	t.Run("NeedAdminApprovalPage", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("s-7")), e.user.UserPrincipalName, userPassword)
		require.Equal(t, http.StatusOK, p.status)
		require.Empty(t, p.location, "AADSTS90094 is a page, not a redirect")
		require.Contains(t, p.body, "Need admin approval")
		require.Contains(t, p.body, "needs permission to access resources in your organization that only an admin can grant")
		require.Contains(t, p.body, "AADSTS90094")
		href := regexp.MustCompile(`href="([^"]+)" id="returnToApp"`).FindStringSubmatch(p.body)
		require.Len(t, href, 2)
		cb := b.get(e.srv.URL+strings.ReplaceAll(href[1], "&amp;", "&")).callback(t, e.redirect)
		require.Equal(t, url.Values{"error": {"access_denied"}, "error_subcode": {"cancel"}, "state": {"s-7"}}, cb)
	})
	t.Run("UserConsentableScopesStillShowConsent", func(t *testing.T) {
		t.Parallel()
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, "openid", "offline_access", "User.Read", "Mail.Send")
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("s")), e.user.UserPrincipalName, userPassword)
		require.True(t, p.isConsentPage(), "Mail.Send is not on the managed policy's list")
	})
	t.Run("AdminConsentsForOrganization", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t)
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("s")), e.admin.UserPrincipalName, userPassword)
		require.True(t, p.isConsentPage(), "an admin gets the consent page, not the interstitial")
		require.Contains(t, p.body, "Consent on behalf of your organization")
		require.NotEmpty(t, b.click(p, "idBtn_Accept", map[string]string{"consentForOrg": "true"}).callback(t, e.redirect).Get("code"))
		// Every user of the tenant now gets a code without any consent page.
		b2 := newBrowser(t)
		p = b2.signIn(b2.get(cfg.AuthCodeURL("s")), e.user.UserPrincipalName, userPassword)
		require.NotEmpty(t, p.callback(t, e.redirect).Get("code"))
	})
}

func TestConformance_08_WorkflowRequestApproval(t *testing.T) {
	t.Parallel()
	t.Run("ApproveThenCode", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentAdminWorkflow))
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("s")), e.user.UserPrincipalName, userPassword)
		require.Contains(t, p.body, "Need admin approval")
		require.Contains(t, p.body, "AADSTS90095")
		require.Contains(t, p.body, `<textarea name="justification"`)
		require.Contains(t, p.body, ">Request approval</button>")
		p = b.click(p, "requestApproval", map[string]string{"justification": "I need Mailbridge for outreach"})
		require.Equal(t, http.StatusOK, p.status)
		require.Empty(t, p.location, "a submitted request ends on Microsoft's page")
		require.Contains(t, p.body, "Request sent")

		var reqs []ConsentRequest
		status, body := controlCall(t, http.MethodGet, e.srv.URL+"/_m365sim/tenants/contoso.com/consentRequests", nil)
		require.Equal(t, http.StatusOK, status)
		require.NoError(t, json.Unmarshal(body, &reqs))
		require.Len(t, reqs, 1)
		require.Equal(t, ConsentRequestPending, reqs[0].Status)
		require.Equal(t, e.app.ClientID, reqs[0].ClientID)
		require.Contains(t, reqs[0].Scopes, "Mail.ReadWrite")
		require.Equal(t, "I need Mailbridge for outreach", reqs[0].Requesters[0].Justification)

		// Before approval the next sign-in is blocked again.
		require.Contains(t, b.get(cfg.AuthCodeURL("s")).body, "AADSTS90095")

		status, _ = controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/consentRequests/"+reqs[0].ID+"/approve", map[string]string{"Reviewer": e.admin.UserPrincipalName})
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, ConsentRequestApproved, e.srv.ConsentRequests(e.tenant.ID)[0].Status)

		cb := b.get(cfg.AuthCodeURL("s2")).callback(t, e.redirect)
		require.Equal(t, "s2", cb.Get("state"))
		tok, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"))
		require.NoError(t, err)
		require.Contains(t, tok.Extra("scope"), GraphAudience+"/Mail.ReadWrite")
	})
	t.Run("DenyNeedsJustification", func(t *testing.T) {
		t.Parallel()
		e := newIDEnv(t, withConsentMode(ConsentAdminWorkflow))
		cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("s")), e.user.UserPrincipalName, userPassword)
		b.click(p, "requestApproval", map[string]string{"justification": "please"})
		id := e.srv.ConsentRequests(e.tenant.ID)[0].ID
		status, _ := controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/consentRequests/"+id+"/deny", map[string]string{"Justification": ""})
		require.Equal(t, http.StatusBadRequest, status)
		status, _ = controlCall(t, http.MethodPost, e.srv.URL+"/_m365sim/consentRequests/"+id+"/deny", map[string]string{"Justification": "not approved vendor"})
		require.Equal(t, http.StatusOK, status)
		cr := e.srv.ConsentRequests(e.tenant.ID)[0]
		require.Equal(t, ConsentRequestDenied, cr.Status)
		require.Equal(t, "not approved vendor", cr.ReviewJustification)
		require.Error(t, e.srv.ApproveConsentRequest(id, "x"), "a denied request cannot be approved")
		require.Contains(t, b.get(cfg.AuthCodeURL("s")).body, "AADSTS90095", "denial grants nothing")
	})
}

func TestConformance_09_DeclineAndCancel(t *testing.T) {
	t.Parallel()
	e := newIDEnv(t, withConsentMode(ConsentUser))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)

	t.Run("DeclineGivesAccessDenied65004", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("75")), e.user.UserPrincipalName, userPassword)
		cb := b.click(p, "declineLink", nil).callback(t, e.redirect)
		require.Equal(t, "access_denied", cb.Get("error"))
		require.Regexp(t, `^AADSTS65004: User declined to consent to access the app\.\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: .+Z$`, cb.Get("error_description"))
		require.True(t, strings.HasSuffix(cb.Get("error_uri"), "/error?code=65004"), cb.Get("error_uri"))
		require.Equal(t, "75", cb.Get("state"))
		require.Empty(t, cb.Get("code"))
	})
	t.Run("DeclineFormPost", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("76", oauth2.SetAuthURLParam("response_mode", "form_post"))), e.user.UserPrincipalName, userPassword)
		p = b.click(p, "declineLink", nil)
		f := p.forms(t)[0]
		require.Equal(t, e.redirect, f.action)
		require.Equal(t, "access_denied", f.fields.Get("error"))
		require.Contains(t, f.fields.Get("error_description"), "AADSTS65004")
		require.Equal(t, "76", f.fields.Get("state"))
	})
	t.Run("CancelGivesSubcodeCancel", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t)
		p := b.signIn(b.get(cfg.AuthCodeURL("77")), e.user.UserPrincipalName, userPassword)
		cb := b.click(p, "idBtn_Back", nil).callback(t, e.redirect)
		require.Equal(t, url.Values{"error": {"access_denied"}, "error_subcode": {"cancel"}, "state": {"77"}}, cb)
	})
}
