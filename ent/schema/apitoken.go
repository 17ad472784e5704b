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

// APIToken lets a partner integration call the GraphQL API as a user of one
// organization (Authorization: Bearer). The secret is shown once at creation;
// only its SHA-256 is stored.
type APIToken struct{ ent.Schema }

// Mixin of the APIToken.
func (APIToken) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		// user_id is the user the token acts as.
		field.Int("user_id").Immutable(),
		// created_by_id is the user who made it: the token's user or an
		// admin (nil from the CLI).
		field.Int("created_by_id").Optional().Nillable().Immutable().
			Annotations(entgql.Type("ID")),
		field.Bytes("token_hash").NotEmpty().Immutable().Sensitive().
			Annotations(entgql.Skip()),
		// prefix is the token's public start ("mbt_1a2b3c4d"), to recognise it.
		field.String("prefix").NotEmpty().MaxLen(32).Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.Time("expires_at").Optional().Nillable().Immutable(),
	}
}

// Edges of the APIToken.
func (APIToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the APIToken.
func (APIToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("token_hash").Unique(),
		index.Fields("org_id", "user_id"),
	}
}

// Policy of the APIToken: organization isolation; users manage the tokens
// acting as them, admins every token of the organization.
func (APIToken) Policy() ent.Policy { return rule.APITokenPolicy() }

// Annotations of the APIToken.
func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
