package m365sim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// IdentityPolicy holds emulator-wide identity knobs.
type IdentityPolicy struct {
	// StrictRefreshRotation revokes a refresh-token family when a rotated
	// (already used) refresh token is presented again (RFC 9700 §4.14).
	// Microsoft keeps old refresh tokens valid, which is the default.
	StrictRefreshRotation bool
	// RejectPublicClientBasicAuth answers a public client that sends HTTP
	// Basic credentials with AADSTS900144 ('client_id' missing), as seen
	// with x/oauth2's auto-detected auth style (MICROSOFT.md §1.3).
	RejectPublicClientBasicAuth bool
	// RandomAccessTokenLifetime gives each access token a random lifetime
	// between 60 and 90 minutes, as Entra ID does, instead of
	// Config.AccessTokenLifetime: clients must go by expires_in, never by
	// a fixed hour.
	RandomAccessTokenLifetime bool
}

// AppPolicy holds per-app identity settings that App does not model.
type AppPolicy struct {
	// RequiredScopes are the app's configured API permissions (what
	// ".default" means); empty means User.Read, as for a new registration.
	RequiredScopes []string
	// IDTokenImplicitGrant enables ID tokens from /authorize (response_type
	// "code id_token" or "id_token"); off, they fail with AADSTS700054.
	IDTokenImplicitGrant bool
	// AllowPersonalAccounts lets personal Microsoft accounts (users of the
	// consumer tenant) sign in; off, /consumers answers AADSTS9002332.
	AllowPersonalAccounts bool
	// StrictRefreshRotation is IdentityPolicy.StrictRefreshRotation for this
	// app only.
	StrictRefreshRotation bool
	// RejectPublicClientBasicAuth is IdentityPolicy.RejectPublicClientBasicAuth
	// for this app only.
	RejectPublicClientBasicAuth bool
}

// SetIdentityPolicy replaces the emulator-wide identity knobs.
func (s *Sim) SetIdentityPolicy(p IdentityPolicy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Identity.Policy = p
}

// IdentityPolicy returns the emulator-wide identity knobs.
func (s *Sim) IdentityPolicy() IdentityPolicy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Identity.Policy
}

// SetAppPolicy replaces an app's identity settings.
func (s *Sim) SetAppPolicy(clientID string, p AppPolicy) error {
	if _, err := parseScopes(strings.Join(p.RequiredScopes, " "), clientID); err != nil {
		return fmt.Errorf("m365sim: required scopes: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.Apps[clientID]; !ok {
		return ErrNotFound
	}
	p.RequiredScopes = slices.Clone(p.RequiredScopes)
	s.st.Identity.AppPolicies[clientID] = &p
	return nil
}

// AppPolicy returns an app's identity settings (zero value when none were
// set).
func (s *Sim) AppPolicy(clientID string) AppPolicy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appPolicyLocked(clientID)
}

// RevokeUserSessions is the admin "revoke sessions" action: the user's
// TokensValidFrom moves to now, so every refresh token issued before fails
// with AADSTS50173, and browser sessions must sign in again.
func (s *Sim) RevokeUserSessions(user string) error {
	return s.UpdateUser(user, func(u *User) { u.TokensValidFrom = s.now() })
}

// ResetPassword sets a user's password the way a reset does: it also
// revokes the user's refresh tokens and sessions (AADSTS50173).
func (s *Sim) ResetPassword(user, password string) error {
	if password == "" {
		return errors.New("m365sim: empty password")
	}
	return s.UpdateUser(user, func(u *User) {
		u.Password = password
		u.TokensValidFrom = s.now()
	})
}

// Sign-in errors SetSignInError can make a user's sign-in at /authorize
// end with (reference-error-codes,
// https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).
const (
	// SignInDisabled is AADSTS50057 UserDisabled: an error page, no redirect.
	SignInDisabled = 50057
	// SignInLocked is AADSTS50053 IdsLocked (too many failed sign-ins, or a
	// sign-in from a blocked IP): an error page, no redirect.
	SignInLocked = 50053
	// SignInPasswordExpired is AADSTS50055 InvalidPasswordExpiredPassword:
	// the user must change the password on Microsoft's page first; the app
	// gets no redirect.
	SignInPasswordExpired = 50055
	// SignInMFARequired is AADSTS50076, the MFA interrupt the user could not
	// satisfy: an error redirect with interaction_required.
	SignInMFARequired = 50076
	// SignInBlockedByCA is AADSTS53003 BlockedByConditionalAccess: an error
	// redirect with access_denied.
	SignInBlockedByCA = 53003
)

var signInErrors = map[int]aadError{
	SignInDisabled:        {Error: "invalid_request", Message: "The user account is disabled. The user object in Active Directory backing this account has been disabled. An admin can re-enable this account through PowerShell."},
	SignInLocked:          {Error: "invalid_request", Message: "Your account is locked because you've tried to sign in too many times with an incorrect user ID or password. You can wait a while and try again, or contact your admin."},
	SignInPasswordExpired: {Error: "invalid_request", Message: "The password is expired. The user's password is expired, and therefore their login or session was ended. They will be offered the opportunity to reset it."},
	SignInMFARequired:     {Error: "interaction_required", Message: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'."},
	SignInBlockedByCA:     {Error: "access_denied", Message: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."},
}

// SetSignInError makes every sign-in of a user at /authorize (with a
// password or from a browser session) end with an AADSTS error: one of
// SignInDisabled, SignInLocked, SignInPasswordExpired, SignInMFARequired,
// SignInBlockedByCA; 0 clears it.
func (s *Sim) SetSignInError(user string, code int) error {
	if _, ok := signInErrors[code]; !ok && code != 0 {
		return fmt.Errorf("m365sim: unsupported sign-in error AADSTS%d", code)
	}
	return s.UpdateUser(user, func(u *User) { u.SignInError = code })
}

// signInErrorLocked ends a transaction whose user has a sign-in error:
// on Microsoft's page (disabled, locked, expired password) or with an
// error redirect (MFA, Conditional Access). s.mu must be held.
func (s *Sim) signInErrorLocked(r *http.Request, txn *authTxn, u *User) *flowResult {
	e, ok := signInErrors[u.SignInError]
	if !ok {
		return nil
	}
	e.Code = u.SignInError
	if e.Error == "invalid_request" {
		delete(s.rt.identity.txns, txn.id)
		return s.errorPage(&e)
	}
	return s.errorRedirect(r, txn, &e)
}

// GrantFilter selects refresh-token grants. Empty fields match everything;
// the zero filter selects every grant.
type GrantFilter struct {
	TenantID string
	UserID   string // object ID, UPN or address
	ClientID string
	// RefreshToken selects the family of one issued refresh token.
	RefreshToken string
}

// matchGrantsLocked returns the grants a filter selects. s.mu must be held.
func (s *Sim) matchGrantsLocked(f GrantFilter) ([]*RefreshGrant, error) {
	userID, ok := s.optionalUserIDLocked(f.UserID)
	if !ok {
		return nil, fmt.Errorf("m365sim: user %q: %w", f.UserID, ErrNotFound)
	}
	tenantID := ""
	if f.TenantID != "" {
		t := s.tenantLocked(f.TenantID)
		if t == nil {
			return nil, fmt.Errorf("m365sim: tenant %q: %w", f.TenantID, ErrNotFound)
		}
		tenantID = t.ID
	}
	grantID := ""
	if f.RefreshToken != "" {
		rec, ok := s.st.Identity.RefreshTokens[tokenHash(f.RefreshToken)]
		if !ok {
			return nil, fmt.Errorf("m365sim: refresh token: %w", ErrNotFound)
		}
		grantID = rec.GrantID
	}
	var out []*RefreshGrant
	for _, g := range s.st.Identity.RefreshGrants {
		if (userID == "" || g.UserID == userID) && (tenantID == "" || g.TenantID == tenantID) &&
			(f.ClientID == "" || g.ClientID == f.ClientID) && (grantID == "" || g.ID == grantID) {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b *RefreshGrant) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Grants lists the refresh-token grants a filter selects, oldest first.
func (s *Sim) Grants(f GrantFilter) ([]RefreshGrant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, err := s.matchGrantsLocked(f)
	if err != nil {
		return nil, err
	}
	out := make([]RefreshGrant, 0, len(gs))
	for _, g := range gs {
		c := *g
		c.Scopes = slices.Clone(g.Scopes)
		out = append(out, c)
	}
	return out, nil
}

// FailGrants makes every refresh of the selected grants fail with an AADSTS
// code until cleared with code 0: 70008 (expired), 700082 (inactive),
// 700084 (SPA lifetime), 70043 (sign-in frequency), 50173 (revoked,
// suberror bad_token), 65001 (consent, suberror consent_required), 50076 or
// 50079 (MFA, interaction_required), or any other code as a generic
// invalid_grant. It returns how many grants it changed.
func (s *Sim) FailGrants(f GrantFilter, code int) (int, error) {
	if code < 0 {
		return 0, errors.New("m365sim: negative AADSTS code")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, err := s.matchGrantsLocked(f)
	if err != nil {
		return 0, err
	}
	for _, g := range gs {
		g.FailCode = code
	}
	return len(gs), nil
}

// TokenFault makes the next Count token requests that match fail with an
// AADSTS code (see FailGrants for the codes with Microsoft's exact shape).
// Empty filter fields match everything.
type TokenFault struct {
	Code int
	// Count is how many matching requests fail; 0 means every one until
	// ClearTokenFaults.
	Count int
	// GrantType is "authorization_code", "refresh_token" or empty for both.
	GrantType string
	TenantID  string
	UserID    string // object ID, UPN or address
	ClientID  string
}

// injectedFault is a TokenFault with its remaining count.
type injectedFault struct {
	TokenFault
	unlimited bool
}

// InjectTokenError adds a token fault. Faults are checked in order, after
// client authentication and after the code or refresh token is identified.
func (s *Sim) InjectTokenError(f TokenFault) error {
	if f.Code <= 0 || f.Count < 0 {
		return errors.New("m365sim: a token fault needs a positive AADSTS code and a non-negative count")
	}
	switch f.GrantType {
	case "", "authorization_code", "refresh_token":
	default:
		return fmt.Errorf("m365sim: unknown grant type %q", f.GrantType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	userID, ok := s.optionalUserIDLocked(f.UserID)
	if !ok {
		return fmt.Errorf("m365sim: user %q: %w", f.UserID, ErrNotFound)
	}
	f.UserID = userID
	if f.TenantID != "" {
		t := s.tenantLocked(f.TenantID)
		if t == nil {
			return fmt.Errorf("m365sim: tenant %q: %w", f.TenantID, ErrNotFound)
		}
		f.TenantID = t.ID
	}
	s.rt.identity.faults = append(s.rt.identity.faults, &injectedFault{TokenFault: f, unlimited: f.Count == 0})
	return nil
}

// ClearTokenFaults removes every injected token fault.
func (s *Sim) ClearTokenFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rt.identity.faults = nil
}

// takeFaultLocked consumes the first injected fault matching a request and
// returns its error. s.mu must be held.
func (s *Sim) takeFaultLocked(grantType string, u *User, app *App) *aadError {
	rt := &s.rt.identity
	for i, f := range rt.faults {
		if (f.GrantType != "" && f.GrantType != grantType) || (f.UserID != "" && f.UserID != u.ID) ||
			(f.TenantID != "" && f.TenantID != u.TenantID) || (f.ClientID != "" && f.ClientID != app.ClientID) {
			continue
		}
		if !f.unlimited {
			f.Count--
			if f.Count == 0 {
				rt.faults = slices.Delete(rt.faults, i, i+1)
			}
		}
		return s.catalogErrorLocked(f.Code, faultContext{app: app, user: u, issuedAt: s.now(), validFrom: u.TokensValidFrom})
	}
	return nil
}

// TokenRequests returns the log of token endpoint requests, oldest first.
func (s *Sim) TokenRequests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rt.identity.tokenLog)
}

// registerIdentityControl adds the identity control endpoints under
// /_m365sim/. Each mirrors a Go method:
//
//	GET|PUT /_m365sim/identity/policy                        IdentityPolicy, SetIdentityPolicy
//	GET|PUT /_m365sim/apps/{client}/policy                   AppPolicy, SetAppPolicy
//	POST    /_m365sim/users/{user}/revokeSessions            RevokeUserSessions
//	POST    /_m365sim/users/{user}/resetPassword             ResetPassword ({"Password"})
//	GET     /_m365sim/identity/grants?tenant=&user=&client=  Grants
//	POST    /_m365sim/identity/grants/fail                   FailGrants (GrantFilter fields + "Code")
//	POST    /_m365sim/identity/faults                        InjectTokenError (TokenFault)
//	DELETE  /_m365sim/identity/faults                        ClearTokenFaults
//	GET     /_m365sim/identity/tokenRequests                 TokenRequests
//	GET     /_m365sim/tenants/{tenant}/consentGrants         ConsentGrants
//	POST    /_m365sim/tenants/{tenant}/consentGrants         GrantConsent ({"ClientID","User","Scopes"})
//	POST    /_m365sim/tenants/{tenant}/consentGrants/revoke  RevokeConsent ({"ClientID","User"})
//	GET     /_m365sim/tenants/{tenant}/consentRequests       ConsentRequests
//	POST    /_m365sim/consentRequests/{id}/approve           ApproveConsentRequest ({"Reviewer"})
//	POST    /_m365sim/consentRequests/{id}/deny              DenyConsentRequest ({"Reviewer","Justification"})
func (s *Sim) registerIdentityControl(mux *http.ServeMux) {
	mux.HandleFunc("GET /_m365sim/identity/policy", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, s.IdentityPolicy(), nil)
	})
	mux.HandleFunc("PUT /_m365sim/identity/policy", func(w http.ResponseWriter, r *http.Request) {
		var p IdentityPolicy
		if !decodeControl(w, r, &p) {
			return
		}
		s.SetIdentityPolicy(p)
		writeControl(w, p, nil)
	})
	mux.HandleFunc("GET /_m365sim/apps/{client}/policy", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.App(r.PathValue("client")); !ok {
			writeControl(w, nil, ErrNotFound)
			return
		}
		writeControl(w, s.AppPolicy(r.PathValue("client")), nil)
	})
	mux.HandleFunc("PUT /_m365sim/apps/{client}/policy", func(w http.ResponseWriter, r *http.Request) {
		var p AppPolicy
		if !decodeControl(w, r, &p) {
			return
		}
		writeControl(w, p, ctlErr(s.SetAppPolicy(r.PathValue("client"), p)))
	})
	mux.HandleFunc("POST /_m365sim/users/{user}/revokeSessions", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, map[string]bool{"revoked": true}, ctlErr(s.RevokeUserSessions(r.PathValue("user"))))
	})
	mux.HandleFunc("PUT /_m365sim/users/{user}/signInError", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Code int }
		if !decodeControl(w, r, &in) {
			return
		}
		writeControl(w, in, s.SetSignInError(r.PathValue("user"), in.Code))
	})
	mux.HandleFunc("POST /_m365sim/users/{user}/resetPassword", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Password string }
		if !decodeControl(w, r, &body) {
			return
		}
		writeControl(w, map[string]bool{"reset": true}, ctlErr(s.ResetPassword(r.PathValue("user"), body.Password)))
	})
	mux.HandleFunc("GET /_m365sim/identity/grants", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		gs, err := s.Grants(GrantFilter{TenantID: q.Get("tenant"), UserID: q.Get("user"), ClientID: q.Get("client")})
		writeControl(w, gs, ctlErr(err))
	})
	mux.HandleFunc("POST /_m365sim/identity/grants/fail", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			GrantFilter
			Code int
		}
		if !decodeControl(w, r, &body) {
			return
		}
		n, err := s.FailGrants(body.GrantFilter, body.Code)
		writeControl(w, map[string]int{"changed": n}, ctlErr(err))
	})
	mux.HandleFunc("POST /_m365sim/identity/faults", func(w http.ResponseWriter, r *http.Request) {
		var f TokenFault
		if !decodeControl(w, r, &f) {
			return
		}
		writeControl(w, f, ctlErr(s.InjectTokenError(f)))
	})
	mux.HandleFunc("DELETE /_m365sim/identity/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearTokenFaults()
		writeControl(w, map[string]bool{"cleared": true}, nil)
	})
	mux.HandleFunc("GET /_m365sim/identity/tokenRequests", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, s.TokenRequests(), nil)
	})
	mux.HandleFunc("GET /_m365sim/tenants/{tenant}/consentGrants", tenantListControl(s, s.ConsentGrants))
	mux.HandleFunc("POST /_m365sim/tenants/{tenant}/consentGrants", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ClientID string
			User     string
			Scopes   []string
		}
		if !decodeControl(w, r, &body) {
			return
		}
		writeControl(w, map[string]bool{"granted": true}, ctlErr(s.GrantConsent(r.PathValue("tenant"), body.ClientID, body.User, body.Scopes)))
	})
	mux.HandleFunc("POST /_m365sim/tenants/{tenant}/consentGrants/revoke", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ClientID, User string }
		if !decodeControl(w, r, &body) {
			return
		}
		writeControl(w, map[string]bool{"revoked": true}, ctlErr(s.RevokeConsent(r.PathValue("tenant"), body.ClientID, body.User)))
	})
	mux.HandleFunc("GET /_m365sim/tenants/{tenant}/consentRequests", tenantListControl(s, s.ConsentRequests))
	mux.HandleFunc("POST /_m365sim/consentRequests/{id}/approve", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Reviewer string }
		if r.ContentLength != 0 && !decodeControl(w, r, &body) {
			return
		}
		writeControl(w, map[string]string{"status": string(ConsentRequestApproved)}, ctlErr(s.ApproveConsentRequest(r.PathValue("id"), body.Reviewer)))
	})
	mux.HandleFunc("POST /_m365sim/consentRequests/{id}/deny", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Reviewer, Justification string }
		if !decodeControl(w, r, &body) {
			return
		}
		writeControl(w, map[string]string{"status": string(ConsentRequestDenied)}, ctlErr(s.DenyConsentRequest(r.PathValue("id"), body.Reviewer, body.Justification)))
	})
}

// tenantListControl serves a control GET of a tenant's list, which list
// returns for the {tenant} path value: 404 for an unknown tenant, [] for an
// empty list.
func tenantListControl[T any](s *Sim, list func(tenant string) []T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.Tenant(r.PathValue("tenant")); !ok {
			writeControl(w, nil, ErrNotFound)
			return
		}
		writeControl(w, cmpNilSlice(list(r.PathValue("tenant"))), nil)
	}
}

// ctlErr maps errors wrapping ErrNotFound to a 404 control error, keeping
// their message.
func ctlErr(err error) error {
	if err != nil && err != ErrNotFound && errors.Is(err, ErrNotFound) {
		return controlError{http.StatusNotFound, err.Error()}
	}
	return err
}
