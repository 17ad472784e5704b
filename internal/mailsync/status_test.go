package mailsync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/calendarevent"
	"mailbridge/ent/mailbox"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/mailsync"
)

// Calendar events in the rolling window are stored when a prospect
// attends, linked to them; cancelled-out events are removed.
func TestSync_CalendarEventsLinkedToAttendingProspects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	b := e.connected("ann@contoso.com")
	pat := e.prospect("pat@customer.example")
	now := e.clock.Now()
	meeting := func(subject string, at time.Time, attendees ...string) m365sim.Event {
		ev := m365sim.Event{Subject: subject, Start: at, End: at.Add(30 * time.Minute), Organizer: m365sim.Recipient{Address: b.address}}
		for _, a := range attendees {
			ev.Attendees = append(ev.Attendees, m365sim.Attendee{Recipient: m365sim.Recipient{Address: a}, Type: "required"})
		}
		out, err := e.sim.AddEvent(b.address, ev)
		require.NoError(t, err)
		return out
	}
	meeting("Demo with Pat", now.Add(48*time.Hour), "pat@customer.example", "colleague@contoso.com")
	meeting("Internal sync", now.Add(24*time.Hour), "colleague@contoso.com")
	meeting("Long ago with Pat", now.Add(-200*24*time.Hour), "pat@customer.example")
	e.sync(b)

	evs, err := e.client.CalendarEvent.Query().Where(calendarevent.MicrosoftAccountID(b.account)).WithProspects().All(e.sys)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, "Demo with Pat", evs[0].Subject)
	require.Equal(t, pat.ID, evs[0].Edges.Prospects[0].ID)
	require.WithinDuration(t, now.Add(48*time.Hour), evs[0].StartAt, time.Second)

	meeting("Follow-up with Pat", now.Add(72*time.Hour), "pat@customer.example")
	e.sync(b)
	n, err := e.client.CalendarEvent.Query().Where(calendarevent.MicrosoftAccountID(b.account)).Count(e.sys)
	require.NoError(t, err)
	require.Equal(t, 2, n, "incremental round adds the new event once")
}

// Syncing off: the round does nothing and the mailbox shows PAUSED; on
// again, sync resumes from the stored cursor rather than importing again.
func TestSync_ToggleOffPausesAndOnResumesFromCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	b := e.connected("ann@contoso.com")
	e.prospect("pat@customer.example")
	e.deliver(b, "pat@customer.example", "First")
	e.sync(b)

	require.NoError(t, e.client.Mailbox.UpdateOneID(b.mailbox.ID).SetSyncEnabled(false).Exec(e.sys))
	e.deliver(b, "pat@customer.example", "While off")
	before := len(e.sim.Requests())
	e.sync(b)
	require.Equal(t, before, len(e.sim.Requests()), "no Graph request while Syncing is off")
	require.Equal(t, mailbox.SyncStagePAUSED, e.mailbox(b).SyncStage)
	require.Len(t, e.messages(b), 1)

	require.NoError(t, e.client.Mailbox.UpdateOneID(b.mailbox.ID).SetSyncEnabled(true).Exec(e.sys))
	e.sync(b)
	require.Equal(t, []string{"First", "While off"}, subjects(e.messages(b)))
	mb := e.mailbox(b)
	require.Equal(t, mailbox.SyncStageINCREMENTAL, mb.SyncStage)
	for _, r := range e.sim.Requests()[before:] {
		require.NotContains(t, r.Path, "totalItemCount", "no new import")
	}
}

// A 429 storm stops the round with Graph's Retry-After (the worker snoozes
// it) and shows the mailbox throttled; another mailbox syncs meanwhile; the
// next round picks up where the last committed page left off.
func TestSync_ThrottledRoundWaitsRetryAfterOthersGoOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	b := e.connected("ann@contoso.com")
	other := e.connected("bob@contoso.com")
	e.prospect("pat@customer.example")
	for range 20 {
		e.deliver(b, "pat@customer.example", "Hello")
		e.deliver(other, "pat@customer.example", "Hello")
	}
	_, err := e.sim.InjectFault(m365sim.Fault{Mailbox: b.address, Kind: m365sim.FaultThrottle, Count: -1, RetryAfter: "17", PathContains: "/delta"})
	require.NoError(t, err)

	err = e.syncer.Sync(context.Background(), b.account)
	var te *mailsync.ThrottledError
	require.True(t, errors.As(err, &te), "got %v", err)
	require.Equal(t, 17*time.Second, te.RetryAfter)
	mb := e.mailbox(b)
	require.NotNil(t, mb.ThrottledUntil)
	require.WithinDuration(t, e.clock.Now().Add(17*time.Second), *mb.ThrottledUntil, time.Second)
	require.Contains(t, *mb.LastSyncError, "slow down")

	e.sync(other)
	require.Len(t, e.messages(other), 20)

	e.sim.ClearFaults()
	e.sync(b)
	require.Len(t, e.messages(b), 20)
	mb = e.mailbox(b)
	require.Nil(t, mb.ThrottledUntil)
	require.Nil(t, mb.LastSyncError)
}

// A 503 without Retry-After is retried by River with backoff: the round
// returns the error, the mailbox says so in words, nothing is lost.
func TestSync_ServiceUnavailableIsRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	b := e.connected("ann@contoso.com")
	e.prospect("pat@customer.example")
	for range 10 {
		e.deliver(b, "pat@customer.example", "Hello")
	}
	_, err := e.sim.InjectFault(m365sim.Fault{Mailbox: b.address, Kind: m365sim.FaultStatus, Status: 503, Count: 1, PathContains: "/delta"})
	require.NoError(t, err)
	require.Error(t, e.syncer.Sync(context.Background(), b.account))
	require.Contains(t, *e.mailbox(b).LastSyncError, "try again")
	e.sync(b)
	require.Len(t, e.messages(b), 10)
}

// The grant gone: when the access token has expired the refresh fails and
// the mailbox needs reconnecting at once; when Graph refuses a token that
// has not expired (revoked), the retry refreshes and finds out. What was
// synced stays.
func TestSync_GrantRevokedNeedsReconnect(t *testing.T) {
	t.Parallel()
	for _, expired := range []bool{true, false} {
		t.Run(map[bool]string{true: "token expired", false: "token refused"}[expired], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, dbtest.SQLite(t))
			b := e.connected("ann@contoso.com")
			e.prospect("pat@customer.example")
			e.deliver(b, "pat@customer.example", "Before")
			e.sync(b)

			require.NoError(t, e.sim.RevokeGrant(b.address, false))
			_, err := e.sim.FailGrants(m365sim.GrantFilter{UserID: b.address}, 50173)
			require.NoError(t, err)
			e.deliver(b, "pat@customer.example", "After")
			if expired {
				e.clock.Advance(2 * time.Hour)
			} else {
				require.Error(t, e.syncer.Sync(context.Background(), b.account), "River retries with a refreshed token")
			}
			require.NoError(t, e.syncer.Sync(context.Background(), b.account))
			mb := e.mailbox(b)
			require.Equal(t, mailbox.ConnectionStateNEEDS_RECONNECT, mb.ConnectionState)
			require.Contains(t, *mb.LastSyncError, "Reconnect")
			require.Equal(t, []string{"Before"}, subjects(e.messages(b)), "nothing synced is lost")
		})
	}
}

// Syncing turned off in the middle of a first import stops the round at
// the next page; turned on again, the import resumes from the last
// committed page: nothing twice, nothing missed.
func TestSync_ToggleOffMidImportStopsPromptlyAndResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	b := e.connected("ann@contoso.com")
	e.prospect("pat@customer.example")
	for range 60 {
		e.deliver(b, "pat@customer.example", "Hello")
	}
	require.NoError(t, e.sim.SetLatency(b.address, 40*time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- e.syncer.Sync(context.Background(), b.account) }()
	require.Eventually(t, func() bool { return e.mailbox(b).SyncProgressDone >= 14 }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, e.client.Mailbox.UpdateOneID(b.mailbox.ID).SetSyncEnabled(false).Exec(e.sys))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the round did not stop")
	}
	mb := e.mailbox(b)
	require.Equal(t, mailbox.SyncStagePAUSED, mb.SyncStage)
	stored := len(e.messages(b))
	require.Less(t, stored, 60, "stopped before the end")

	require.NoError(t, e.sim.SetLatency(b.address, 0))
	require.NoError(t, e.client.Mailbox.UpdateOneID(b.mailbox.ID).SetSyncEnabled(true).Exec(e.sys))
	e.freshDeltas.Store(0)
	e.sync(b)
	require.Len(t, e.messages(b), 60)
	require.Zero(t, e.freshDeltas.Load(), "resumed from the cursor, not from the start")
	require.Equal(t, mailbox.SyncStageINCREMENTAL, e.mailbox(b).SyncStage)
}
