package microsoft

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// IDClaims are the ID token claims Mailbridge uses (MICROSOFT.md §1.10).
type IDClaims struct {
	Issuer            string `json:"iss"`
	Audience          any    `json:"aud"` // string, or an array of strings
	Expiry            int64  `json:"exp"`
	NotBefore         int64  `json:"nbf"`
	IssuedAt          int64  `json:"iat"`
	Nonce             string `json:"nonce"`
	TenantID          string `json:"tid"`
	ObjectID          string `json:"oid"`
	Subject           string `json:"sub"`
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	Version           string `json:"ver"`
}

func (c IDClaims) hasAudience(clientID string) bool {
	switch a := c.Audience.(type) {
	case string:
		return a == clientID
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok && s == clientID {
				return true
			}
		}
	}
	return false
}

// errIDToken is the class of every ID token refusal; the detail goes to
// logs only.
var errIDToken = errors.New("microsoft: ID token refused")

// clockSkew is the leeway for exp, nbf and iat.
const clockSkew = 5 * time.Minute

// verifier validates ID tokens from the configured authority: RS256
// signature against the tenant's JWKS (found through OIDC discovery),
// issuer built from the token's tid, audience, expiry and nonce.
type verifier struct {
	discoveryURL string
	clientID     string
	httpClient   *http.Client
	now          func() time.Time

	mu      sync.Mutex
	issuer  string // may hold the {tenantid} template
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// keysTTL bounds how long fetched signing keys are trusted without a refetch.
const keysTTL = 24 * time.Hour

type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

type jwks struct {
	Keys []struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
		Kid string `json:"kid"`
		N   string `json:"n"`
		E   string `json:"e"`
	} `json:"keys"`
}

func (v *verifier) getJSON(ctx context.Context, url string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

// refresh fetches the discovery document and the JWKS.
func (v *verifier) refresh(ctx context.Context) error {
	var d discovery
	if err := v.getJSON(ctx, v.discoveryURL, &d); err != nil {
		return fmt.Errorf("microsoft: OIDC discovery: %w", err)
	}
	if d.Issuer == "" || d.JWKSURI == "" {
		return errors.New("microsoft: OIDC discovery: no issuer or jwks_uri")
	}
	var set jwks
	if err := v.getJSON(ctx, d.JWKSURI, &set); err != nil {
		return fmt.Errorf("microsoft: JWKS: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || k.Kid == "" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.N, "="))
		e, err2 := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.E, "="))
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return errors.New("microsoft: JWKS has no usable RSA signing keys")
	}
	v.mu.Lock()
	v.issuer, v.keys, v.fetched = d.Issuer, keys, v.now()
	v.mu.Unlock()
	return nil
}

// key returns the signing key kid, refetching the JWKS once when the key is
// unknown (Microsoft rolls keys) or the cache is stale.
func (v *verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, string, error) {
	v.mu.Lock()
	k, ok := v.keys[kid]
	iss, stale := v.issuer, v.now().Sub(v.fetched) > keysTTL
	v.mu.Unlock()
	if ok && !stale {
		return k, iss, nil
	}
	if err := v.refresh(ctx); err != nil {
		return nil, "", err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok = v.keys[kid]; !ok {
		return nil, "", fmt.Errorf("%w: unknown signing key %q", errIDToken, kid)
	}
	return k, v.issuer, nil
}

// Verify checks raw and returns its claims. nonce is the value sent on the
// authorization request.
func (v *verifier) Verify(ctx context.Context, raw, nonce string) (*IDClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: not a JWS compact token", errIDToken)
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errIDToken, err)
	}
	if header.Alg != "RS256" {
		return nil, fmt.Errorf("%w: algorithm %q (only RS256)", errIDToken, header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature encoding", errIDToken)
	}
	pub, issuerTemplate, err := v.key(ctx, header.Kid)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return nil, fmt.Errorf("%w: bad signature", errIDToken)
	}
	var c IDClaims
	if err := decodeSegment(parts[1], &c); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", errIDToken, err)
	}
	if c.TenantID == "" || c.ObjectID == "" {
		return nil, fmt.Errorf("%w: no tid or oid (is the profile scope granted?)", errIDToken)
	}
	// For organizations and common, the discovery issuer is a template:
	// the token's issuer must be the one of its own tenant (MICROSOFT.md §1.9).
	wantIss := strings.ReplaceAll(issuerTemplate, "{tenantid}", c.TenantID)
	if c.Issuer != wantIss {
		return nil, fmt.Errorf("%w: issuer %q, want %q", errIDToken, c.Issuer, wantIss)
	}
	if !c.hasAudience(v.clientID) {
		return nil, fmt.Errorf("%w: audience %v is not this app", errIDToken, c.Audience)
	}
	now := v.now()
	if c.Expiry == 0 || now.After(time.Unix(c.Expiry, 0).Add(clockSkew)) {
		return nil, fmt.Errorf("%w: expired", errIDToken)
	}
	if c.NotBefore != 0 && now.Add(clockSkew).Before(time.Unix(c.NotBefore, 0)) {
		return nil, fmt.Errorf("%w: not valid yet", errIDToken)
	}
	if nonce == "" || c.Nonce != nonce {
		return nil, fmt.Errorf("%w: nonce does not match", errIDToken)
	}
	return &c, nil
}

func decodeSegment(seg string, out any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
