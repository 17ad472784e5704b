package model

import "mailbridge/internal/migration"

// Migration is the GraphQL Migration: one overview computed per request,
// whose fields read from it (graph/organization.resolvers.go).
type Migration struct {
	Overview *migration.Overview
}
