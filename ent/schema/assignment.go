package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"mailbridge/ent/schema/rule"
	"mailbridge/ent/schema/schematype"
)

// Assignment is one assignMailbox operation: which sequence states (explicit
// IDs or a filter) move to which mailbox, and how far it got. Small
// selections complete in the request's transaction; large ones run as a
// background job in chunks, and the row is the job's durable cursor
// (cursor_state_id), progress (done/total) and running counts, updated in
// the same transaction as each chunk — so a crashed job resumes exactly
// where its last committed chunk ended.
type Assignment struct{ ent.Schema }

// Mixin of the Assignment.
func (Assignment) Mixin() []ent.Mixin { return []ent.Mixin{OrgMixin{}, TimeMixin{}} }

// Fields of the Assignment.
func (Assignment) Fields() []ent.Field {
	return []ent.Field{
		// actor_id is the user who asked for the assignment; a background
		// job acts as them.
		field.Int("actor_id").Immutable(),
		field.Int("api_token_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		// mailbox_id is the target: the dialog's "From" mailbox.
		field.Int("mailbox_id").Immutable(),
		field.Bool("update_undelivered_emails").Immutable(),
		// The selection: explicit IDs or a filter, bounded above by
		// max_state_id (the newest state when the assignment was asked
		// for), so states created later are not swept in.
		field.JSON("selection_ids", []int{}).Optional().Immutable().Annotations(entgql.Skip()),
		field.JSON("selection_filter", &schematype.SequenceStateFilter{}).Optional().Immutable().Annotations(entgql.Skip()),
		field.Int("max_state_id").Immutable().Annotations(entgql.Skip()),
		field.Bool("background").Immutable(),
		field.Enum("status").Values("RUNNING", "SUCCEEDED", "FAILED").Default("RUNNING"),
		// total is the number of selected states when the assignment
		// started; done counts the states processed so far.
		field.Int("total").NonNegative(),
		field.Int("done").NonNegative().Default(0),
		// cursor_state_id is the last state ID processed: the next chunk
		// starts after it.
		field.Int("cursor_state_id").Default(0).Annotations(entgql.Skip()),
		field.Int("states_assigned").NonNegative().Default(0),
		field.Int("emails_moved").NonNegative().Default(0),
		field.Int("skipped_finished").NonNegative().Default(0).Annotations(entgql.Skip()),
		field.Int("skipped_already_assigned").NonNegative().Default(0).Annotations(entgql.Skip()),
		field.Int("skipped_other_owner").NonNegative().Default(0).Annotations(entgql.Skip()),
		// emails_delivering counts emails left alone because they were
		// being sent when their state was assigned.
		field.Int("emails_delivering").NonNegative().Default(0),
		// from_mailbox_ids are the mailboxes the assigned states came from,
		// for the audit event.
		field.JSON("from_mailbox_ids", []int{}).Optional().Annotations(entgql.Skip()),
		field.String("error").Optional().Nillable().MaxLen(1000),
		field.Time("finished_at").Optional().Nillable(),
	}
}

// Edges of the Assignment.
func (Assignment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("actor", User.Type).Field("actor_id").Unique().Required().Immutable(),
		edge.To("mailbox", Mailbox.Type).Field("mailbox_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Assignment.
func (Assignment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "status"),
	}
}

// Annotations of the Assignment.
func (Assignment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Policy of the Assignment: users see the assignments they asked for,
// admins all of the organization.
func (Assignment) Policy() ent.Policy { return rule.OwnerPolicy("actor_id") }
