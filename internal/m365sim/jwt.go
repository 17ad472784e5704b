package m365sim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// signingKey is the RSA key that signs ID tokens and access tokens.
type signingKey struct {
	priv *rsa.PrivateKey
	kid  string
}

// loadOrCreateKey takes the key from the persisted state or makes a new one
// (and records it in st so that Save keeps it).
func loadOrCreateKey(st *state) (*signingKey, error) {
	var priv *rsa.PrivateKey
	if st.KeyPEM != "" {
		blk, _ := pem.Decode([]byte(st.KeyPEM))
		if blk == nil {
			return nil, errors.New("m365sim: state holds an unreadable signing key")
		}
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("m365sim: parse signing key: %w", err)
		}
		priv = k
	} else {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("m365sim: generate signing key: %w", err)
		}
		priv = k
		st.KeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	}
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(&priv.PublicKey))
	return &signingKey{priv: priv, kid: b64(sum[:15])}, nil
}

// JWK returns the public key in JWKS form (kty, use, kid, n, e).
func (k *signingKey) JWK() map[string]any {
	return map[string]any{
		"kty": "RSA",
		"use": "sig",
		"kid": k.kid,
		"x5t": k.kid,
		"n":   b64(k.priv.N.Bytes()),
		"e":   b64(big.NewInt(int64(k.priv.E)).Bytes()),
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signJWT signs claims with RS256 and the key's kid in the JOSE header.
func (k *signingKey) signJWT(claims map[string]any) string {
	hdr, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "kid": k.kid})
	body, _ := json.Marshal(claims)
	signing := b64(hdr) + "." + b64(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		panic("m365sim: rsa sign: " + err.Error()) // only fails on a broken key
	}
	return signing + "." + b64(sig)
}

// verifyJWT checks an RS256 signature made by this key and returns the claims.
func (k *signingKey) verifyJWT(raw string) (map[string]any, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("malformed token")
	}
	var hdr struct{ Alg, Kid string }
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &hdr) != nil || hdr.Alg != "RS256" || hdr.Kid != k.kid {
		return nil, errors.New("bad token header")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("bad token signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&k.priv.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, errors.New("bad token signature")
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errors.New("bad token body")
	}
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		return nil, errors.New("bad token body")
	}
	return claims, nil
}

// GraphAudience is the audience of access tokens for Microsoft Graph.
const GraphAudience = "https://graph.microsoft.com"

// AccessClaims is what the Graph half needs to know about a caller.
type AccessClaims struct {
	TokenID   string
	TenantID  string
	UserID    string // object ID
	ClientID  string
	Scopes    []string // short names, e.g. "Mail.Send"
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// HasScope reports whether the token carries scope (case-insensitive).
func (c *AccessClaims) HasScope(scope string) bool {
	for _, s := range c.Scopes {
		if strings.EqualFold(s, scope) {
			return true
		}
	}
	return false
}

// issueAccessToken mints a Graph access token (a JWT the Graph half
// verifies; opaque to clients).
func (s *Sim) issueAccessToken(u *User, app *App, scopes []string) (string, time.Time) {
	return s.issueAccessTokenFor(u, app, scopes, s.cfg.AccessTokenLifetime)
}

// issueAccessTokenFor mints an access token that lives for lifetime.
func (s *Sim) issueAccessTokenFor(u *User, app *App, scopes []string, lifetime time.Duration) (string, time.Time) {
	now := s.now()
	exp := now.Add(lifetime)
	tok := s.key.signJWT(map[string]any{
		"aud":   GraphAudience,
		"iss":   "https://sts.windows.net/" + u.TenantID + "/",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   exp.Unix(),
		"tid":   u.TenantID,
		"oid":   u.ID,
		"upn":   u.UserPrincipalName,
		"appid": app.ClientID,
		"scp":   strings.Join(scopes, " "),
		"uti":   randomToken(8),
		"ver":   "1.0",
	})
	return tok, exp
}

// verifyAccessToken validates a Graph access token: signature, audience,
// expiry. The error text is suitable for an InvalidAuthenticationToken message.
func (s *Sim) verifyAccessToken(raw string) (*AccessClaims, error) {
	c, err := s.key.verifyJWT(raw)
	if err != nil {
		return nil, errors.New("IDX14100: JWT is not well formed")
	}
	str := func(k string) string { v, _ := c[k].(string); return v }
	num := func(k string) time.Time { v, _ := c[k].(float64); return time.Unix(int64(v), 0) }
	if str("aud") != GraphAudience && str("aud") != "00000003-0000-0000-c000-000000000000" {
		return nil, errors.New("Invalid audience.")
	}
	ac := &AccessClaims{
		TokenID:   str("uti"),
		TenantID:  str("tid"),
		UserID:    str("oid"),
		ClientID:  str("appid"),
		Scopes:    strings.Fields(str("scp")),
		IssuedAt:  num("iat"),
		ExpiresAt: num("exp"),
	}
	if !s.now().Before(ac.ExpiresAt) {
		return nil, errors.New("Lifetime validation failed, the token is expired.")
	}
	return ac, nil
}
