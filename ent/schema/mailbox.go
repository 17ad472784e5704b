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

// Mailbox is one email address a user can sync and send with (the design's
// "alias"). Several mailboxes may share one MicrosoftAccount (one OAuth
// grant) when they are addresses of the same Microsoft identity.
type Mailbox struct{ ent.Schema }

// Mixin of the Mailbox.
func (Mailbox) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the Mailbox.
func (Mailbox) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("address").NotEmpty().MaxLen(320).Immutable().
			Annotations(entgql.OrderField("ADDRESS")),
		// provider is unset until the user picks one in the Email Provider
		// drop-down ("Set up account"). EXCHANGE_EWS rows are legacy: Exchange
		// Online blocks EWS, so they are kept only to be migrated to Graph.
		field.Enum("provider").Values("OFFICE365_OAUTH", "EXCHANGE_EWS").Optional().Nillable(),
		field.Enum("connection_state").
			Values("NOT_CONNECTED", "CONNECTED", "PENDING_ADMIN_APPROVAL", "NEEDS_RECONNECT", "ERROR").
			Default("NOT_CONNECTED").
			Annotations(entgql.OrderField("CONNECTION_STATE")),
		// connection_error says in words why the mailbox is in ERROR or
		// NEEDS_RECONNECT.
		field.String("connection_error").Optional().Nillable().MaxLen(1000),
		field.Bool("sync_enabled").Default(false),
		field.Bool("send_enabled").Default(false),
		// is_default marks the user's default mailbox; a partial unique index
		// keeps it to one per user.
		field.Bool("is_default").Default(false),
		field.Int("daily_send_limit").Default(500).Range(1, 10_000),
		field.Int("microsoft_account_id").Optional().Nillable(),
		// Health, shown honestly in the UI.
		// sync_stage: IDLE (not synced yet), INITIAL_SYNC (importing,
		// sync_progress_* count it), INCREMENTAL (active), PAUSED (Syncing
		// off), FAILED (last_sync_error says why).
		field.Enum("sync_stage").Values("IDLE", "INITIAL_SYNC", "INCREMENTAL", "PAUSED", "FAILED").Default("IDLE"),
		// Initial import progress: messages examined so far, and the
		// folders' item count when the import began.
		field.Int("sync_progress_done").Default(0),
		field.Int("sync_progress_total").Optional().Nillable(),
		field.Time("last_synced_at").Optional().Nillable(),
		field.String("last_sync_error").Optional().Nillable().MaxLen(1000),
		field.Time("last_sent_at").Optional().Nillable(),
		field.String("last_send_error").Optional().Nillable().MaxLen(1000),
		field.Time("throttled_until").Optional().Nillable(),
	}
}

// Edges of the Mailbox.
func (Mailbox) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("mailboxes").
			Field("user_id").Unique().Required().Immutable(),
		edge.From("microsoft_account", MicrosoftAccount.Type).Ref("mailboxes").
			Field("microsoft_account_id").Unique(),
	}
}

// Indexes of the Mailbox.
func (Mailbox) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "address").Unique(),
		index.Fields("user_id", "address"),
		// At most one default mailbox per user, enforced by the database.
		index.Fields("user_id").Unique().
			Annotations(entsql.IndexWhere("is_default")).
			StorageKey("mailbox_one_default_per_user"),
		index.Fields("microsoft_account_id"),
		// The organization's mailbox list (Settings > Organization) filtered
		// or sorted by state.
		index.Fields("org_id", "connection_state", "address"),
	}
}

// Annotations of the Mailbox.
func (Mailbox) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy of the Mailbox: users reach their own mailboxes, admins every mailbox of the organization.
func (Mailbox) Policy() ent.Policy { return rule.OwnerPolicy("user_id") }
