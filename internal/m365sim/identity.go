package m365sim

import "net/http"

// identityState is the identity platform's persisted state. (Owned by the
// identity half; filled in there.)
type identityState struct{}

func (st *identityState) init() {}

// identityRuntime is the identity platform's non-persisted state.
type identityRuntime struct{}

func (rt *identityRuntime) init() {}

// identityHandler serves /{tenant}/... (authorize, token, admin consent,
// discovery, JWKS).
func (s *Sim) identityHandler() http.Handler { return http.NotFoundHandler() }

// registerIdentityControl adds the identity control endpoints.
func (s *Sim) registerIdentityControl(mux *http.ServeMux) {}
