// Package audit writes the audit trail: who changed which mailbox setting or
// assignment, when, from what to what. Services call Record inside the
// transaction of the change itself, so a change and its audit event commit
// or roll back together.
package audit

import (
	"context"
	"fmt"

	"mailbridge/ent"
	"mailbridge/ent/schema/schematype"
	"mailbridge/internal/viewer"
)

// Event is one change to record.
type Event struct {
	OrgID         int    // the organization of the target
	Action        string // stable verb, e.g. "mailbox.setSync"
	TargetType    string // e.g. "Mailbox"
	TargetID      int
	SubjectUserID int // whose data changed
	Changes       []schematype.AuditChange
}

// Record writes e with the viewer of ctx as the actor (and the API token, if
// the change came through one).
func Record(ctx context.Context, c *ent.Client, e Event) error {
	create := c.AuditEvent.Create().
		SetOrgID(e.OrgID).
		SetAction(e.Action).
		SetTargetType(e.TargetType).
		SetTargetID(e.TargetID).
		SetSubjectUserID(e.SubjectUserID).
		SetChanges(e.Changes)
	if v := viewer.FromContext(ctx); v != nil {
		create.SetActorID(v.UserID)
		if v.APITokenID != 0 {
			create.SetAPITokenID(v.APITokenID)
		}
	}
	if err := create.Exec(ctx); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// Change describes one field going from one value to another.
func Change[T any](field string, from, to T) schematype.AuditChange {
	f, t := fmt.Sprint(from), fmt.Sprint(to)
	return schematype.AuditChange{Field: field, From: &f, To: &t}
}
