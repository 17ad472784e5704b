package send_test

import (
	"context"
	"fmt"
	"sync"
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

// Delivery runs on River end to end: the periodic dispatch enqueues one
// job per account and the jobs deliver every due email once.
func TestSend_RiverDeliversEndToEnd(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{send: send.Options{PollInterval: 200 * time.Millisecond}})
		a := e.connected("adele@contoso.com")[0]
		b := e.connected("megan@contoso.com")[0]
		ea, eb := e.schedule(a, 4), e.schedule(b, 4)
		e.startRiver(e.sender)
		waitFor(t, 60*time.Second, "all delivered", func() bool { return e.count(scheduledemail.StateDELIVERED) == 8 })
		e.requireOnce(a.Address, ea)
		e.requireOnce(b.Address, eb)
	})
}

// Two instances on one PostgreSQL share the work: every email goes out
// once, and no mailbox ever sees more than the send share of Exchange's 4
// concurrent requests (the emulator counts the peak with a latency that
// makes requests overlap if two senders worked one mailbox).
func TestSend_TwoInstancesOnePostgres(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t)
	e := newEnv(t, d, envOptions{send: send.Options{PollInterval: 200 * time.Millisecond}})
	var mbs []*ent.Mailbox
	emails := map[string][]*ent.ScheduledEmail{}
	for i := range 3 {
		mb := e.connected(fmt.Sprintf("user%d@contoso.com", i))[0]
		mbs = append(mbs, mb)
		emails[mb.Address] = e.schedule(mb, 8)
		require.NoError(t, e.sim.SetLatency(mb.Address, 30*time.Millisecond))
	}
	e.sim.ResetCounters()
	other := send.New(d, e.newService(), send.Options{Now: e.clock.Now, PollInterval: 200 * time.Millisecond, Lease: 30 * time.Second, ConfirmWait: 2 * time.Second})
	e.startRiver(e.sender)
	e.startRiver(other)
	// Duplicate delivery jobs for the same accounts on both instances (as
	// a rescued job or a second dispatcher would make) find the account's
	// send lease taken.
	var wg sync.WaitGroup
	for _, mb := range mbs {
		for i, s := range []*send.Sender{e.sender, other, e.sender, other} {
			wg.Go(func() { _ = s.RunAccount(context.Background(), *mb.MicrosoftAccountID, fmt.Sprint("dup-", i), 1) })
		}
	}
	wg.Wait()
	waitFor(t, 90*time.Second, "all delivered", func() bool { return e.count(scheduledemail.StateDELIVERED) == 24 })
	for _, mb := range mbs {
		e.requireOnce(mb.Address, emails[mb.Address])
		c, err := e.sim.MailboxConcurrency(mb.Address)
		require.NoError(t, err)
		require.LessOrEqual(t, c.PeakInFlight, microsoft.SendConcurrency, mb.Address)
		require.LessOrEqual(t, c.PeakInFlight, microsoft.MaxConcurrentPerMailbox)
		require.Zero(t, c.Throttled)
	}
}
