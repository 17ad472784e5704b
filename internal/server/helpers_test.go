package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/user"
	"mailbridge/internal/auth"
	"mailbridge/internal/config"
	"mailbridge/internal/db"
	"mailbridge/internal/demo"
	"mailbridge/internal/server"
	"mailbridge/internal/viewer"
)

// env is one Mailbridge instance under test: a migrated database, the real
// handler (middleware, CSRF guard, error presenter) and fixture builders.
type env struct {
	t      testing.TB
	client *ent.Client
	h      http.Handler
	authn  *auth.Service
	now    time.Time
	sys    context.Context
}

type envOptions struct {
	mode   config.Mode
	client *ent.Client // overrides d.Client(), e.g. with a recording driver
	getenv map[string]string
	logs   io.Writer // receives the JSON logs at debug level; nil discards them
	now    func() time.Time
}

func newEnv(t testing.TB, d *db.DB, o envOptions) *env {
	t.Helper()
	// Tests send many requests with one token; the rate limit is tested on
	// its own (TestRateLimit_*).
	vars := map[string]string{"MAILBRIDGE_MODE": string(o.mode), "DATA_DIR": t.TempDir(), "RATE_LIMIT_PER_MINUTE": "0"}
	if o.mode == "" {
		vars["MAILBRIDGE_MODE"] = string(config.ModeProduction)
		// Production needs an app registration and a token key; tests that
		// talk to Microsoft override them with the emulator's.
		vars["MICROSOFT_CLIENT_ID"] = "00000000-0000-0000-0000-000000000000"
		vars["MICROSOFT_CLIENT_SECRET"] = "test-secret"
		vars["MAILBRIDGE_TOKEN_KEY"] = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	}
	for k, v := range o.getenv {
		vars[k] = v
	}
	cfg, err := config.Parse(nil, func(k string) string { return vars[k] }, io.Discard)
	require.NoError(t, err)
	client := o.client
	if client == nil {
		client = d.Client()
	}
	log := slog.New(slog.DiscardHandler)
	if o.logs != nil {
		log = slog.New(slog.NewJSONHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	authn := auth.NewService(client, auth.ConfigOptions(cfg, demo.OrganizationName, log))
	h, err := server.New(server.Deps{
		Config: cfg, Client: client, Dialect: d.Dialect, Logger: log, Auth: authn, Ready: d.Ready, Now: o.now, DB: d,
	})
	require.NoError(t, err)
	return &env{
		t: t, client: client, h: h, now: time.Now(), authn: authn,
		sys: viewer.SystemContext(context.Background()),
	}
}

func (e *env) org(name string) *ent.Organization {
	e.t.Helper()
	o, err := e.client.Organization.Create().SetName(name).Save(e.sys)
	require.NoError(e.t, err)
	return o
}

func (e *env) user(o *ent.Organization, email string, role user.Role) *ent.User {
	e.t.Helper()
	u, err := e.client.User.Create().SetOrgID(o.ID).SetEmail(email).SetName(strings.Split(email, "@")[0]).SetRole(role).Save(e.sys)
	require.NoError(e.t, err)
	return u
}

type mbOpt func(*ent.MailboxCreate)

func connected(p mailbox.Provider) mbOpt {
	return func(c *ent.MailboxCreate) {
		c.SetProvider(p).SetConnectionState(mailbox.ConnectionStateCONNECTED)
	}
}

func isDefault(c *ent.MailboxCreate) { c.SetIsDefault(true) }

func enabled(c *ent.MailboxCreate) { c.SetSyncEnabled(true).SetSendEnabled(true) }

func (e *env) mailbox(u *ent.User, address string, opts ...mbOpt) *ent.Mailbox {
	e.t.Helper()
	c := e.client.Mailbox.Create().SetOrgID(u.OrgID).SetUserID(u.ID).SetAddress(address)
	for _, o := range opts {
		o(c)
	}
	m, err := c.Save(e.sys)
	require.NoError(e.t, err)
	return m
}

// sequenceStates enrols n prospects on mb with one scheduled email each.
func (e *env) sequenceStates(u *ent.User, mb *ent.Mailbox, n int) []*ent.SequenceState {
	e.t.Helper()
	seq, err := e.client.Sequence.Create().SetOrgID(u.OrgID).SetUserID(u.ID).SetName(fmt.Sprintf("Seq %d", mb.ID)).Save(e.sys)
	require.NoError(e.t, err)
	var out []*ent.SequenceState
	for i := range n {
		p, err := e.client.Prospect.Create().SetOrgID(u.OrgID).SetEmail(fmt.Sprintf("p%d.%d@example.com", mb.ID, i)).SetFirstName("P").Save(e.sys)
		require.NoError(e.t, err)
		s, err := e.client.SequenceState.Create().SetOrgID(u.OrgID).SetSequenceID(seq.ID).SetProspectID(p.ID).
			SetUserID(u.ID).SetMailboxID(mb.ID).Save(e.sys)
		require.NoError(e.t, err)
		err = e.client.ScheduledEmail.Create().SetOrgID(u.OrgID).SetSequenceStateID(s.ID).SetStep(1).SetMailboxID(mb.ID).
			SetToAddress(p.Email).SetSubject("Hi").SetBody("Hello").SetState(scheduledemail.StateSCHEDULED).
			SetSendAt(e.now.Add(time.Hour)).Exec(e.sys)
		require.NoError(e.t, err)
		out = append(out, s)
	}
	return out
}

// cred is how a test request authenticates.
type cred interface{ apply(*http.Request) }

type bearer string

func (b bearer) apply(r *http.Request) { r.Header.Set("Authorization", "Bearer "+string(b)) }

type session struct {
	cookie *http.Cookie
	csrf   bool // send the X-Mailbridge-CSRF header
}

func (s session) apply(r *http.Request) {
	r.AddCookie(s.cookie)
	if s.csrf {
		r.Header.Set("X-Mailbridge-CSRF", "1")
	}
}

type noCred struct{}

func (noCred) apply(*http.Request) {}

// token creates an API token acting as u, the way the CLI does.
func (e *env) token(u *ent.User) bearer {
	e.t.Helper()
	secret, _, err := e.authn.CreateAPIToken(e.sys, auth.NewAPIToken{UserID: u.ID, Name: "test"})
	require.NoError(e.t, err)
	return bearer(secret)
}

// signInTest marks the sessions tests create directly, which production
// mode accepts (unlike demo sign-in sessions).
const signInTest auth.SignInMethod = "test"

// session signs u in and returns the session cookie.
func (e *env) session(u *ent.User) session {
	e.t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	require.NoError(e.t, e.authn.SignIn(context.Background(), rec, req, u.ID, signInTest))
	cookies := rec.Result().Cookies()
	require.Len(e.t, cookies, 1)
	return session{cookie: cookies[0], csrf: true}
}

type gqlError struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code  string `json:"code"`
		ID    string `json:"id"`
		Field string `json:"field"`
	} `json:"extensions"`
}

type gqlResponse struct {
	Status int
	Data   map[string]any
	Errors []gqlError
	raw    []byte
}

// code returns the only error's extensions.code.
func (r gqlResponse) code(t testing.TB) string {
	t.Helper()
	require.Len(t, r.Errors, 1, "errors: %s", r.raw)
	return r.Errors[0].Extensions.Code
}

// noErrors fails on any GraphQL error.
func (r gqlResponse) noErrors(t testing.TB) gqlResponse {
	t.Helper()
	require.Empty(t, r.Errors, "unexpected errors: %s", r.raw)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.raw)
	return r
}

// get walks data by a dotted path ("viewer.mailboxes.0.address").
func (r gqlResponse) get(t testing.TB, path string) any {
	t.Helper()
	var cur any = r.Data
	for _, p := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			require.NoError(t, err, path)
			require.Less(t, i, len(c), path)
			cur = c[i]
		default:
			t.Fatalf("path %s: %T at %q in %s", path, cur, p, r.raw)
		}
	}
	return cur
}

func (e *env) gql(c cred, query string, vars map[string]any) gqlResponse {
	e.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(e.t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	c.apply(req)
	return e.do(req)
}

// rawResponse is an unparsed answer, for goroutines, which must not call
// require (it stops only the goroutine, not the test).
type rawResponse struct {
	status int
	body   []byte
}

// post sends a GraphQL request without asserting anything.
func (e *env) post(c cred, query string, vars map[string]any) rawResponse {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	c.apply(req)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rawResponse{status: rec.Code, body: rec.Body.Bytes()}
}

// parse decodes r in the test's goroutine.
func (r rawResponse) parse(t testing.TB) gqlResponse {
	t.Helper()
	var parsed struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(r.body, &parsed), "body: %s", r.body)
	return gqlResponse{Status: r.status, Data: parsed.Data, Errors: parsed.Errors, raw: r.body}
}

func (e *env) do(req *http.Request) gqlResponse {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	out := gqlResponse{Status: rec.Code, raw: rec.Body.Bytes()}
	var parsed struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &parsed), "body: %s", rec.Body.String())
	out.Data, out.Errors = parsed.Data, parsed.Errors
	return out
}

func id(v int) string { return strconv.Itoa(v) }
