package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"mailbridge/ent/schema/rule"

	"mailbridge/ent/schema/schematype"
)

// AuditEvent records who changed which mailbox setting or assignment, when,
// from what to what. Rows are append-only.
type AuditEvent struct{ ent.Schema }

// Mixin of the AuditEvent.
func (AuditEvent) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}} }

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		// actor_id is the user who made the change (nil for the system).
		field.Int("actor_id").Optional().Nillable().Immutable(),
		// api_token_id is set when the change came through an API token.
		field.Int("api_token_id").Optional().Nillable().Immutable().
			Annotations(entgql.Type("ID")),
		// subject_user_id is whose data changed (the mailbox owner).
		field.Int("subject_user_id").Optional().Nillable().Immutable().
			Annotations(entgql.Type("ID")),
		// action is a stable verb, e.g. "mailbox.setSync".
		field.String("action").NotEmpty().MaxLen(100).Immutable(),
		field.String("target_type").NotEmpty().MaxLen(50).Immutable(),
		field.Int("target_id").Optional().Nillable().Immutable().
			Annotations(entgql.Type("ID")),
		field.JSON("changes", []schematype.AuditChange{}).Optional().Immutable().
			Annotations(entgql.Type("[AuditChange!]")),
	}
}

// Edges of the AuditEvent.
func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("actor", User.Type).Field("actor_id").Unique().Immutable(),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "created_at"),
		index.Fields("org_id", "target_type", "target_id"),
		// The audit log filtered by person (who did it, or whose data).
		index.Fields("org_id", "actor_id", "created_at"),
		index.Fields("org_id", "subject_user_id", "created_at"),
	}
}

// Annotations of the AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy of the AuditEvent: users see the events about their own data, admins all of the organization.
func (AuditEvent) Policy() ent.Policy { return rule.OwnerPolicy("subject_user_id") }
