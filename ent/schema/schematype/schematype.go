// Package schematype holds the Go types of ent JSON fields that GraphQL
// exposes too, so one type serves storage and API.
package schematype

// AuditChange is one field of an audit event: its value before and after.
type AuditChange struct {
	Field string  `json:"field"`
	From  *string `json:"from,omitempty"`
	To    *string `json:"to,omitempty"`
}

// SequenceStateFilter is a selection of sequence states by condition: the
// sequenceStates list's filter (SequenceStateFilterInput), stored with a
// background assignment so that every chunk, and a resumed job, selects the
// same states. All given conditions must hold; an empty filter selects every
// state the viewer can see.
type SequenceStateFilter struct {
	MailboxID             *int     `json:"mailbox_id,omitempty"`
	UserID                *int     `json:"user_id,omitempty"`
	SequenceID            *int     `json:"sequence_id,omitempty"`
	States                []string `json:"states,omitempty"`
	HasUndeliveredEmails  *bool    `json:"has_undelivered_emails,omitempty"`
	ProspectEmailContains *string  `json:"prospect_email_contains,omitempty"`
}
