package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/apitoken"
	entsession "mailbridge/ent/session"
	"mailbridge/ent/user"
	"mailbridge/internal/config"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

func TestAuth_BearerTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		q := `{ viewer { user { email } } }`

		res := f.gql(noCred{}, q, nil)
		require.Equal(t, http.StatusUnauthorized, res.Status)
		require.Equal(t, "UNAUTHENTICATED", res.code(t))
		require.Equal(t, "auth.required", res.Errors[0].Extensions.ID)

		for _, h := range []string{"Basic am9objpwdw==", "Bearer", "Bearer    ", "mbt_abc"} {
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ viewer { isAdmin } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", h)
			res := f.do(req)
			require.Equal(t, http.StatusUnauthorized, res.Status, h)
			require.Equal(t, "auth.malformedAuthorization", res.Errors[0].Extensions.ID, h)
		}
		for _, tok := range []bearer{"mbt_unknown", "not-a-token", bearer(strings.Repeat("x", 300))} {
			res := f.gql(tok, q, nil)
			require.Equal(t, http.StatusUnauthorized, res.Status)
			require.Equal(t, "auth.invalidToken", res.Errors[0].Extensions.ID)
		}

		// An admin creates a token in GraphQL; the secret is shown once and
		// only its hash is stored.
		admin := f.token(f.admin)
		res = f.gql(admin, `mutation($u: ID) { createAPIToken(input: {userID: $u, name: "CRM sync"}) { token apiToken { id name prefix user { email } } } }`,
			map[string]any{"u": id(f.john.ID)}).noErrors(t)
		secret := res.get(t, "createAPIToken.token").(string)
		require.True(t, strings.HasPrefix(secret, "mbt_"))
		require.True(t, strings.HasPrefix(secret, res.get(t, "createAPIToken.apiToken.prefix").(string)))
		require.Equal(t, "john@acme.com", res.get(t, "createAPIToken.apiToken.user.email"))
		sum := sha256.Sum256([]byte(secret))
		stored := f.client.APIToken.Query().Where(apitoken.Name("CRM sync")).OnlyX(f.sys)
		require.Equal(t, sum[:], stored.TokenHash)
		require.Equal(t, "john@acme.com", f.gql(bearer(secret), q, nil).noErrors(t).get(t, "viewer.user.email"))

		// Only admins create and revoke tokens.
		john := bearer(secret)
		res = f.gql(john, `mutation { createAPIToken(input: {name: "mine"}) { token } }`, nil)
		require.Equal(t, "FORBIDDEN", res.code(t))
		res = f.gql(admin, `mutation { createAPIToken(input: {name: "  "}) { token } }`, nil)
		require.Equal(t, "VALIDATION_FAILED", res.code(t))
		require.Equal(t, "name", res.Errors[0].Extensions.Field)

		// Revoked tokens stop working at once.
		res = f.gql(admin, `mutation($t: ID!) { revokeAPIToken(input: {apiTokenID: $t}) { apiToken { revokedAt } } }`,
			map[string]any{"t": id(stored.ID)}).noErrors(t)
		require.NotNil(t, res.get(t, "revokeAPIToken.apiToken.revokedAt"))
		res = f.gql(john, q, nil)
		require.Equal(t, "auth.invalidToken", res.Errors[0].Extensions.ID)

		// Expired tokens too.
		exp := f.token(f.john)
		// expires_at is immutable through ent; age the row directly.
		_, err := d.Write.ExecContext(t.Context(), rebind(d, `UPDATE api_tokens SET expires_at = ? WHERE prefix = ?`), time.Now().Add(-time.Minute), string(exp)[:12])
		require.NoError(t, err)
		require.Equal(t, "auth.invalidToken", f.gql(exp, q, nil).Errors[0].Extensions.ID)
	})
}

func TestAuth_SessionsAndCSRF(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		s := f.session(f.john)
		require.True(t, s.cookie.HttpOnly)
		require.Equal(t, http.SameSiteLaxMode, s.cookie.SameSite)
		require.Equal(t, "/", s.cookie.Path)

		q := `{ viewer { user { email } } }`
		require.Equal(t, "john@acme.com", f.gql(s, q, nil).noErrors(t).get(t, "viewer.user.email"))

		// A cookie-authenticated POST without the CSRF header is refused.
		res := f.gql(session{cookie: s.cookie}, setSync, map[string]any{"id": id(f.primary.ID), "on": false})
		require.Equal(t, http.StatusForbidden, res.Status)
		require.Equal(t, "request.csrfHeaderMissing", res.Errors[0].Extensions.ID)
		require.True(t, f.client.Mailbox.GetX(f.sys, f.primary.ID).SyncEnabled)

		// GET runs queries (no header needed) but never mutations.
		req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(q), nil)
		req.AddCookie(s.cookie)
		require.Equal(t, "john@acme.com", f.do(req).noErrors(t).get(t, "viewer.user.email"))
		req = httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(`mutation { makeDefault(input: {mailboxID: "`+id(f.workMbx.ID)+`"}) { mailbox { id } } }`), nil)
		req.AddCookie(s.cookie)
		res = f.do(req)
		require.NotEmpty(t, res.Errors)
		require.NotEmpty(t, res.Errors[0].Extensions.Code)
		require.True(t, f.client.Mailbox.GetX(f.sys, f.primary.ID).IsDefault)

		// Cross-site browser posts are stopped before authentication matters.
		body, _ := json.Marshal(map[string]any{"query": setSync, "variables": map[string]any{"id": id(f.primary.ID), "on": false}})
		req = httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		s.apply(req)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusForbidden, rec.Code)
		require.True(t, f.client.Mailbox.GetX(f.sys, f.primary.ID).SyncEnabled)

		// An idle session ends; its cookie is cleared.
		f.client.Session.Update().SetLastSeenAt(time.Now().Add(-time.Hour)).ExecX(f.sys)
		req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ viewer { isAdmin } }"}`))
		req.Header.Set("Content-Type", "application/json")
		s.apply(req)
		rec = httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		require.Contains(t, rec.Body.String(), "auth.sessionExpired")
		require.Contains(t, rec.Header().Get("Set-Cookie"), "Max-Age=0")
		require.Zero(t, f.client.Session.Query().CountX(f.sys))

		// Sign-out deletes the server-side session.
		s = f.session(f.john)
		req = httptest.NewRequest(http.MethodPost, "/auth/signout", nil)
		s.apply(req)
		rec = httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusNoContent, rec.Code)
		require.Zero(t, f.client.Session.Query().Where(entsession.UserID(f.john.ID)).CountX(f.sys))
		require.Equal(t, http.StatusUnauthorized, f.gql(s, q, nil).Status)
	})
}

func TestAuth_DemoSignIn(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{mode: config.ModeDemo})
	o := e.org("Acme")
	john := e.user(o, "john@acme.com", user.RoleUSER)

	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/auth/demo/users", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var users []struct{ ID, Name, Email, Role, Organization string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &users))
	require.Len(t, users, 1)
	require.Equal(t, id(john.ID), users[0].ID)
	require.Equal(t, "Acme", users[0].Organization)

	for body, status := range map[string]int{`{"userID":"nope"}`: 400, `{"userID":"999999"}`: 404, `not json`: 400} {
		rec = httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/auth/demo/signin", strings.NewReader(body)))
		require.Equal(t, status, rec.Code, body)
	}
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/auth/demo/signin", strings.NewReader(`{"userID":"`+id(john.ID)+`"}`)))
	require.Equal(t, http.StatusNoContent, rec.Code)
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	require.Equal(t, "mailbridge_session", cookies[0].Name)
	res := e.gql(session{cookie: cookies[0], csrf: true}, `{ viewer { user { email } } }`, nil).noErrors(t)
	require.Equal(t, "john@acme.com", res.get(t, "viewer.user.email"))

	// Production has no demo sign-in.
	p := newEnv(t, d, envOptions{})
	rec = httptest.NewRecorder()
	p.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/auth/demo/users", nil))
	require.Equal(t, http.StatusNotFound, rec.Code)
}

func TestAuth_SecureCookieOverHTTPS(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{mode: config.ModeDemo, getenv: map[string]string{"PUBLIC_URL": "https://mailbridge.example.com"}})
	john := e.user(e.org("Acme"), "john@acme.com", user.RoleUSER)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "https://mailbridge.example.com/auth/demo/signin", strings.NewReader(`{"userID":"`+id(john.ID)+`"}`)))
	require.Equal(t, http.StatusNoContent, rec.Code)
	c := rec.Result().Cookies()[0]
	require.Equal(t, "__Host-mailbridge", c.Name)
	require.True(t, c.Secure)
	require.True(t, c.HttpOnly)
	require.Equal(t, "/", c.Path)
	require.Empty(t, c.Domain)
}

// rebind turns ? placeholders into $n for PostgreSQL.
func rebind(d *db.DB, q string) string {
	if d.Dialect != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + string(rune('0'+n)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
