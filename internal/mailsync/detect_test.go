package mailsync_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/mailsync"
)

// enrolled puts the prospect in a sequence sending through b, with one
// email per given state (step 1, 2, …).
func (e *env) enrolled(b box, p *ent.Prospect, states ...scheduledemail.State) (*ent.SequenceState, []*ent.ScheduledEmail) {
	t := e.t
	t.Helper()
	seq, err := e.client.Sequence.Create().SetOrgID(e.org.ID).SetUserID(b.user.ID).SetName("Outreach " + p.Email).SetStepCount(len(states)).Save(e.sys)
	require.NoError(t, err)
	st, err := e.client.SequenceState.Create().SetOrgID(e.org.ID).SetSequenceID(seq.ID).SetProspectID(p.ID).
		SetUserID(b.user.ID).SetMailboxID(b.mailbox.ID).SetCreatedAt(e.clock.Now().Add(-time.Hour)).Save(e.sys)
	require.NoError(t, err)
	var emails []*ent.ScheduledEmail
	for i, s := range states {
		c := e.client.ScheduledEmail.Create().SetOrgID(e.org.ID).SetSequenceStateID(st.ID).SetStep(i + 1).
			SetMailboxID(b.mailbox.ID).SetState(s).SetToAddress(p.Email).SetSubject("Step").SetBody("Hi")
		if s == scheduledemail.StateDELIVERED {
			c.SetInternetMessageID("<sent-" + p.Email + "@contoso.com>").SetSentAt(e.clock.Now().Add(-30 * time.Minute))
		}
		em, err := c.Save(e.sys)
		require.NoError(t, err)
		emails = append(emails, em)
	}
	return st, emails
}

func (e *env) emailStates(st *ent.SequenceState) []scheduledemail.State {
	e.t.Helper()
	es, err := e.client.ScheduledEmail.Query().Where(scheduledemail.SequenceStateID(st.ID)).Order(ent.Asc(scheduledemail.FieldStep)).All(e.sys)
	require.NoError(e.t, err)
	out := make([]scheduledemail.State, len(es))
	for i, x := range es {
		out[i] = x.State
	}
	return out
}

// A reply from a prospect finishes their active state in this mailbox
// (Replied) and cancels its undelivered emails; an out-of-office reply,
// another prospect's state and a state in another user's mailbox stay.
func TestSync_ReplyFinishesStateAndCancelsEmails(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.connected("ann@contoso.com")
		other := e.connected("bob@contoso.com")
		pat, sam := e.prospect("pat@customer.example"), e.prospect("sam@customer.example")
		S := scheduledemail.StateSCHEDULED
		patState, _ := e.enrolled(b, pat, scheduledemail.StateDELIVERED, scheduledemail.StateDRAFTED, S)
		samState, _ := e.enrolled(b, sam, scheduledemail.StateDELIVERED, S)
		e.sync(b)

		e.clock.Advance(time.Minute)
		e.deliver(b, "sam@customer.example", "Automatic reply: Step", func(in *m365sim.InboundMessage) {
			in.Headers = []m365sim.Header{{Name: "Auto-Submitted", Value: "auto-replied"}}
		})
		e.deliver(b, "pat@customer.example", "Re: Step", func(in *m365sim.InboundMessage) { in.InReplyTo = "<sent-pat@customer.example@contoso.com>" })
		e.deliver(other, "sam@customer.example", "Re: something else")
		e.sync(b)
		e.sync(other)

		got, err := e.client.SequenceState.Get(e.sys, patState.ID)
		require.NoError(t, err)
		require.Equal(t, sequencestate.StateFINISHED, got.State)
		require.Equal(t, mailsync.ReasonReplied, *got.StateReason)
		require.Equal(t, []scheduledemail.State{scheduledemail.StateDELIVERED, scheduledemail.StateCANCELLED, scheduledemail.StateCANCELLED}, e.emailStates(patState))

		got, err = e.client.SequenceState.Get(e.sys, samState.ID)
		require.NoError(t, err)
		require.Equal(t, sequencestate.StateACTIVE, got.State, "an auto-reply, or a reply to another user's mailbox, is no reply to this sequence")
		require.Equal(t, []scheduledemail.State{scheduledemail.StateDELIVERED, S}, e.emailStates(samState))
	})
}

// A non-delivery report for a sent sequence email marks it BOUNCED and
// its state FAILED (Bounced); the report is kept, linked to the prospect.
func TestSync_BounceMarksEmailBounced(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.connected("ann@contoso.com")
		pat := e.prospect("pat@customer.example")
		st, emails := e.enrolled(b, pat, scheduledemail.StateDELIVERED, scheduledemail.StateSCHEDULED)
		e.clock.Advance(time.Minute)
		e.deliver(b, "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com", "Undeliverable: Step", func(in *m365sim.InboundMessage) {
			in.InReplyTo = *emails[0].InternetMessageID
			in.Headers = []m365sim.Header{
				{Name: "X-MS-Exchange-Message-Is-Ndr", Value: ""},
				{Name: "Content-Type", Value: `multipart/report; report-type=delivery-status; boundary="b"`},
			}
		})
		e.sync(b)

		em, err := e.client.ScheduledEmail.Get(e.sys, emails[0].ID)
		require.NoError(t, err)
		require.Equal(t, scheduledemail.StateBOUNCED, em.State)
		require.NotNil(t, em.BouncedAt)
		got, err := e.client.SequenceState.Get(e.sys, st.ID)
		require.NoError(t, err)
		require.Equal(t, sequencestate.StateFAILED, got.State)
		require.Equal(t, mailsync.ReasonBounced, *got.StateReason)
		ms := e.messages(b)
		require.Len(t, ms, 1)
		require.True(t, ms[0].IsNdr)
		require.Equal(t, pat.ID, ms[0].Edges.Prospects[0].ID)
	})
}
