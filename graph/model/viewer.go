package model

// Viewer is the GraphQL Viewer: who is calling. Its user, organization and
// mailboxes are resolved lazily (graph/schema.resolvers.go), so asking only
// for isAdmin costs no query.
type Viewer struct {
	UserID  int
	OrgID   int
	IsAdmin bool
}
