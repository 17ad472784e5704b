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

// This file holds what mail and calendar sync (internal/mailsync) stores.
// Sync runs per MicrosoftAccount — one Exchange mailbox, whatever alias
// Mailbox rows use it — so messages, events, cursors and subscriptions
// belong to the account, never to an alias.

// SyncedMessage is one message of a synced mailbox that involves at least
// one known prospect (other messages are never stored). It is stored once
// per Microsoft account and Graph id; only headers are kept when the
// organization asks for it (Organization.sync_headers_only).
type SyncedMessage struct{ ent.Schema }

// Mixin of the SyncedMessage.
func (SyncedMessage) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the SyncedMessage.
func (SyncedMessage) Fields() []ent.Field {
	return []ent.Field{
		// user_id is the owner of the Microsoft account (visibility).
		field.Int("user_id").Immutable().Annotations(entgql.Skip()),
		field.Int("microsoft_account_id").Immutable().Annotations(entgql.Skip()),
		field.String("graph_id").NotEmpty().MaxLen(512).Immutable().Annotations(entgql.Skip()),
		field.Enum("folder").Values("INBOX", "SENT_ITEMS"),
		field.String("subject").Default("").MaxLen(998),
		field.String("from_address").Default("").MaxLen(320),
		field.String("from_name").Default("").MaxLen(320),
		field.Strings("to_addresses").Optional(),
		field.Strings("cc_addresses").Optional(),
		field.Time("received_at").Annotations(entgql.OrderField("RECEIVED_AT")),
		field.Time("sent_at").Optional().Nillable(),
		field.String("conversation_id").Default("").MaxLen(512),
		field.String("internet_message_id").Default("").MaxLen(998),
		// Threading headers (RFC 5322 In-Reply-To and References).
		field.String("in_reply_to").Default("").MaxLen(998),
		field.Text("references").Default(""),
		// snippet is Graph's bodyPreview; nil when the organization keeps
		// headers only.
		field.String("snippet").Optional().Nillable().MaxLen(255),
		// is_ndr marks a non-delivery report.
		field.Bool("is_ndr").Default(false),
	}
}

// Edges of the SyncedMessage.
func (SyncedMessage) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("prospects", Prospect.Type).Ref("synced_messages"),
	}
}

// Indexes of the SyncedMessage.
func (SyncedMessage) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("microsoft_account_id", "graph_id").Unique(),
		// A mailbox's messages, newest first.
		index.Fields("microsoft_account_id", "received_at", "id"),
		index.Fields("internet_message_id"),
	}
}

// Annotations of the SyncedMessage.
func (SyncedMessage) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy of the SyncedMessage: users reach the messages of their own
// accounts, admins the organization's.
func (SyncedMessage) Policy() ent.Policy { return rule.OwnerPolicy("user_id") }

// CalendarEvent is one event of a synced mailbox's primary calendar within
// the rolling window, linked to the prospects who attend it.
type CalendarEvent struct{ ent.Schema }

// Mixin of the CalendarEvent.
func (CalendarEvent) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the CalendarEvent.
func (CalendarEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable().Annotations(entgql.Skip()),
		field.Int("microsoft_account_id").Immutable().Annotations(entgql.Skip()),
		field.String("graph_id").NotEmpty().MaxLen(512).Immutable().Annotations(entgql.Skip()),
		field.String("ical_uid").Default("").MaxLen(512),
		field.String("subject").Default("").MaxLen(998),
		field.Time("start_at"),
		field.Time("end_at"),
		field.String("organizer_address").Default("").MaxLen(320),
		field.Strings("attendee_addresses").Optional(),
		field.Bool("is_cancelled").Default(false),
	}
}

// Edges of the CalendarEvent.
func (CalendarEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("prospects", Prospect.Type).Ref("calendar_events"),
	}
}

// Indexes of the CalendarEvent.
func (CalendarEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("microsoft_account_id", "graph_id").Unique(),
		index.Fields("microsoft_account_id", "start_at"),
	}
}

// Annotations of the CalendarEvent.
func (CalendarEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy of the CalendarEvent: like SyncedMessage.
func (CalendarEvent) Policy() ent.Policy { return rule.OwnerPolicy("user_id") }

// SyncCursor is where one delta round of one account's folder stands:
// next_link while a round is under way (so an interrupted import resumes
// at its last committed page), delta_link once it has completed. Each is
// written only after the page's rows are committed.
type SyncCursor struct{ ent.Schema }

// Mixin of the SyncCursor.
func (SyncCursor) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the SyncCursor.
func (SyncCursor) Fields() []ent.Field {
	return []ent.Field{
		field.Int("microsoft_account_id").Immutable(),
		// folder is the well-known folder name ("inbox", "sentitems") or
		// "calendar".
		field.String("folder").NotEmpty().MaxLen(64).Immutable(),
		field.Text("next_link").Optional().Nillable(),
		field.Text("delta_link").Optional().Nillable(),
		// window_start is where the round's window began (initial import
		// for mail, calendarView start for the calendar).
		field.Time("window_start").Optional().Nillable(),
	}
}

// Indexes of the SyncCursor.
func (SyncCursor) Indexes() []ent.Index {
	return []ent.Index{index.Fields("microsoft_account_id", "folder").Unique()}
}

// Annotations of the SyncCursor.
func (SyncCursor) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Policy of the SyncCursor: system code only.
func (SyncCursor) Policy() ent.Policy { return rule.SystemOnlyPolicy() }

// GraphSubscription is one Microsoft Graph change-notification
// subscription for an account's messages.
type GraphSubscription struct{ ent.Schema }

// Mixin of the GraphSubscription.
func (GraphSubscription) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the GraphSubscription.
func (GraphSubscription) Fields() []ent.Field {
	return []ent.Field{
		field.Int("microsoft_account_id").Immutable(),
		field.String("subscription_id").NotEmpty().MaxLen(128).Immutable(),
		field.String("resource").NotEmpty().MaxLen(512),
		// client_state is the secret Graph echoes in every notification.
		field.String("client_state").NotEmpty().MaxLen(128).Sensitive(),
		field.Time("expires_at"),
	}
}

// Indexes of the GraphSubscription.
func (GraphSubscription) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscription_id").Unique(),
		index.Fields("microsoft_account_id"),
		index.Fields("expires_at"),
	}
}

// Annotations of the GraphSubscription.
func (GraphSubscription) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// Policy of the GraphSubscription: system code only.
func (GraphSubscription) Policy() ent.Policy { return rule.SystemOnlyPolicy() }
