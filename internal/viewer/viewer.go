// Package viewer carries the authenticated principal of a request through
// its context. Every ent privacy rule reads it, so it is the one place that
// decides whose data a request may reach.
package viewer

import (
	"context"

	"entgo.io/ent/privacy"
)

// Viewer is who is making a request: a signed-in dashboard user, or a
// partner integration acting as a user through an API token.
type Viewer struct {
	UserID     int
	OrgID      int
	Admin      bool // role ADMIN in the organization
	SessionID  int  // set for cookie sessions
	APITokenID int  // set for API-token requests
}

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the request's viewer, or nil when unauthenticated.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// SystemContext marks ctx as trusted system code (authentication lookups,
// demo seeding, the CLI, background jobs that act on behalf of the system):
// ent privacy policies allow it without a viewer. Never derive it from a
// request.
func SystemContext(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}
