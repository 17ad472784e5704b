package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"mailbridge/ent/schema/rule"
)

// MicrosoftAccount is one OAuth grant for one Microsoft identity, keyed by
// (tenant_id, object_id) — never by email or UPN, which are mutable. Several
// mailboxes (aliases) can use one grant; Graph limits count per account.
type MicrosoftAccount struct{ ent.Schema }

// Mixin of the MicrosoftAccount.
func (MicrosoftAccount) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the MicrosoftAccount.
func (MicrosoftAccount) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("tenant_id").NotEmpty().MaxLen(64).Immutable(),
		field.String("object_id").NotEmpty().MaxLen(64).Immutable(),
		field.String("user_principal_name").NotEmpty().MaxLen(320),
		field.String("display_name").Optional().MaxLen(200),
		field.String("mail").Optional().Nillable().MaxLen(320),
		// proxy_addresses as Graph returns them ("SMTP:primary",
		// "smtp:alias"): they decide which mailboxes the grant may serve.
		field.Strings("proxy_addresses").Optional(),
		field.Strings("scopes").Optional(),
		field.Enum("status").Values("ACTIVE", "NEEDS_RECONNECT", "PENDING_ADMIN_APPROVAL").Default("ACTIVE"),
		field.String("status_reason").Optional().Nillable().MaxLen(1000),
		// Tokens are encrypted at rest ("v1:<kid>:<ciphertext>"); a CHECK
		// constraint refuses plaintext. They never reach GraphQL.
		field.String("access_token").Optional().Nillable().Sensitive().
			Annotations(entgql.Skip()),
		field.String("refresh_token").Optional().Nillable().Sensitive().
			Annotations(entgql.Skip()),
		field.Time("token_expires_at").Optional().Nillable().
			Annotations(entgql.Skip()),
		// token_version is the compare-and-swap counter of token writes.
		field.Int("token_version").Default(0).
			Annotations(entgql.Skip()),
		// refreshing_until is the cross-instance refresh lease.
		field.Time("refreshing_until").Optional().Nillable().
			Annotations(entgql.Skip()),
		// send_lease_id and send_lease_until are the cross-instance lease
		// of the account's delivery: one sender per Exchange mailbox at a
		// time, so sends never take more than their share of its
		// concurrent requests and pacing counts are exact.
		field.String("send_lease_id").Optional().Nillable().MaxLen(64).
			Annotations(entgql.Skip()),
		field.Time("send_lease_until").Optional().Nillable().
			Annotations(entgql.Skip()),
	}
}

// Edges of the MicrosoftAccount.
func (MicrosoftAccount) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
		edge.To("mailboxes", Mailbox.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of the MicrosoftAccount.
func (MicrosoftAccount) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "tenant_id", "object_id").Unique(),
		index.Fields("user_id"),
	}
}

// Annotations of the MicrosoftAccount.
func (MicrosoftAccount) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
		entsql.Checks(map[string]string{
			"microsoft_account_access_token_encrypted":  "access_token IS NULL OR access_token LIKE 'v1:%'",
			"microsoft_account_refresh_token_encrypted": "refresh_token IS NULL OR refresh_token LIKE 'v1:%'",
		}),
	}
}

// Policy of the MicrosoftAccount: users reach their own grants, admins the organization's.
func (MicrosoftAccount) Policy() ent.Policy { return rule.OwnerPolicy("user_id") }
