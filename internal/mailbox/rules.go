package mailbox

import (
	"context"
	"fmt"
	"slices"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/predicate"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
	"mailbridge/internal/txn"
)

// This file is the one home of two business rules that the API shows both
// as a field of each row and as a list filter. Each rule is written once
// for rows in memory and once as SQL, side by side, and TestRules_* checks
// that the two agree.

// NeedsMigration reports whether m is a legacy Exchange Web Services
// mailbox, which must move to Microsoft Graph before EWS is switched off;
// its scheduled emails are held until then.
func NeedsMigration(m *ent.Mailbox) bool {
	return m.Provider != nil && *m.Provider == entmailbox.ProviderEXCHANGE_EWS
}

// WhereNeedsMigration selects the mailboxes whose NeedsMigration is want.
// A mailbox with no provider yet does not need migration.
func WhereNeedsMigration(want bool) predicate.Mailbox {
	legacy := entmailbox.ProviderEQ(entmailbox.ProviderEXCHANGE_EWS)
	if want {
		return legacy
	}
	return entmailbox.Or(entmailbox.ProviderIsNil(), entmailbox.Not(legacy))
}

// undeliveredStates are the states of a scheduled email that has not gone
// out yet and is waiting for its send time: it still belongs to its
// mailbox, moves with its sequence state when an admin assigns another
// mailbox, and is held while the mailbox needs migration. Undelivered,
// WhereUndelivered and the database triggers behind WhereHasUndelivered
// (UndeliveredTriggerSQL) are all made from this list.
var undeliveredStates = []scheduledemail.State{scheduledemail.StateSCHEDULED}

// Undelivered reports whether a scheduled email is undelivered (see
// undeliveredStates).
func Undelivered(e *ent.ScheduledEmail) bool { return slices.Contains(undeliveredStates, e.State) }

// WhereUndelivered selects the scheduled emails for which Undelivered holds.
// scheduled_emails has an index starting with (sequence_state_id, state)
// and one with (mailbox_id, state) for it.
func WhereUndelivered() predicate.ScheduledEmail {
	return scheduledemail.StateIn(undeliveredStates...)
}

// WhereHasUndelivered selects the sequence states that have (want) or do not
// have (!want) an undelivered email. It reads the state's
// has_undelivered_emails column, which database triggers on
// scheduled_emails keep equal to "some email of the state is Undelivered"
// (UndeliveredTriggerSQL), so the filter is an index range on
// (org_id, has_undelivered_emails, id) in list order, with no probe into
// scheduled_emails per row.
func WhereHasUndelivered(want bool) predicate.SequenceState {
	return sequencestate.HasUndeliveredEmails(want)
}

// UndeliveredCounts counts the undelivered emails of each mailbox in one
// grouped query; every requested id is in the result, 0 when it has none.
// It reads through the transaction of ctx when there is one (a mutation's),
// so a count shown after a change includes the change.
func UndeliveredCounts(ctx context.Context, fallback *ent.Client, mailboxIDs []int) (map[int]int, error) {
	out := make(map[int]int, len(mailboxIDs))
	if len(mailboxIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		MailboxID int `json:"mailbox_id"`
		Count     int `json:"count"`
	}
	err := txn.Client(ctx, fallback).ScheduledEmail.Query().
		Where(scheduledemail.MailboxIDIn(mailboxIDs...), WhereUndelivered()).
		GroupBy(scheduledemail.FieldMailboxID).
		Aggregate(ent.Count()).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("mailbox: count undelivered emails: %w", err)
	}
	for _, id := range mailboxIDs {
		out[id] = 0
	}
	for _, r := range rows {
		out[r.MailboxID] = r.Count
	}
	return out, nil
}
