// Package graph is Mailbridge's GraphQL API: the gqlgen executable schema,
// its thin resolvers, the error presenter and the HTTP handler with its
// limits. Business rules live in internal/ services; resolvers call them.
package graph

import (
	"log/slog"

	"mailbridge/ent"
	"mailbridge/internal/auth"
	"mailbridge/internal/mailbox"
)

// Resolver holds the dependencies of the resolvers (dependency injection only).
type Resolver struct {
	client    *ent.Client
	mailboxes *mailbox.Service
	auth      *auth.Service
	log       *slog.Logger
}

// Deps are what NewHandler needs.
type Deps struct {
	Client    *ent.Client
	Mailboxes *mailbox.Service
	Auth      *auth.Service
	Logger    *slog.Logger
}
