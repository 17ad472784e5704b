package send_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/user"
	"mailbridge/internal/config"
	"mailbridge/internal/db"
	"mailbridge/internal/jobs"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/microsoft/microsofttest"
	"mailbridge/internal/send"
	"mailbridge/internal/tokencrypt"
	"mailbridge/internal/viewer"
)

const (
	publicURL = "https://mailbridge.test"
	password  = "Passw0rd!"
	secret    = "app-secret"
)

// clock is the test clock shared by Mailbridge and the emulator: real time
// times scale from its start, plus what Advance added.
type clock struct {
	mu     sync.Mutex
	base   time.Time
	start  time.Time
	scale  float64
	offset time.Duration
}

func newClock(scale float64) *clock {
	return &clock{base: time.Now().UTC().Truncate(time.Second), start: time.Now(), scale: scale}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(c.offset + time.Duration(float64(time.Since(c.start))*c.scale))
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type envOptions struct {
	limits m365sim.Limits
	alias  m365sim.SendFromAlias
	scale  float64
	send   send.Options
}

// env is a Sender over a database and a running emulator with one tenant
// (contoso.com) and the Mailbridge app registration.
type env struct {
	t      testing.TB
	d      *db.DB
	sim    *m365sim.Server
	tenant m365sim.Tenant
	cfg    config.Microsoft
	clock  *clock
	svc    *microsoft.Service
	sender *send.Sender
	sys    context.Context
	org    *ent.Organization
	n      int
}

func newEnv(t testing.TB, d *db.DB, o envOptions) *env {
	t.Helper()
	if o.scale == 0 {
		o.scale = 1
	}
	clk := newClock(o.scale)
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now, Limits: o.limits,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	e := &env{t: t, d: d, sim: sim, clock: clk, sys: viewer.SystemContext(context.Background())}
	e.tenant, err = sim.AddTenant(m365sim.Tenant{DisplayName: "Contoso", Domains: []string{"contoso.com"}, ConsentMode: m365sim.ConsentUser, SendFromAlias: o.alias})
	require.NoError(t, err)
	app, err := sim.AddApp(m365sim.App{
		DisplayName: "Mailbridge", Secrets: []m365sim.AppSecret{{Value: secret}},
		RedirectURIs: []string{publicURL + microsoft.CallbackPath},
	})
	require.NoError(t, err)
	key, err := tokencrypt.GenerateKey("t1")
	require.NoError(t, err)
	e.cfg = config.Microsoft{
		ClientID: app.ClientID, ClientSecret: secret, Tenant: "organizations",
		LoginURL: sim.URL, GraphURL: sim.URL, TokenKey: key,
	}
	e.svc = e.newService()
	o.send.Now, o.send.TimeScale = clk.Now, o.scale
	if o.send.ConfirmWait == 0 {
		o.send.ConfirmWait = 2 * time.Second
	}
	if o.send.Lease == 0 {
		o.send.Lease = 30 * time.Second
	}
	o.send.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.sender = send.New(d, e.svc, o.send)
	e.org, err = d.Client().Organization.Create().SetName("Contoso").Save(e.sys)
	require.NoError(t, err)
	return e
}

// newService is a Microsoft service of another Mailbridge instance.
func (e *env) newService() *microsoft.Service {
	svc, err := microsoft.New(microsoft.Options{
		Config: e.cfg, PublicURL: publicURL, Client: e.d.Client(),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)), Now: e.clock.Now,
		SignIn: func(context.Context, http.ResponseWriter, *http.Request, int) error { return nil },
	})
	require.NoError(e.t, err)
	return svc
}

// connected adds a Microsoft user upn (with aliases) and a Mailbridge user
// with one mailbox per address, connects each with Sending on, and returns
// the mailboxes.
func (e *env) connected(upn string, aliases ...string) []*ent.Mailbox {
	t := e.t
	t.Helper()
	proxies := []string{"SMTP:" + upn}
	for _, a := range aliases {
		proxies = append(proxies, "smtp:"+a)
	}
	_, err := e.sim.AddUser(m365sim.User{UserPrincipalName: upn, Mail: upn, ProxyAddresses: proxies, TenantID: e.tenant.ID, Password: password, DisplayName: strings.Split(upn, "@")[0]})
	require.NoError(t, err)
	c := e.d.Client()
	u, err := c.User.Create().SetOrgID(e.org.ID).SetEmail(upn).SetName(upn).SetRole(user.RoleUSER).Save(e.sys)
	require.NoError(t, err)
	v := viewer.NewContext(context.Background(), &viewer.Viewer{UserID: u.ID, OrgID: u.OrgID})
	b := microsofttest.NewBrowser(t, publicURL, password)
	var out []*ent.Mailbox
	for _, addr := range append([]string{upn}, aliases...) {
		mb, err := c.Mailbox.Create().SetOrgID(e.org.ID).SetUserID(u.ID).SetAddress(addr).Save(e.sys)
		require.NoError(t, err)
		_, authURL, err := e.svc.StartConnect(v, mb.ID)
		require.NoError(t, err)
		loc := b.Connect(authURL, upn)
		req := httptest.NewRequest(http.MethodGet, loc, nil)
		rec := httptest.NewRecorder()
		e.svc.Callback(rec, req)
		require.Equal(t, http.StatusSeeOther, rec.Code)
		require.Contains(t, rec.Header().Get("Location"), "connect=connected")
		mb, err = c.Mailbox.UpdateOneID(mb.ID).SetSendEnabled(true).Save(e.sys)
		require.NoError(t, err)
		require.NotNil(t, mb.MicrosoftAccountID)
		out = append(out, mb)
	}
	return out
}

// schedule adds n emails due now from mb to distinct external prospects.
func (e *env) schedule(mb *ent.Mailbox, n int) []*ent.ScheduledEmail {
	t := e.t
	t.Helper()
	c := e.d.Client()
	seq, err := c.Sequence.Create().SetOrgID(mb.OrgID).SetUserID(mb.UserID).SetName(fmt.Sprintf("Seq %d", e.n)).Save(e.sys)
	require.NoError(t, err)
	due := e.clock.Now().Add(-time.Minute)
	var out []*ent.ScheduledEmail
	for range n {
		e.n++
		p, err := c.Prospect.Create().SetOrgID(mb.OrgID).SetEmail(fmt.Sprintf("p%d@example.org", e.n)).SetFirstName("P").Save(e.sys)
		require.NoError(t, err)
		s, err := c.SequenceState.Create().SetOrgID(mb.OrgID).SetSequenceID(seq.ID).SetProspectID(p.ID).
			SetUserID(mb.UserID).SetMailboxID(mb.ID).Save(e.sys)
		require.NoError(t, err)
		se, err := c.ScheduledEmail.Create().SetOrgID(mb.OrgID).SetSequenceStateID(s.ID).SetStep(1).SetMailboxID(mb.ID).
			SetToAddress(p.Email).SetSubject(fmt.Sprintf("Hello %d", e.n)).SetBody("Hi there").
			SetState(scheduledemail.StateSCHEDULED).SetSendAt(due).Save(e.sys)
		require.NoError(t, err)
		out = append(out, se)
	}
	return out
}

func (e *env) email(id int) *ent.ScheduledEmail {
	e.t.Helper()
	se, err := e.d.Client().ScheduledEmail.Get(e.sys, id)
	require.NoError(e.t, err)
	return se
}

func (e *env) mailbox(id int) *ent.Mailbox {
	e.t.Helper()
	mb, err := e.d.Client().Mailbox.Get(e.sys, id)
	require.NoError(e.t, err)
	return mb
}

// run works account mb's delivery once, as a delivery job would.
func (e *env) run(mb *ent.Mailbox) error {
	e.t.Helper()
	return e.sender.RunAccount(context.Background(), *mb.MicrosoftAccountID, "test", 1)
}

// sent maps each scheduled email id (from the x-mailbridge-send-id header)
// to the number of copies the mailbox submitted.
func (e *env) sent(mailbox string) map[string]int {
	e.t.Helper()
	recs, err := e.sim.Sent(mailbox)
	require.NoError(e.t, err)
	out := map[string]int{}
	for _, r := range recs {
		for _, h := range r.Headers {
			if strings.EqualFold(h.Name, send.SendIDHeader) {
				out[h.Value]++
			}
		}
	}
	return out
}

// requireOnce checks that every email went out exactly once and is
// recorded DELIVERED with its Graph id, internetMessageId and sent time.
func (e *env) requireOnce(mailbox string, emails []*ent.ScheduledEmail) {
	e.t.Helper()
	sent := e.sent(mailbox)
	for _, se := range emails {
		got := e.email(se.ID)
		require.Equal(e.t, scheduledemail.StateDELIVERED, got.State, "email %d: %v", se.ID, got.ErrorMessage)
		require.Equal(e.t, 1, sent[fmt.Sprint(se.ID)], "copies of email %d", se.ID)
		require.NotNil(e.t, got.GraphMessageID)
		require.NotNil(e.t, got.InternetMessageID)
		require.NotNil(e.t, got.SentAt)
	}
	require.Len(e.t, sent, len(emails), "no other email went out")
}

// startRiver runs a River client with the Sender's workers and dispatch
// job until the test ends.
func (e *env) startRiver(s *send.Sender) *river.Client[*sql.Tx] {
	e.t.Helper()
	workers := river.NewWorkers()
	s.AddWorkers(workers)
	rc, err := jobs.NewClient(e.d, workers, jobs.Options{
		FetchPollInterval: 100 * time.Millisecond, PeriodicJobs: s.PeriodicJobs(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(e.t, err)
	require.NoError(e.t, rc.Start(context.Background()))
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rc.StopAndCancel(ctx)
	})
	return rc
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// delivered counts the emails in state DELIVERED.
func (e *env) count(state scheduledemail.State) int {
	n, err := e.d.Client().ScheduledEmail.Query().Where(scheduledemail.StateEQ(state)).Count(e.sys)
	require.NoError(e.t, err)
	return n
}
