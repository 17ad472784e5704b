package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"mailbridge/ent/schema/rule"
)

// MigrationSnapshot is one day of an organization's move from EWS to
// Microsoft Graph, recorded by the server (internal/migration) for the
// dashboard's progress chart.
type MigrationSnapshot struct{ ent.Schema }

// Mixin scopes snapshots to an organization.
func (MigrationSnapshot) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of MigrationSnapshot.
func (MigrationSnapshot) Fields() []ent.Field {
	return []ent.Field{
		// Day is the UTC date, YYYY-MM-DD.
		field.String("day").NotEmpty().MaxLen(10),
		field.Int("users_to_migrate").NonNegative(),
		field.Int("mailboxes_on_ews").NonNegative(),
		field.Int("held_emails").NonNegative(),
	}
}

// Indexes of MigrationSnapshot: one row per organization and day.
func (MigrationSnapshot) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "day").Unique(),
	}
}

// Annotations of MigrationSnapshot.
func (MigrationSnapshot) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy: admins read their organization's; the server writes them.
func (MigrationSnapshot) Policy() ent.Policy { return rule.AdminReadPolicy() }
