package m365sim

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// sessionCookie names the emulator's browser session cookie (Microsoft's
// equivalent is ESTSAUTH on login.microsoftonline.com).
const sessionCookie = "ESTSAUTH"

// txnKind tells an authorize transaction from an admin consent one.
type txnKind int

const (
	txnAuthorize    txnKind = iota // /oauth2/v2.0/authorize
	txnAdminConsent                // /v2.0/adminconsent
)

// txnStage is the last interactive page a transaction showed; form posts
// are accepted only for the page that was shown.
type txnStage string

const (
	stageSignIn          txnStage = ""
	stageConsent         txnStage = "consent"
	stageAdminConsent    txnStage = "adminConsent"
	stageAdminRequired   txnStage = "adminRequired"
	stageRequestApproval txnStage = "requestApproval"
)

// authTxn is one interactive sign-in in progress, from the authorize (or
// admin consent) request to the redirect back to the app.
type authTxn struct {
	id            string
	kind          txnKind
	ref           tenantRef
	clientID      string
	redirectURI   string
	responseTypes []string
	responseMode  string
	scopeRaw      string
	scopes        scopeSet
	state, nonce  string
	challenge     string
	method        string // PKCE method: S256 or plain
	prompt        string
	loginHint     string
	domainHint    string
	pendingUser   string // account typed or picked, awaiting its password
	userID        string // signed-in account
	authTime      time.Time
	stage         txnStage
	created       time.Time
}

// authCode is an issued authorization code.
type authCode struct {
	clientID, userID, tenantID string
	redirectURI                string
	scopes                     scopeSet
	challenge, method          string
	nonce                      string
	authTime                   time.Time
	sid                        string
	expiresAt                  time.Time
	redeemed                   bool
}

// browserSession is the emulator's SSO session for one browser (cookie).
type browserSession struct {
	id           string
	sessionState string               // returned to apps as session_state
	sid          string               // the sid claim of ID tokens
	accounts     []string             // signed-in user IDs, most recent first
	authTime     map[string]time.Time // when each account entered its password
}

// kv is one ordered response parameter.
type kv struct{ k, v string }

// handleAuthorize serves GET and POST /{tenant}/oauth2/v2.0/authorize.
func (s *Sim) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(aadErr("invalid_request", 90100, "The request could not be parsed: %v.", err)).write(w, r)
		return
	}
	s.mu.Lock()
	fr := s.startAuthorizeLocked(r, r.Form)
	s.mu.Unlock()
	fr.write(w, r)
}

// directoryName names the directory of a tenant segment for AADSTS700016.
func directoryName(ref tenantRef) string {
	if ref.tenant != nil {
		return cmpOr(ref.tenant.DisplayName, ref.tenant.ID)
	}
	return ref.segment
}

// validateClientLocked runs the checks whose failures are shown on
// Microsoft's page rather than redirected, because the redirect URI is not
// trusted yet: tenant, client ID, redirect URI, app/tenant fit. s.mu must be
// held.
func (s *Sim) validateClientLocked(seg string, q url.Values, redirectOptional bool) (tenantRef, *App, string, *flowResult) {
	ref, ok := s.resolveTenantLocked(seg)
	if !ok {
		return ref, nil, "", s.errorPage(unknownTenantError(seg))
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		return ref, nil, "", s.errorPage(aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."))
	}
	app, ok := s.st.Apps[clientID]
	if !ok {
		return ref, nil, "", s.errorPage(appNotFoundError(clientID, directoryName(ref)))
	}
	redirect := q.Get("redirect_uri")
	switch {
	case redirect == "" && redirectOptional:
		redirect = app.RedirectURIs[0]
	case redirect == "":
		return ref, nil, "", s.errorPage(aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'redirect_uri'."))
	case !slices.Contains(app.RedirectURIs, redirect):
		return ref, nil, "", s.errorPage(aadErr("invalid_request", 50011, "The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.", redirect, app.ClientID))
	}
	if e := s.appTenantErrorLocked(ref, app); e != nil {
		return ref, nil, "", s.errorPage(e)
	}
	return ref, app, redirect, nil
}

// startAuthorizeLocked validates an authorize request and starts the
// interactive flow. s.mu must be held.
func (s *Sim) startAuthorizeLocked(r *http.Request, q url.Values) *flowResult {
	now := s.now()
	s.sweepIdentityLocked(now)
	ref, app, redirect, fr := s.validateClientLocked(r.PathValue("tenant"), q, false)
	if fr != nil {
		return fr
	}
	txn := &authTxn{
		id: randomToken(16), kind: txnAuthorize, ref: ref, clientID: app.ClientID,
		redirectURI: redirect, responseMode: "query", state: q.Get("state"), nonce: q.Get("nonce"),
		prompt: q.Get("prompt"), loginHint: q.Get("login_hint"), domainHint: q.Get("domain_hint"),
		scopeRaw: q.Get("scope"), created: now,
	}
	// From here on the redirect URI is trusted: protocol errors go back to
	// the app.
	txn.responseTypes = strings.Fields(q.Get("response_type"))
	if len(txn.responseTypes) == 0 {
		return s.errorRedirect(r, txn, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'response_type'."))
	}
	policy := s.appPolicyLocked(app.ClientID)
	for _, rt := range txn.responseTypes {
		switch rt {
		case "code":
		case "id_token":
			if !policy.IDTokenImplicitGrant {
				return s.errorRedirect(r, txn, aadErr("unsupported_response_type", 700054, "response_type 'id_token' is not enabled for the application."))
			}
			txn.responseMode = "fragment"
		case "token":
			return s.errorRedirect(r, txn, aadErr("unsupported_response_type", 700051, "response_type 'token' is not enabled for the application."))
		default:
			return s.errorRedirect(r, txn, aadErr("unsupported_response_type", 700054, "response_type '%s' is not supported for the application.", rt))
		}
	}
	switch mode := q.Get("response_mode"); mode {
	case "":
	case "query", "fragment", "form_post":
		if mode == "query" && slices.Contains(txn.responseTypes, "id_token") {
			return s.errorRedirect(r, txn, aadErr("invalid_request", 90100, "The 'query' response_mode is not allowed when the response contains an id_token. Use 'fragment' or 'form_post'."))
		}
		txn.responseMode = mode
	default:
		return s.errorRedirect(r, txn, aadErr("invalid_request", 90100, "The value '%s' of the 'response_mode' parameter is not valid.", mode))
	}
	if fr := s.parseTxnScopesLocked(r, txn, app); fr != nil {
		return fr
	}
	if slices.Contains(txn.responseTypes, "id_token") {
		if !txn.scopes.has("openid") {
			return s.errorRedirect(r, txn, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'scope' with the value 'openid' when an id_token is requested."))
		}
		if txn.nonce == "" {
			return s.errorRedirect(r, txn, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'nonce'."))
		}
	}
	txn.challenge, txn.method = q.Get("code_challenge"), q.Get("code_challenge_method")
	if txn.challenge == "" && txn.method != "" {
		return s.errorRedirect(r, txn, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'code_challenge'."))
	}
	if txn.challenge != "" {
		if txn.method == "" {
			txn.method = "plain" // RFC 7636 §4.3, MICROSOFT.md §1.2
		}
		if txn.method != "S256" && txn.method != "plain" {
			return s.errorRedirect(r, txn, aadErr("invalid_request", 90100, "The value '%s' of the 'code_challenge_method' parameter is not valid. Supported values are 'S256' and 'plain'.", txn.method))
		}
		if len(txn.challenge) < 43 || len(txn.challenge) > 128 {
			return s.errorRedirect(r, txn, aadErr("invalid_request", 501491, "Invalid size of Code_Challenge parameter."))
		}
	}
	switch txn.prompt {
	case "", "none", "login", "consent", "select_account":
	default:
		return s.errorRedirect(r, txn, aadErr("invalid_request", 90100, "The value '%s' of the 'prompt' parameter is not valid.", txn.prompt))
	}
	s.rt.identity.txns[txn.id] = txn
	return s.advanceLocked(r, txn, s.sessionLocked(r))
}

// requiredScopes are the app's static permissions, which ".default" stands
// for: AppPolicy.RequiredScopes, or User.Read as in a new registration.
func requiredScopes(p AppPolicy) []string {
	if len(p.RequiredScopes) == 0 {
		return []string{"User.Read"}
	}
	var out []string
	for _, sc := range canonicalScopes(p.RequiredScopes) {
		if !slices.Contains(oidcScopes, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// sessionLocked returns the browser session of the request's cookie, or
// nil. s.mu must be held.
func (s *Sim) sessionLocked(r *http.Request) *browserSession {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return s.rt.identity.sessions[c.Value]
}

// sessionAccountsLocked lists the session's accounts that may sign in to
// the transaction's app through its tenant segment (and match domain_hint
// when it names a tenant). s.mu must be held.
func (s *Sim) sessionAccountsLocked(txn *authTxn, sess *browserSession) []*User {
	if sess == nil {
		return nil
	}
	app := s.st.Apps[txn.clientID]
	var hinted *Tenant
	if txn.domainHint != "" {
		hinted = s.tenantLocked(txn.domainHint)
	}
	var out []*User
	for _, id := range sess.accounts {
		u, ok := s.st.Users[id]
		if !ok || s.userAllowedLocked(txn.ref, app, u) != nil || (hinted != nil && hinted.ID != u.TenantID) {
			continue
		}
		if !u.TokensValidFrom.IsZero() && sess.authTime[id].Before(u.TokensValidFrom) {
			continue // sessions revoked since this sign-in
		}
		out = append(out, u)
	}
	return out
}

// advanceLocked moves a transaction to its next step: account selection,
// password, consent, or the redirect back to the app. s.mu must be held.
func (s *Sim) advanceLocked(r *http.Request, txn *authTxn, sess *browserSession) *flowResult {
	if txn.userID == "" {
		accounts := s.sessionAccountsLocked(txn, sess)
		var hinted *User
		if txn.loginHint != "" {
			hinted = s.userByAddressLocked(txn.loginHint)
		}
		inSession := func(u *User) bool {
			return u != nil && slices.ContainsFunc(accounts, func(a *User) bool { return a.ID == u.ID })
		}
		signIn := func(u *User) {
			txn.userID, txn.authTime = u.ID, sess.authTime[u.ID]
		}
		switch {
		case txn.prompt == "none":
			switch {
			case txn.loginHint != "" && inSession(hinted):
				signIn(hinted)
			case txn.loginHint == "" && len(accounts) == 1:
				signIn(accounts[0])
			case len(accounts) == 0 || txn.loginHint != "":
				return s.errorRedirect(r, txn, aadErr("login_required", 50058, "A silent sign-in request was sent but no user is signed in."))
			default:
				return s.errorRedirect(r, txn, aadErr("interaction_required", 16000, "Either multiple user identities are available for the current request or selected account is not supported for the scenario."))
			}
		case txn.prompt == "login":
			return s.accountPromptLocked(txn, hinted)
		case txn.prompt == "select_account":
			if len(accounts) == 0 {
				return s.accountPromptLocked(txn, nil)
			}
			return s.pickPage(txn, accounts)
		case hinted != nil && inSession(hinted):
			signIn(hinted)
		case txn.loginHint != "":
			return s.accountPromptLocked(txn, hinted)
		case len(accounts) == 1:
			signIn(accounts[0])
		case len(accounts) > 1:
			return s.pickPage(txn, accounts)
		default:
			return s.accountPromptLocked(txn, nil)
		}
	}
	u := s.st.Users[txn.userID]
	app := s.st.Apps[txn.clientID]
	if u == nil || app == nil {
		return s.errorPage(aadErr("invalid_request", 90100, "The signed-in account or the application no longer exists."))
	}
	if e := s.userAllowedLocked(txn.ref, app, u); e != nil {
		delete(s.rt.identity.txns, txn.id)
		return s.errorPage(e)
	}
	if fr := s.signInErrorLocked(r, txn, u); fr != nil {
		return fr
	}
	if txn.kind == txnAdminConsent {
		return s.adminConsentStepLocked(txn, u, app)
	}
	tenant := s.st.Tenants[u.TenantID]
	missing, blocked := s.consentNeedLocked(tenant, u, app, txn.scopes.all(), txn.prompt == "consent")
	switch {
	case len(missing) == 0:
		return s.finishAuthorizeLocked(r, txn, sess)
	case txn.prompt == "none":
		return s.errorRedirect(r, txn, aadErr("consent_required", 65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", app.ClientID, app.DisplayName))
	case len(blocked) > 0 && !u.IsAdmin:
		return s.adminRequiredPage(txn, app, tenant.ConsentMode == ConsentAdminWorkflow)
	}
	txn.stage = stageConsent
	return &flowResult{page: &page{
		Kind: pageConsent, Title: "Permissions requested", Tenant: txn.ref.segment, Ctx: txn.id,
		AppName: app.DisplayName, Account: u.UserPrincipalName, Scopes: consentLines(missing),
		ShowOrgBox: u.IsAdmin,
	}}
}

// consentLines turns scope names into consent page lines.
func consentLines(scopes []string) []pageScope {
	out := make([]pageScope, 0, len(scopes))
	for _, sc := range scopes {
		out = append(out, pageScope{Name: sc, Text: scopeCatalog[strings.ToLower(sc)].consentText})
	}
	return out
}

// adminRequiredPage is the AADSTS90094 page (workflow off) or the AADSTS90095
// "Request approval" page (workflow on).
func (s *Sim) adminRequiredPage(txn *authTxn, app *App, workflow bool) *flowResult {
	p := &page{
		Title: "Need admin approval", Tenant: txn.ref.segment, Ctx: txn.id, AppName: app.DisplayName,
		AdminOnlyText: app.DisplayName + " needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.",
		CancelURL:     "/" + txn.ref.segment + "/consent/cancel?ctx=" + txn.id,
	}
	if u := s.st.Users[txn.userID]; u != nil {
		p.Account = u.UserPrincipalName
	}
	if workflow {
		txn.stage = stageRequestApproval
		p.Kind, p.ErrorCode = pageRequestApproval, 90095
	} else {
		txn.stage = stageAdminRequired
		p.Kind, p.ErrorCode = pageAdminRequired, 90094
	}
	return &flowResult{page: p}
}

// accountPromptLocked shows the password page for a known hinted account,
// else the username page. s.mu must be held.
func (s *Sim) accountPromptLocked(txn *authTxn, hinted *User) *flowResult {
	if hinted != nil {
		txn.pendingUser = hinted.ID
		return passwordPage(txn, hinted, "")
	}
	return usernamePage(txn, txn.loginHint, "")
}

func usernamePage(txn *authTxn, hint, errMsg string) *flowResult {
	return &flowResult{page: &page{Kind: pageUsername, Title: "Sign in to your account", Tenant: txn.ref.segment, Ctx: txn.id, Hint: hint, Error: errMsg}}
}

func passwordPage(txn *authTxn, u *User, errMsg string) *flowResult {
	return &flowResult{page: &page{Kind: pagePassword, Title: "Sign in to your account", Tenant: txn.ref.segment, Ctx: txn.id, Account: u.UserPrincipalName, Error: errMsg}}
}

func (s *Sim) pickPage(txn *authTxn, accounts []*User) *flowResult {
	p := &page{Kind: pagePick, Title: "Sign in to your account", Tenant: txn.ref.segment, Ctx: txn.id}
	for _, u := range accounts {
		p.Accounts = append(p.Accounts, pageAccount{ID: u.ID, UPN: u.UserPrincipalName, Name: u.DisplayName})
	}
	return &flowResult{page: p}
}

// handleLoginForm serves POST /{tenant}/login: the username, password and
// account picker forms.
func (s *Sim) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	fr := s.loginStepLocked(r)
	s.mu.Unlock()
	fr.write(w, r)
}

// txnFromFormLocked finds the transaction a page form belongs to. s.mu must
// be held.
func (s *Sim) txnFromFormLocked(r *http.Request, ctx string) (*authTxn, *flowResult) {
	txn, ok := s.rt.identity.txns[ctx]
	if !ok || txn.ref.segment != r.PathValue("tenant") {
		return nil, s.errorPage(aadErr("invalid_request", 90100, "The sign-in request was not found or has expired. Start the sign-in again from the application."))
	}
	return txn, nil
}

func (s *Sim) loginStepLocked(r *http.Request) *flowResult {
	txn, fr := s.txnFromFormLocked(r, r.PostForm.Get("ctx"))
	if fr != nil {
		return fr
	}
	sess := s.sessionLocked(r)
	switch r.PostForm.Get("step") {
	case "username":
		name := strings.TrimSpace(r.PostForm.Get("loginfmt"))
		u := s.userByAddressLocked(name)
		if name == "" || u == nil {
			return usernamePage(txn, name, "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.")
		}
		txn.pendingUser = u.ID
		return passwordPage(txn, u, "")
	case "password":
		u := s.st.Users[txn.pendingUser]
		if u == nil {
			return usernamePage(txn, "", "")
		}
		pw := r.PostForm.Get("passwd")
		if pw == "" {
			return passwordPage(txn, u, "Please enter your password.")
		}
		if subtle.ConstantTimeCompare([]byte(pw), []byte(u.Password)) != 1 {
			return passwordPage(txn, u, "Your account or password is incorrect. If you don't remember your password, reset it now.")
		}
		now := s.now()
		var cookies []*http.Cookie
		if sess == nil {
			sess = &browserSession{id: randomToken(24), sessionState: newID(), sid: newID(), authTime: map[string]time.Time{}}
			s.rt.identity.sessions[sess.id] = sess
			cookies = append(cookies, &http.Cookie{Name: sessionCookie, Value: sess.id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		sess.accounts = append([]string{u.ID}, slices.DeleteFunc(sess.accounts, func(id string) bool { return id == u.ID })...)
		sess.authTime[u.ID] = now
		txn.userID, txn.authTime, txn.pendingUser = u.ID, now, ""
		fr := s.advanceLocked(r, txn, sess)
		fr.cookies = append(fr.cookies, cookies...)
		return fr
	case "pick":
		acct := r.PostForm.Get("account")
		if acct == "other" {
			return usernamePage(txn, "", "")
		}
		for _, u := range s.sessionAccountsLocked(txn, sess) {
			if u.ID != acct {
				continue
			}
			if txn.prompt == "login" {
				txn.pendingUser = u.ID
				return passwordPage(txn, u, "")
			}
			txn.userID, txn.authTime = u.ID, sess.authTime[u.ID]
			return s.advanceLocked(r, txn, sess)
		}
		return s.pickPage(txn, s.sessionAccountsLocked(txn, sess))
	case "switch":
		txn.userID, txn.pendingUser, txn.stage, txn.prompt = "", "", stageSignIn, "login"
		return usernamePage(txn, "", "")
	}
	return s.errorPage(aadErr("invalid_request", 90100, "The sign-in form is not valid."))
}

// finishAuthorizeLocked issues the code (and the ID token in the hybrid
// flow) and redirects back to the app. s.mu must be held.
func (s *Sim) finishAuthorizeLocked(r *http.Request, txn *authTxn, sess *browserSession) *flowResult {
	delete(s.rt.identity.txns, txn.id)
	now := s.now()
	u := s.st.Users[txn.userID]
	app := s.st.Apps[txn.clientID]
	var params []kv
	sid, sessionState := "", ""
	if sess != nil {
		sid, sessionState = sess.sid, sess.sessionState
	}
	code := ""
	if slices.Contains(txn.responseTypes, "code") {
		code = "1.A" + randomToken(48)
		s.rt.identity.codes[code] = &authCode{
			clientID: app.ClientID, userID: u.ID, tenantID: u.TenantID, redirectURI: txn.redirectURI,
			scopes: txn.scopes, challenge: txn.challenge, method: txn.method, nonce: txn.nonce,
			authTime: txn.authTime, sid: sid, expiresAt: now.Add(s.cfg.CodeLifetime),
		}
		params = append(params, kv{"code", code})
	}
	if slices.Contains(txn.responseTypes, "id_token") {
		params = append(params, kv{"id_token", s.issueIDToken(r, idTokenInput{
			user: u, app: app, scopes: txn.scopes, nonce: txn.nonce, authTime: txn.authTime, sid: sid, code: code,
		})})
	}
	if txn.state != "" {
		params = append(params, kv{"state", txn.state})
	}
	if sessionState != "" {
		params = append(params, kv{"session_state", sessionState})
	}
	return s.respond(txn, params)
}

// respond sends parameters back to the app's redirect URI in the
// transaction's response mode: query, fragment, or an auto-submitting
// form_post page.
func (s *Sim) respond(txn *authTxn, params []kv) *flowResult {
	if txn.responseMode == "form_post" {
		p := &page{Kind: pageFormPost, Title: "Working...", FormAction: txn.redirectURI}
		for _, p2 := range params {
			p.FormFields = append(p.FormFields, formField{Name: p2.k, Value: p2.v})
		}
		return &flowResult{page: p}
	}
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.k) + "=" + url.QueryEscape(p.v))
	}
	target := txn.redirectURI
	switch {
	case txn.responseMode == "fragment":
		target += "#" + b.String()
	case strings.Contains(target, "?"):
		target += "&" + b.String()
	default:
		target += "?" + b.String()
	}
	return &flowResult{redirect: target}
}

// parseTxnScopesLocked parses the scope parameter of an authorize or
// admin consent request into txn.scopes, ".default" standing for the app's
// configured permissions. A missing or invalid scope parameter is answered
// with an error redirect, which it returns. s.mu must be held.
func (s *Sim) parseTxnScopesLocked(r *http.Request, txn *authTxn, app *App) *flowResult {
	if txn.scopeRaw == "" {
		return s.errorRedirect(r, txn, aadErr("invalid_request", 900144, "The request body must contain the following parameter: 'scope'."))
	}
	ss, err := parseScopes(txn.scopeRaw, app.DisplayName)
	if err != nil {
		se := err.(*scopeError)
		return s.errorRedirect(r, txn, aadErr(se.error, se.code, "%s", se.msg))
	}
	if ss.isDefault {
		ss.graph = requiredScopes(s.appPolicyLocked(app.ClientID))
	}
	txn.scopes = ss
	return nil
}

// errorRedirect sends an OAuth error back to the app (error,
// error_description with the trace tail, error_uri, state) and ends the
// transaction.
func (s *Sim) errorRedirect(r *http.Request, txn *authTxn, e *aadError) *flowResult {
	delete(s.rt.identity.txns, txn.id)
	desc, _, _, _ := s.describe(e)
	var params []kv
	if txn.kind == txnAdminConsent {
		params = append(params, kv{"admin_consent", "True"})
	}
	params = append(params, kv{"error", e.Error}, kv{"error_description", desc}, kv{"error_uri", s.errorURI(r, e.Code)})
	if txn.state != "" {
		params = append(params, kv{"state", txn.state})
	}
	return s.respond(txn, params)
}

// cancelRedirect is the "user cancelled" answer: access_denied with
// error_subcode=cancel and no description, as MSAL recognises it.
func (s *Sim) cancelRedirect(txn *authTxn) *flowResult {
	delete(s.rt.identity.txns, txn.id)
	var params []kv
	if txn.kind == txnAdminConsent {
		params = append(params, kv{"admin_consent", "True"})
	}
	params = append(params, kv{"error", "access_denied"}, kv{"error_subcode", "cancel"})
	if txn.state != "" {
		params = append(params, kv{"state", txn.state})
	}
	return s.respond(txn, params)
}

// pkceMatches checks a code_verifier against the stored challenge.
func pkceMatches(challenge, method, verifier string) bool {
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = b64(sum[:])
	}
	return verifier != "" && subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// handleLogout serves /{tenant}/oauth2/v2.0/logout: it ends the browser
// session, then redirects to post_logout_redirect_uri (an http or https URL)
// or shows the signed-out page.
func (s *Sim) handleLogout(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	if sess := s.sessionLocked(r); sess != nil {
		delete(s.rt.identity.sessions, sess.id)
	}
	s.mu.Unlock()
	fr := &flowResult{
		page:    &page{Kind: pageSignedOut, Title: "Sign out"},
		cookies: []*http.Cookie{{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true}},
	}
	if target := r.Form.Get("post_logout_redirect_uri"); target != "" {
		if u, err := url.Parse(target); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			fr.redirect = target
		}
	}
	fr.write(w, r)
}

// handleErrorInfo serves GET /error?code=N, the target of error_uri.
func (s *Sim) handleErrorInfo(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("code")
	msg := "See the Microsoft Entra authentication and authorization error codes reference."
	if e, ok := tokenFaultCatalog[atoiOr(code, 0)]; ok {
		msg = strings.ReplaceAll(e.Message, "%s", "…")
	}
	(&flowResult{page: &page{Kind: pageErrorInfo, Title: "AADSTS" + code, ErrorCode: atoiOr(code, 0), ErrorMessage: msg}}).write(w, r)
}

// atoiOr parses a decimal integer, or returns def.
func atoiOr(v string, def int) int {
	n := 0
	if v == "" {
		return def
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return def
		}
		n = n*10 + int(c-'0')
	}
	return n
}
