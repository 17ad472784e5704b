package microsoft

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestVerifier_Verify(t *testing.T) {
	t.Parallel()
	type testBundle struct {
		v      *verifier
		key    *rsa.PrivateKey
		other  *rsa.PrivateKey
		srvURL string
		now    time.Time
	}
	const clientID, tid, nonce = "app-1", "11111111-2222-3333-4444-555555555555", "n-123"
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		var srvURL string
		mux := http.NewServeMux()
		mux.HandleFunc("GET /organizations/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewEncoder(w).Encode(map[string]string{
				"issuer":   srvURL + "/{tenantid}/v2.0",
				"jwks_uri": srvURL + "/organizations/discovery/v2.0/keys",
			})
		})
		mux.HandleFunc("GET /organizations/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
				"kty": "RSA", "use": "sig", "kid": "k1",
				"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
			}}})
		})
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		srvURL = srv.URL
		now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
		return &testBundle{
			v: &verifier{discoveryURL: srv.URL + "/organizations/v2.0/.well-known/openid-configuration", clientID: clientID,
				httpClient: srv.Client(), now: func() time.Time { return now }},
			key: key, other: other, srvURL: srv.URL, now: now,
		}
	}
	sign := func(t *testing.T, key *rsa.PrivateKey, header, claims map[string]any) string {
		t.Helper()
		enc := func(v any) string {
			b, err := json.Marshal(v)
			require.NoError(t, err)
			return base64.RawURLEncoding.EncodeToString(b)
		}
		signing := enc(header) + "." + enc(claims)
		h := sha256.Sum256([]byte(signing))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
		require.NoError(t, err)
		return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	good := func(b *testBundle) map[string]any {
		return map[string]any{
			"iss": b.srvURL + "/" + tid + "/v2.0", "aud": clientID, "tid": tid, "oid": "oid-1",
			"exp": b.now.Add(time.Hour).Unix(), "nbf": b.now.Add(-time.Minute).Unix(), "iat": b.now.Unix(),
			"nonce": nonce, "ver": "2.0", "preferred_username": "adele@contoso.com",
		}
	}
	header := map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}

	t.Run("Valid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		c, err := b.v.Verify(context.Background(), sign(t, b.key, header, good(b)), nonce)
		require.NoError(t, err)
		require.Equal(t, tid, c.TenantID)
		require.Equal(t, "oid-1", c.ObjectID)
	})
	for name, tc := range map[string]struct {
		mutate func(b *testBundle, c map[string]any)
		key    func(b *testBundle) *rsa.PrivateKey
		header map[string]any
		nonce  string
	}{
		"WrongIssuer": {mutate: func(b *testBundle, c map[string]any) { c["iss"] = "https://evil.example/" + tid + "/v2.0" }},
		"IssuerOfAnotherTenant": {mutate: func(b *testBundle, c map[string]any) {
			c["iss"] = b.srvURL + "/99999999-2222-3333-4444-555555555555/v2.0"
		}},
		"WrongAudience":   {mutate: func(b *testBundle, c map[string]any) { c["aud"] = "another-app" }},
		"Expired":         {mutate: func(b *testBundle, c map[string]any) { c["exp"] = b.now.Add(-time.Hour).Unix() }},
		"NotYetValid":     {mutate: func(b *testBundle, c map[string]any) { c["nbf"] = b.now.Add(time.Hour).Unix() }},
		"WrongNonce":      {nonce: "another"},
		"NoTenant":        {mutate: func(b *testBundle, c map[string]any) { delete(c, "tid") }},
		"ForgedSignature": {key: func(b *testBundle) *rsa.PrivateKey { return b.other }},
		"UnknownKey":      {header: map[string]any{"alg": "RS256", "kid": "k2"}},
		"AlgNone":         {header: map[string]any{"alg": "none", "kid": "k1"}},
		"HS256":           {header: map[string]any{"alg": "HS256", "kid": "k1"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			c := good(b)
			if tc.mutate != nil {
				tc.mutate(b, c)
			}
			key := b.key
			if tc.key != nil {
				key = tc.key(b)
			}
			h := header
			if tc.header != nil {
				h = tc.header
			}
			n := nonce
			if tc.nonce != "" {
				n = tc.nonce
			}
			_, err := b.v.Verify(context.Background(), sign(t, key, h, c), n)
			require.Error(t, err)
		})
	}
	t.Run("Malformed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, raw := range []string{"", "a.b", "a.b.c", strings.Repeat("x", 10)} {
			_, err := b.v.Verify(context.Background(), raw, nonce)
			require.Error(t, err)
		}
	})
}

func TestClassifyAuthorizeError(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		e, sub, desc string
		want         Outcome
		words        string
	}{
		"Declined":         {e: "access_denied", desc: "AADSTS65004: User declined to consent to access the app.", want: OutcomeDeclined, words: "You declined the permissions Mailbridge needs"},
		"BackFromApproval": {e: "access_denied", sub: "cancel", want: OutcomePending, words: "administrator must approve"},
		"AdminRequired":    {e: "access_denied", desc: "AADSTS90094: needs permission", want: OutcomePending},
		"ConsentRequired":  {e: "consent_required", want: OutcomePending},
		"NoConsent":        {e: "invalid_grant", desc: "AADSTS65001: not consented", want: OutcomePending},
		"Locked":           {e: "access_denied", desc: "AADSTS50053: locked", want: OutcomeError, words: "AADSTS50053"},
		"MFA":              {e: "interaction_required", desc: "AADSTS50076: MFA", want: OutcomeError, words: "multi-factor"},
		"Unknown":          {e: "server_error", want: OutcomeError, words: "server_error"},
	} {
		o, reason := classifyAuthorizeError(tc.e, tc.sub, tc.desc)
		require.Equal(t, tc.want, o, name)
		require.Contains(t, reason, tc.words, name)
	}
}
