package mailsync_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"mailbridge/internal/dbtest"
	"mailbridge/internal/jobs"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/mailsync"
	"mailbridge/internal/microsoft"
)

// Two instances on one PostgreSQL, each asked many times over to sync the
// same mailbox: rounds never overlap (one job per account), so the mailbox
// never sees more than sync's share of requests at once and is never
// throttled, and everything arrives once.
func TestSync_TwoInstancesStayWithinTheMailboxShare(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t)
	e := newEnv(t, d)
	b := e.connected("ann@contoso.com")
	e.prospect("pat@customer.example")
	for range 40 {
		e.deliver(b, "pat@customer.example", "Hello")
	}
	require.NoError(t, e.sim.SetLatency(b.address, 60*time.Millisecond))
	e.sim.ResetCounters()

	var syncers []*mailsync.Syncer
	for range 2 {
		s := mailsync.New(e.opts) // its own Syncer and River client: another instance
		syncers = append(syncers, s)
		workers := river.NewWorkers()
		river.AddWorker(workers, mailsync.NewSyncWorker(s))
		rc, err := jobs.NewClient(d, workers, jobs.Options{MaxWorkers: 4, FetchPollInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		require.NoError(t, rc.Start(context.Background()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = rc.StopAndCancel(ctx)
		})
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { require.NoError(t, syncers[i%2].Enqueue(context.Background(), b.account)) })
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		var n int
		err := d.Write.QueryRow(`SELECT count(*) FROM river_job WHERE kind = $1 AND state NOT IN ($2, $3, $4)`,
			jobs.SyncAccountArgs{}.Kind(), rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded).Scan(&n)
		return err == nil && n == 0 && len(e.messages(b)) == 40
	}, 60*time.Second, 100*time.Millisecond)

	c, err := e.sim.MailboxConcurrency(b.address)
	require.NoError(t, err)
	require.LessOrEqual(t, c.PeakInFlight, microsoft.SyncConcurrency)
	require.Greater(t, c.PeakInFlight, 1, "a round uses its share")
	require.Zero(t, c.Throttled)
	require.Len(t, e.messages(b), 40)
}

// Through River: a throttled round is snoozed for Graph's Retry-After
// (the worker is free meanwhile), then completes.
func TestSyncWorker_SnoozesThrottledRound(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	e := newEnv(t, d)
	b := e.connected("ann@contoso.com")
	e.prospect("pat@customer.example")
	e.deliver(b, "pat@customer.example", "Hello")
	_, err := e.sim.InjectFault(m365sim.Fault{Mailbox: b.address, Kind: m365sim.FaultThrottle, Count: 1, RetryAfter: "2", PathContains: "/delta"})
	require.NoError(t, err)

	workers := river.NewWorkers()
	river.AddWorker(workers, mailsync.NewSyncWorker(e.syncer))
	rc, err := jobs.NewClient(d, workers, jobs.Options{FetchPollInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	events, cancel := rc.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted)
	defer cancel()
	require.NoError(t, rc.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rc.StopAndCancel(ctx)
	})
	require.NoError(t, e.syncer.Enqueue(context.Background(), b.account))

	ev := <-events
	require.Equal(t, river.EventKindJobSnoozed, ev.Kind)
	require.WithinDuration(t, time.Now().Add(2*time.Second), ev.Job.ScheduledAt, 1500*time.Millisecond, "snoozed for Retry-After")
	select {
	case ev = <-events:
		require.Equal(t, river.EventKindJobCompleted, ev.Kind)
	case <-time.After(20 * time.Second):
		t.Fatal("the snoozed round did not complete")
	}
	require.Len(t, e.messages(b), 1)
}
