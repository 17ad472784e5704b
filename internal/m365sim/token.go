package m365sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// RefreshGrant is one refresh-token family: the grant a sign-in created,
// renewed by every refresh (each refresh returns a new token of the family).
type RefreshGrant struct {
	ID       string
	TenantID string
	UserID   string
	ClientID string
	// Scopes are the OIDC scopes and Graph permissions granted at sign-in.
	Scopes []string
	// AuthTime is when the user authenticated; tokens of the family die when
	// the user's TokensValidFrom moves past it (AADSTS50173).
	AuthTime   time.Time
	CreatedAt  time.Time
	LastUsedAt time.Time
	// FailCode, when set, makes every refresh of the family fail with that
	// AADSTS code (see RevokeGrants).
	FailCode int
	// Revoked is set when strict rotation saw a rotated token reused.
	Revoked bool
}

// refreshTokenRecord is one issued refresh token.
type refreshTokenRecord struct {
	GrantID  string
	IssuedAt time.Time
	// Used is set once the token was redeemed; strict rotation revokes the
	// family when a used token comes back.
	Used bool
}

// TokenRequest is one logged POST to the token endpoint.
type TokenRequest struct {
	Time       time.Time
	Tenant     string // {tenant} path segment
	GrantType  string
	ClientID   string
	AuthMethod string // client_secret_basic, client_secret_post, private_key_jwt or none
	Status     int
	Error      string // OAuth error value; empty on success
	ErrorCode  int    // AADSTS code; 0 on success
}

// tokenResponse is the token endpoint's success body, fields in
// Microsoft's order (MICROSOFT.md §1.3).
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
}

// tokenHash keys refresh tokens in the state.
func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// handleToken serves POST /{tenant}/oauth2/v2.0/token.
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.writeTokenError(w, r, aadErr("invalid_request", 900561, "The endpoint only accepts POST, OPTIONS requests. Received a %s request.", r.Method))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.writeTokenError(w, r, aadErr("invalid_request", 90100, "The request body could not be parsed: %v.", err))
		return
	}
	form := r.PostForm
	s.mu.Lock()
	s.sweepIdentityLocked(s.now())
	resp, method, clientID, e := s.tokenLocked(r, form)
	entry := TokenRequest{
		Time: s.now(), Tenant: r.PathValue("tenant"), GrantType: form.Get("grant_type"),
		ClientID: clientID, AuthMethod: method, Status: http.StatusOK,
	}
	if e != nil {
		entry.Status, entry.Error, entry.ErrorCode = cmpOr(e.Status, http.StatusBadRequest), e.Error, e.Code
	}
	if len(s.rt.identity.tokenLog) >= maxTokenLog {
		s.rt.identity.tokenLog = slices.Delete(s.rt.identity.tokenLog, 0, len(s.rt.identity.tokenLog)-maxTokenLog+1)
	}
	s.rt.identity.tokenLog = append(s.rt.identity.tokenLog, entry)
	s.mu.Unlock()
	if e != nil {
		s.log.Debug("token request failed", "grant_type", entry.GrantType, "client_id", clientID, "code", e.Code)
		s.writeTokenError(w, r, e)
		return
	}
	writeTokenJSON(w, http.StatusOK, resp)
}

// tokenLocked authenticates the client and runs the grant. s.mu must be
// held.
func (s *Sim) tokenLocked(r *http.Request, form url.Values) (*tokenResponse, string, string, *aadError) {
	seg := r.PathValue("tenant")
	ref, ok := s.resolveTenantLocked(seg)
	if !ok {
		return nil, "", form.Get("client_id"), unknownTenantError(seg)
	}
	app, method, clientID, e := s.authenticateClientLocked(r, form, ref)
	if e != nil {
		return nil, method, clientID, e
	}
	if e := s.appTenantErrorLocked(ref, app); e != nil {
		return nil, method, clientID, e
	}
	var resp *tokenResponse
	switch gt := form.Get("grant_type"); gt {
	case "":
		e = aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
	case "authorization_code":
		resp, e = s.redeemCodeLocked(r, form, ref, app)
	case "refresh_token":
		resp, e = s.redeemRefreshLocked(r, form, ref, app)
	default:
		e = aadErr("unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", gt)
	}
	return resp, method, clientID, e
}

// authenticateClientLocked checks client credentials sent with HTTP Basic
// (URL-decoded, as x/oauth2 URL-encodes them) or in the body. s.mu must be
// held.
func (s *Sim) authenticateClientLocked(r *http.Request, form url.Values, ref tenantRef) (*App, string, string, *aadError) {
	clientID, secret := form.Get("client_id"), form.Get("client_secret")
	method := "none"
	basicUser, basicPass, isBasic := r.BasicAuth()
	if isBasic {
		method = "client_secret_basic"
		id, err1 := url.QueryUnescape(basicUser)
		pw, err2 := url.QueryUnescape(basicPass)
		if err1 != nil || err2 != nil {
			return nil, method, clientID, aadErr("invalid_client", 7000215, "Invalid client secret provided. The Basic authorization header could not be decoded.").withStatus(http.StatusUnauthorized)
		}
		clientID, secret = cmpOr(id, clientID), pw
	} else if secret != "" {
		method = "client_secret_post"
	}
	assertion := form.Get("client_assertion")
	if assertion != "" {
		method = "private_key_jwt"
	}
	if clientID == "" {
		return nil, method, "", aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
	}
	app, ok := s.st.Apps[clientID]
	if !ok {
		return nil, method, clientID, appNotFoundError(clientID, directoryName(ref))
	}
	policy := s.appPolicyLocked(app.ClientID)
	if app.PublicClient {
		if isBasic && (policy.RejectPublicClientBasicAuth || s.st.Identity.Policy.RejectPublicClientBasicAuth) {
			return nil, method, clientID, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		}
		if secret != "" || assertion != "" {
			return nil, method, clientID, aadErr("invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.").withStatus(http.StatusUnauthorized)
		}
		return app, method, clientID, nil
	}
	if assertion != "" {
		return nil, method, clientID, aadErr("invalid_client", 700027, "Client assertion failed signature validation. The certificate with which the assertion was signed is not registered on application '%s'.", app.ClientID).withStatus(http.StatusUnauthorized)
	}
	if secret == "" {
		return nil, method, clientID, aadErr("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.").withStatus(http.StatusUnauthorized)
	}
	for _, sec := range app.Secrets {
		if sec.Value != secret {
			continue
		}
		if !sec.ExpiresAt.IsZero() && !s.now().Before(sec.ExpiresAt) {
			return nil, method, clientID, s.catalogErrorLocked(7000222, faultContext{app: app})
		}
		return app, method, clientID, nil
	}
	return nil, method, clientID, aadErr("invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.ClientID).withStatus(http.StatusUnauthorized)
}

// faultContext is the live data failure messages mention.
type faultContext struct {
	app       *App
	user      *User
	issuedAt  time.Time
	validFrom time.Time
}

// catalogErrorLocked builds the error for an AADSTS code of
// tokenFaultCatalog, filling its message; unknown codes get a generic
// invalid_grant. s.mu must be held.
func (s *Sim) catalogErrorLocked(code int, fc faultContext) *aadError {
	tmpl, ok := tokenFaultCatalog[code]
	if !ok {
		return aadErr("invalid_grant", code, "The request failed with an error injected by the emulator.")
	}
	e := tmpl
	e.Code = code
	issued := fc.issuedAt.UTC().Format("2006-01-02T15:04:05.0000000Z")
	clientID, appName := "", ""
	if fc.app != nil {
		clientID, appName = fc.app.ClientID, fc.app.DisplayName
	}
	switch code {
	case 700082, 700084, 70043:
		e.Message = fmt.Sprintf(tmpl.Message, issued)
	case 50173:
		e.Message = fmt.Sprintf(tmpl.Message, issued, fc.validFrom.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	case 65001:
		e.Message = fmt.Sprintf(tmpl.Message, clientID, appName)
	case 50076, 50079:
		e.Message = fmt.Sprintf(tmpl.Message, GraphResourceAppID)
	case 7000222, 90009:
		e.Message = fmt.Sprintf(tmpl.Message, clientID)
	}
	return &e
}

// redeemCodeLocked runs grant_type=authorization_code. s.mu must be held.
func (s *Sim) redeemCodeLocked(r *http.Request, form url.Values, ref tenantRef, app *App) (*tokenResponse, *aadError) {
	raw := form.Get("code")
	if raw == "" {
		return nil, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'code'.")
	}
	c, ok := s.rt.identity.codes[raw]
	if !ok {
		return nil, aadErr("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
	}
	u := s.st.Users[c.userID]
	switch {
	case c.clientID != app.ClientID:
		return nil, aadErr("invalid_grant", 70000, "The provided value for the 'code' parameter is not valid. The code was issued to a different client.")
	case c.redeemed:
		return nil, aadErr("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
	case !s.now().Before(c.expiresAt):
		return nil, s.catalogErrorLocked(70008, faultContext{app: app})
	case u == nil:
		return nil, aadErr("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
	case ref.kind == tenantSpecific && ref.tenant.ID != c.tenantID:
		return nil, aadErr("invalid_grant", 700005, "Provided Authorization Code is intended to use against other tenant, hence rejected.")
	}
	redirect := form.Get("redirect_uri")
	if redirect == "" {
		return nil, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'redirect_uri'.")
	}
	if redirect != c.redirectURI {
		return nil, aadErr("invalid_grant", 50011, "The redirect URI '%s' specified in the request does not match the redirect URI '%s' provided when requesting the authorization code.", redirect, c.redirectURI)
	}
	if c.challenge != "" && !pkceMatches(c.challenge, c.method, form.Get("code_verifier")) {
		return nil, aadErr("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
	}
	if e := s.takeFaultLocked("authorization_code", u, app); e != nil {
		return nil, e
	}
	scopes := c.scopes
	if raw := form.Get("scope"); raw != "" {
		ss, e := s.narrowScopesLocked(raw, app, u, c.scopes)
		if e != nil {
			return nil, e
		}
		scopes = ss
	}
	if len(scopes.graph) == 0 {
		return nil, s.catalogErrorLocked(90009, faultContext{app: app})
	}
	if missing := missingFrom(scopes.graph, s.grantedScopesLocked(u.TenantID, u.ID, app.ClientID)); len(missing) > 0 {
		return nil, s.catalogErrorLocked(65001, faultContext{app: app})
	}
	c.redeemed = true
	var grant *RefreshGrant
	if scopes.has("offline_access") {
		now := s.now()
		grant = &RefreshGrant{
			ID: newID(), TenantID: u.TenantID, UserID: u.ID, ClientID: app.ClientID, Scopes: scopes.all(),
			AuthTime: c.authTime, CreatedAt: now, LastUsedAt: now,
		}
		s.st.Identity.RefreshGrants[grant.ID] = grant
	}
	return s.issueTokensLocked(r, form, u, app, scopes, grant, c.nonce, c.authTime, c.sid), nil
}

// narrowScopesLocked parses the optional scope parameter of a token request:
// it may narrow, never widen, what was granted (only-OIDC is AADSTS90009).
// s.mu must be held.
func (s *Sim) narrowScopesLocked(raw string, app *App, u *User, granted scopeSet) (scopeSet, *aadError) {
	ss, err := parseScopes(raw, app.DisplayName)
	if err != nil {
		se := err.(*scopeError)
		return scopeSet{}, aadErr(se.error, se.code, "%s", se.msg)
	}
	if ss.isDefault {
		ss.graph = granted.graph
	}
	if len(ss.graph) == 0 {
		return scopeSet{}, s.catalogErrorLocked(90009, faultContext{app: app})
	}
	consented := s.grantedScopesLocked(u.TenantID, u.ID, app.ClientID)
	if len(missingFrom(ss.graph, consented)) > 0 {
		return scopeSet{}, s.catalogErrorLocked(65001, faultContext{app: app})
	}
	// OIDC scopes come from the original grant only.
	var oidc []string
	for _, sc := range ss.oidc {
		if granted.has(sc) {
			oidc = append(oidc, sc)
		}
	}
	ss.oidc = oidc
	return ss, nil
}

// redeemRefreshLocked runs grant_type=refresh_token. s.mu must be held.
func (s *Sim) redeemRefreshLocked(r *http.Request, form url.Values, ref tenantRef, app *App) (*tokenResponse, *aadError) {
	raw := form.Get("refresh_token")
	if raw == "" {
		return nil, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.")
	}
	st := &s.st.Identity
	rec, ok := st.RefreshTokens[tokenHash(raw)]
	var g *RefreshGrant
	if ok {
		g = st.RefreshGrants[rec.GrantID]
	}
	if g == nil {
		return nil, aadErr("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
	}
	u := s.st.Users[g.UserID]
	now := s.now()
	strict := st.Policy.StrictRefreshRotation || s.appPolicyLocked(app.ClientID).StrictRefreshRotation
	switch {
	case g.ClientID != app.ClientID:
		return nil, aadErr("invalid_grant", 70000, "The provided value for the 'refresh_token' is not valid. The refresh token was issued to a different client.")
	case u == nil:
		return nil, aadErr("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
	case ref.kind == tenantSpecific && ref.tenant.ID != g.TenantID:
		return nil, aadErr("invalid_grant", 700005, "Provided refresh token is intended to use against other tenant, hence rejected.")
	case g.Revoked:
		return nil, aadErr("invalid_grant", 70000, "The provided value for the 'refresh_token' is not valid. The refresh token family was revoked because a rotated refresh token was reused.")
	case strict && rec.Used:
		g.Revoked = true
		return nil, aadErr("invalid_grant", 70000, "The provided value for the 'refresh_token' is not valid. A rotated refresh token was reused, so the refresh token family was revoked.")
	}
	if e := s.takeFaultLocked("refresh_token", u, app); e != nil {
		return nil, e
	}
	fc := faultContext{app: app, user: u, issuedAt: rec.IssuedAt, validFrom: u.TokensValidFrom}
	switch {
	case g.FailCode != 0:
		return nil, s.catalogErrorLocked(g.FailCode, fc)
	case !now.Before(rec.IssuedAt.Add(s.cfg.RefreshTokenLifetime)):
		return nil, s.catalogErrorLocked(700082, fc)
	case !u.TokensValidFrom.IsZero() && g.AuthTime.Before(u.TokensValidFrom):
		fc.issuedAt = g.AuthTime
		return nil, s.catalogErrorLocked(50173, fc)
	}
	granted := scopeSet{oidc: canonicalOIDC(g.Scopes), graph: canonicalGraph(g.Scopes)}
	if missing := missingFrom(granted.graph, s.grantedScopesLocked(u.TenantID, u.ID, app.ClientID)); len(missing) > 0 {
		return nil, s.catalogErrorLocked(65001, fc)
	}
	scopes := granted
	if raw := form.Get("scope"); raw != "" {
		ss, e := s.narrowScopesLocked(raw, app, u, granted)
		if e != nil {
			return nil, e
		}
		scopes = ss
		scopes.oidc = appendUnique(scopes.oidc, "offline_access") // the family keeps refreshing
	}
	if len(scopes.graph) == 0 {
		return nil, s.catalogErrorLocked(90009, fc)
	}
	rec.Used = true
	g.LastUsedAt = now
	return s.issueTokensLocked(r, form, u, app, scopes, g, "", g.AuthTime, ""), nil
}

// canonicalOIDC and canonicalGraph split stored scope names.
func canonicalOIDC(scopes []string) []string {
	return slices.DeleteFunc(canonicalScopes(scopes), func(s string) bool { return !slices.Contains(oidcScopes, s) })
}

func canonicalGraph(scopes []string) []string {
	return slices.DeleteFunc(canonicalScopes(scopes), func(s string) bool { return slices.Contains(oidcScopes, s) })
}

// issueTokensLocked builds a success response: an access token for Graph
// carrying every consented Graph permission, a new refresh token of grant
// when offline_access was granted, an ID token when openid was. s.mu must be
// held.
func (s *Sim) issueTokensLocked(r *http.Request, form url.Values, u *User, app *App, scopes scopeSet, grant *RefreshGrant, nonce string, authTime time.Time, sid string) *tokenResponse {
	now := s.now()
	// Microsoft puts every permission the user consented to for the resource
	// into the token, not only the requested ones.
	consented := canonicalGraph(s.grantedScopesLocked(u.TenantID, u.ID, app.ClientID))
	out := scopeSet{oidc: scopes.oidc, graph: slices.Clone(scopes.graph)}
	for _, sc := range consented {
		out.graph = appendUnique(out.graph, sc)
	}
	scp := slices.DeleteFunc(slices.Clone(out.oidc), func(s string) bool { return s == "offline_access" })
	scp = append(scp, out.graph...)
	lifetime := s.cfg.AccessTokenLifetime
	if s.st.Identity.Policy.RandomAccessTokenLifetime {
		// "The default lifetime of an access token is variable … assigned a
		// random value ranging between 60-90 minutes (75 minutes on
		// average)" (https://learn.microsoft.com/en-us/entra/identity-platform/configurable-token-lifetimes).
		lifetime = 60*time.Minute + time.Duration(rand.Int64N(int64(30*time.Minute)+1))
	}
	at, exp := s.issueAccessTokenFor(u, app, scp, lifetime)
	secs := int(exp.Sub(now).Seconds())
	resp := &tokenResponse{
		TokenType: "Bearer", Scope: out.responseScope(), ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: at,
	}
	if grant != nil && scopes.has("offline_access") {
		tok := "1.A" + randomToken(64)
		s.st.Identity.RefreshTokens[tokenHash(tok)] = &refreshTokenRecord{GrantID: grant.ID, IssuedAt: now}
		resp.RefreshToken = tok
	}
	if scopes.has("openid") {
		resp.IDToken = s.issueIDToken(r, idTokenInput{user: u, app: app, scopes: scopes, nonce: nonce, authTime: authTime, sid: sid})
	}
	if form.Get("client_info") == "1" {
		ci, _ := json.Marshal(map[string]string{"uid": u.ID, "utid": u.TenantID})
		resp.ClientInfo = b64(ci)
	}
	return resp
}
