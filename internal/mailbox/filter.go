package mailbox

import (
	"mailbridge/ent/predicate"
	"mailbridge/ent/prospect"
	"mailbridge/ent/scheduledemail"
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
		has := sequencestate.HasScheduledEmailsWith(scheduledemail.StateEQ(scheduledemail.StateSCHEDULED))
		if *f.HasUndeliveredEmails {
			ps = append(ps, has)
		} else {
			ps = append(ps, sequencestate.Not(has))
		}
	}
	if f.ProspectEmailContains != nil && *f.ProspectEmailContains != "" {
		ps = append(ps, sequencestate.HasProspectWith(prospect.EmailContainsFold(*f.ProspectEmailContains)))
	}
	return ps
}
