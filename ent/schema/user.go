package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"mailbridge/ent/schema/rule"
)

// User is a person in an organization: an ADMIN or a USER (sales rep). Users
// own mailboxes, sequences and sequence states.
type User struct{ ent.Schema }

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").NotEmpty().MaxLen(320).
			Annotations(entgql.OrderField("EMAIL")),
		field.String("name").NotEmpty().MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("role").Values("ADMIN", "USER").Default("USER"),
		// time_zone is the user's IANA zone; the UI shows their local time
		// and warns before migrating a mailbox during work hours.
		field.String("time_zone").Default("UTC").MaxLen(64),
		// outlook_addin_version is the Outlook add-in version the user last
		// reported (reportOutlookAddinVersion); connecting Graph warns below
		// OUTLOOK_ADDIN_MIN_VERSION.
		field.String("outlook_addin_version").Optional().Nillable().MaxLen(32),
		field.Time("outlook_addin_reported_at").Optional().Nillable(),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("mailboxes", Mailbox.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "email").Unique(),
	}
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy of the User: users change only themselves; admins anyone in the organization.
func (User) Policy() ent.Policy { return rule.SelfMutationPolicy() }
