package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/server"
)

// syncBuffer is a log sink safe for the concurrent writes of a handler.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLines decodes the JSON log lines.
func (b *syncBuffer) lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		out = append(out, m)
	}
	return out
}

// noErrorLogs fails if anything was logged at ERROR.
func (b *syncBuffer) noErrorLogs(t testing.TB) {
	t.Helper()
	for _, l := range b.lines(t) {
		require.NotEqual(t, "ERROR", l["level"], "logged at ERROR: %v", l)
	}
}

// raw posts body to /graphql as JSON with credential c.
func (e *env) raw(c cred, body string) gqlResponse {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	c.apply(req)
	return e.do(req)
}

// aliases repeats field under n aliases.
func aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: %s ", i, field)
	}
	b.WriteString("}")
	return b.String()
}

const countOnly = `sequenceStates(first: 1, filter: {hasUndeliveredEmails: false}) { totalCount }`

// TestQueryCost_AliasedCountsAreRefusedBeforeRunning is the regression test
// for one request running 330 COUNT queries: it is refused with
// QUERY_TOO_COSTLY before a single SQL statement runs, by the alias limit,
// and with the alias limit raised, by the database-query estimate.
func TestQueryCost_AliasedCountsAreRefusedBeforeRunning(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, c := range []struct {
			name, maxAliases, id string
		}{
			{"AliasLimit", "", "graphql.tooManyAliases"},
			{"QueryLimit", "1000", "graphql.tooManyQueries"},
		} {
			t.Run(c.name, func(t *testing.T) {
				rec := &recorder{Driver: d.Driver()}
				// The token limit would refuse the query first.
				vars := map[string]string{"GRAPHQL_TOKEN_LIMIT": "20000"}
				if c.maxAliases != "" {
					vars["GRAPHQL_MAX_ALIASES"] = c.maxAliases
				}
				e := newEnv(t, d, envOptions{client: d.Client(ent.Driver(rec)), getenv: vars})
				u := e.user(e.org("Acme "+c.name), c.name+"@acme.com", user.RoleUSER)
				tok := e.token(u)
				rec.selects()

				res := e.gql(tok, aliases(330, countOnly), nil)
				require.Equal(t, http.StatusBadRequest, res.Status, "%s", res.raw)
				require.Equal(t, "QUERY_TOO_COSTLY", res.code(t))
				require.Equal(t, c.id, res.Errors[0].Extensions.ID)
				require.Contains(t, res.Errors[0].Message, "limit")
				// Only authentication touched the database.
				for _, s := range rec.selects() {
					require.NotContains(t, s, "sequence_states", "the refused query ran SQL")
				}

				// The same field a few times is fine.
				res = e.gql(tok, aliases(3, countOnly), nil).noErrors(t)
				require.EqualValues(t, 0, res.get(t, "a2.totalCount"))
			})
		}
	})
}

// TestQueryCost_WebAppQueriesFitTheLimits runs the web app's own queries
// (frontend/src/**/*.graphql) under the default limits.
func TestQueryCost_WebAppQueriesFitTheLimits(t *testing.T) {
	t.Parallel()
	f := newJohn(t, dbtest.SQLite(t))
	tok := f.token(f.john)
	for _, q := range []string{
		`{ viewer { user { id name email timeZone } organization { id name } isAdmin } }`,
		`{ viewer { mailboxes { id address provider connectionState connectionError syncEnabled sendEnabled isDefault needsMigration undeliveredEmailCount lastSyncedAt lastSyncError } } }`,
		`{ sequenceStates(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount pageInfo { hasNextPage endCursor }
		   edges { node { id state stateReason currentStep updatedAt prospect { email firstName lastName } sequence { name } mailbox { address } user { name } } } } }`,
	} {
		f.gql(tok, q, nil).noErrors(t)
	}
}

// TestBody_MalformedIsRefusedWithoutLeaking: bodies that are not one GraphQL
// request object get 400 VALIDATION_FAILED with a message, nothing panics,
// nothing is logged at ERROR and no part of the body reaches the logs.
func TestBody_MalformedIsRefusedWithoutLeaking(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		logs := &syncBuffer{}
		e := newEnv(t, d, envOptions{logs: logs})
		tok := e.token(e.user(e.org("Acme"), "john@acme.com", user.RoleUSER))
		const secret = "S3CRET-hunter2"
		for name, body := range map[string]string{
			"Array":             `[{"query":"{ __typename }","variables":{"x":"` + secret + `"}}]`,
			"String":            `"hello ` + secret + `"`,
			"Number":            `42`,
			"Null":              `null`,
			"QueryNotString":    `{"query":5,"variables":{"x":"` + secret + `"}}`,
			"QueryMissing":      `{"variables":{"x":"` + secret + `"}}`,
			"QueryEmpty":        `{"query":"  "}`,
			"VariablesArray":    `{"query":"{ viewer { isAdmin } }","variables":["` + secret + `"]}`,
			"OperationNameNum":  `{"query":"{ viewer { isAdmin } }","operationName":7}`,
			"ExtensionsString":  `{"query":"{ viewer { isAdmin } }","extensions":"` + secret + `"}`,
			"Truncated":         `{"query":"{ viewer { isAdmin } }","variables":{"x":"` + secret,
			"WrongVariableType": `{"query":"query($n: Int) { sequenceStates(first: $n) { totalCount } }","variables":{"n":"` + secret + `"}}`,
			"UnknownOperation":  `{"query":"query A { viewer { isAdmin } }","operationName":"` + secret + `"}`,
		} {
			t.Run(name, func(t *testing.T) {
				res := e.raw(tok, body)
				require.Equal(t, http.StatusBadRequest, res.Status, "%s", res.raw)
				require.Equal(t, "VALIDATION_FAILED", res.code(t))
				require.NotEmpty(t, res.Errors[0].Message)
				require.NotContains(t, res.Errors[0].Message, "panic")
			})
		}
		out := logs.String()
		require.NotContains(t, out, secret)
		require.NotContains(t, out, "panic")
		logs.noErrorLogs(t)
	})
}

// TestErrors_ClientMistakesAreValidationErrors: mistakes in arguments are
// VALIDATION_FAILED naming the field, on both databases, and are not logged
// as errors.
func TestErrors_ClientMistakesAreValidationErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		logs := &syncBuffer{}
		e := newEnv(t, d, envOptions{logs: logs})
		admin := e.user(e.org("Acme"), "admin@acme.com", user.RoleADMIN)
		e.mailbox(admin, "admin@acme.com")
		tok := e.token(admin)
		byAddress := `query($s: String) { mailboxes(first: 5, filter: {addressContains: $s}) { totalCount } }`
		byProspect := `query($s: String) { sequenceStates(first: 5, filter: {prospectEmailContains: $s}) { totalCount } }`
		cases := []struct {
			name, query string
			vars        map[string]any
			field, id   string
		}{
			{"FirstAndLast", `{ mailboxes(first: 5, last: 5) { totalCount } }`, nil, "last", "pagination.firstAndLast"},
			{"HugeAddress", byAddress, map[string]any{"s": strings.Repeat("a%", 30000)}, "filter.addressContains", "filter.tooLong"},
			{"HugeProspect", byProspect, map[string]any{"s": strings.Repeat("é", 201)}, "filter.prospectEmailContains", "filter.tooLong"},
			{"NULVariable", byAddress, map[string]any{"s": "adm\x00in"}, "filter.addressContains", "input.invalidCharacters"},
			{"NULLiteral", `{ mailboxes(first: 5, filter: {addressContains: "\u0000"}) { totalCount } }`, nil, "filter.addressContains", "input.invalidCharacters"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := e.gql(tok, c.query, c.vars)
				require.Equal(t, "VALIDATION_FAILED", res.code(t), "%s", res.raw)
				require.Equal(t, c.field, res.Errors[0].Extensions.Field)
				require.Equal(t, c.id, res.Errors[0].Extensions.ID)
				require.Equal(t, http.StatusOK, res.Status)
			})
		}
		t.Run("LongestAllowedFilter", func(t *testing.T) {
			res := e.gql(tok, byAddress, map[string]any{"s": strings.Repeat("é", 200)}).noErrors(t)
			require.EqualValues(t, 0, res.get(t, "mailboxes.totalCount"))
		})
		t.Run("FloatForInt", func(t *testing.T) {
			for _, q := range []struct {
				query string
				vars  map[string]any
			}{
				{`{ mailboxes(first: 7.0) { totalCount } }`, nil},
				{`query($n: Int) { mailboxes(first: $n) { totalCount } }`, map[string]any{"n": 7.5}},
			} {
				res := e.gql(tok, q.query, q.vars)
				require.Equal(t, "VALIDATION_FAILED", res.code(t), "%s", res.raw)
				require.NotContains(t, res.Errors[0].Message, "value 0")
				require.Contains(t, res.Errors[0].Message, "Int", "%s", res.raw)
			}
		})
		logs.noErrorLogs(t)
	})
}

// lowerCamelID is the form of every extensions.id: component.errorBrief.
var lowerCamelID = regexp.MustCompile(`^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)?$`)

// TestHTTP_EveryGraphQLAnswerIsGraphQLShaped: whatever goes wrong around
// /graphql (routing, methods, cross-origin, authentication, the database),
// the answer is JSON with errors[].extensions.code and a lower camel case id.
func TestHTTP_EveryGraphQLAnswerIsGraphQLShaped(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{getenv: map[string]string{"PUBLIC_URL": "https://mail.example.com"}})
	tok := e.token(e.user(e.org("Acme"), "john@acme.com", user.RoleUSER))
	down := newEnv(t, d, envOptions{client: d.Client(ent.Driver(&failing{Driver: d.Driver()}))})

	req := func(method, path, body string) *http.Request {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	cases := []struct {
		name   string
		env    *env
		req    *http.Request
		cred   cred
		status int
		code   string
	}{
		{"TrailingSlash", e, req(http.MethodPost, "/graphql/", `{"query":"{ viewer { isAdmin } }"}`), tok, 404, "NOT_FOUND"},
		{"SubPath", e, req(http.MethodGet, "/graphql/x", ""), tok, 404, "NOT_FOUND"},
		{"Put", e, req(http.MethodPut, "/graphql", `{"query":"{ viewer { isAdmin } }"}`), tok, 405, "VALIDATION_FAILED"},
		{"Delete", e, req(http.MethodDelete, "/graphql", ""), noCred{}, 405, "VALIDATION_FAILED"},
		{"GetWithoutQuery", e, req(http.MethodGet, "/graphql", ""), tok, 400, "VALIDATION_FAILED"},
		{"GetBadVariables", e, req(http.MethodGet, "/graphql?query=%7Bviewer%7BisAdmin%7D%7D&variables=%5B1%5D", ""), tok, 400, "VALIDATION_FAILED"},
		{"GetMutation", e, req(http.MethodGet, "/graphql?query=mutation%7BrevokeAPIToken(input%3A%7BapiTokenID%3A%221%22%7D)%7BapiToken%7Bid%7D%7D%7D", ""), tok, 405, "VALIDATION_FAILED"},
		{"NoCredentials", e, req(http.MethodPost, "/graphql", `{"query":"{ viewer { isAdmin } }"}`), noCred{}, 401, "UNAUTHENTICATED"},
		{"DatabaseDownDuringAuth", down, req(http.MethodPost, "/graphql", `{"query":"{ viewer { isAdmin } }"}`), tok, 503, "UNAVAILABLE"},
	}
	crossOrigin := req(http.MethodPost, "/graphql", `{"query":"{ viewer { isAdmin } }"}`)
	crossOrigin.Header.Set("Sec-Fetch-Site", "cross-site")
	crossOrigin.Header.Set("Origin", "https://evil.example")
	cases = append(cases, struct {
		name   string
		env    *env
		req    *http.Request
		cred   cred
		status int
		code   string
	}{"CrossOrigin", e, crossOrigin, tok, 403, "FORBIDDEN"})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cred.apply(c.req)
			rec := httptest.NewRecorder()
			c.env.h.ServeHTTP(rec, c.req)
			require.Equal(t, c.status, rec.Code, "%s", rec.Body)
			require.Contains(t, rec.Header().Get("Content-Type"), "application/json")
			var body struct {
				Errors []gqlError `json:"errors"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "%s", rec.Body)
			require.Len(t, body.Errors, 1, "%s", rec.Body)
			require.Equal(t, c.code, body.Errors[0].Extensions.Code, "%s", rec.Body)
			require.Regexp(t, lowerCamelID, body.Errors[0].Extensions.ID)
			require.NotEmpty(t, body.Errors[0].Message)
			if c.status == http.StatusMethodNotAllowed {
				require.NotEmpty(t, rec.Header().Get("Allow"))
			}
		})
	}
	t.Run("IDsAreLowerCamelCase", func(t *testing.T) {
		for _, q := range []string{`{ viewer { `, `{ viewer { password } }`, `{ mailboxes(first: 1, filter: {provider: GMAIL}) { totalCount } }`} {
			res := e.gql(tok, q, nil)
			require.Equal(t, http.StatusBadRequest, res.Status)
			require.Regexp(t, lowerCamelID, res.Errors[0].Extensions.ID)
		}
		require.Equal(t, "graphql.parseFailed", e.gql(tok, `{ viewer { `, nil).Errors[0].Extensions.ID)
		require.Equal(t, "graphql.validationFailed", e.gql(tok, `{ viewer { password } }`, nil).Errors[0].Extensions.ID)
	})
}

// failing is a driver whose database is down.
type failing struct{ dialect.Driver }

func (f *failing) Query(context.Context, string, any, any) error {
	return fmt.Errorf("dial tcp 10.0.0.1:5432: connect: connection refused")
}

// TestHTTP_Hardening: HSTS over HTTPS only, no caching of API and sign-in
// answers, 405 with Allow for wrong methods, and the cross-origin check
// against PUBLIC_URL's origin when a proxy rewrites Host.
func TestHTTP_Hardening(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	https := newEnv(t, d, envOptions{getenv: map[string]string{"PUBLIC_URL": "https://mail.example.com"}})
	plain := newEnv(t, d, envOptions{mode: "demo", getenv: map[string]string{"PUBLIC_URL": "http://localhost:8080"}})
	tok := https.token(https.user(https.org("Acme"), "john@acme.com", user.RoleUSER))
	serve := func(e *env, r *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, r)
		return rec
	}
	post := func(origin, host string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ viewer { isAdmin } }"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		tok.apply(r)
		return r
	}

	t.Run("HSTS", func(t *testing.T) {
		require.Equal(t, "max-age=31536000", serve(https, httptest.NewRequest(http.MethodGet, "/healthz", nil)).Header().Get("Strict-Transport-Security"))
		require.Empty(t, serve(plain, httptest.NewRequest(http.MethodGet, "/healthz", nil)).Header().Get("Strict-Transport-Security"))
	})
	t.Run("NoStore", func(t *testing.T) {
		for _, r := range []*http.Request{
			post("", "mail.example.com"),
			httptest.NewRequest(http.MethodGet, "/graphql?query=%7Bviewer%7BisAdmin%7D%7D", nil),
			httptest.NewRequest(http.MethodPost, "/auth/signout", nil),
			httptest.NewRequest(http.MethodGet, "/auth/nothing", nil),
		} {
			require.Equal(t, "no-store", serve(https, r).Header().Get("Cache-Control"), r.URL.Path)
		}
		require.Equal(t, "no-store", serve(plain, httptest.NewRequest(http.MethodGet, "/auth/demo/users", nil)).Header().Get("Cache-Control"))
	})
	t.Run("MethodNotAllowed", func(t *testing.T) {
		for path, allow := range map[string]string{"/healthz": "GET, HEAD", "/": "GET, HEAD", "/settings/mailboxes": "GET, HEAD", "/graphql": "GET, POST"} {
			rec := serve(https, httptest.NewRequest(http.MethodPut, path, nil))
			require.Equal(t, http.StatusMethodNotAllowed, rec.Code, path)
			require.Equal(t, allow, rec.Header().Get("Allow"), path)
		}
	})
	t.Run("CrossOriginBehindProxy", func(t *testing.T) {
		// A proxy forwards to the backend's own address; an older browser
		// sends Origin but not Sec-Fetch-Site.
		rec := serve(https, post("https://mail.example.com", "10.0.0.7:8080"))
		require.Equal(t, http.StatusOK, rec.Code, "%s", rec.Body)
		rec = serve(https, post("https://evil.example", "10.0.0.7:8080"))
		require.Equal(t, http.StatusForbidden, rec.Code, "%s", rec.Body)
		require.Contains(t, rec.Body.String(), `"FORBIDDEN"`)
		rec = serve(https, post("https://evil.example", "mail.example.com"))
		require.Equal(t, http.StatusForbidden, rec.Code, "%s", rec.Body)
	})
}

// TestLogs_RequestLineHasMillisecondsAndNoSecrets: the request log line
// gives its duration in milliseconds and sizes, never the query string or
// the body.
func TestLogs_RequestLineHasMillisecondsAndNoSecrets(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	e := newEnv(t, dbtest.SQLite(t), envOptions{logs: logs})
	tok := e.token(e.user(e.org("Acme"), "john@acme.com", user.RoleUSER))
	e.gql(tok, `query($x: String) { mailboxes(first: 1, filter: {addressContains: $x}) { totalCount } }`, map[string]any{"x": "S3CRET-var"}).noErrors(t)
	r := httptest.NewRequest(http.MethodGet, "/graphql?query=%7Bviewer%7BisAdmin%7D%7D&operationName=S3CRET-get", nil)
	tok.apply(r)
	e.do(r)
	var found int
	for _, l := range logs.lines(t) {
		if l["msg"] != "http" {
			continue
		}
		found++
		require.Contains(t, l, "duration_ms")
		require.NotContains(t, l, "duration")
		require.IsType(t, float64(0), l["duration_ms"])
		require.Contains(t, l, "request_bytes")
	}
	require.Equal(t, 2, found)
	require.NotContains(t, logs.String(), "S3CRET")
}

// blocking is a driver whose database stops answering once frozen: every
// statement then waits until its context ends.
type blocking struct {
	dialect.Driver
	only   string // if set, only statements containing it freeze
	mu     sync.Mutex
	frozen bool
}

func (b *blocking) freeze() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.frozen = true
}

func (b *blocking) wait(ctx context.Context, q string) error {
	b.mu.Lock()
	frozen := b.frozen && strings.Contains(q, b.only)
	b.mu.Unlock()
	if frozen {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (b *blocking) Query(ctx context.Context, q string, args, v any) error {
	if err := b.wait(ctx, q); err != nil {
		return err
	}
	return b.Driver.Query(ctx, q, args, v)
}

func (b *blocking) Exec(ctx context.Context, q string, args, v any) error {
	if err := b.wait(ctx, q); err != nil {
		return err
	}
	return b.Driver.Exec(ctx, q, args, v)
}

// serveWithin runs the request and fails (instead of hanging) if it has not
// answered long after its deadline.
func serveWithin(t *testing.T, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, r)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the request did not answer: no deadline covers it")
	}
	return rec
}

// TestDeadline_CoversAuthentication: with the database frozen, a request
// gets 503 UNAVAILABLE from its deadline, though the freeze hits the
// credential lookup that runs before any GraphQL, and the log says 503.
func TestDeadline_CoversAuthentication(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		drv := &blocking{Driver: d.Driver()}
		logs := &syncBuffer{}
		e := newEnv(t, d, envOptions{client: d.Client(ent.Driver(drv)), logs: logs,
			getenv: map[string]string{"REQUEST_TIMEOUT": "300ms"}})
		tok := e.token(e.user(e.org("Acme"), "john@acme.com", user.RoleUSER))
		e.gql(tok, `{ viewer { isAdmin } }`, nil).noErrors(t)
		drv.freeze()
		requireUnavailable(t, e, tok, logs, `{ viewer { isAdmin } }`)
	})
}

// TestDeadline_StopsSlowResolvers: a database that stops answering while
// the query runs (after authentication) also gives 503 UNAVAILABLE, not a
// 200 with an INTERNAL error.
func TestDeadline_StopsSlowResolvers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		drv := &blocking{Driver: d.Driver(), only: "sequence_states"}
		logs := &syncBuffer{}
		e := newEnv(t, d, envOptions{client: d.Client(ent.Driver(drv)), logs: logs,
			getenv: map[string]string{"REQUEST_TIMEOUT": "300ms"}})
		tok := e.token(e.user(e.org("Acme"), "john@acme.com", user.RoleUSER))
		drv.freeze()
		e.gql(tok, `{ viewer { isAdmin } }`, nil).noErrors(t)
		requireUnavailable(t, e, tok, logs, `{ sequenceStates(first: 5) { totalCount } }`)
		logs.noErrorLogs(t)
	})
}

func requireUnavailable(t *testing.T, e *env, c cred, logs *syncBuffer, query string) {
	t.Helper()
	body, err := json.Marshal(map[string]string{"query": query})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	c.apply(r)
	rec := serveWithin(t, e.h, r)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s", rec.Body)
	require.Contains(t, rec.Body.String(), `"UNAVAILABLE"`)
	var logged bool
	for _, l := range logs.lines(t) {
		if l["msg"] == "http" && l["status"] == float64(http.StatusServiceUnavailable) {
			logged = true
		}
	}
	require.True(t, logged, "no request log line with status 503:\n%s", logs)
}

// tcpProxy forwards TCP connections to target until paused; then it stops
// forwarding anything, like a database host that froze (SIGSTOP).
type tcpProxy struct {
	ln     net.Listener
	target string
	closed chan struct{}
	mu     sync.Mutex
	paused bool
	conns  []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tcpProxy{ln: ln, target: target, closed: make(chan struct{})}
	go p.accept()
	return p
}

func (p *tcpProxy) isPaused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

func (p *tcpProxy) pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
}

func (p *tcpProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

func (p *tcpProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		if p.isPaused() {
			continue // held open, never answered
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.track(up)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *tcpProxy) pipe(src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if p.isPaused() {
			<-p.closed
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			_ = dst.Close()
			return
		}
	}
}

func (p *tcpProxy) close() {
	close(p.closed)
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

// TestDeadline_FrozenPostgres: PostgreSQL behind a TCP proxy that stops
// forwarding (the reported SIGSTOP case): { viewer } answers 503
// UNAVAILABLE within the deadline instead of hanging, and the log says 503.
func TestDeadline_FrozenPostgres(t *testing.T) {
	t.Parallel()
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		t.Skip(dbtest.SkipMessage)
	}
	d := dbtest.Postgres(t)
	var schema string
	require.NoError(t, d.Write.QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema))
	u, err := url.Parse(raw)
	require.NoError(t, err)
	p := newTCPProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	pd, err := db.Open(t.Context(), db.Options{URL: u.String()})
	require.NoError(t, err)
	t.Cleanup(func() {
		p.close()
		_ = pd.Close()
	})

	logs := &syncBuffer{}
	e := newEnv(t, pd, envOptions{logs: logs, getenv: map[string]string{"REQUEST_TIMEOUT": "500ms"}})
	tok := e.token(e.user(e.org("Acme"), "john@acme.com", user.RoleUSER))
	e.gql(tok, `{ viewer { isAdmin } }`, nil).noErrors(t)
	p.pause()
	requireUnavailable(t, e, tok, logs, `{ viewer { isAdmin } }`)
}

func TestLogDurationsInMilliseconds(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: server.LogDurationsInMilliseconds}))
	log.Info("x", "timeout", 1500*time.Microsecond, "count", 3)
	var m map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &m))
	require.Equal(t, 1.5, m["timeout_ms"])
	require.NotContains(t, m, "timeout")
	require.Equal(t, float64(3), m["count"])
}
