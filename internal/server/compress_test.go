package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/frontend"
	"mailbridge/internal/dbtest"
)

// TestCompression_GraphQL checks that GraphQL answers of 1 KB or more are
// gzipped for clients that accept gzip, and identical once decompressed,
// while small answers and clients that do not accept gzip get plain JSON;
// every answer varies by Accept-Encoding.
func TestCompression_GraphQL(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{})
	org := e.org("Acme")
	admin := e.user(org, "admin@acme.com", user.RoleADMIN)
	tok := e.token(admin)
	mb := e.mailbox(admin, "admin@acme.com", connected(mailbox.ProviderOFFICE365_OAUTH), isDefault)
	e.sequenceStates(admin, mb, 30)

	post := func(query, acceptEncoding string) *httptest.ResponseRecorder {
		body, err := json.Marshal(map[string]any{"query": query})
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		tok.apply(req)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Contains(t, rec.Header().Values("Vary"), "Accept-Encoding")
		return rec
	}
	const big = `{ sequenceStates(first: 30) { edges { node { id state currentStep prospect { email } mailbox { address } } } } }`
	plain := post(big, "")
	require.Empty(t, plain.Header().Get("Content-Encoding"))
	require.Greater(t, plain.Body.Len(), 1024)

	for _, ae := range []string{"gzip", "gzip, deflate, br", "br;q=1, gzip;q=0.5", "*"} {
		rec := post(big, ae)
		require.Equal(t, "gzip", rec.Header().Get("Content-Encoding"), ae)
		require.Empty(t, rec.Header().Get("Content-Length"), ae)
		require.Less(t, rec.Body.Len(), plain.Body.Len()/3, ae)
		zr, err := gzip.NewReader(rec.Body)
		require.NoError(t, err, ae)
		got, err := io.ReadAll(zr)
		require.NoError(t, err, ae)
		require.Equal(t, plain.Body.String(), string(got), ae)
	}
	for _, ae := range []string{"br", "gzip;q=0", "identity", "*;q=0"} {
		rec := post(big, ae)
		require.Empty(t, rec.Header().Get("Content-Encoding"), ae)
		require.Equal(t, plain.Body.String(), rec.Body.String(), ae)
	}
	small := post(`{ viewer { isAdmin } }`, "gzip")
	require.Empty(t, small.Header().Get("Content-Encoding"))
	require.JSONEq(t, `{"data":{"viewer":{"isAdmin":true}}}`, small.Body.String())
}

// TestCompression_Assets checks the embedded web app's script through the
// whole handler: brotli or gzip as the browser allows, the original
// otherwise, always as JavaScript and varying by Accept-Encoding.
func TestCompression_Assets(t *testing.T) {
	t.Parallel()
	if !frontend.Built() {
		t.Skip("the web app is not built (make frontend)")
	}
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{})
	get := func(target, acceptEncoding string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Accept", "text/html")
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, target)
		return rec
	}
	script := regexp.MustCompile(`src="(/assets/[^"]+\.js)"`).FindStringSubmatch(get("/", "").Body.String())
	require.Len(t, script, 2, "index.html loads no script")
	raw := get(script[1], "")
	for ae, coding := range map[string]string{"gzip, deflate, br, zstd": "br", "gzip": "gzip", "": ""} {
		rec := get(script[1], ae)
		require.Equal(t, coding, rec.Header().Get("Content-Encoding"), ae)
		require.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript"), rec.Header().Get("Content-Type"))
		require.Contains(t, rec.Header().Values("Vary"), "Accept-Encoding")
		if coding != "" {
			require.Less(t, rec.Body.Len(), raw.Body.Len()/2, ae)
		}
		if coding == "gzip" {
			zr, err := gzip.NewReader(rec.Body)
			require.NoError(t, err)
			got, err := io.ReadAll(zr)
			require.NoError(t, err)
			require.Equal(t, raw.Body.Bytes(), got)
		}
	}
}
