package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/user"
	"mailbridge/internal/config"
	"mailbridge/internal/dbtest"
)

func TestHTTP_RoutesAndHeaders(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{})
	serve := func(method, path, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec
	}
	html := "text/html,application/xhtml+xml"

	rec := serve(http.MethodGet, "/healthz", "")
	require.Equal(t, http.StatusOK, rec.Code)
	rec = serve(http.MethodGet, "/readyz", "")
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"status":"ready"}`, rec.Body.String())

	// The web app (or its placeholder) is served for deep links...
	for _, p := range []string{"/", "/settings/mailboxes", "/settings/sequence-states"} {
		rec = serve(http.MethodGet, p, html)
		require.Equal(t, http.StatusOK, rec.Code, p)
		require.Contains(t, rec.Header().Get("Content-Type"), "text/html", p)
		require.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"))
		require.Contains(t, rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")
	}
	// ...but never swallows the API paths.
	for _, p := range []string{"/api/anything", "/auth/nothing-here", "/graphql/extra"} {
		rec = serve(http.MethodGet, p, html)
		require.Equal(t, http.StatusNotFound, rec.Code, p)
		require.NotContains(t, rec.Header().Get("Content-Type"), "text/html", p)
	}
	// A browser navigating to /graphql gets the API's answer (a GraphQL
	// error: a GET without a query is a client mistake), not the web app.
	rec = serve(http.MethodGet, "/graphql", html)
	require.GreaterOrEqual(t, rec.Code, 400, rec.Body.String())
	require.Less(t, rec.Code, 500, rec.Body.String())
	require.Contains(t, rec.Header().Get("Content-Type"), "application/json")
	var body struct {
		Errors []struct {
			Message    string                `json:"message"`
			Extensions struct{ Code string } `json:"extensions"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	require.NotEmpty(t, body.Errors, rec.Body.String())
	require.NotEmpty(t, body.Errors[0].Message)
	require.NotEmpty(t, body.Errors[0].Extensions.Code)
}

func TestHTTP_IntrospectionInDemoMode(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{mode: config.ModeDemo})
	u := e.user(e.org("Acme"), "admin@acme.com", user.RoleADMIN)
	res := e.gql(e.token(u), `{ __schema { queryType { name } } }`, nil).noErrors(t)
	require.Equal(t, "Query", res.get(t, "__schema.queryType.name"))
}
