package send_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/scheduledemail"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/send"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkSend_Delivery delivers SEND_BENCH_EMAILS (10,000) due emails
// across SEND_BENCH_MAILBOXES (50) mailboxes through the real pipeline
// (River dispatch, per-account jobs, draft + send against the emulator with
// Exchange's limits on: 30 sends a minute, 10,000 recipients a day, 4
// concurrent requests per mailbox). The emulator and Mailbridge share a
// clock running SEND_BENCH_SCALE (1) times faster than real time (at 1 the
// run takes about 7 minutes; at 2 this 2-core machine, not the pacing,
// becomes the limit). It reports
// duplicates and lost emails (both must be 0) and the ratio of the
// shortest time the limits allow to the time taken (1.0 = as fast as
// Exchange's limits let anyone send). SEND_BENCH_DB=postgres runs it on
// PostgreSQL.
//
//	go test ./internal/send -run '^$' -bench Delivery -benchtime 1x
func BenchmarkSend_Delivery(b *testing.B) {
	nEmails, nMailboxes := envInt("SEND_BENCH_EMAILS", 10_000), envInt("SEND_BENCH_MAILBOXES", 50)
	scale := float64(envInt("SEND_BENCH_SCALE", 1))
	for range b.N {
		var d *db.DB
		if os.Getenv("SEND_BENCH_DB") == "postgres" {
			d = dbtest.Postgres(b)
		} else {
			d = dbtest.SQLite(b)
		}
		benchDelivery(b, d, nEmails, nMailboxes, scale)
	}
}

func benchDelivery(b *testing.B, d *db.DB, nEmails, nMailboxes int, scale float64) {
	b.StopTimer()
	e := newEnv(b, d, envOptions{scale: scale, send: send.Options{PollInterval: 5 * time.Second}})
	var mbs []*ent.Mailbox
	for i := range nMailboxes {
		mbs = append(mbs, e.connected(fmt.Sprintf("rep%02d@contoso.com", i))[0])
	}
	perMailbox := nEmails / nMailboxes
	c := d.Client()
	for _, mb := range mbs {
		seq := c.Sequence.Create().SetOrgID(mb.OrgID).SetUserID(mb.UserID).SetName("Bench " + mb.Address).SaveX(e.sys)
		due := e.clock.Now().Add(-time.Minute)
		for start := 0; start < perMailbox; start += 500 {
			n := min(500, perMailbox-start)
			ps := make([]*ent.ProspectCreate, n)
			for i := range n {
				ps[i] = c.Prospect.Create().SetOrgID(mb.OrgID).SetEmail(fmt.Sprintf("p%d.%d@example.org", mb.ID, start+i)).SetFirstName("P")
			}
			prospects := c.Prospect.CreateBulk(ps...).SaveX(e.sys)
			ss := make([]*ent.SequenceStateCreate, n)
			for i, p := range prospects {
				ss[i] = c.SequenceState.Create().SetOrgID(mb.OrgID).SetSequenceID(seq.ID).SetProspectID(p.ID).SetUserID(mb.UserID).SetMailboxID(mb.ID)
			}
			states := c.SequenceState.CreateBulk(ss...).SaveX(e.sys)
			es := make([]*ent.ScheduledEmailCreate, n)
			for i, s := range states {
				es[i] = c.ScheduledEmail.Create().SetOrgID(mb.OrgID).SetSequenceStateID(s.ID).SetStep(1).SetMailboxID(mb.ID).
					SetToAddress(prospects[i].Email).SetSubject("Quick question").SetBody("Hi there").
					SetState(scheduledemail.StateSCHEDULED).SetSendAt(due)
			}
			c.ScheduledEmail.CreateBulk(es...).ExecX(e.sys)
		}
	}
	total := perMailbox * nMailboxes
	e.sim.ResetCounters()

	b.StartTimer()
	realStart, clockStart := time.Now(), e.clock.Now()
	e.startRiver(e.sender)
	for e.count(scheduledemail.StateDELIVERED)+e.count(scheduledemail.StateFAILED) < total {
		if time.Since(realStart) > 15*time.Minute {
			b.Fatalf("only %d of %d delivered after 15 minutes", e.count(scheduledemail.StateDELIVERED), total)
		}
		time.Sleep(250 * time.Millisecond)
	}
	took, realTook := e.clock.Now().Sub(clockStart), time.Since(realStart)
	b.StopTimer()

	dups, lost, peakMinute, peakInFlight, deferred := 0, 0, 0, 0, 0
	for _, mb := range mbs {
		sent := e.sent(mb.Address)
		for _, n := range sent {
			dups += n - 1
		}
		sc, err := e.sim.SendCounters(mb.Address)
		require.NoError(b, err)
		peakMinute, deferred = max(peakMinute, sc.PeakSentPerMinute), deferred+sc.Deferred
		cc, err := e.sim.MailboxConcurrency(mb.Address)
		require.NoError(b, err)
		peakInFlight = max(peakInFlight, cc.PeakInFlight)
		lost += perMailbox - len(sent)
	}
	lost += total - e.count(scheduledemail.StateDELIVERED)
	// The limits allow 30 sends at once, then 30 more each minute.
	bursts := (perMailbox + send.MaxSendsPerMinute - 1) / send.MaxSendsPerMinute
	ideal := time.Duration(bursts-1) * time.Minute
	ratio := ideal.Seconds() / took.Seconds()
	// Against the rate alone: 30 a minute per mailbox, no initial burst.
	rateRatio := float64(total) / float64(nMailboxes*send.MaxSendsPerMinute) / took.Minutes()
	b.ReportMetric(float64(dups), "duplicates")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(ratio, "ratio_vs_limits")
	b.ReportMetric(rateRatio, "ratio_vs_rate")
	b.ReportMetric(float64(total)/took.Minutes(), "emails/clock-min")
	b.Logf("%d emails, %d mailboxes, clock ×%.0f: took %s on the clock (%s real), the limits allow %s: ratio %.2f; %.0f emails/min (limits allow %d/min: ratio %.2f); duplicates %d, lost %d; peak %d sends/min and %d requests in flight per mailbox (limits 30, %d); %d deferred by Exchange",
		total, nMailboxes, e.clock.scale, took.Round(time.Second), realTook.Round(time.Second), ideal, ratio,
		float64(total)/took.Minutes(), nMailboxes*send.MaxSendsPerMinute, rateRatio, dups, lost, peakMinute, peakInFlight, microsoft.MaxConcurrentPerMailbox, deferred)
	require.Zero(b, dups)
	require.Zero(b, lost)
}
