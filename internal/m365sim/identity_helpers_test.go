package m365sim

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"
)

// idEnv is a running emulator with one tenant, a confidential app, a public
// app, a user and an admin, for identity tests.
type idEnv struct {
	srv      *Server
	clock    *testClock
	tenant   Tenant
	app      App // confidential, secret appSecret
	public   App
	user     User // password userPassword
	admin    User // IsAdmin, password userPassword
	redirect string
}

const (
	appSecret    = "s3cr+t/with=odd&chars%"
	userPassword = "Passw0rd!"
)

// idEnvOption tweaks an idEnv before the emulator starts or right after the
// directory is seeded.
type idEnvOption func(cfg *Config, t *Tenant)

// withConsentMode sets the tenant's consent mode.
func withConsentMode(m ConsentMode) idEnvOption {
	return func(_ *Config, t *Tenant) { t.ConsentMode = m }
}

// withConfig changes the emulator configuration.
func withConfig(f func(*Config)) idEnvOption {
	return func(c *Config, _ *Tenant) { f(c) }
}

// newIDEnv starts an isolated emulator for one test.
func newIDEnv(t *testing.T, opts ...idEnvOption) *idEnv {
	t.Helper()
	clock := newTestClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var cfg Config
	tenant := Tenant{DisplayName: "Contoso", Domains: []string{"contoso.onmicrosoft.com", "contoso.com"}}
	for _, o := range opts {
		o(&cfg, &tenant)
	}
	srv := startTestSim(t, clock, cfg)
	e := &idEnv{srv: srv, clock: clock, redirect: "http://localhost:8400/oauth/callback"}
	var err error
	e.tenant, err = srv.AddTenant(tenant)
	require.NoError(t, err)
	e.app, err = srv.AddApp(App{DisplayName: "Mailbridge", RedirectURIs: []string{e.redirect, "http://localhost:8400/oauth/admin"}, Secrets: []AppSecret{{Value: appSecret}}})
	require.NoError(t, err)
	e.public, err = srv.AddApp(App{DisplayName: "Mailbridge CLI", RedirectURIs: []string{"http://localhost:8401/cb"}, PublicClient: true})
	require.NoError(t, err)
	e.user, err = srv.AddUser(User{TenantID: e.tenant.ID, UserPrincipalName: "adele@contoso.com", DisplayName: "Adele Vance", Mail: "adele@contoso.com", Password: userPassword})
	require.NoError(t, err)
	e.admin, err = srv.AddUser(User{TenantID: e.tenant.ID, UserPrincipalName: "admin@contoso.com", DisplayName: "Megan Admin", Password: userPassword, IsAdmin: true})
	require.NoError(t, err)
	return e
}

// oauthConfig is an x/oauth2 configuration for the confidential app.
func (e *idEnv) oauthConfig(tenant string, style oauth2.AuthStyle, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: e.app.ClientID, ClientSecret: appSecret, RedirectURL: e.redirect, Scopes: scopes,
		Endpoint: e.endpoint(tenant, style),
	}
}

// publicConfig is an x/oauth2 configuration for the public app.
func (e *idEnv) publicConfig(tenant string, style oauth2.AuthStyle, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: e.public.ClientID, RedirectURL: "http://localhost:8401/cb", Scopes: scopes,
		Endpoint: e.endpoint(tenant, style),
	}
}

// endpoint is the emulator's authorize and token endpoints for tenant.
func (e *idEnv) endpoint(tenant string, style oauth2.AuthStyle) oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:   e.srv.Authority(tenant) + "/oauth2/v2.0/authorize",
		TokenURL:  e.srv.Authority(tenant) + "/oauth2/v2.0/token",
		AuthStyle: style,
	}
}

// mailScopes is what Mailbridge asks for (MICROSOFT.md §2, QUALITY.md §7.1).
var mailScopes = []string{"openid", "profile", "email", "offline_access", "User.Read", "Mail.ReadWrite", "Mail.Send"}

// browser is the "browser driver" of MICROSOFT.md §7: an HTTP client with a
// cookie jar that never follows redirects, and submits the HTML forms of
// the emulator's pages.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// pageResp is a fetched response with its body read.
type pageResp struct {
	status   int
	header   http.Header
	body     string
	url      *url.URL
	location string
}

func (b *browser) do(req *http.Request) *pageResp {
	b.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return &pageResp{status: resp.StatusCode, header: resp.Header, body: string(body), url: req.URL, location: resp.Header.Get("Location")}
}

// get fetches a URL.
func (b *browser) get(u string) *pageResp {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

// htmlForm is a parsed form of a page.
type htmlForm struct {
	action  string
	method  string
	fields  url.Values
	buttons map[string][2]string // id → name, value
}

// forms parses the page's forms.
func (p *pageResp) forms(t *testing.T) []htmlForm {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(p.body))
	require.NoError(t, err)
	var out []htmlForm
	var cur *htmlForm
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			hasChecked := false
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
				if a.Key == "checked" {
					hasChecked = true
				}
			}
			switch n.Data {
			case "form":
				out = append(out, htmlForm{action: attr["action"], method: attr["method"], fields: url.Values{}, buttons: map[string][2]string{}})
				cur = &out[len(out)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur = nil
				return
			case "input":
				if cur != nil && attr["name"] != "" && (attr["type"] != "checkbox" || hasChecked) && attr["type"] != "submit" {
					cur.fields.Set(attr["name"], attr["value"])
				}
			case "textarea":
				if cur != nil && attr["name"] != "" {
					cur.fields.Set(attr["name"], "")
				}
			case "button":
				if cur != nil {
					cur.buttons[attr["id"]] = [2]string{attr["name"], attr["value"]}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// click submits the form holding the button with id buttonID, with extra
// field values, like a user typing and clicking.
func (b *browser) click(p *pageResp, buttonID string, fields map[string]string) *pageResp {
	b.t.Helper()
	for _, f := range p.forms(b.t) {
		btn, ok := f.buttons[buttonID]
		if !ok {
			continue
		}
		vals := f.fields
		for k, v := range fields {
			vals.Set(k, v)
		}
		if btn[0] != "" {
			vals.Set(btn[0], btn[1])
		}
		target, err := p.url.Parse(f.action)
		require.NoError(b.t, err)
		req, err := http.NewRequest(http.MethodPost, target.String(), strings.NewReader(vals.Encode()))
		require.NoError(b.t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return b.do(req)
	}
	require.FailNowf(b.t, "button not found", "no button #%s on page:\n%s", buttonID, p.body)
	return nil
}

// signIn types the account and password on the pages that ask for them and
// returns the first response that is neither (consent page or redirect).
func (b *browser) signIn(p *pageResp, upn, password string) *pageResp {
	b.t.Helper()
	if strings.Contains(p.body, `name="loginfmt"`) {
		p = b.click(p, "idSIButton9", map[string]string{"loginfmt": upn})
	}
	require.Contains(b.t, p.body, `name="passwd"`, "expected the password page")
	return b.click(p, "idSIButton9", map[string]string{"passwd": password})
}

// isConsentPage reports whether the response is the consent page.
func (p *pageResp) isConsentPage() bool {
	return p.status == http.StatusOK && strings.Contains(p.body, "Permissions requested") && strings.Contains(p.body, `id="idBtn_Accept"`)
}

// callback parses the redirect back to the app (query or fragment).
func (p *pageResp) callback(t *testing.T, redirect string) url.Values {
	t.Helper()
	require.Equal(t, http.StatusFound, p.status, "expected a redirect to the app, got page:\n%s", p.body)
	require.True(t, strings.HasPrefix(p.location, redirect), "redirect %q does not go to %q", p.location, redirect)
	u, err := url.Parse(p.location)
	require.NoError(t, err)
	if u.Fragment != "" {
		v, err := url.ParseQuery(u.Fragment)
		require.NoError(t, err)
		return v
	}
	return u.Query()
}

// authorize drives a browser from the authorize URL to the redirect back to
// the app, accepting the consent page when it shows, and returns the
// callback parameters.
func (e *idEnv) authorize(t *testing.T, b *browser, authURL, upn string) url.Values {
	t.Helper()
	p := b.get(authURL)
	if strings.Contains(p.body, `name="loginfmt"`) || strings.Contains(p.body, `name="passwd"`) {
		p = b.signIn(p, upn, userPassword)
	}
	if p.isConsentPage() {
		p = b.click(p, "idBtn_Accept", nil)
	}
	return p.callback(t, e.redirect)
}

// exchangeCtx is a context for x/oauth2 calls with a bounded time.
func exchangeCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// tokenFor runs the whole code + PKCE flow for user with the confidential
// app and returns the token.
func (e *idEnv) tokenFor(t *testing.T, b *browser, upn string, scopes ...string) *oauth2.Token {
	t.Helper()
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, scopes...)
	verifier := oauth2.GenerateVerifier()
	cb := e.authorize(t, b, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), upn)
	require.Equal(t, "st", cb.Get("state"))
	tok, err := cfg.Exchange(exchangeCtx(t), cb.Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	return tok
}

// retrieveError asserts err is an *oauth2.RetrieveError and returns it with
// its parsed JSON body.
func retrieveError(t *testing.T, err error) (*oauth2.RetrieveError, map[string]any) {
	t.Helper()
	var re *oauth2.RetrieveError
	require.True(t, errors.As(err, &re), "want *oauth2.RetrieveError, got %T: %v", err, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(re.Body, &body))
	return re, body
}

// requireAADError checks a token error body: error value, AADSTS code in
// error_codes and description (with Microsoft's trace tail), error_uri.
func requireAADError(t *testing.T, err error, wantError string, wantCode int) map[string]any {
	t.Helper()
	re, body := retrieveError(t, err)
	require.Equal(t, wantError, re.ErrorCode)
	require.Equal(t, []any{float64(wantCode)}, body["error_codes"])
	require.Regexp(t, `^AADSTS`+itoa(wantCode)+`: .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`, re.ErrorDescription)
	require.Contains(t, re.ErrorURI, "/error?code="+itoa(wantCode))
	for _, k := range []string{"timestamp", "trace_id", "correlation_id"} {
		require.NotEmpty(t, body[k], k)
	}
	return body
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// jwtClaims decodes a JWT's header and claims without verifying it.
func jwtClaims(t *testing.T, raw string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	require.Len(t, parts, 3)
	var hdr, claims map[string]any
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(hb, &hdr))
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(cb, &claims))
	return hdr, claims
}

// verifyWithJWKS checks a JWT's RS256 signature against a JWKS document the
// way an OIDC library does: by kid.
func verifyWithJWKS(t *testing.T, raw string, jwks map[string]any) {
	t.Helper()
	hdr, _ := jwtClaims(t, raw)
	require.Equal(t, "RS256", hdr["alg"])
	keys, _ := jwks["keys"].([]any)
	for _, k := range keys {
		jwk := k.(map[string]any)
		if jwk["kid"] != hdr["kid"] {
			continue
		}
		nb, err := base64.RawURLEncoding.DecodeString(jwk["n"].(string))
		require.NoError(t, err)
		eb, err := base64.RawURLEncoding.DecodeString(jwk["e"].(string))
		require.NoError(t, err)
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: int(new(big.Int).SetBytes(eb).Int64())}
		parts := strings.Split(raw, ".")
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		require.NoError(t, err)
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig))
		return
	}
	require.FailNow(t, "no JWKS key matches the token's kid", "kid %v", hdr["kid"])
}

// getJSON fetches a JSON document with a plain client.
func getJSON(t *testing.T, u string) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	var v map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return resp, v
}

// postForm posts a token request with a plain client and decodes the JSON.
func postForm(t *testing.T, u string, vals url.Values) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(u, vals)
	require.NoError(t, err)
	defer resp.Body.Close()
	var v map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return resp, v
}

// controlCall sends a JSON request to the control API.
func controlCall(t *testing.T, method, u string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}
