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
	"mailbridge/internal/demo"
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

		// Only admins create tokens for other users.
		john := bearer(secret)
		res = f.gql(john, `mutation($u: ID) { createAPIToken(input: {userID: $u, name: "theirs"}) { token } }`,
			map[string]any{"u": id(f.admin.ID)})
		require.Equal(t, "FORBIDDEN", res.code(t))
		require.False(t, f.client.APIToken.Query().Where(apitoken.Name("theirs")).ExistX(f.sys))
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

// TestAuth_UsersManageTheirOwnTokens: a user creates a token acting as
// themselves (with an optional expiry), lists their tokens with when each
// was last used, and revokes their own but nobody else's.
func TestAuth_UsersManageTheirOwnTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		john := f.token(f.john)
		adminTok := f.token(f.admin)
		expires := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
		res := f.gql(john, `mutation($at: Time) { createAPIToken(input: {name: "laptop", expiresAt: $at}) { token apiToken { id expiresAt user { email } } } }`,
			map[string]any{"at": expires.Format(time.RFC3339)}).noErrors(t)
		require.Equal(t, "john@acme.com", res.get(t, "createAPIToken.apiToken.user.email"))
		gotExp, err := time.Parse(time.RFC3339, res.get(t, "createAPIToken.apiToken.expiresAt").(string))
		require.NoError(t, err)
		require.True(t, expires.Equal(gotExp), "%s != %s", expires, gotExp)
		laptop := bearer(res.get(t, "createAPIToken.token").(string))
		laptopID := res.get(t, "createAPIToken.apiToken.id").(string)

		// An expiry in the past is refused.
		res = f.gql(john, `mutation($at: Time) { createAPIToken(input: {name: "old", expiresAt: $at}) { token } }`,
			map[string]any{"at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
		require.Equal(t, "VALIDATION_FAILED", res.code(t))
		require.Equal(t, "expiresAt", res.Errors[0].Extensions.Field)

		// Using a token records when; the owner's list shows it, and shows
		// only their own tokens.
		f.gql(laptop, `{ viewer { isAdmin } }`, nil).noErrors(t)
		res = f.gql(john, `{ apiTokens { id name lastUsedAt user { email } } }`, nil).noErrors(t)
		toks := res.get(t, "apiTokens").([]any)
		require.Len(t, toks, 2, "John's two tokens, not the admin's")
		for _, tok := range toks {
			require.Equal(t, "john@acme.com", tok.(map[string]any)["user"].(map[string]any)["email"])
			require.NotNil(t, tok.(map[string]any)["lastUsedAt"], "both were used")
		}

		// John cannot revoke the admin's token (he cannot see it)...
		adminTokID := f.client.APIToken.Query().Where(apitoken.UserID(f.admin.ID)).OnlyX(f.sys).ID
		res = f.gql(john, `mutation($t: ID!) { revokeAPIToken(input: {apiTokenID: $t}) { apiToken { id } } }`, map[string]any{"t": id(adminTokID)})
		require.Equal(t, "NOT_FOUND", res.code(t))
		f.gql(adminTok, `{ viewer { isAdmin } }`, nil).noErrors(t)
		// ...but revokes his own, which stops working.
		f.gql(john, `mutation($t: ID!) { revokeAPIToken(input: {apiTokenID: $t}) { apiToken { revokedAt } } }`, map[string]any{"t": laptopID}).noErrors(t)
		require.Equal(t, "auth.invalidToken", f.gql(laptop, `{ viewer { isAdmin } }`, nil).Errors[0].Extensions.ID)
	})
}

// TestAuth_SignInEndsThePreviousSession: signing in while holding a valid
// session ends the old one.
func TestAuth_SignInEndsThePreviousSession(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		old := f.session(f.john)
		q := `{ viewer { user { email } } }`
		f.gql(old, q, nil).noErrors(t)

		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", nil)
		req.AddCookie(old.cookie)
		require.NoError(t, f.authn.SignIn(t.Context(), rec, req, f.admin.ID, signInTest))
		cookies := rec.Result().Cookies()
		require.Len(t, cookies, 1)
		fresh := session{cookie: cookies[0], csrf: true}

		require.Equal(t, "admin@acme.com", f.gql(fresh, q, nil).noErrors(t).get(t, "viewer.user.email"))
		res := f.gql(old, q, nil)
		require.Equal(t, http.StatusUnauthorized, res.Status)
		require.Equal(t, "auth.sessionExpired", res.Errors[0].Extensions.ID)
		require.Equal(t, 1, f.client.Session.Query().CountX(f.sys))
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

// TestAuth_DemoSignIn: demo sign-in lists and accepts only the demo
// organization's users, and its sessions are refused in production mode.
func TestAuth_DemoSignIn(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{mode: config.ModeDemo})
	o := e.org(demo.OrganizationName)
	john := e.user(o, "john@acme.com", user.RoleUSER)
	other := e.user(e.org("Initech"), "bill@initech.com", user.RoleADMIN)

	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/auth/demo/users", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var users []struct{ ID, Name, Email, Role, Organization string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &users))
	require.Len(t, users, 1, "only the demo organization's users: %s", rec.Body.String())
	require.Equal(t, id(john.ID), users[0].ID)
	require.Equal(t, "Acme", users[0].Organization)

	for body, status := range map[string]int{
		`{"userID":"nope"}`: 400, `{"userID":"999999"}`: 404, `not json`: 400,
		`{"userID":"` + id(other.ID) + `"}`: 404, // a user of another organization
	} {
		rec = httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/auth/demo/signin", strings.NewReader(body)))
		require.Equal(t, status, rec.Code, body)
		require.Empty(t, rec.Result().Cookies(), body)
	}
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/auth/demo/signin", strings.NewReader(`{"userID":"`+id(john.ID)+`"}`)))
	require.Equal(t, http.StatusNoContent, rec.Code)
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	require.Equal(t, "mailbridge_session", cookies[0].Name)
	demoSession := session{cookie: cookies[0], csrf: true}
	res := e.gql(demoSession, `{ viewer { user { email } } }`, nil).noErrors(t)
	require.Equal(t, "john@acme.com", res.get(t, "viewer.user.email"))
	require.Equal(t, "demo", e.client.Session.Query().OnlyX(e.sys).SignInMethod, "the session records how it was created")

	// Production has no demo sign-in, and refuses (and deletes) sessions
	// that demo sign-in created, e.g. after a switch to production mode.
	p := newEnv(t, d, envOptions{})
	rec = httptest.NewRecorder()
	p.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/auth/demo/users", nil))
	require.Equal(t, http.StatusNotFound, rec.Code)
	res = p.gql(demoSession, `{ viewer { user { email } } }`, nil)
	require.Equal(t, http.StatusUnauthorized, res.Status)
	require.Equal(t, "auth.sessionExpired", res.Errors[0].Extensions.ID)
	require.Zero(t, p.client.Session.Query().CountX(p.sys))
	// Sessions created otherwise still work in production.
	require.Equal(t, "john@acme.com", p.gql(p.session(john), `{ viewer { user { email } } }`, nil).noErrors(t).get(t, "viewer.user.email"))
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
