package m365sim

import (
	"net/http"
	"strings"
	"time"
)

// identityState is the identity platform's persisted state: consent grants,
// admin consent requests, refresh-token grants and the identity knobs.
type identityState struct {
	// Grants are delegated permission grants: per user, or tenant-wide
	// (admin consent) when UserID is empty.
	Grants []*ConsentGrant
	// ConsentRequests are admin consent workflow requests.
	ConsentRequests []*ConsentRequest
	// RefreshGrants are refresh-token families by grant ID.
	RefreshGrants map[string]*RefreshGrant
	// RefreshTokens maps the SHA-256 (hex) of each issued refresh token to
	// its record; the token itself is never stored.
	RefreshTokens map[string]*refreshTokenRecord
	// Policy holds the emulator-wide identity knobs.
	Policy IdentityPolicy
	// AppPolicies holds per-app identity settings by client ID.
	AppPolicies map[string]*AppPolicy
}

func (st *identityState) init() {
	if st.RefreshGrants == nil {
		st.RefreshGrants = map[string]*RefreshGrant{}
	}
	if st.RefreshTokens == nil {
		st.RefreshTokens = map[string]*refreshTokenRecord{}
	}
	if st.AppPolicies == nil {
		st.AppPolicies = map[string]*AppPolicy{}
	}
}

// identityRuntime is the identity platform's non-persisted state: browser
// sessions, sign-in transactions, authorization codes, injected faults and
// the token request log. Guarded by Sim.mu.
type identityRuntime struct {
	sessions map[string]*browserSession // by cookie value
	txns     map[string]*authTxn        // by ctx form value
	codes    map[string]*authCode       // by code value
	faults   []*injectedFault
	tokenLog []TokenRequest
	certDER  []byte // self-signed x5c certificate of the signing key
	// lastSweep is when sweepIdentityLocked last scanned.
	lastSweep time.Time
}

func (rt *identityRuntime) init() {
	rt.sessions = map[string]*browserSession{}
	rt.txns = map[string]*authTxn{}
	rt.codes = map[string]*authCode{}
}

// identityHandler serves the identity platform: /{tenant}/... (authorize,
// token, admin consent, discovery, JWKS, the sign-in and consent pages),
// /error and /oidc/userinfo.
func (s *Sim) identityHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.handleJWKS)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", s.handleAuthorize)
	mux.HandleFunc("/{tenant}/oauth2/v2.0/token", s.handleToken)
	mux.HandleFunc("GET /{tenant}/v2.0/adminconsent", s.handleAdminConsent)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", s.handleLogout)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/logout", s.handleLogout)
	mux.HandleFunc("POST /{tenant}/login", s.handleLoginForm)
	mux.HandleFunc("POST /{tenant}/consent", s.handleConsentForm)
	mux.HandleFunc("POST /{tenant}/consent/request", s.handleConsentRequestForm)
	mux.HandleFunc("GET /{tenant}/consent/cancel", s.handleConsentCancel)
	mux.HandleFunc("GET /error", s.handleErrorInfo)
	mux.HandleFunc("GET /oidc/userinfo", s.handleUserInfo)
	return mux
}

// tenantKind is how the {tenant} path segment addresses the directory.
type tenantKind int

const (
	tenantCommon        tenantKind = iota // "common": work and personal accounts
	tenantOrganizations                   // "organizations": work accounts only
	tenantConsumers                       // "consumers" or the consumer GUID
	tenantSpecific                        // a tenant GUID or verified domain
)

// tenantRef is a resolved {tenant} path segment.
type tenantRef struct {
	segment string
	kind    tenantKind
	// tenant is the addressed tenant for tenantSpecific, and the consumer
	// tenant (when one was added) for tenantConsumers.
	tenant *Tenant
}

// resolveTenantLocked resolves a {tenant} path segment. s.mu must be held.
func (s *Sim) resolveTenantLocked(seg string) (tenantRef, bool) {
	ref := tenantRef{segment: seg}
	switch strings.ToLower(seg) {
	case "common":
		ref.kind = tenantCommon
	case "organizations":
		ref.kind = tenantOrganizations
	case "consumers", ConsumerTenantID:
		ref.kind = tenantConsumers
		ref.tenant = s.st.Tenants[ConsumerTenantID]
	default:
		t := s.tenantLocked(seg)
		if t == nil {
			return ref, false
		}
		ref.kind = tenantSpecific
		ref.tenant = t
	}
	return ref, true
}

// unknownTenantError is AADSTS90002 for a {tenant} segment that names no
// tenant.
func unknownTenantError(seg string) *aadError {
	return aadErr("invalid_tenant", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", seg)
}

// appPolicyLocked returns the app's identity settings (defaults when none
// were set). s.mu must be held.
func (s *Sim) appPolicyLocked(clientID string) AppPolicy {
	if p, ok := s.st.Identity.AppPolicies[clientID]; ok {
		return *p
	}
	return AppPolicy{}
}

// isPersonal reports whether the user is a personal Microsoft account (a
// member of the consumer tenant).
func (u *User) isPersonal() bool { return u.TenantID == ConsumerTenantID }

// tenantDisplayName names a tenant in error messages.
func (s *Sim) tenantDisplayNameLocked(tenantID string) string {
	if t, ok := s.st.Tenants[tenantID]; ok && t.DisplayName != "" {
		return t.DisplayName
	}
	return tenantID
}

// userAllowedLocked checks that u may sign in to app through the tenant
// segment ref, and returns the page error otherwise (AADSTS50020, 700016).
// s.mu must be held.
func (s *Sim) userAllowedLocked(ref tenantRef, app *App, u *User) *aadError {
	issuer := "https://sts.windows.net/" + u.TenantID + "/"
	if u.isPersonal() {
		issuer = "live.com"
	}
	switch {
	case ref.kind == tenantSpecific && ref.tenant.ID != u.TenantID,
		ref.kind == tenantOrganizations && u.isPersonal(),
		ref.kind == tenantConsumers && !u.isPersonal():
		target := ref.segment
		if ref.tenant != nil {
			target = cmpOr(ref.tenant.DisplayName, ref.tenant.ID)
		}
		return aadErr("access_denied", 50020, "User account '%s' from identity provider '%s' does not exist in tenant '%s' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account.", u.UserPrincipalName, issuer, target, app.ClientID, app.DisplayName)
	case app.HomeTenantID != "" && app.HomeTenantID != u.TenantID:
		return appNotFoundError(app.ClientID, s.tenantDisplayNameLocked(u.TenantID))
	case u.isPersonal() && !s.appPolicyLocked(app.ClientID).AllowPersonalAccounts:
		return aadErr("access_denied", 50020, "User account '%s' from identity provider 'live.com' does not exist in tenant 'Microsoft Services' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account.", u.UserPrincipalName, app.ClientID, app.DisplayName)
	}
	return nil
}

// appNotFoundError is AADSTS700016.
func appNotFoundError(clientID, directory string) *aadError {
	return aadErr("unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, directory)
}

// appTenantErrorLocked checks an app against the tenant segment before any
// sign-in: single-tenant apps on /common or /organizations (AADSTS50194) or
// on another tenant (AADSTS700016), work-only apps on /consumers
// (AADSTS9002332). s.mu must be held.
func (s *Sim) appTenantErrorLocked(ref tenantRef, app *App) *aadError {
	switch {
	case app.HomeTenantID != "" && (ref.kind == tenantCommon || ref.kind == tenantOrganizations):
		return aadErr("invalid_request", 50194, "Application '%s'(%s) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.", app.ClientID, app.DisplayName)
	case app.HomeTenantID != "" && ref.kind == tenantSpecific && ref.tenant.ID != app.HomeTenantID:
		return appNotFoundError(app.ClientID, cmpOr(ref.tenant.DisplayName, ref.tenant.ID))
	case ref.kind == tenantConsumers && !s.appPolicyLocked(app.ClientID).AllowPersonalAccounts:
		return aadErr("invalid_request", 9002332, "Application '%s'(%s) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.", app.ClientID, app.DisplayName)
	}
	return nil
}

// sweepIdentityLocked drops sign-in transactions older than an hour, codes
// an hour past expiry and refresh tokens past their lifetime. It scans at
// most once a minute of the emulator's clock. s.mu must be held.
func (s *Sim) sweepIdentityLocked(now time.Time) {
	rt := &s.rt.identity
	if !rt.lastSweep.IsZero() && now.Sub(rt.lastSweep) < time.Minute && !now.Before(rt.lastSweep) {
		return
	}
	rt.lastSweep = now
	for k, t := range rt.txns {
		if now.Sub(t.created) > time.Hour {
			delete(rt.txns, k)
		}
	}
	for k, c := range rt.codes {
		if now.Sub(c.expiresAt) > time.Hour {
			delete(rt.codes, k)
		}
	}
	for k, rec := range s.st.Identity.RefreshTokens {
		if now.Sub(rec.IssuedAt) > s.cfg.RefreshTokenLifetime+24*time.Hour {
			delete(s.st.Identity.RefreshTokens, k)
		}
	}
}

// maxTokenLog bounds the token request log kept for tests and demos.
const maxTokenLog = 10_000
