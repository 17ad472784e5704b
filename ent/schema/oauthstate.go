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

// OAuthState is one pending Microsoft sign-in (connect a mailbox, admin
// consent, sign in to Mailbridge). It is stored server-side so whichever
// instance receives Microsoft's redirect can finish the flow; only the
// SHA-256 of the state value is kept. A state is single-use (used_at) and
// short-lived (expires_at).
type OAuthState struct{ ent.Schema }

// Fields of the OAuthState.
func (OAuthState) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("state_hash").NotEmpty().Immutable().Sensitive(),
		field.Enum("purpose").Values("CONNECT", "ADMIN_CONSENT", "SIGN_IN").Immutable(),
		// The organization, user and mailbox the flow is bound to (none for
		// sign-in, which has no user yet).
		field.Int("org_id").Optional().Nillable().Immutable(),
		field.Int("user_id").Optional().Nillable().Immutable(),
		field.Int("mailbox_id").Optional().Nillable().Immutable(),
		// code_verifier is the PKCE secret; it never leaves the server.
		field.String("code_verifier").NotEmpty().Immutable().Sensitive(),
		field.String("nonce").Immutable().Sensitive(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Indexes of the OAuthState.
func (OAuthState) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("state_hash").Unique(),
		index.Fields("expires_at"),
	}
}

// Policy of the OAuthState: only the sign-in code (system context) touches them.
func (OAuthState) Policy() ent.Policy { return rule.SystemOnlyPolicy() }

// Annotations of the OAuthState.
func (OAuthState) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
