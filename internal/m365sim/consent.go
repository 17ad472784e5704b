package m365sim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ConsentGrant is a delegated permission grant (an oAuth2PermissionGrant):
// for one user, or for every user of the tenant when UserID is empty (admin
// consent).
type ConsentGrant struct {
	TenantID  string
	ClientID  string
	UserID    string   // empty: tenant-wide admin consent
	Scopes    []string // canonical names, OIDC scopes included
	GrantedAt time.Time
}

// ConsentRequestStatus is the state of an admin consent request.
type ConsentRequestStatus string

const (
	// ConsentRequestPending waits for a reviewer.
	ConsentRequestPending ConsentRequestStatus = "pending"
	// ConsentRequestApproved granted tenant-wide consent.
	ConsentRequestApproved ConsentRequestStatus = "approved"
	// ConsentRequestDenied was refused with a justification; users may ask
	// again.
	ConsentRequestDenied ConsentRequestStatus = "denied"
)

// ConsentRequest is an admin consent workflow request (MICROSOFT.md §1.8):
// one per tenant and app while pending, collecting every requester.
type ConsentRequest struct {
	ID             string
	TenantID       string
	ClientID       string
	AppDisplayName string
	Scopes         []string
	Requesters     []ConsentRequester
	Status         ConsentRequestStatus
	CreatedAt      time.Time
	// ReviewedBy, ReviewJustification and ReviewedAt are set by approve or
	// deny.
	ReviewedBy          string
	ReviewJustification string
	ReviewedAt          time.Time
}

// ConsentRequester is one user who asked for an app through the workflow.
type ConsentRequester struct {
	UserID            string
	UserPrincipalName string
	Justification     string
	RequestedAt       time.Time
}

// adminGrantOIDC are added to every tenant-wide grant: an admin consenting
// for the organisation also covers signing in and keeping access. (Not
// documented; Microsoft's portal adds them to a web app's configured
// permissions, and MICROSOFT.md §7.3 item 16 requires that users are no
// longer prompted after admin consent.)
var adminGrantOIDC = []string{"openid", "profile", "email", "offline_access"}

// grantedScopesLocked returns every scope the user holds for the app: their
// own grant plus the tenant-wide one. s.mu must be held.
func (s *Sim) grantedScopesLocked(tenantID, userID, clientID string) []string {
	var out []string
	for _, g := range s.st.Identity.Grants {
		if g.TenantID == tenantID && g.ClientID == clientID && (g.UserID == "" || g.UserID == userID) {
			for _, sc := range g.Scopes {
				out = appendUnique(out, sc)
			}
		}
	}
	return out
}

// consentNeedLocked decides consent for a sign-in: missing are the requested
// scopes not yet granted (all of them when force, i.e. prompt=consent);
// blocked are the missing ones the user may not grant alone, by the tenant's
// consent mode and admin-only list or because the permission itself needs
// an admin. s.mu must be held.
func (s *Sim) consentNeedLocked(t *Tenant, u *User, app *App, want []string, force bool) (missing, blocked []string) {
	missing = want
	if !force {
		missing = missingFrom(want, s.grantedScopesLocked(u.TenantID, u.ID, app.ClientID))
	}
	for _, sc := range missing {
		info := scopeCatalog[strings.ToLower(sc)]
		if info.adminOnly || (t.ConsentMode != ConsentUser && scopeListHas(t.AdminOnlyScopes, sc)) {
			blocked = append(blocked, sc)
		}
	}
	return missing, blocked
}

// grantLocked adds scopes to the user's (or, for an empty userID, the
// tenant-wide) grant. s.mu must be held.
func (s *Sim) grantLocked(tenantID, clientID, userID string, scopes []string) {
	if userID == "" {
		scopes = append(slices.Clone(adminGrantOIDC), scopes...)
	}
	for _, g := range s.st.Identity.Grants {
		if g.TenantID == tenantID && g.ClientID == clientID && g.UserID == userID {
			for _, sc := range scopes {
				g.Scopes = appendUnique(g.Scopes, sc)
			}
			g.GrantedAt = s.now()
			return
		}
	}
	g := &ConsentGrant{TenantID: tenantID, ClientID: clientID, UserID: userID, GrantedAt: s.now()}
	for _, sc := range scopes {
		g.Scopes = appendUnique(g.Scopes, sc)
	}
	s.st.Identity.Grants = append(s.st.Identity.Grants, g)
}

// GrantConsent records consent of a tenant's user (or, with user empty, a
// tenant-wide admin consent) to an app's delegated scopes, as if granted on
// the consent page. Scopes may be short or Graph-qualified.
func (s *Sim) GrantConsent(tenant, clientID, user string, scopes []string) error {
	ss, err := parseScopes(strings.Join(scopes, " "), clientID)
	if err != nil {
		return fmt.Errorf("m365sim: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantLocked(tenant)
	if t == nil {
		return fmt.Errorf("m365sim: tenant %q: %w", tenant, ErrNotFound)
	}
	if _, ok := s.st.Apps[clientID]; !ok {
		return fmt.Errorf("m365sim: app %q: %w", clientID, ErrNotFound)
	}
	if ss.isDefault {
		ss.graph = requiredScopes(s.appPolicyLocked(clientID))
	}
	userID := ""
	if user != "" {
		u := s.userLocked(user)
		if u == nil || u.TenantID != t.ID {
			return fmt.Errorf("m365sim: user %q in tenant %s: %w", user, t.ID, ErrNotFound)
		}
		userID = u.ID
	}
	s.grantLocked(t.ID, clientID, userID, ss.all())
	return nil
}

// RevokeConsent removes an app's consent in a tenant: the user's own grant,
// or, with user empty, every grant of the app in the tenant (admin consent
// included). Refresh tokens that relied on it then fail with AADSTS65001.
func (s *Sim) RevokeConsent(tenant, clientID, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantLocked(tenant)
	if t == nil {
		return fmt.Errorf("m365sim: tenant %q: %w", tenant, ErrNotFound)
	}
	userID, ok := s.optionalUserIDLocked(user)
	if !ok {
		return fmt.Errorf("m365sim: user %q: %w", user, ErrNotFound)
	}
	before := len(s.st.Identity.Grants)
	s.st.Identity.Grants = slices.DeleteFunc(s.st.Identity.Grants, func(g *ConsentGrant) bool {
		return g.TenantID == t.ID && g.ClientID == clientID && (userID == "" || g.UserID == userID)
	})
	if len(s.st.Identity.Grants) == before {
		return ErrNotFound
	}
	return nil
}

// ConsentGrants lists the delegated permission grants of a tenant.
func (s *Sim) ConsentGrants(tenant string) []ConsentGrant {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantLocked(tenant)
	if t == nil {
		return nil
	}
	var out []ConsentGrant
	for _, g := range s.st.Identity.Grants {
		if g.TenantID == t.ID {
			c := *g
			c.Scopes = slices.Clone(g.Scopes)
			out = append(out, c)
		}
	}
	return out
}

// ConsentRequests lists a tenant's admin consent requests, oldest first.
func (s *Sim) ConsentRequests(tenant string) []ConsentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantLocked(tenant)
	if t == nil {
		return nil
	}
	var out []ConsentRequest
	for _, cr := range s.st.Identity.ConsentRequests {
		if cr.TenantID == t.ID {
			c := *cr
			c.Scopes = slices.Clone(cr.Scopes)
			c.Requesters = slices.Clone(cr.Requesters)
			out = append(out, c)
		}
	}
	return out
}

// ApproveConsentRequest approves a pending admin consent request: the app
// gets tenant-wide consent to the requested scopes, so the next sign-in of
// any user yields a code without a consent page.
func (s *Sim) ApproveConsentRequest(id, reviewer string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cr, err := s.pendingRequestLocked(id)
	if err != nil {
		return err
	}
	s.grantLocked(cr.TenantID, cr.ClientID, "", cr.Scopes)
	cr.Status, cr.ReviewedBy, cr.ReviewedAt = ConsentRequestApproved, reviewer, s.now()
	return nil
}

// DenyConsentRequest denies a pending admin consent request. Microsoft
// requires a justification, which is sent to the requesters; users may ask
// again afterwards.
func (s *Sim) DenyConsentRequest(id, reviewer, justification string) error {
	if strings.TrimSpace(justification) == "" {
		return errors.New("m365sim: denying a consent request needs a justification")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cr, err := s.pendingRequestLocked(id)
	if err != nil {
		return err
	}
	cr.Status, cr.ReviewedBy, cr.ReviewJustification, cr.ReviewedAt = ConsentRequestDenied, reviewer, justification, s.now()
	return nil
}

// pendingRequestLocked finds a pending consent request. s.mu must be held.
func (s *Sim) pendingRequestLocked(id string) (*ConsentRequest, error) {
	for _, cr := range s.st.Identity.ConsentRequests {
		if cr.ID == id {
			if cr.Status != ConsentRequestPending {
				return nil, fmt.Errorf("m365sim: consent request %s is %s", id, cr.Status)
			}
			return cr, nil
		}
	}
	return nil, ErrNotFound
}

// handleConsentForm serves POST /{tenant}/consent: Accept, Cancel or the
// explicit decline on the consent page (and on the admin consent page).
func (s *Sim) handleConsentForm(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	fr := s.consentStepLocked(r)
	s.mu.Unlock()
	fr.write(w, r)
}

func (s *Sim) consentStepLocked(r *http.Request) *flowResult {
	txn, fr := s.txnFromFormLocked(r, r.PostForm.Get("ctx"))
	if fr != nil {
		return fr
	}
	if txn.stage != stageConsent && txn.stage != stageAdminConsent {
		return s.errorPage(aadErr("invalid_request", 90100, "No consent was requested for this sign-in."))
	}
	u, app := s.st.Users[txn.userID], s.st.Apps[txn.clientID]
	if u == nil || app == nil {
		return s.errorPage(aadErr("invalid_request", 90100, "The signed-in account or the application no longer exists."))
	}
	switch r.PostForm.Get("action") {
	case "accept":
		if txn.kind == txnAdminConsent {
			s.grantLocked(u.TenantID, app.ClientID, "", txn.scopes.all())
			delete(s.rt.identity.txns, txn.id)
			params := []kv{{"admin_consent", "True"}, {"tenant", u.TenantID}, {"scope", txn.scopeRaw}}
			if txn.state != "" {
				params = append(params, kv{"state", txn.state})
			}
			return s.respond(txn, params)
		}
		tenant := s.st.Tenants[u.TenantID]
		forOrg := u.IsAdmin && r.PostForm.Get("consentForOrg") == "true"
		if _, blocked := s.consentNeedLocked(tenant, u, app, txn.scopes.all(), txn.prompt == "consent"); len(blocked) > 0 && !u.IsAdmin {
			return s.adminRequiredPage(txn, app, tenant.ConsentMode == ConsentAdminWorkflow)
		}
		if forOrg {
			s.grantLocked(u.TenantID, app.ClientID, "", txn.scopes.all())
		} else {
			s.grantLocked(u.TenantID, app.ClientID, u.ID, txn.scopes.all())
		}
		return s.finishAuthorizeLocked(r, txn, s.sessionLocked(r))
	case "cancel":
		if txn.kind == txnAdminConsent {
			return s.errorRedirect(r, txn, aadErr("consent_required", 65004, "The resource owner or authorization server denied the request."))
		}
		return s.cancelRedirect(txn)
	case "decline":
		return s.errorRedirect(r, txn, aadErr("access_denied", 65004, "User declined to consent to access the app."))
	}
	return s.errorPage(aadErr("invalid_request", 90100, "The consent form is not valid."))
}

// handleConsentCancel serves GET /{tenant}/consent/cancel, the "Return to
// the application without granting consent" link.
func (s *Sim) handleConsentCancel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	txn, fr := s.txnFromFormLocked(r, r.URL.Query().Get("ctx"))
	if fr == nil {
		fr = s.cancelRedirect(txn)
	}
	s.mu.Unlock()
	fr.write(w, r)
}

// handleConsentRequestForm serves POST /{tenant}/consent/request, the
// "Request approval" button of the AADSTS90095 page. The flow ends on the
// "Request sent" page: Microsoft does not redirect back to the app.
func (s *Sim) handleConsentRequestForm(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	fr := s.consentRequestStepLocked(r)
	s.mu.Unlock()
	fr.write(w, r)
}

func (s *Sim) consentRequestStepLocked(r *http.Request) *flowResult {
	txn, fr := s.txnFromFormLocked(r, r.PostForm.Get("ctx"))
	if fr != nil {
		return fr
	}
	u, app := s.st.Users[txn.userID], s.st.Apps[txn.clientID]
	if txn.stage != stageRequestApproval || u == nil || app == nil {
		return s.errorPage(aadErr("invalid_request", 90100, "No admin approval was requested for this sign-in."))
	}
	now := s.now()
	req := ConsentRequester{UserID: u.ID, UserPrincipalName: u.UserPrincipalName, Justification: r.PostForm.Get("justification"), RequestedAt: now}
	var cr *ConsentRequest
	for _, c := range s.st.Identity.ConsentRequests {
		if c.TenantID == u.TenantID && c.ClientID == app.ClientID && c.Status == ConsentRequestPending {
			cr = c
		}
	}
	if cr == nil {
		cr = &ConsentRequest{ID: newID(), TenantID: u.TenantID, ClientID: app.ClientID, AppDisplayName: app.DisplayName, Status: ConsentRequestPending, CreatedAt: now}
		s.st.Identity.ConsentRequests = append(s.st.Identity.ConsentRequests, cr)
	}
	for _, sc := range txn.scopes.all() {
		cr.Scopes = appendUnique(cr.Scopes, sc)
	}
	cr.Requesters = append(slices.DeleteFunc(cr.Requesters, func(q ConsentRequester) bool { return q.UserID == u.ID }), req)
	delete(s.rt.identity.txns, txn.id)
	return &flowResult{page: &page{Kind: pageRequestSent, Title: "Request sent", AppName: app.DisplayName, Account: u.UserPrincipalName}}
}

// handleAdminConsent serves GET /{tenant}/v2.0/adminconsent (MICROSOFT.md
// §1.7): an admin of the tenant grants the app tenant-wide consent. Every
// redirect, errors included, carries admin_consent=True.
func (s *Sim) handleAdminConsent(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	fr := s.startAdminConsentLocked(r)
	s.mu.Unlock()
	fr.write(w, r)
}

func (s *Sim) startAdminConsentLocked(r *http.Request) *flowResult {
	now := s.now()
	s.sweepIdentityLocked(now)
	q := r.URL.Query()
	ref, app, redirect, fr := s.validateClientLocked(r.PathValue("tenant"), q, true)
	if fr != nil {
		return fr
	}
	txn := &authTxn{
		id: randomToken(16), kind: txnAdminConsent, ref: ref, clientID: app.ClientID, redirectURI: redirect,
		responseTypes: []string{"code"}, responseMode: "query", state: q.Get("state"), scopeRaw: q.Get("scope"),
		loginHint: q.Get("login_hint"), created: now,
	}
	if ref.kind == tenantCommon || ref.kind == tenantConsumers {
		return s.errorRedirect(r, txn, aadErr("invalid_request", 90130, "Application '%s'(%s) is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.", app.ClientID, app.DisplayName))
	}
	if fr := s.parseTxnScopesLocked(r, txn, app); fr != nil {
		return fr
	}
	s.rt.identity.txns[txn.id] = txn
	return s.advanceLocked(r, txn, s.sessionLocked(r))
}

// adminConsentStepLocked shows the admin consent page to a tenant admin and
// the "only an admin can grant" page to anyone else. s.mu must be held.
func (s *Sim) adminConsentStepLocked(txn *authTxn, u *User, app *App) *flowResult {
	if !u.IsAdmin {
		return s.adminRequiredPage(txn, app, false)
	}
	txn.stage = stageAdminConsent
	return &flowResult{page: &page{
		Kind: pageAdminConsent, Title: "Permissions requested", Tenant: txn.ref.segment, Ctx: txn.id,
		AppName: app.DisplayName, Account: u.UserPrincipalName, Scopes: consentLines(txn.scopes.all()),
	}}
}
