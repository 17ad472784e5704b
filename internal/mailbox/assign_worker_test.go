package mailbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"mailbridge/ent/assignment"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/sequencestate"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/jobs"
	"mailbridge/internal/mailbox"
)

// TestAssignWorker_River runs a background assignment end to end on a real
// River client: enqueued with InsertTx by Assign, worked by AssignWorker.
func TestAssignWorker_River(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, "Acme")
		f.states(f.john, f.johnEWS, 7, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED, scheduledemail.StateDRAFTED)
		ins, err := jobs.NewInserter(d, nil)
		require.NoError(t, err)
		a := mailbox.NewAssigner(d, ins, mailbox.AssignOptions{BackgroundThreshold: 3, ChunkSize: 2})
		workers := river.NewWorkers()
		river.AddWorker(workers, mailbox.NewAssignWorker(a))
		rc, err := jobs.NewClient(d, workers, jobs.Options{FetchPollInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		completed, cancel := rc.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
		defer cancel()
		ctx, stop := context.WithTimeout(context.Background(), time.Minute)
		defer stop()
		require.NoError(t, rc.Start(ctx))
		t.Cleanup(func() { require.NoError(t, rc.Stop(context.Background())) })

		mbID := f.johnEWS.ID
		res, err := a.Assign(f.as(f.admin), mailbox.AssignInput{
			Filter: &schematype.SequenceStateFilter{MailboxID: &mbID}, MailboxID: f.johnOAuth.ID, UpdateUndeliveredEmails: true,
		})
		require.NoError(t, err)
		require.True(t, res.Background)

		select {
		case ev := <-completed:
			require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job ended %s: %v", ev.Kind, ev.Job.Errors)
			require.Equal(t, "mailbox.assign", ev.Job.Kind)
		case <-ctx.Done():
			t.Fatal("the assignment job did not complete")
		}
		op := f.client.Assignment.GetX(f.sys, res.Assignment.ID)
		require.Equal(t, assignment.StatusSUCCEEDED, op.Status)
		require.Equal(t, 7, op.Done)
		require.Equal(t, 7, op.StatesAssigned)
		require.Equal(t, 14, op.EmailsMoved)
	})
}
