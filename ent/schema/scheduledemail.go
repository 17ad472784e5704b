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

// ScheduledEmail is one step's email for one sequence state: the outbox row of
// the send protocol (QUALITY.md §6.3). The unique (sequence_state_id, step)
// pair makes at most one send per step possible.
type ScheduledEmail struct{ ent.Schema }

// Mixin of the ScheduledEmail.
func (ScheduledEmail) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the ScheduledEmail.
// CANCELLED: the prospect replied before the email went out (reply
// detection in internal/mailsync).
func (ScheduledEmail) Fields() []ent.Field {
	return []ent.Field{
		field.Int("sequence_state_id").Immutable(),
		field.Int("step").Min(1).Immutable(),
		field.Int("mailbox_id"),
		field.Enum("state").
			Values("DRAFTED", "SCHEDULED", "DELIVERING", "DELIVERED", "FAILED", "BOUNCED", "CANCELLED").
			Default("SCHEDULED"),
		field.String("to_address").NotEmpty().MaxLen(320),
		field.String("subject").MaxLen(998),
		field.Text("body"),
		field.Time("send_at").Optional().Nillable().
			Annotations(entgql.OrderField("SEND_AT")),
		// Send-protocol bookkeeping (claim, draft, send, confirm).
		field.String("attempt_id").Optional().Nillable().Annotations(entgql.Skip()),
		field.Time("lease_until").Optional().Nillable().Annotations(entgql.Skip()),
		field.String("draft_id").Optional().Nillable().Annotations(entgql.Skip()),
		field.String("internet_message_id").Optional().Nillable(),
		field.Time("send_requested_at").Optional().Nillable().Annotations(entgql.Skip()),
		field.Time("submitted_at").Optional().Nillable().Annotations(entgql.Skip()),
		field.String("graph_message_id").Optional().Nillable().Annotations(entgql.Skip()),
		field.Time("sent_at").Optional().Nillable(),
		field.Time("bounced_at").Optional().Nillable(),
		field.String("error_code").Optional().Nillable().MaxLen(100),
		field.String("error_message").Optional().Nillable().MaxLen(1000),
	}
}

// Edges of the ScheduledEmail.
func (ScheduledEmail) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sequence_state", SequenceState.Type).
			Field("sequence_state_id").Unique().Required().Immutable(),
		edge.To("mailbox", Mailbox.Type).Field("mailbox_id").Unique().Required(),
	}
}

// Indexes of the ScheduledEmail.
func (ScheduledEmail) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("sequence_state_id", "step").Unique(),
		// Undelivered emails of one sequence state (the hasUndeliveredEmails
		// filter's EXISTS probe): both columns in the index, so the probe
		// never reads the table and the planner is not tempted to search by
		// state alone.
		index.Fields("sequence_state_id", "state"),
		// Undelivered emails per mailbox (undeliveredEmailCount). org_id
		// makes it covering for the count, which privacy filters by
		// organization: no table row is read.
		index.Fields("mailbox_id", "state", "org_id"),
		index.Fields("state", "send_at"),
		// Sends of a mailbox in the last minute and day (delivery pacing).
		index.Fields("mailbox_id", "send_requested_at"),
	}
}

// Annotations of the ScheduledEmail.
func (ScheduledEmail) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Policy of the ScheduledEmail: visible to the owner of its sequence state and to admins.
func (ScheduledEmail) Policy() ent.Policy { return rule.OwnerPolicyVia("sequence_state", "user_id") }
