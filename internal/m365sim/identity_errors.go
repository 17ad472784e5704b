package m365sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// aadError is an identity-platform error: the OAuth error value, the AADSTS
// code and its message, and the optional suberror (MICROSOFT.md §1.6).
type aadError struct {
	Error    string // "invalid_grant", "invalid_client", ...
	Code     int    // AADSTS number
	Message  string // text after "AADSTSnnnn: "
	Suberror string // "bad_token", "consent_required"; empty for none
	Status   int    // HTTP status; 0 means 400
}

// aadErr builds an aadError with a formatted message.
func aadErr(errValue string, code int, format string, args ...any) *aadError {
	return &aadError{Error: errValue, Code: code, Message: fmt.Sprintf(format, args...)}
}

// withSuberror sets the suberror and returns e.
func (e *aadError) withSuberror(sub string) *aadError { e.Suberror = sub; return e }

// withStatus sets the HTTP status and returns e.
func (e *aadError) withStatus(status int) *aadError { e.Status = status; return e }

// tokenFaultCatalog gives the error value, suberror, status and message of
// the failure codes a token request can answer or be made to answer
// (MICROSOFT.md §1.6). catalogErrorLocked fills the %s placeholders.
var tokenFaultCatalog = map[int]aadError{
	70000:   {Error: "invalid_grant", Message: "The provided value for the 'refresh_token' is not valid. The refresh token has been revoked."},
	70008:   {Error: "invalid_grant", Message: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."},
	700082:  {Error: "invalid_grant", Message: "The refresh token has expired due to inactivity. The token was issued on %s and was inactive for 90.00:00:00."},
	700084:  {Error: "invalid_grant", Message: "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which can't be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on %s."},
	70043:   {Error: "invalid_grant", Message: "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on %s and the maximum allowed lifetime for this request is 3600."},
	50173:   {Error: "invalid_grant", Suberror: "bad_token", Message: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '%s' and the TokensValidFrom date (before which tokens are not valid) for this user is '%s'."},
	65001:   {Error: "invalid_grant", Suberror: "consent_required", Message: "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource."},
	50076:   {Error: "interaction_required", Message: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'."},
	50079:   {Error: "interaction_required", Message: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '%s'."},
	53003:   {Error: "invalid_grant", Message: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."},
	50126:   {Error: "invalid_grant", Message: "Error validating credentials due to invalid username or password."},
	7000222: {Error: "invalid_client", Status: http.StatusUnauthorized, Message: "The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."},
	90009:   {Error: "invalid_request", Message: "Application '%s' is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier."},
	50058:   {Error: "invalid_grant", Message: "A silent sign-in request was sent but no user is signed in."},
	50057:   {Error: "invalid_grant", Message: "The user account is disabled."},
	50053:   {Error: "invalid_grant", Message: "The account is locked because the user tried to sign in too many times with an incorrect user ID or password."},
	50055:   {Error: "invalid_grant", Suberror: "user_password_expired", Message: "The password is expired."},
}

// msTimestamp formats a time as Microsoft does in error bodies:
// "2016-01-09 02:02:12Z".
func msTimestamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// errorURI is the error_uri Microsoft attaches, on the emulator's origin.
func (s *Sim) errorURI(r *http.Request, code int) string {
	return s.baseURL(r) + "/error?code=" + strconv.Itoa(code)
}

// describe returns the full error_description with the trace tail, plus the
// ids and timestamp used in it.
func (s *Sim) describe(e *aadError) (desc, traceID, correlationID, ts string) {
	traceID, correlationID = newID(), newID()
	ts = msTimestamp(s.now())
	desc = fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", e.Code, e.Message, traceID, correlationID, ts)
	return desc, traceID, correlationID, ts
}

// writeTokenError answers a token (or discovery) request with Microsoft's
// JSON error body and headers.
func (s *Sim) writeTokenError(w http.ResponseWriter, r *http.Request, e *aadError) {
	desc, traceID, correlationID, ts := s.describe(e)
	body := map[string]any{
		"error":             e.Error,
		"error_description": desc,
		"error_codes":       []int{e.Code},
		"timestamp":         ts,
		"trace_id":          traceID,
		"correlation_id":    correlationID,
		"error_uri":         s.errorURI(r, e.Code),
	}
	if e.Suberror != "" {
		body["suberror"] = e.Suberror
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeTokenJSON(w, status, body)
}

// writeTokenJSON writes a token endpoint response with the headers of
// MICROSOFT.md §1.3.
func writeTokenJSON(w http.ResponseWriter, status int, body any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
