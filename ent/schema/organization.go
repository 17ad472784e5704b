package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"mailbridge/ent/schema/rule"
)

// Organization is a customer: its users, mailboxes and sequences. It is the
// unit of isolation.
type Organization struct{ ent.Schema }

// Mixin of the Organization.
func (Organization) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Organization.
func (Organization) Fields() []ent.Field {
	return []ent.Field{
		// name is unique, so operators can name an organization on the
		// command line without ambiguity.
		field.String("name").NotEmpty().MaxLen(200).Unique(),
		// allow_cross_owner_assignment lets assignMailbox move a user's
		// sequence states to another user's mailbox. Off by default: a
		// state's emails then go out under someone else's name.
		field.Bool("allow_cross_owner_assignment").Default(false),
		// sync_headers_only keeps only the headers of synced messages (no
		// snippet or body).
		field.Bool("sync_headers_only").Default(false),
	}
}

// Policy of the Organization: a viewer sees only their own.
func (Organization) Policy() ent.Policy { return rule.OrganizationPolicy() }

// Annotations of the Organization.
func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
