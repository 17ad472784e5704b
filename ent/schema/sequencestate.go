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

// SequenceState is one prospect enrolled in one sequence, owned by a user and
// sending through a mailbox. Admins move them between mailboxes in bulk
// (assignMailbox).
type SequenceState struct{ ent.Schema }

// Mixin of the SequenceState.
func (SequenceState) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the SequenceState.
func (SequenceState) Fields() []ent.Field {
	return []ent.Field{
		field.Int("sequence_id").Immutable(),
		field.Int("prospect_id").Immutable(),
		field.Int("user_id").Comment("owner"),
		field.Int("mailbox_id"),
		field.Enum("state").Values("ACTIVE", "PAUSED", "FINISHED", "FAILED").Default("ACTIVE").
			Annotations(entgql.OrderField("STATE")),
		// state_reason says in words why a state FINISHED or FAILED
		// (e.g. "Replied", "Bounced").
		field.String("state_reason").Optional().Nillable().MaxLen(500),
		field.Int("current_step").Default(1).Min(1),
		// How many of the state's scheduled emails are undelivered
		// (mailbox.Undelivered), and whether that is more than none (the
		// hasUndeliveredEmails filter). Database triggers on
		// scheduled_emails keep both current, whoever changes the emails
		// and however (internal/mailbox/undelivered_sql.go); nothing else
		// writes them.
		field.Int("undelivered_email_count").Default(0).Immutable().Annotations(entgql.Skip()),
		field.Bool("has_undelivered_emails").Default(false).Immutable().Annotations(entgql.Skip()),
	}
}

// Edges of the SequenceState.
func (SequenceState) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sequence", Sequence.Type).Field("sequence_id").Unique().Required().Immutable(),
		edge.To("prospect", Prospect.Type).Field("prospect_id").Unique().Required().Immutable(),
		edge.To("user", User.Type).Field("user_id").Unique().Required(),
		edge.To("mailbox", Mailbox.Type).Field("mailbox_id").Unique().Required(),
		edge.From("scheduled_emails", ScheduledEmail.Type).Ref("sequence_state"),
	}
}

// Indexes of the SequenceState.
func (SequenceState) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("sequence_id", "prospect_id").Unique(),
		index.Fields("org_id", "mailbox_id", "state"),
		index.Fields("org_id", "user_id", "state"),
		index.Fields("org_id", "created_at"),
		// Pages in the default order (by id) within the organization: the
		// planner reads the first rows in order and stops, instead of
		// sorting every state of the organization for each page.
		index.Fields("org_id", "id"),
		// The same for the STATE order (state, then id).
		index.Fields("org_id", "state", "id"),
		// Pages of the hasUndeliveredEmails filter, either way, in the
		// default order, and its counts.
		index.Fields("org_id", "has_undelivered_emails", "id"),
		// The prospectEmailContains filter finds prospects first, then
		// their states.
		index.Fields("prospect_id"),
	}
}

// Annotations of the SequenceState.
func (SequenceState) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy of the SequenceState: users reach the sequence states they own, admins all of the organization.
func (SequenceState) Policy() ent.Policy { return rule.OwnerPolicy("user_id") }
