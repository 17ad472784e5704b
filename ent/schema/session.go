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
)

// Session is a dashboard sign-in. Only the SHA-256 of the cookie value is
// stored, so a database leak does not leak sessions; rows live in the
// database so several server instances share them.
type Session struct{ ent.Schema }

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("token_hash").NotEmpty().Immutable().Sensitive(),
		field.Int("user_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("last_seen_at").Default(time.Now),
		// expires_at is the absolute end of the session, whatever activity.
		field.Time("expires_at").Immutable(),
		field.String("user_agent").Optional().MaxLen(500),
		// sign_in_method records how the session was created. Sessions from
		// the passwordless demo sign-in ("demo") are refused outside demo
		// mode. Rows from before this column existed were all demo sign-ins.
		field.String("sign_in_method").NotEmpty().MaxLen(32).Default("demo").Immutable(),
	}
}

// Edges of the Session.
func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Session.
func (Session) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("token_hash").Unique(),
		index.Fields("expires_at"),
	}
}

// Policy of the Session: only the auth layer (system context) touches them.
func (Session) Policy() ent.Policy { return rule.SystemOnlyPolicy() }

// Annotations of the Session.
func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
