package m365sim

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/stretchr/testify/require"
)

// staticTokenProvider is a kiota AccessTokenProvider handing out a fixed
// token for allowed hosts, as MICROSOFT.md §5.1's provider does with a
// TokenSource. It records the claims of CAE re-authentications.
type staticTokenProvider struct {
	token  func() string
	hosts  *authentication.AllowedHostsValidator
	calls  atomic.Int32
	mu     sync.Mutex
	claims []string
}

func (p *staticTokenProvider) GetAuthorizationToken(_ context.Context, u *url.URL, extra map[string]any) (string, error) {
	if !p.hosts.IsUrlHostValid(u) {
		return "", nil
	}
	p.calls.Add(1)
	if c, ok := extra["claims"].(string); ok {
		p.mu.Lock()
		p.claims = append(p.claims, c)
		p.mu.Unlock()
	}
	return p.token(), nil
}

func (p *staticTokenProvider) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	return p.hosts
}

// graphEnv is one emulator with a tenant, an app and two users.
type graphEnv struct {
	srv    *Server
	clock  *testClock
	tenant Tenant
	app    App
	alice  User // the signed-in user
	bob    User // another mailbox in the tenant
}

type graphEnvOption func(*Config, *Tenant, *User)

func withLimits(l Limits) graphEnvOption {
	return func(c *Config, _ *Tenant, _ *User) { c.Limits = l }
}

func withAliasMode(m SendFromAlias) graphEnvOption {
	return func(_ *Config, t *Tenant, _ *User) { t.SendFromAlias = m }
}

func withAlice(f func(*User)) graphEnvOption {
	return func(_ *Config, _ *Tenant, u *User) { f(u) }
}

func withStatePath(p string) graphEnvOption {
	return func(c *Config, _ *Tenant, _ *User) { c.StatePath = p }
}

func newGraphEnv(t *testing.T, opts ...graphEnvOption) *graphEnv {
	t.Helper()
	clock := newTestClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
	cfg := Config{Limits: Limits{RetryAfter: "0.5"}}
	tenant := Tenant{DisplayName: "Contoso", Domains: []string{"contoso.example", "sales.contoso.example"}}
	alice := User{
		UserPrincipalName: "alice@contoso.example", DisplayName: "Alice Adams", GivenName: "Alice", Surname: "Adams",
		Mail:           "alice@contoso.example",
		ProxyAddresses: []string{"SMTP:alice@contoso.example", "smtp:alice@sales.contoso.example"},
	}
	for _, o := range opts {
		o(&cfg, &tenant, &alice)
	}
	srv := startTestSim(t, clock, cfg)
	tenant, err := srv.AddTenant(tenant)
	require.NoError(t, err)
	app, err := srv.AddApp(App{DisplayName: "Mailbridge", RedirectURIs: []string{"http://localhost/callback"}})
	require.NoError(t, err)
	alice.TenantID = tenant.ID
	alice, err = srv.AddUser(alice)
	require.NoError(t, err)
	bob, err := srv.AddUser(User{TenantID: tenant.ID, UserPrincipalName: "bob@contoso.example", DisplayName: "Bob Brown", Mail: "bob@contoso.example"})
	require.NoError(t, err)
	return &graphEnv{srv: srv, clock: clock, tenant: tenant, app: app, alice: alice, bob: bob}
}

var allGraphScopes = []string{"User.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "offline_access"}

// token mints an access token for u with the given scopes (default: all
// the scopes Mailbridge requests).
func (e *graphEnv) token(u User, scopes ...string) string {
	if len(scopes) == 0 {
		scopes = allGraphScopes
	}
	app := e.app
	tok, _ := e.srv.issueAccessToken(&u, &app, scopes)
	return tok
}

// sdkOpts tweak the SDK client a test builds.
type sdkOpts struct {
	hosts       []string           // AllowedHosts; default 127.0.0.1
	middlewares []khttp.Middleware // explicit middleware chain; default Graph's
	httpClient  *http.Client
	token       func() string
}

// sdk builds the real msgraph-sdk-go client against the emulator, as
// MICROSOFT.md §5.1 wires it.
func (e *graphEnv) sdk(t *testing.T, u User, o sdkOpts) (*msgraphsdk.GraphServiceClient, *msgraphsdk.GraphRequestAdapter, *staticTokenProvider) {
	t.Helper()
	if o.hosts == nil {
		o.hosts = []string{"127.0.0.1"}
	}
	hosts, err := authentication.NewAllowedHostsValidatorErrorCheck(o.hosts)
	require.NoError(t, err)
	if o.token == nil {
		tok := e.token(u)
		o.token = func() string { return tok }
	}
	p := &staticTokenProvider{token: o.token, hosts: hosts}
	auth := authentication.NewBaseBearerTokenAuthenticationProvider(p)
	var adapter *msgraphsdk.GraphRequestAdapter
	switch {
	case o.httpClient != nil:
		adapter, err = msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, o.httpClient)
	case o.middlewares != nil:
		adapter, err = msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, khttp.GetDefaultClient(o.middlewares...))
	default:
		adapter, err = msgraphsdk.NewGraphRequestAdapter(auth)
	}
	require.NoError(t, err)
	adapter.SetBaseUrl(e.srv.GraphURL())
	return newSDKClient(adapter), adapter, p
}

// msgraphsdk.NewGraphServiceClient assigns the global
// store.BackingStoreFactoryInstance (to its own value) on every call, which
// the race detector flags when parallel tests build clients while others
// construct models. The first client is built at package init, before any
// test runs; later ones pass a nil factory, which skips that write.
func init() {
	adapter, err := msgraphsdk.NewGraphRequestAdapter(&authentication.AnonymousAuthenticationProvider{})
	if err != nil {
		panic(err)
	}
	_ = msgraphsdk.NewGraphServiceClient(adapter)
}

func newSDKClient(adapter *msgraphsdk.GraphRequestAdapter) *msgraphsdk.GraphServiceClient {
	return &msgraphsdk.GraphServiceClient{GraphBaseServiceClient: *msgraphsdk.NewGraphBaseServiceClient(adapter, nil)}
}

// orderedMiddlewares is Graph's default chain in a fixed order with the
// compression handler outside the retry handler, so retried POSTs re-send
// the compressed body (MICROSOFT.md §0 item 19).
func orderedMiddlewares() []khttp.Middleware {
	opts := msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "1.89.0"}
	return []khttp.Middleware{
		msgraphgocore.NewGraphTelemetryHandler(&opts),
		khttp.NewUrlReplaceHandler(true, msgraphgocore.ReplacementPairs),
		khttp.NewCompressionHandler(),
		khttp.NewRetryHandler(),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
	}
}

// rawResp is a decoded raw HTTP response.
type rawResp struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
	arr    []any // when the body is a JSON array (control API lists)
}

// raw sends a request straight to the emulator. body is JSON-encoded
// unless it is a []byte or string, or an io.Reader, which is sent chunked
// (no Content-Length).
func (e *graphEnv) raw(t *testing.T, method, path, token string, body any, hdr ...string) rawResp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = io.MultiReader(b) // hides the length from http.NewRequest
	default:
		js, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(js)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.srv.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Content-Type") {
			req.Header.Set(hdr[i], hdr[i+1])
			continue
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := rawResp{status: resp.StatusCode, header: resp.Header, body: rb}
	if len(rb) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var v any
		require.NoError(t, json.Unmarshal(rb, &v), string(rb))
		out.json, _ = v.(map[string]any)
		out.arr, _ = v.([]any)
	}
	return out
}

// errCode returns error.code of a Graph error body.
func (r rawResp) errCode() string {
	e, _ := r.json["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func ptr[T any](v T) *T { return &v }

// requireGraphError checks a Graph error body: status, code, message and
// innerError (request-id, lowercase date, client-request-id) and the JSON
// content type (MICROSOFT.md §5.6).
func requireGraphError(t *testing.T, r rawResp, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.status, string(r.body))
	require.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "application/json"), r.header.Get("Content-Type"))
	e, ok := r.json["error"].(map[string]any)
	require.True(t, ok, string(r.body))
	require.Equal(t, code, e["code"])
	require.NotEmpty(t, e["message"])
	inner, ok := e["innerError"].(map[string]any)
	require.True(t, ok, string(r.body))
	require.NotEmpty(t, inner["request-id"])
	require.NotEmpty(t, inner["date"])
	require.Contains(t, inner, "client-request-id")
}
