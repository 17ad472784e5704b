package send_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/ent/scheduledemail"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/send"
)

// Due emails go out once each from their mailbox, as draft + send, and are
// recorded DELIVERED with the Graph id, internetMessageId and sent time;
// the draft carries the attempt id in the single-value extended property.
func TestSend_DeliversDueEmailsOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		mb := e.connected("adele@contoso.com")[0]
		emails := e.schedule(mb, 3)
		require.NoError(t, e.run(mb))
		e.requireOnce(mb.Address, emails)

		recs, err := e.sim.Sent(mb.Address)
		require.NoError(t, err)
		for _, r := range recs {
			require.Equal(t, "adele@contoso.com", r.From)
			require.Len(t, r.ExtProps, 1)
			require.Equal(t, send.AttemptProperty, r.ExtProps[0].ID)
			require.NotEmpty(t, r.ExtProps[0].Value)
		}
		got := e.mailbox(mb.ID)
		require.NotNil(t, got.LastSentAt)
		require.Nil(t, got.LastSendError)
		st, _ := send.Health(got, e.clock.Now())
		require.Equal(t, send.StatusSending, st)
	})
}

// An alias mailbox sends with from set to the alias: kept where the tenant
// allows it; where the tenant rewrites aliases, the one email that went out
// from the primary address is recorded and the mailbox's Sending is turned
// off with the reason (never silently the primary); without the right to
// the address, the email fails with ErrorSendAsDenied in words.
func TestSend_AliasBehaviours(t *testing.T) {
	t.Parallel()
	t.Run("Preserved", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, dbtest.SQLite(t), envOptions{alias: m365sim.AliasPreserve})
		mbs := e.connected("lynne@contoso.com", "sales@contoso.com")
		emails := e.schedule(mbs[1], 2)
		require.NoError(t, e.run(mbs[1]))
		e.requireOnce("lynne@contoso.com", emails)
		recs, err := e.sim.Sent("lynne@contoso.com")
		require.NoError(t, err)
		for _, r := range recs {
			require.Equal(t, "sales@contoso.com", r.From)
		}
		require.True(t, e.mailbox(mbs[1].ID).SendEnabled)
	})
	t.Run("RewrittenTurnsSendingOff", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, dbtest.SQLite(t), envOptions{alias: m365sim.AliasRewrite})
		mbs := e.connected("lynne@contoso.com", "sales@contoso.com")
		emails := e.schedule(mbs[1], 3)
		require.NoError(t, e.run(mbs[1]))
		require.Equal(t, scheduledemail.StateDELIVERED, e.email(emails[0].ID).State)
		for _, se := range emails[1:] {
			require.Equal(t, scheduledemail.StateSCHEDULED, e.email(se.ID).State, "held, not sent from the primary")
		}
		require.Len(t, e.sent("lynne@contoso.com"), 1)
		mb := e.mailbox(mbs[1].ID)
		require.False(t, mb.SendEnabled)
		require.Contains(t, *mb.LastSendError, "instead of sales@contoso.com")
		st, reason := send.Health(mb, e.clock.Now())
		require.Equal(t, send.StatusHeld, st)
		require.Contains(t, reason, "Sending is off")
	})
	t.Run("SendAsDenied", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, dbtest.SQLite(t), envOptions{alias: m365sim.AliasPreserve})
		mbs := e.connected("lynne@contoso.com", "sales@contoso.com")
		// The address stops being Lynne's after it was connected.
		require.NoError(t, e.sim.UpdateUser("lynne@contoso.com", func(u *m365sim.User) { u.ProxyAddresses = []string{"SMTP:lynne@contoso.com"} }))
		emails := e.schedule(mbs[1], 2)
		require.NoError(t, e.run(mbs[1]))
		got := e.email(emails[0].ID)
		require.Equal(t, scheduledemail.StateFAILED, got.State)
		require.Equal(t, "ErrorSendAsDenied", *got.ErrorCode)
		require.Contains(t, *got.ErrorMessage, "send as sales@contoso.com")
		require.Equal(t, scheduledemail.StateSCHEDULED, e.email(emails[1].ID).State, "the others are held")
		require.False(t, e.mailbox(mbs[1].ID).SendEnabled)
		require.Empty(t, e.sent("lynne@contoso.com"))
	})
}

// A send that went out but was answered 504, ErrorServerBusy, 429
// ApplicationThrottled or 202 + Retry-After is looked up, not repeated:
// one copy each.
func TestSend_UnknownOutcomeIsLookedUpNotResent(t *testing.T) {
	t.Parallel()
	for _, f := range []m365sim.Fault{
		{Kind: m365sim.FaultAfterAccept, Status: http.StatusGatewayTimeout},
		{Kind: m365sim.FaultAfterAccept, Code: "ErrorServerBusy", RetryAfter: "1"},
		{Kind: m365sim.FaultAfterAccept, Code: "ApplicationThrottled", RetryAfter: "1"},
		{Kind: m365sim.FaultAfterAccept, Status: http.StatusAccepted, RetryAfter: "1"},
	} {
		t.Run(fmt.Sprint(f.Status, f.Code), func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				e := newEnv(t, d, envOptions{})
				mb := e.connected("adele@contoso.com")[0]
				emails := e.schedule(mb, 2)
				f.Mailbox, f.Count = "adele@contoso.com", 2
				_, err := e.sim.InjectFault(f)
				require.NoError(t, err)
				require.NoError(t, e.run(mb))
				e.requireOnce(mb.Address, emails)
			})
		})
	}
}

// A 429 storm and 503s on the send path: the mailbox is throttled for the
// Retry-After, then everything goes out once; other mailboxes are not
// held up by it.
func TestSend_ThrottlingIsWaitedOutPerMailbox(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{send: send.Options{ConfirmWait: time.Second}})
		a := e.connected("adele@contoso.com")[0]
		b := e.connected("megan@contoso.com")[0]
		ea, eb := e.schedule(a, 3), e.schedule(b, 3)
		_, err := e.sim.InjectFault(m365sim.Fault{Mailbox: "adele@contoso.com", Kind: m365sim.FaultThrottle, Count: 3, RetryAfter: "1", PathContains: "/send"})
		require.NoError(t, err)
		_, err = e.sim.InjectFault(m365sim.Fault{Mailbox: "adele@contoso.com", Kind: m365sim.FaultStatus, Status: http.StatusServiceUnavailable, Count: 2, RetryAfter: "1", PathContains: "/send"})
		require.NoError(t, err)

		err = e.run(a)
		var snooze *river.JobSnoozeError
		if err != nil {
			require.ErrorAs(t, err, &snooze, "a throttled mailbox snoozes its job")
		}
		ma := e.mailbox(a.ID)
		require.NotNil(t, ma.ThrottledUntil, "throttled_until records Retry-After")
		// The other mailbox sends meanwhile.
		require.NoError(t, e.run(b))
		e.requireOnce(b.Address, eb)

		waitFor(t, 30*time.Second, "adele's emails", func() bool {
			_ = e.run(a)
			return e.count(scheduledemail.StateDELIVERED) == 6
		})
		e.requireOnce(a.Address, ea)
	})
}

// Holds: emails of a mailbox with Sending off, on legacy EWS, needing
// reconnect, pending admin approval or not connected stay SCHEDULED (never
// failed) with the reason shown; they go out once the mailbox is fixed or
// once they are assigned to a mailbox that can send.
func TestSend_HeldThenReleased(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		mb := e.connected("adele@contoso.com")[0]
		other := e.connected("megan@contoso.com")[0]
		emails := e.schedule(mb, 2)
		c := d.Client()
		holds := []struct {
			name   string
			set    func()
			reason string
		}{
			{"SendingOff", func() { c.Mailbox.UpdateOneID(mb.ID).SetSendEnabled(false).ExecX(e.sys) }, "Sending is off"},
			{"EWS", func() { c.Mailbox.UpdateOneID(mb.ID).SetProvider(mailbox.ProviderEXCHANGE_EWS).ExecX(e.sys) }, "Exchange Web Services"},
			{"NeedsReconnect", func() {
				c.Mailbox.UpdateOneID(mb.ID).SetConnectionState(mailbox.ConnectionStateNEEDS_RECONNECT).ExecX(e.sys)
			}, "Reconnect"},
			{"PendingAdminApproval", func() {
				c.Mailbox.UpdateOneID(mb.ID).SetConnectionState(mailbox.ConnectionStatePENDING_ADMIN_APPROVAL).ExecX(e.sys)
			}, "administrator to approve"},
			{"NotConnected", func() {
				c.Mailbox.UpdateOneID(mb.ID).SetConnectionState(mailbox.ConnectionStateNOT_CONNECTED).ExecX(e.sys)
			}, "not connected"},
		}
		for _, h := range holds {
			h.set()
			ids, err := e.sender.DueAccounts(e.sys)
			require.NoError(t, err)
			require.NotContains(t, ids, *mb.MicrosoftAccountID, h.name)
			require.NoError(t, e.run(mb))
			for _, se := range emails {
				require.Equal(t, scheduledemail.StateSCHEDULED, e.email(se.ID).State, h.name)
			}
			st, reason := send.Health(e.mailbox(mb.ID), e.clock.Now())
			require.Equal(t, send.StatusHeld, st, h.name)
			require.Contains(t, reason, h.reason, h.name)
			// Fixed again.
			c.Mailbox.UpdateOneID(mb.ID).SetSendEnabled(true).SetProvider(mailbox.ProviderOFFICE365_OAUTH).
				SetConnectionState(mailbox.ConnectionStateCONNECTED).ExecX(e.sys)
		}
		require.Empty(t, e.sent(mb.Address))

		// Assigned elsewhere while held: they go out from the other mailbox.
		c.Mailbox.UpdateOneID(mb.ID).SetSendEnabled(false).ExecX(e.sys)
		c.ScheduledEmail.Update().Where(scheduledemail.ID(emails[0].ID)).SetMailboxID(other.ID).ExecX(e.sys)
		ids, err := e.sender.DueAccounts(e.sys)
		require.NoError(t, err)
		require.Equal(t, []int{*other.MicrosoftAccountID}, ids)
		require.NoError(t, e.run(other))
		e.requireOnce(other.Address, emails[:1])

		// Fixed: the rest goes out.
		c.Mailbox.UpdateOneID(mb.ID).SetSendEnabled(true).ExecX(e.sys)
		require.NoError(t, e.run(mb))
		e.requireOnce(mb.Address, emails[1:])
	})
}

// Permanent refusals fail that email with the reason in words; a
// submission block pauses the mailbox with the reason and holds the rest.
func TestSend_PermanentFailuresAndSubmissionBlock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{limits: m365sim.Limits{RecipientsPerDay: 2}})
		mb := e.connected("adele@contoso.com")[0]
		bad := e.schedule(mb, 1)[0]
		d.Client().ScheduledEmail.UpdateOneID(bad.ID).SetToAddress("not an address").ExecX(e.sys)
		require.NoError(t, e.run(mb))
		got := e.email(bad.ID)
		require.Equal(t, scheduledemail.StateFAILED, got.State)
		require.Contains(t, *got.ErrorMessage, "not an address")

		// The emulator's quota is 2 recipients a day: the third is an NDR
		// and a block; the fourth is refused and held with the reason.
		emails := e.schedule(mb, 4)
		require.NoError(t, e.run(mb))
		for _, se := range emails[:3] {
			require.Equal(t, scheduledemail.StateDELIVERED, e.email(se.ID).State)
		}
		require.Equal(t, scheduledemail.StateSCHEDULED, e.email(emails[3].ID).State)
		m := e.mailbox(mb.ID)
		require.NotNil(t, m.ThrottledUntil)
		require.True(t, m.ThrottledUntil.After(e.clock.Now().Add(23*time.Hour)))
		st, reason := send.Health(m, e.clock.Now())
		require.Equal(t, send.StatusThrottled, st)
		require.Contains(t, reason, "blocked this mailbox from sending")
	})
}

// At most 30 sends a minute per Exchange mailbox, across its aliases: the
// 31st waits for the next minute (the job snoozes), and the emulator never
// saw more than 30 in a minute nor deferred any.
func TestSend_PacesThirtyPerMinute(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{alias: m365sim.AliasPreserve})
		mbs := e.connected("adele@contoso.com", "sales@contoso.com")
		emails := append(e.schedule(mbs[0], 20), e.schedule(mbs[1], 20)...)
		err := e.run(mbs[0])
		var snooze *river.JobSnoozeError
		require.ErrorAs(t, err, &snooze)
		require.Greater(t, snooze.Duration, 50*time.Second)
		require.Equal(t, 30, e.count(scheduledemail.StateDELIVERED))
		e.clock.Advance(snooze.Duration)
		require.NoError(t, e.run(mbs[0]))
		require.Equal(t, 40, e.count(scheduledemail.StateDELIVERED))
		sc, err := e.sim.SendCounters("adele@contoso.com")
		require.NoError(t, err)
		require.LessOrEqual(t, sc.PeakSentPerMinute, send.MaxSendsPerMinute)
		require.Zero(t, sc.Deferred)
		require.Len(t, e.sent("adele@contoso.com"), len(emails))
	})
}

// The mailbox's daily limit holds its emails until a day after its first
// send; the account's other mailbox keeps sending.
func TestSend_DailyLimitPerMailbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), envOptions{alias: m365sim.AliasPreserve})
	mbs := e.connected("adele@contoso.com", "sales@contoso.com")
	d := e.d.Client()
	d.Mailbox.UpdateOneID(mbs[1].ID).SetDailySendLimit(2).ExecX(e.sys)
	limited, free := e.schedule(mbs[1], 3), e.schedule(mbs[0], 2)
	err := e.run(mbs[0])
	var snooze *river.JobSnoozeError
	require.ErrorAs(t, err, &snooze)
	require.Greater(t, snooze.Duration, 23*time.Hour)
	e.requireOnce("adele@contoso.com", append(limited[:2], free...))
	require.Equal(t, scheduledemail.StateSCHEDULED, e.email(limited[2].ID).State)
	e.clock.Advance(snooze.Duration)
	require.NoError(t, e.run(mbs[0]))
	require.Equal(t, scheduledemail.StateDELIVERED, e.email(limited[2].ID).State)
}

// A grant revoked mid-run: Graph answers 401, the mailbox becomes Needs
// reconnect, and the emails are held, not lost; reconnecting releases them.
func TestSend_RevokedGrantHoldsEmails(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		mb := e.connected("adele@contoso.com")[0]
		emails := e.schedule(mb, 3)
		require.NoError(t, e.sim.RevokeGrant("adele@contoso.com", false))
		require.NoError(t, e.run(mb))
		got := e.mailbox(mb.ID)
		require.Equal(t, mailbox.ConnectionStateNEEDS_RECONNECT, got.ConnectionState)
		for _, se := range emails {
			require.Equal(t, scheduledemail.StateSCHEDULED, e.email(se.ID).State)
		}
		st, _ := send.Health(got, e.clock.Now())
		require.Equal(t, send.StatusHeld, st)

		// Reconnected (the owner signed in again).
		require.NoError(t, e.sim.RestoreGrant("adele@contoso.com"))
		d.Client().MicrosoftAccount.UpdateOneID(*mb.MicrosoftAccountID).SetStatus(microsoftaccount.StatusACTIVE).ExecX(e.sys)
		d.Client().Mailbox.UpdateOneID(mb.ID).SetConnectionState(mailbox.ConnectionStateCONNECTED).ExecX(e.sys)
		require.NoError(t, e.run(mb))
		e.requireOnce(mb.Address, emails)
	})
}

// A later step of a sequence goes out as a reply in the thread of the
// previous step's email: same conversation, In-Reply-To and References set
// by Exchange, to the prospect, from the mailbox.
func TestSend_LaterStepRepliesInThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), envOptions{})
	mb := e.connected("adele@contoso.com")[0]
	first := e.schedule(mb, 1)[0]
	require.NoError(t, e.run(mb))
	first = e.email(first.ID)
	require.Equal(t, scheduledemail.StateDELIVERED, first.State)
	second := e.d.Client().ScheduledEmail.Create().SetOrgID(mb.OrgID).SetSequenceStateID(first.SequenceStateID).SetStep(2).
		SetMailboxID(mb.ID).SetToAddress(first.ToAddress).SetSubject("").SetBody("Following up").
		SetState(scheduledemail.StateSCHEDULED).SetSendAt(e.clock.Now().Add(-time.Second)).SaveX(e.sys)
	require.NoError(t, e.run(mb))
	second = e.email(second.ID)
	require.Equal(t, scheduledemail.StateDELIVERED, second.State)

	sentItems, err := e.sim.Messages(mb.Address, "sentitems")
	require.NoError(t, err)
	byID := map[string]m365sim.Message{}
	for _, m := range sentItems {
		byID[m.InternetMessageID] = m
	}
	reply, orig := byID[*second.InternetMessageID], byID[*first.InternetMessageID]
	require.Equal(t, *first.InternetMessageID, reply.InReplyTo)
	require.Contains(t, reply.References, *first.InternetMessageID)
	require.Equal(t, orig.ConversationID, reply.ConversationID)
	require.Equal(t, "RE: "+orig.Subject, reply.Subject)
	require.Len(t, reply.To, 1)
	require.Equal(t, first.ToAddress, reply.To[0].Address)
	require.Equal(t, 1, e.sent(mb.Address)[fmt.Sprint(second.ID)])
}
