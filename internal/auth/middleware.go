package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"mailbridge/internal/apperr"
	"mailbridge/internal/viewer"
)

// Method is how a request authenticated.
type Method string

// The methods.
const (
	MethodNone    Method = ""
	MethodSession Method = "session" // cookie: a browser, so CSRF defences apply
	MethodToken   Method = "token"   // Authorization: Bearer: not sent by browsers on their own
)

type stateKey struct{}

type state struct {
	method  Method
	problem *apperr.Error
}

// Middleware authenticates every request: an Authorization header must be
// a valid "Bearer <API token>"; otherwise the session cookie is used. It puts
// the viewer (if any) in the context; handlers that need one call Require.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		st := &state{}
		var (
			v   *viewer.Viewer
			err error
		)
		if h := r.Header.Get("Authorization"); h != "" {
			st.method = MethodToken
			scheme, secret, ok := strings.Cut(h, " ")
			secret = strings.TrimSpace(secret)
			switch {
			case !ok || !strings.EqualFold(scheme, "Bearer") || secret == "":
				st.problem = apperr.Unauthenticated("auth.malformedAuthorization",
					`The Authorization header must be "Bearer <API token>".`)
			default:
				if v, err = s.tokenViewer(ctx, secret); err == nil && v == nil {
					st.problem = apperr.Unauthenticated("auth.invalidToken",
						"This API token is not valid: it is unknown, revoked or expired. Ask an admin for a new one.")
				}
			}
		} else if c, cerr := r.Cookie(s.CookieName()); cerr == nil && c.Value != "" {
			st.method = MethodSession
			if v, err = s.sessionViewer(ctx, c.Value); err == nil && v == nil {
				s.clearCookie(w)
				st.problem = apperr.Unauthenticated("auth.sessionExpired", "Your session has ended. Sign in again.")
			}
		}
		if err != nil {
			// The database is down or the request's deadline passed: the
			// client may retry; the answer is GraphQL-shaped like every
			// other answer of the API.
			s.log.ErrorContext(ctx, "auth: authenticate request", "error", err)
			apperr.WriteGraphQL(w, http.StatusServiceUnavailable, apperr.Unavailable("auth.unavailable",
				"Mailbridge could not check your sign-in (its database did not answer in time). Try again in a moment."))
			return
		}
		if v != nil {
			ctx = viewer.NewContext(ctx, v)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, stateKey{}, st)))
	})
}

// RequestMethod reports how the request in ctx authenticated.
func RequestMethod(ctx context.Context) Method {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		return st.method
	}
	return MethodNone
}

// Require returns the viewer of ctx, or the public error explaining why
// there is none (no credentials, a malformed header, a bad token, an ended
// session).
func Require(ctx context.Context) (*viewer.Viewer, *apperr.Error) {
	if v := viewer.FromContext(ctx); v != nil {
		return v, nil
	}
	if st, ok := ctx.Value(stateKey{}).(*state); ok && st.problem != nil {
		return nil, st.problem
	}
	return nil, apperr.Unauthenticated("auth.required",
		"Sign in to Mailbridge, or send an API token as \"Authorization: Bearer <token>\".")
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
