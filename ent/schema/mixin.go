package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"mailbridge/ent/schema/rule"
)

// TimeMixin adds created_at and updated_at.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// OrgMixin scopes an entity to one organization. Its privacy policy is the
// single place where organizations are isolated: every query is filtered by
// the viewer's org_id and every mutation is confined to it, so no resolver,
// node lookup or job can reach another organization's rows.
type OrgMixin struct{ mixin.Schema }

// Fields of the OrgMixin.
func (OrgMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int("org_id").Immutable().
			Annotations(entgql.Skip()),
	}
}

// Edges of the OrgMixin.
func (OrgMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("organization", Organization.Type).
			Field("org_id").Unique().Required().Immutable().
			Annotations(entgql.Skip()),
	}
}

// Policy of the OrgMixin.
func (OrgMixin) Policy() ent.Policy {
	return rule.OrgPolicy()
}
