package mailsync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mailbridge/ent"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
)

// reply is an inbound message from a prospect.
type reply struct {
	prospectID int
	at         time.Time
}

// ReasonReplied and ReasonBounced are the sequence states' state_reason.
const (
	ReasonReplied = "Replied"
	ReasonBounced = "Bounced"
)

// replied finishes the prospect's active sequence states that send through
// this account's mailboxes and began before the reply, and cancels their
// undelivered emails — in the page's transaction.
func (r *round) replied(ctx context.Context, c *ent.Client, rp reply) error {
	ids, err := c.SequenceState.Query().Where(
		sequencestate.ProspectID(rp.prospectID), sequencestate.StateEQ(sequencestate.StateACTIVE),
		sequencestate.MailboxIDIn(r.acct.mailboxes...), sequencestate.CreatedAtLT(rp.at),
	).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	if err := c.SequenceState.Update().Where(sequencestate.IDIn(ids...), sequencestate.StateEQ(sequencestate.StateACTIVE)).
		SetState(sequencestate.StateFINISHED).SetStateReason(ReasonReplied).Exec(ctx); err != nil {
		return fmt.Errorf("mailsync: finish replied states: %w", err)
	}
	if err := c.ScheduledEmail.Update().Where(scheduledemail.SequenceStateIDIn(ids...),
		scheduledemail.StateIn(scheduledemail.StateSCHEDULED, scheduledemail.StateDRAFTED)).
		SetState(scheduledemail.StateCANCELLED).Exec(ctx); err != nil {
		return fmt.Errorf("mailsync: cancel emails of replied states: %w", err)
	}
	r.s.log.Info("mailsync: prospect replied", "account", r.acct.ID, "prospect", rp.prospectID, "states", len(ids))
	return nil
}

// bounced matches a non-delivery report to the sequence email it reports
// (by the Message-IDs in its In-Reply-To and References) among this
// account's sent emails, marks that email BOUNCED and its state FAILED
// (Bounced), and returns the prospect to link the report to (0: none).
func (r *round) bounced(ctx context.Context, c *ent.Client, m *graphMessage) (int, error) {
	var refs []string
	for _, h := range []string{"In-Reply-To", "References"} {
		v, _ := m.header(h)
		for _, id := range strings.Fields(v) {
			refs = append(refs, strings.TrimSpace(id))
		}
	}
	if len(refs) == 0 {
		return 0, nil
	}
	emails, err := c.ScheduledEmail.Query().Where(
		scheduledemail.InternetMessageIDIn(refs...), scheduledemail.MailboxIDIn(r.acct.mailboxes...),
		scheduledemail.StateIn(scheduledemail.StateDELIVERED, scheduledemail.StateDELIVERING, scheduledemail.StateBOUNCED),
	).WithSequenceState().All(ctx)
	if err != nil || len(emails) == 0 {
		return 0, err
	}
	at := r.s.now()
	if m.ReceivedDateTime != nil {
		at = m.ReceivedDateTime.UTC()
	}
	e := emails[0]
	if e.State != scheduledemail.StateBOUNCED {
		if err := c.ScheduledEmail.UpdateOneID(e.ID).SetState(scheduledemail.StateBOUNCED).SetBouncedAt(at).
			SetErrorCode("bounced").SetErrorMessage(truncate("The recipient's mail server returned it: "+deref(m.Subject, "non-delivery report"), 1000)).
			Exec(ctx); err != nil {
			return 0, fmt.Errorf("mailsync: mark email bounced: %w", err)
		}
		if err := c.SequenceState.Update().Where(sequencestate.ID(e.SequenceStateID),
			sequencestate.StateIn(sequencestate.StateACTIVE, sequencestate.StatePAUSED)).
			SetState(sequencestate.StateFAILED).SetStateReason(ReasonBounced).Exec(ctx); err != nil {
			return 0, fmt.Errorf("mailsync: fail bounced state: %w", err)
		}
		r.s.log.Info("mailsync: sequence email bounced", "account", r.acct.ID, "email", e.ID)
	}
	return e.Edges.SequenceState.ProspectID, nil
}
