package mailsync_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/syncedmessage"
	"mailbridge/ent/user"
	"mailbridge/internal/config"
	"mailbridge/internal/db"
	"mailbridge/internal/jobs"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/mailsync"
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

// env is Mailbridge's sync against a running emulator with one tenant
// (contoso.com).
type env struct {
	t      testing.TB
	d      *db.DB
	sim    *m365sim.Server
	tenant m365sim.Tenant
	svc    *microsoft.Service
	client *ent.Client
	clock  *microsofttest.Clock
	sys    context.Context
	org    *ent.Organization
	ins    *insertCounter
	syncer *mailsync.Syncer
	opts   mailsync.Options
	// graphRequests counts the requests Mailbridge sent to Graph.
	graphRequests atomic.Int64
	// freshDeltas counts message delta requests that start a round from
	// scratch (no skip or delta token).
	freshDeltas atomic.Int64
}

type countingTransport struct{ n, fresh *atomic.Int64 }

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/v1.0/") {
		c.n.Add(1)
	}
	if strings.Contains(r.URL.Path, "/messages/delta") && !strings.Contains(r.URL.RawQuery, "token=") {
		c.fresh.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// insertCounter is the River inserter of the env: it counts enqueued rounds.
type insertCounter struct {
	jobs.Inserter
	mu     sync.Mutex
	rounds map[int]int
}

func (c *insertCounter) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if a, ok := args.(jobs.SyncAccountArgs); ok {
		c.mu.Lock()
		c.rounds[a.AccountID]++
		c.mu.Unlock()
	}
	return c.Inserter.InsertTx(ctx, tx, args, opts)
}

func (c *insertCounter) count(accountID int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rounds[accountID]
}

func newEnv(t testing.TB, d *db.DB, opt ...func(*mailsync.Options)) *env {
	t.Helper()
	clk := microsofttest.NewClock()
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    clk.Now,
	})
	require.NoError(t, err)
	t.Cleanup(func() { sim.StopNotifications(); _ = sim.Close() })
	e := &env{t: t, d: d, sim: sim, clock: clk, client: d.Client(), sys: viewer.SystemContext(context.Background())}
	e.tenant, err = sim.AddTenant(m365sim.Tenant{DisplayName: "Contoso", Domains: []string{"contoso.com"}, ConsentMode: m365sim.ConsentUser})
	require.NoError(t, err)
	app, err := sim.AddApp(m365sim.App{
		DisplayName: "Mailbridge", Secrets: []m365sim.AppSecret{{Value: secret}},
		RedirectURIs: []string{publicURL + microsoft.CallbackPath},
	})
	require.NoError(t, err)
	key, err := tokencrypt.GenerateKey("t1")
	require.NoError(t, err)
	cfg := config.Microsoft{
		ClientID: app.ClientID, ClientSecret: secret, Tenant: "organizations",
		LoginURL: sim.URL, GraphURL: sim.URL, TokenKey: key,
	}
	e.svc, err = microsoft.New(microsoft.Options{
		Config: cfg, PublicURL: publicURL, Client: e.client,
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: countingTransport{&e.graphRequests, &e.freshDeltas}},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now,
	})
	require.NoError(t, err)
	e.org, err = e.client.Organization.Create().SetName("Contoso").Save(e.sys)
	require.NoError(t, err)
	ins, err := jobs.NewInserter(d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	e.ins = &insertCounter{Inserter: ins, rounds: map[int]int{}}
	e.opts = mailsync.Options{
		DB: d, Microsoft: e.svc, Inserter: e.ins, Now: clk.Now, PageSize: 7,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opt {
		o(&e.opts)
	}
	e.syncer = mailsync.New(e.opts)
	return e
}

// box is one connected mailbox and its people.
type box struct {
	user    *ent.User
	mailbox *ent.Mailbox
	account int
	address string
}

// connected adds a tenant user and a Mailbridge user whose mailbox is
// connected through the real connect flow, with Syncing on.
func (e *env) connected(upn string) box {
	t := e.t
	t.Helper()
	_, err := e.sim.AddUser(m365sim.User{UserPrincipalName: upn, Mail: upn, TenantID: e.tenant.ID, Password: password, DisplayName: strings.Split(upn, "@")[0]})
	require.NoError(t, err)
	u, err := e.client.User.Create().SetOrgID(e.org.ID).SetEmail(upn).SetName(upn).SetRole(user.RoleUSER).Save(e.sys)
	require.NoError(t, err)
	mb, err := e.client.Mailbox.Create().SetOrgID(e.org.ID).SetUserID(u.ID).SetAddress(upn).Save(e.sys)
	require.NoError(t, err)
	ctx := viewer.NewContext(context.Background(), &viewer.Viewer{UserID: u.ID, OrgID: u.OrgID})
	_, authURL, err := e.svc.StartConnect(ctx, mb.ID)
	require.NoError(t, err)
	loc := microsofttest.NewBrowser(t, publicURL, password).Connect(authURL, upn)
	req := httptest.NewRequest(http.MethodGet, loc, nil)
	rec := httptest.NewRecorder()
	e.svc.Callback(rec, req)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Contains(t, rec.Header().Get("Location"), "connect=connected")
	mb, err = e.client.Mailbox.UpdateOneID(mb.ID).SetSyncEnabled(true).Save(e.sys)
	require.NoError(t, err)
	require.NotNil(t, mb.MicrosoftAccountID)
	return box{user: u, mailbox: mb, account: *mb.MicrosoftAccountID, address: upn}
}

// prospect adds a prospect to the organization.
func (e *env) prospect(email string) *ent.Prospect {
	e.t.Helper()
	p, err := e.client.Prospect.Create().SetOrgID(e.org.ID).SetEmail(email).Save(e.sys)
	require.NoError(e.t, err)
	return p
}

func (e *env) deliver(b box, from, subject string, mods ...func(*m365sim.InboundMessage)) m365sim.Message {
	e.t.Helper()
	in := m365sim.InboundMessage{From: m365sim.Recipient{Address: from}, Subject: subject, Body: "Body of " + subject}
	for _, m := range mods {
		m(&in)
	}
	m, err := e.sim.DeliverMessage(b.address, in)
	require.NoError(e.t, err)
	return m
}

func (e *env) sync(b box) {
	e.t.Helper()
	require.NoError(e.t, e.syncer.Sync(context.Background(), b.account))
}

func (e *env) mailbox(b box) *ent.Mailbox {
	e.t.Helper()
	mb, err := e.client.Mailbox.Get(e.sys, b.mailbox.ID)
	require.NoError(e.t, err)
	return mb
}

// messages are the stored messages of b's account.
func (e *env) messages(b box) []*ent.SyncedMessage {
	e.t.Helper()
	ms, err := e.client.SyncedMessage.Query().Where(syncedmessage.MicrosoftAccountID(b.account)).
		Order(ent.Asc(syncedmessage.FieldReceivedAt), ent.Asc(syncedmessage.FieldID)).WithProspects().All(e.sys)
	require.NoError(e.t, err)
	return ms
}

func subjects(ms []*ent.SyncedMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Subject
	}
	return out
}
