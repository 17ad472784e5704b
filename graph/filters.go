package graph

import (
	"entgo.io/ent/dialect/sql"

	"mailbridge/ent/auditevent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/predicate"
	"mailbridge/ent/prospect"
	"mailbridge/ent/sequencestate"
	"mailbridge/graph/model"
	"mailbridge/internal/apperr"
	internalmailbox "mailbridge/internal/mailbox"
)

// checkIDs bounds node lookups like a connection page.
func checkIDs(ids []int) error {
	if len(ids) > maxPageSize {
		return apperr.Validation("nodes.tooMany", "ids", "Ask for at most 100 IDs at once.")
	}
	return nil
}

func mailboxPredicates(f *model.MailboxFilterInput) []predicate.Mailbox {
	if f == nil {
		return nil
	}
	var ps []predicate.Mailbox
	if f.UserID != nil {
		ps = append(ps, mailbox.UserID(*f.UserID))
	}
	if len(f.ConnectionStates) > 0 {
		ps = append(ps, mailbox.ConnectionStateIn(f.ConnectionStates...))
	}
	if f.Provider != nil {
		ps = append(ps, mailbox.ProviderEQ(*f.Provider))
	}
	if f.SyncEnabled != nil {
		ps = append(ps, mailbox.SyncEnabled(*f.SyncEnabled))
	}
	if f.SendEnabled != nil {
		ps = append(ps, mailbox.SendEnabled(*f.SendEnabled))
	}
	if f.IsDefault != nil {
		ps = append(ps, mailbox.IsDefault(*f.IsDefault))
	}
	if f.NeedsMigration != nil {
		ps = append(ps, internalmailbox.WhereNeedsMigration(*f.NeedsMigration))
	}
	if f.AddressContains != nil && *f.AddressContains != "" {
		ps = append(ps, mailbox.AddressContainsFold(*f.AddressContains))
	}
	return ps
}

func sequenceStatePredicates(f *model.SequenceStateFilterInput) []predicate.SequenceState {
	if f == nil {
		return nil
	}
	var ps []predicate.SequenceState
	if f.MailboxID != nil {
		ps = append(ps, sequencestate.MailboxID(*f.MailboxID))
	}
	if f.UserID != nil {
		ps = append(ps, sequencestate.UserID(*f.UserID))
	}
	if f.SequenceID != nil {
		ps = append(ps, sequencestate.SequenceID(*f.SequenceID))
	}
	if len(f.States) > 0 {
		ps = append(ps, sequencestate.StateIn(f.States...))
	}
	if f.HasUndeliveredEmails != nil {
		ps = append(ps, internalmailbox.WhereHasUndelivered(*f.HasUndeliveredEmails))
	}
	if f.ProspectEmailContains != nil && *f.ProspectEmailContains != "" {
		ps = append(ps, prospectEmailContains(*f.ProspectEmailContains))
	}
	return ps
}

func auditEventPredicates(f *model.AuditEventFilterInput) []predicate.AuditEvent {
	if f == nil {
		return nil
	}
	var ps []predicate.AuditEvent
	if f.TargetID != nil {
		ps = append(ps, auditevent.TargetID(*f.TargetID))
	}
	if f.Action != nil {
		ps = append(ps, auditevent.Action(*f.Action))
	}
	if f.ActorID != nil {
		ps = append(ps, auditevent.ActorID(*f.ActorID))
	}
	return ps
}

// prospectEmailContains selects the states whose prospect's email contains
// sub, ignoring case, as `prospect_id IN (SELECT id FROM prospects WHERE
// email matches)`: the matching prospects are found once (a trigram index
// search on PostgreSQL, one pass over prospects on SQLite) and their states
// through the prospect_id index. ent's HasProspectWith would check the
// email once per state instead. Other organizations' prospects may match
// the subquery, but the privacy filter keeps only the viewer's states.
func prospectEmailContains(sub string) predicate.SequenceState {
	return predicate.SequenceState(func(s *sql.Selector) {
		t := sql.Table(prospect.Table)
		s.Where(sql.In(s.C(sequencestate.FieldProspectID),
			sql.Select(t.C(prospect.FieldID)).From(t).Where(sql.ContainsFold(t.C(prospect.FieldEmail), sub))))
	})
}
