package microsoft_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/config"
	"mailbridge/internal/db"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/microsoft/microsofttest"
	"mailbridge/internal/tokencrypt"
	"mailbridge/internal/viewer"
)

const (
	publicURL = "https://mailbridge.test"
	password  = "Passw0rd!"
	secret    = "app-secret"
)

// env is Mailbridge's Microsoft service against a running emulator with one
// tenant (contoso.com) and the Mailbridge app registration.
type env struct {
	t      *testing.T
	sim    *m365sim.Server
	tenant m365sim.Tenant
	app    m365sim.App
	svc    *microsoft.Service
	client *ent.Client
	clock  *microsofttest.Clock
	sys    context.Context
	org    *ent.Organization
	ring   *tokencrypt.Ring
	cfg    config.Microsoft
	// refreshes counts the refresh grants every service of this env sent.
	refreshes *refreshCounter
	// signedIn records the users Sign in with Microsoft started sessions for.
	signedIn chan int
}

type envOption func(*m365sim.Tenant)

// refreshCounter counts refresh-token grants sent to Microsoft.
type refreshCounter struct {
	mu sync.Mutex
	n  int
	// unavailable answers this many next refreshes with 503, as
	// Microsoft's token endpoint does during an outage.
	unavailable int
}

func (c *refreshCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if strings.Contains(string(body), "grant_type=refresh_token") {
			c.mu.Lock()
			c.n++
			fail := c.unavailable > 0
			if fail {
				c.unavailable--
			}
			c.mu.Unlock()
			if fail {
				return &http.Response{
					StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
					Header:  http.Header{"Content-Type": {"application/json"}},
					Body:    io.NopCloser(strings.NewReader(`{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred."}`)),
					Request: r,
				}, nil
			}
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (c *refreshCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func consentMode(m m365sim.ConsentMode) envOption {
	return func(t *m365sim.Tenant) { t.ConsentMode = m }
}

func newEnv(t *testing.T, d *db.DB, opts ...envOption) *env {
	t.Helper()
	clk := microsofttest.NewClock()
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    clk.Now,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	tenant := m365sim.Tenant{DisplayName: "Contoso", Domains: []string{"contoso.com"}, ConsentMode: m365sim.ConsentUser}
	for _, o := range opts {
		o(&tenant)
	}
	e := &env{t: t, sim: sim, clock: clk, client: d.Client(), sys: viewer.SystemContext(context.Background())}
	e.tenant, err = sim.AddTenant(tenant)
	require.NoError(t, err)
	e.app, err = sim.AddApp(m365sim.App{
		DisplayName: "Mailbridge", Secrets: []m365sim.AppSecret{{Value: secret}},
		RedirectURIs: []string{publicURL + microsoft.CallbackPath},
	})
	require.NoError(t, err)
	key, err := tokencrypt.GenerateKey("t1")
	require.NoError(t, err)
	e.cfg = config.Microsoft{
		ClientID: e.app.ClientID, ClientSecret: secret, Tenant: "organizations",
		LoginURL: sim.URL, GraphURL: sim.URL, TokenKey: key,
	}
	e.ring, err = e.cfg.Ring()
	require.NoError(t, err)
	e.refreshes = &refreshCounter{}
	e.signedIn = make(chan int, 10)
	e.svc = e.newService(e.client)
	e.org, err = e.client.Organization.Create().SetName("Contoso").Save(e.sys)
	require.NoError(t, err)
	return e
}

// newService is another Mailbridge instance (own process state) over client.
func (e *env) newService(client *ent.Client) *microsoft.Service {
	e.t.Helper()
	svc, err := microsoft.New(microsoft.Options{
		Config: e.cfg, PublicURL: publicURL, Client: client,
		HTTPClient: &http.Client{Transport: e.refreshes, Timeout: 10 * time.Second},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)), Now: e.clock.Now,
		SignIn: func(_ context.Context, w http.ResponseWriter, _ *http.Request, userID int) error {
			e.signedIn <- userID
			return nil
		},
	})
	require.NoError(e.t, err)
	return svc
}

// msUser adds a user to the emulated tenant.
func (e *env) msUser(u m365sim.User) m365sim.User {
	e.t.Helper()
	u.TenantID, u.Password = e.tenant.ID, password
	u.DisplayName = strings.Split(u.UserPrincipalName, "@")[0]
	out, err := e.sim.AddUser(u)
	require.NoError(e.t, err)
	return out
}

// user adds a Mailbridge user with one mailbox per address.
func (e *env) user(email string, addresses ...string) (*ent.User, []*ent.Mailbox) {
	e.t.Helper()
	u, err := e.client.User.Create().SetOrgID(e.org.ID).SetEmail(email).SetName(email).SetRole(user.RoleUSER).Save(e.sys)
	require.NoError(e.t, err)
	var mbs []*ent.Mailbox
	for _, a := range addresses {
		mb, err := e.client.Mailbox.Create().SetOrgID(e.org.ID).SetUserID(u.ID).SetAddress(a).Save(e.sys)
		require.NoError(e.t, err)
		mbs = append(mbs, mb)
	}
	return u, mbs
}

// as is a context acting as u.
func (e *env) as(u *ent.User) context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{UserID: u.ID, OrgID: u.OrgID, Admin: u.Role == user.RoleADMIN})
}

func (e *env) mailbox(id int) *ent.Mailbox {
	e.t.Helper()
	mb, err := e.client.Mailbox.Get(e.sys, id)
	require.NoError(e.t, err)
	return mb
}

// start runs connectOffice365 as u for mb and returns the authorize URL.
func (e *env) start(u *ent.User, mb *ent.Mailbox) string {
	e.t.Helper()
	_, authURL, err := e.svc.StartConnect(e.as(u), mb.ID)
	require.NoError(e.t, err)
	return authURL
}

// callback calls GET /auth/microsoft/callback with the query of the
// emulator's redirect, optionally as a signed-in viewer.
func (e *env) callback(location string, v *viewer.Viewer) *httptest.ResponseRecorder {
	e.t.Helper()
	require.True(e.t, strings.HasPrefix(location, publicURL+microsoft.CallbackPath), "redirect %q does not go to Mailbridge's callback", location)
	req := httptest.NewRequest(http.MethodGet, location, nil)
	if v != nil {
		req = req.WithContext(viewer.NewContext(req.Context(), v))
	}
	rec := httptest.NewRecorder()
	e.svc.Callback(rec, req)
	return rec
}

// outcome checks the callback's 303 back into the web app and returns its query.
func outcome(t *testing.T, rec *httptest.ResponseRecorder) url.Values {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, rec.Code, "body: %s", rec.Body.String())
	u, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, microsoft.MailboxesPath, u.Path)
	require.Empty(t, u.Host, "stays on Mailbridge")
	return u.Query()
}

func requireState(t *testing.T, mb *ent.Mailbox, want mailbox.ConnectionState) {
	t.Helper()
	require.Equal(t, want, mb.ConnectionState, "connection error: %v", mb.ConnectionError)
}

// queryOf is the query of a URL.
func queryOf(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}
