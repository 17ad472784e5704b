package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/dbtest"
)

// TestErrors_BadInputGetsStableCodes checks that bad input of every kind is
// answered with a stable extensions.code and a message a person can act on,
// and that no Go or SQL text leaks.
func TestErrors_BadInputGetsStableCodes(t *testing.T) {
	t.Parallel()
	f := newJohn(t, dbtest.SQLite(t))
	tok := f.token(f.john)

	cases := []struct {
		name   string
		query  string
		vars   map[string]any
		code   string
		field  string
		status int
	}{
		{"bad ID", setSync, map[string]any{"id": "abc", "on": true}, "VALIDATION_FAILED", "input.mailboxID", 200},
		{"negative ID", `{ node(id: "-5") { id } }`, nil, "VALIDATION_FAILED", "id", 200},
		{"unknown ID", `{ node(id: "999999999999") { id } }`, nil, "NOT_FOUND", "", 200},
		{"wrong type", `mutation { setSync(input: {mailboxID: "1", enabled: "yes"}) { mailbox { id } } }`, nil, "VALIDATION_FAILED", "", 400},
		{"wrong variable type", setSync, map[string]any{"id": id(f.primary.ID), "on": "yes"}, "VALIDATION_FAILED", "", 400},
		{"bad enum", `{ mailboxes(first: 1, filter: {provider: GMAIL}) { totalCount } }`, nil, "VALIDATION_FAILED", "", 400},
		{"bad enum variable", `query($p: MailboxProvider) { mailboxes(first: 1, filter: {provider: $p}) { totalCount } }`, map[string]any{"p": "GMAIL"}, "VALIDATION_FAILED", "", 400},
		{"unknown field", `{ viewer { password } }`, nil, "VALIDATION_FAILED", "", 400},
		{"syntax", `{ viewer { `, nil, "VALIDATION_FAILED", "", 400},
		{"bad cursor", `{ mailboxes(first: 1, after: "!!!") { totalCount } }`, nil, "VALIDATION_FAILED", "after", 200},
		{"first too big", `{ sequenceStates(first: 1000) { totalCount } }`, nil, "VALIDATION_FAILED", "first", 200},
		{"first missing", `{ sequenceStates { totalCount } }`, nil, "VALIDATION_FAILED", "first", 200},
		{"too many nodes", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": manyIDs(101)}, "VALIDATION_FAILED", "ids", 200},
		{"too complex", `{ a: sequenceStates(first: 100) { edges { node { id prospect { email } sequence { name } mailbox { address } user { email } } } }
		                   b: sequenceStates(first: 100) { edges { node { id prospect { email } sequence { name } mailbox { address } user { email } } } } }`, nil, "QUERY_TOO_COSTLY", "", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res := f.gql(tok, c.query, c.vars)
			require.Equal(t, c.code, res.code(t), "%s", res.raw)
			require.Equal(t, c.field, res.Errors[0].Extensions.Field, "%s", res.raw)
			require.NotEmpty(t, res.Errors[0].Extensions.ID)
			require.Equal(t, c.status, res.Status, "%s", res.raw)
			for _, leak := range []string{"strconv", "sql:", "SQLSTATE", "ent:", "pq:", "runtime error", "goroutine"} {
				require.NotContains(t, strings.ToLower(res.Errors[0].Message), strings.ToLower(leak))
			}
		})
	}

	t.Run("OversizedBody", func(t *testing.T) {
		t.Parallel()
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ viewer { isAdmin } }","variables":{"x":"`+strings.Repeat("a", 2<<20)+`"}}`))
		req.Header.Set("Content-Type", "application/json")
		tok.apply(req)
		res := f.do(req)
		require.Equal(t, http.StatusRequestEntityTooLarge, res.Status)
		require.Equal(t, "request.tooLarge", res.Errors[0].Extensions.ID)
	})
	t.Run("NotJSON", func(t *testing.T) {
		t.Parallel()
		for ct, status := range map[string]int{"application/json": 400, "text/plain": 415, "multipart/form-data; boundary=x": 415} {
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`query=%7Bviewer%7D`))
			req.Header.Set("Content-Type", ct)
			tok.apply(req)
			res := f.do(req)
			require.Equal(t, status, res.Status, ct)
			require.Equal(t, "VALIDATION_FAILED", res.code(t), ct)
		}
	})
	t.Run("TooManyTokens", func(t *testing.T) {
		t.Parallel()
		q := "{ viewer { " + strings.Repeat("isAdmin ", 6000) + "} }"
		res := f.gql(tok, q, nil)
		require.Equal(t, "VALIDATION_FAILED", res.code(t))
	})
	t.Run("IntrospectionOffInProduction", func(t *testing.T) {
		t.Parallel()
		res := f.gql(tok, `{ __schema { types { name } } }`, nil)
		require.Equal(t, "VALIDATION_FAILED", res.code(t))
	})
}

func manyIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = id(i + 1)
	}
	return out
}
