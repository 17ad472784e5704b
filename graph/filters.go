package graph

import (
	"mailbridge/ent/auditevent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/predicate"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/user"
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
	if f.HasError != nil {
		inError := mailbox.Or(mailbox.ConnectionStateEQ(mailbox.ConnectionStateERROR),
			mailbox.LastSyncErrorNotNil(), mailbox.LastSendErrorNotNil())
		if !*f.HasError {
			inError = mailbox.Not(inError)
		}
		ps = append(ps, inError)
	}
	if f.OwnerHasNoDefault != nil {
		noDefault := mailbox.HasUserWith(user.Not(user.HasMailboxesWith(mailbox.IsDefault(true))))
		if !*f.OwnerHasNoDefault {
			noDefault = mailbox.Not(noDefault)
		}
		ps = append(ps, noDefault)
	}
	return ps
}

// sequenceStatePredicates is the list's filter; assignMailbox selects with
// the same predicates (internalmailbox.StatePredicates).
func sequenceStatePredicates(f *model.SequenceStateFilterInput) []predicate.SequenceState {
	return internalmailbox.StatePredicates(stateFilter(f))
}

// stateFilter converts the GraphQL filter into the stored form.
func stateFilter(f *model.SequenceStateFilterInput) *schematype.SequenceStateFilter {
	if f == nil {
		return nil
	}
	out := &schematype.SequenceStateFilter{
		MailboxID:             f.MailboxID,
		UserID:                f.UserID,
		SequenceID:            f.SequenceID,
		HasUndeliveredEmails:  f.HasUndeliveredEmails,
		ProspectEmailContains: f.ProspectEmailContains,
	}
	for _, s := range f.States {
		out.States = append(out.States, string(s))
	}
	return out
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
	if f.UserID != nil {
		ps = append(ps, auditevent.Or(auditevent.ActorID(*f.UserID), auditevent.SubjectUserID(*f.UserID)))
	}
	if f.Since != nil {
		ps = append(ps, auditevent.CreatedAtGTE(f.Since.UTC()))
	}
	if f.Until != nil {
		ps = append(ps, auditevent.CreatedAtLT(f.Until.UTC()))
	}
	return ps
}

// skipsOf lists skip counts in a fixed order.
func skipsOf(m map[internalmailbox.SkipReason]int) []*model.AssignmentSkip {
	out := []*model.AssignmentSkip{}
	for _, r := range []internalmailbox.SkipReason{internalmailbox.SkipFinished, internalmailbox.SkipAlreadyAssigned, internalmailbox.SkipOtherOwner} {
		if n := m[r]; n > 0 {
			out = append(out, &model.AssignmentSkip{Reason: model.AssignmentSkipReason(r), Count: n})
		}
	}
	return out
}
