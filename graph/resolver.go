// Package graph is Mailbridge's GraphQL API: the gqlgen executable schema,
// its thin resolvers, the error presenter and the HTTP handler with its
// limits. Business rules live in internal/ services; resolvers call them.
package graph

import (
	"context"

	"entgo.io/contrib/entgql"

	"log/slog"

	"mailbridge/ent"
	"mailbridge/internal/addin"
	"mailbridge/internal/auth"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/migration"
)

// Resolver holds the dependencies of the resolvers (dependency injection only).
type Resolver struct {
	client    *ent.Client
	mailboxes *mailbox.Service
	assigner  *mailbox.Assigner
	auth      *auth.Service
	office365 Office365
	addin     *addin.Service
	migration *migration.Service
	log       *slog.Logger
}

// Office365 starts Microsoft 365 sign-ins (internal/microsoft.Service).
type Office365 interface {
	// StartConnect returns Microsoft's authorize URL for one of the
	// viewer's own mailboxes.
	StartConnect(ctx context.Context, mailboxID int) (*ent.Mailbox, string, error)
	// Disconnect disconnects one of the viewer's own mailboxes.
	Disconnect(ctx context.Context, mailboxID int) (*ent.Mailbox, error)
	// StartAdminConsent returns Microsoft's admin consent URL (admins only).
	StartAdminConsent(ctx context.Context) (string, error)
	// AddMailbox adds a mailbox for the viewer.
	AddMailbox(ctx context.Context, address string) (*ent.Mailbox, error)
	// RemoveMailbox removes one of the viewer's mailboxes.
	RemoveMailbox(ctx context.Context, mailboxID int) (*ent.Mailbox, error)
}

// Deps are what NewHandler needs.
type Deps struct {
	Client    *ent.Client
	Mailboxes *mailbox.Service
	// Assigner runs assignMailbox.
	Assigner  *mailbox.Assigner
	Auth      *auth.Service
	Office365 Office365 // nil when Microsoft 365 is not configured
	// OutlookAddin records add-in versions and checks the minimum.
	OutlookAddin *addin.Service
	// Migration serves the admin's migration views; nil makes one over
	// Client.
	Migration *migration.Service
	Logger    *slog.Logger
	// TxOpener opens each mutation's transaction; txn.Opener shares it
	// with River's InsertTx. Nil uses Client's own transactions.
	TxOpener entgql.TxOpener
}
