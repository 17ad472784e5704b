package m365sim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// issuerTemplate is the discovery issuer of the multi-tenant authorities:
// the literal "{tenantid}" placeholder (MICROSOFT.md §1.9).
const issuerTemplate = "{tenantid}"

// issuerFor is the v2.0 issuer of tokens for tenant tid, on the emulator
// origin: {origin}/{tid}/v2.0.
func (s *Sim) issuerFor(r *http.Request, tid string) string {
	return s.baseURL(r) + "/" + tid + "/v2.0"
}

// setDiscoveryHeaders sets the caching and CORS headers Microsoft sends on
// discovery documents and JWKS.
func setDiscoveryHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "max-age=86400, private")
	h.Set("Access-Control-Allow-Origin", "*")
}

// handleDiscovery serves GET /{tenant}/v2.0/.well-known/openid-configuration.
func (s *Sim) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	s.mu.Lock()
	ref, ok := s.resolveTenantLocked(seg)
	s.mu.Unlock()
	if !ok {
		s.writeTokenError(w, r, unknownTenantError(seg))
		return
	}
	// Endpoints keep the segment for the multi-tenant authorities and use
	// the tenant GUID otherwise; the issuer is a template for common and
	// organizations.
	pathTenant, issuerTenant := seg, issuerTemplate
	switch ref.kind {
	case tenantConsumers:
		pathTenant, issuerTenant = "consumers", ConsumerTenantID
	case tenantSpecific:
		pathTenant, issuerTenant = ref.tenant.ID, ref.tenant.ID
	}
	base := s.baseURL(r) + "/" + pathTenant
	doc := map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                s.baseURL(r) + "/" + issuerTenant + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     s.baseURL(r) + "/oidc/userinfo",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"tenant_region_scope":                   "WW",
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
		"rbac_url":                              "https://pas.windows.net",
	}
	if ref.kind != tenantSpecific {
		doc["tenant_region_scope"] = nil
	}
	setDiscoveryHeaders(w)
	_ = json.NewEncoder(w).Encode(doc)
}

// handleJWKS serves GET /{tenant}/discovery/v2.0/keys.
func (s *Sim) handleJWKS(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	s.mu.Lock()
	_, ok := s.resolveTenantLocked(seg)
	s.mu.Unlock()
	if !ok {
		s.writeTokenError(w, r, unknownTenantError(seg))
		return
	}
	jwk := s.key.JWK()
	jwk["x5c"] = []string{base64.StdEncoding.EncodeToString(s.signingCertDER())}
	jwk["issuer"] = s.baseURL(r) + "/" + issuerTemplate + "/v2.0"
	setDiscoveryHeaders(w)
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk}})
}

// signingCertDER returns a self-signed certificate for the signing key, as
// Microsoft publishes in x5c. It is derived from the key, so it is stable
// for a given state file.
func (s *Sim) signingCertDER() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rt.identity.certDER != nil {
		return s.rt.identity.certDER
	}
	sum := sha256.Sum256(s.key.priv.N.Bytes())
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(sum[:16]),
		Subject:      pkix.Name{CommonName: "accounts.accesscontrol.windows.net"},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2049, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &s.key.priv.PublicKey, s.key.priv)
	if err != nil {
		panic("m365sim: self-sign JWKS certificate: " + err.Error()) // only fails on a broken key
	}
	s.rt.identity.certDER = der
	return der
}

// idTokenInput is what an ID token is minted from.
type idTokenInput struct {
	user     *User
	app      *App
	scopes   scopeSet
	nonce    string
	authTime time.Time
	sid      string
	code     string // for c_hash in the hybrid flow; empty otherwise
}

// issueIDToken mints a v2.0 ID token (MICROSOFT.md §1.10): oid, name and
// preferred_username only with the profile scope, email only with the email
// scope, nonce echoed, iss built from tid.
func (s *Sim) issueIDToken(r *http.Request, in idTokenInput) string {
	now := s.now()
	u := in.user
	sub := sha256.Sum256([]byte(u.ID + "|" + in.app.ClientID))
	claims := map[string]any{
		"aud": in.app.ClientID,
		"iss": s.issuerFor(r, u.TenantID),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"tid": u.TenantID,
		"sub": b64(sub[:]),
		"ver": "2.0",
		"aio": randomToken(16),
		"rh":  "0." + randomToken(12),
		"uti": randomToken(8),
	}
	if !in.authTime.IsZero() {
		claims["auth_time"] = in.authTime.Unix()
	}
	if in.sid != "" {
		claims["sid"] = in.sid
	}
	if in.nonce != "" {
		claims["nonce"] = in.nonce
	}
	if u.isPersonal() {
		claims["idp"] = "https://login.live.com"
	}
	if in.scopes.has("profile") {
		claims["oid"] = u.ID
		claims["name"] = u.DisplayName
		claims["preferred_username"] = u.UserPrincipalName
	}
	// email comes from the user's mail attribute: a user whose mail is
	// null gets no email claim, never the UPN (email is an addressable
	// address the user may not have:
	// https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference;
	// issue #7 item 8).
	if in.scopes.has("email") && u.Mail != "" {
		claims["email"] = u.Mail
	}
	if in.code != "" {
		sum := sha256.Sum256([]byte(in.code))
		claims["c_hash"] = b64(sum[:16])
	}
	return s.key.signJWT(claims)
}

// handleUserInfo serves GET /oidc/userinfo (Graph's OIDC UserInfo endpoint,
// which the discovery document points to).
func (s *Sim) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var ac *AccessClaims
	var err error
	if ok {
		ac, err = s.verifyAccessToken(strings.TrimSpace(raw))
	}
	if !ok || err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "InvalidAuthenticationToken", "message": "Access token validation failure."}})
		return
	}
	u, found := s.User(ac.UserID)
	if !found {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	sub := sha256.Sum256([]byte(u.ID + "|" + ac.ClientID))
	info := map[string]any{"sub": b64(sub[:]), "name": u.DisplayName, "family_name": u.Surname, "given_name": u.GivenName}
	if (ac.HasScope("email") || ac.HasScope("User.Read")) && u.Mail != "" {
		info["email"] = u.Mail
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(info)
}
