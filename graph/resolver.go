// Package graph is Mailbridge's GraphQL API: the gqlgen executable schema,
// its thin resolvers, the error presenter and the HTTP handler with its
// limits. Business rules live in internal/ services; resolvers call them.
package graph

import (
	"entgo.io/contrib/entgql"

	"log/slog"

	"mailbridge/ent"
	"mailbridge/internal/auth"
	"mailbridge/internal/mailbox"
)

// Resolver holds the dependencies of the resolvers (dependency injection only).
type Resolver struct {
	client    *ent.Client
	mailboxes *mailbox.Service
	assigner  *mailbox.Assigner
	auth      *auth.Service
	log       *slog.Logger
}

// Deps are what NewHandler needs.
type Deps struct {
	Client    *ent.Client
	Mailboxes *mailbox.Service
	// Assigner runs assignMailbox.
	Assigner *mailbox.Assigner
	Auth     *auth.Service
	Logger   *slog.Logger
	// TxOpener opens each mutation's transaction; txn.Opener shares it
	// with River's InsertTx. Nil uses Client's own transactions.
	TxOpener entgql.TxOpener
}
