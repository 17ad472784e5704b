package mailbox

import (
	"entgo.io/ent/dialect/sql"

	"mailbridge/ent/predicate"
	"mailbridge/ent/prospect"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/sequencestate"
)

// StatePredicates turns a sequence-state filter into ent predicates. The
// sequenceStates list and assignMailbox's "everything matching" selection
// both use it, so "select all N matching" assigns exactly the N states the
// list counted.
func StatePredicates(f *schematype.SequenceStateFilter) []predicate.SequenceState {
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
		states := make([]sequencestate.State, len(f.States))
		for i, s := range f.States {
			states[i] = sequencestate.State(s)
		}
		ps = append(ps, sequencestate.StateIn(states...))
	}
	if f.HasUndeliveredEmails != nil {
		ps = append(ps, WhereHasUndelivered(*f.HasUndeliveredEmails))
	}
	if f.ProspectEmailContains != nil && *f.ProspectEmailContains != "" {
		ps = append(ps, prospectEmailContains(*f.ProspectEmailContains))
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
