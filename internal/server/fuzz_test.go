package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/dbtest"
)

// The fuzz tests run their seed corpus (testdata/fuzz/Fuzz*) as ordinary
// tests; `go test -fuzz=FuzzGraphQL_Body ./internal/server` explores
// further. Each asserts that whatever arrives, /graphql answers without a
// panic, never 500, always with JSON whose errors carry extensions.code, and
// logs nothing at ERROR.

// fuzzEnvs returns an instance on SQLite and, when a server is configured,
// one on PostgreSQL, each with a signed-in admin token and some data.
func fuzzEnvs(f *testing.F) ([]*env, []bearer, []*syncBuffer) {
	var (
		envs []*env
		toks []bearer
		logs []*syncBuffer
	)
	add := func(e *env, l *syncBuffer) {
		org := e.org("Acme")
		admin := e.user(org, "admin@acme.com", user.RoleADMIN)
		mb := e.mailbox(admin, "admin@acme.com", connected(mailbox.ProviderOFFICE365_OAUTH), isDefault)
		e.sequenceStates(admin, mb, 2)
		envs, toks, logs = append(envs, e), append(toks, e.token(admin)), append(logs, l)
	}
	l := &syncBuffer{}
	add(newEnv(f, dbtest.SQLite(f), envOptions{logs: l}), l)
	if os.Getenv("TEST_DATABASE_URL") != "" {
		l := &syncBuffer{}
		add(newEnv(f, dbtest.Postgres(f), envOptions{logs: l}), l)
	}
	return envs, toks, logs
}

// checkAnswer fails on a 500, a non-JSON answer, an error without a code,
// an INTERNAL error, or an ERROR log line.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, logs *syncBuffer, input string) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d for %q: %s", rec.Code, input, rec.Body)
	}
	var body struct {
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("not JSON (%v) for %q: %s", err, input, rec.Body)
	}
	if rec.Code >= 400 && len(body.Errors) == 0 {
		t.Fatalf("status %d without errors for %q: %s", rec.Code, input, rec.Body)
	}
	for _, e := range body.Errors {
		if e.Extensions.Code == "" || e.Extensions.Code == "INTERNAL" {
			t.Fatalf("error code %q for %q: %s", e.Extensions.Code, input, rec.Body)
		}
	}
	if out := logs.String(); strings.Contains(out, `"level":"ERROR"`) {
		t.Fatalf("logged at ERROR for %q:\n%s", input, out)
	}
}

func post(h http.Handler, c cred, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	c.apply(req)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// FuzzGraphQL_Body sends arbitrary POST bodies.
func FuzzGraphQL_Body(f *testing.F) {
	envs, toks, logs := fuzzEnvs(f)
	f.Add([]byte(`{"query":"{ viewer { isAdmin } }"}`))
	f.Add([]byte(`[{"query":"{ __typename }"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for i, e := range envs {
			checkAnswer(t, post(e.h, toks[i], string(body)), logs[i], string(body))
		}
	})
}

// FuzzGraphQL_Variables sends a query with arbitrary variables (raw JSON).
func FuzzGraphQL_Variables(f *testing.F) {
	envs, toks, logs := fuzzEnvs(f)
	f.Add(`query($n: Int, $s: String) { mailboxes(first: $n, filter: {addressContains: $s}) { totalCount } }`, `{"n": 5, "s": "adm"}`)
	f.Fuzz(func(t *testing.T, query, variables string) {
		q, _ := json.Marshal(query)
		body := `{"query":` + string(q) + `,"variables":` + variables + `}`
		for i, e := range envs {
			checkAnswer(t, post(e.h, toks[i], body), logs[i], body)
		}
	})
}

// FuzzGraphQL_Filters sends arbitrary filter strings and page sizes to the
// lists; they must match or not, or be refused as VALIDATION_FAILED.
func FuzzGraphQL_Filters(f *testing.F) {
	envs, toks, logs := fuzzEnvs(f)
	f.Add("adm", "p1", 5, false)
	f.Add("%_\\", "\x00", 100, true)
	const q = `query($a: String, $p: String, $n: Int, $u: Boolean) {
	  mailboxes(first: $n, filter: {addressContains: $a}) { totalCount edges { node { address } } }
	  sequenceStates(last: $n, filter: {prospectEmailContains: $p, hasUndeliveredEmails: $u}) { totalCount edges { node { id } } } }`
	f.Fuzz(func(t *testing.T, address, prospect string, n int, undelivered bool) {
		body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"a": address, "p": prospect, "n": n, "u": undelivered}})
		for i, e := range envs {
			rec := post(e.h, toks[i], string(body))
			checkAnswer(t, rec, logs[i], string(body))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d for %s: %s", rec.Code, body, rec.Body)
			}
		}
	})
}
