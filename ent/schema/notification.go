package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"mailbridge/ent/schema/rule"
)

// Notification is a message for one user, shown as a banner on their next
// visit until they dismiss it (e.g. an admin's "finish moving your mailbox
// to Microsoft Graph"). Its rows are the record of who was told what, and
// when they saw it.
type Notification struct{ ent.Schema }

// Mixin scopes notifications to an organization.
func (Notification) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}} }

// Fields of Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Int("user_id").Immutable().
			Annotations(entgql.Type("ID")),
		field.Int("created_by_id").Optional().Nillable().Immutable().
			Annotations(entgql.Type("ID")),
		field.Enum("kind").Values("MIGRATION").Immutable(),
		field.String("message").NotEmpty().MaxLen(1000).Immutable(),
		field.Time("seen_at").Optional().Nillable(),
		field.Time("dismissed_at").Optional().Nillable(),
	}
}

// Indexes of Notification: a user's open banners, and the latest per kind.
func (Notification) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "dismissed_at"),
		index.Fields("org_id", "kind", "created_at"),
	}
}

// Annotations of Notification.
func (Notification) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy: users read and dismiss their own; admins create them for users of
// their organization.
func (Notification) Policy() ent.Policy { return rule.OwnerPolicy("user_id") }
