package mailbox_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"mailbridge/ent"
	"mailbridge/ent/assignment"
	"mailbridge/ent/auditevent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/sequencestate"
	"mailbridge/internal/apperr"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// Every email state, so each test sees which ones an assignment touches.
var allEmails = []scheduledemail.State{
	scheduledemail.StateDRAFTED, scheduledemail.StateSCHEDULED, scheduledemail.StateDELIVERING,
	scheduledemail.StateDELIVERED, scheduledemail.StateFAILED, scheduledemail.StateBOUNCED,
}

func TestAssigner_Assign(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		f *fixture
		a *mailbox.Assigner
	}
	setup := func(t *testing.T, d *db.DB) *testBundle {
		t.Helper()
		f := newFixture(t, d, "Acme")
		return &testBundle{f: f, a: mailbox.NewAssigner(d, newInserter(t, d), mailbox.AssignOptions{})}
	}

	t.Run("ExplicitIDsYes", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			b := setup(t, d)
			f := b.f
			active := f.states(f.john, f.johnEWS, 3, sequencestate.StateACTIVE, allEmails...)
			paused := f.states(f.john, f.johnEWS, 1, sequencestate.StatePAUSED, scheduledemail.StateSCHEDULED)
			finished := f.states(f.john, f.johnEWS, 2, sequencestate.StateFINISHED, scheduledemail.StateSCHEDULED)
			already := f.states(f.john, f.johnOAuth, 1, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED)
			other := f.states(f.john, f.johnEWS, 1, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED)

			res, err := b.a.Assign(f.as(f.admin), mailbox.AssignInput{
				StateIDs: ids(active, paused, finished, already), MailboxID: f.johnOAuth.ID, UpdateUndeliveredEmails: true,
			})
			require.NoError(t, err)
			require.False(t, res.Background)
			require.Equal(t, 7, res.Selected)
			require.Equal(t, 4, res.StatesAssigned)
			// DRAFTED + SCHEDULED of 3 active states, SCHEDULED of the paused one.
			require.Equal(t, 7, res.EmailsMoved)
			require.Equal(t, 3, res.EmailsDelivering)
			require.Equal(t, map[mailbox.SkipReason]int{mailbox.SkipFinished: 2, mailbox.SkipAlreadyAssigned: 1}, res.Skipped)
			require.Equal(t, assignment.StatusSUCCEEDED, res.Assignment.Status)

			snap := f.snapshot()
			for _, s := range active {
				p := s.QueryProspect().OnlyX(f.sys).Email
				require.Equal(t, "john.work/ACTIVE", snap[p])
				require.Equal(t, "john.work/DRAFTED", snap[p+"#1"])
				require.Equal(t, "john.work/SCHEDULED", snap[p+"#2"], "held on EWS, now on a Connected, send-enabled mailbox")
				require.Equal(t, "john/DELIVERING", snap[p+"#3"], "an email being sent is never touched")
				require.Equal(t, "john/DELIVERED", snap[p+"#4"])
				require.Equal(t, "john/FAILED", snap[p+"#5"])
				require.Equal(t, "john/BOUNCED", snap[p+"#6"])
			}
			for _, s := range finished {
				p := s.QueryProspect().OnlyX(f.sys).Email
				require.Equal(t, "john/FINISHED", snap[p])
				require.Equal(t, "john/SCHEDULED", snap[p+"#1"])
			}
			p := other[0].QueryProspect().OnlyX(f.sys).Email
			require.Equal(t, "john/ACTIVE", snap[p], "unselected states stay")

			events, err := f.client.AuditEvent.Query().Where(auditevent.Action("sequenceStates.assignMailbox")).All(f.sys)
			require.NoError(t, err)
			require.Len(t, events, 1, "one audit event per assignment")
			ev := events[0]
			require.Equal(t, f.admin.ID, *ev.ActorID)
			require.Equal(t, res.Assignment.ID, *ev.TargetID)
			changes := map[string]schematype.AuditChange{}
			for _, c := range ev.Changes {
				changes[c.Field] = c
			}
			require.Equal(t, f.johnEWS.Address, *changes["mailbox"].From)
			require.Equal(t, f.johnOAuth.Address, *changes["mailbox"].To)
			require.Equal(t, "4", *changes["statesAssigned"].To)
			require.Equal(t, "7", *changes["emailsMoved"].To)
			require.Equal(t, "7 sequence states by ID", *changes["selection"].To)
		})
	})

	t.Run("ExplicitIDsNo", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			b := setup(t, d)
			f := b.f
			states := f.states(f.john, f.johnEWS, 2, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED, scheduledemail.StateDRAFTED)
			res, err := b.a.Assign(f.as(f.john), mailbox.AssignInput{
				StateIDs: ids(states), MailboxID: f.johnOAuth.ID, UpdateUndeliveredEmails: false,
			})
			require.NoError(t, err)
			require.Equal(t, 2, res.StatesAssigned)
			require.Zero(t, res.EmailsMoved)
			snap := f.snapshot()
			for _, s := range states {
				p := s.QueryProspect().OnlyX(f.sys).Email
				require.Equal(t, "john.work/ACTIVE", snap[p], "the state uses the new mailbox for future emails")
				require.Equal(t, "john/SCHEDULED", snap[p+"#1"], "No leaves existing emails where they are")
				require.Equal(t, "john/DRAFTED", snap[p+"#2"])
			}
		})
	})

	t.Run("FilterSelection", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			b := setup(t, d)
			f := b.f
			onEWS := f.states(f.john, f.johnEWS, 5, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED)
			elsewhere := f.states(f.john, f.johnIdle, 2, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED)
			mbID := f.johnEWS.ID
			res, err := b.a.Assign(f.as(f.admin), mailbox.AssignInput{
				Filter: &schematype.SequenceStateFilter{MailboxID: &mbID}, MailboxID: f.johnOAuth.ID, UpdateUndeliveredEmails: true,
			})
			require.NoError(t, err)
			require.Equal(t, 5, res.Selected)
			require.Equal(t, 5, res.StatesAssigned)
			require.Equal(t, 5, res.EmailsMoved)
			for _, s := range onEWS {
				require.Equal(t, f.johnOAuth.ID, f.client.SequenceState.GetX(f.sys, s.ID).MailboxID)
			}
			for _, s := range elsewhere {
				require.Equal(t, f.johnIdle.ID, f.client.SequenceState.GetX(f.sys, s.ID).MailboxID)
			}
			ev := f.client.AuditEvent.Query().Where(auditevent.Action("sequenceStates.assignMailbox")).OnlyX(f.sys)
			require.Contains(t, *ev.Changes[0].To, "all matching (mailboxID=")
		})
	})

	t.Run("PreviewEqualsApplied", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			b := setup(t, d)
			f := b.f
			f.states(f.john, f.johnEWS, 4, sequencestate.StateACTIVE, allEmails...)
			f.states(f.john, f.johnEWS, 2, sequencestate.StateFAILED, scheduledemail.StateSCHEDULED)
			f.states(f.john, f.johnOAuth, 3, sequencestate.StatePAUSED, scheduledemail.StateSCHEDULED)
			f.states(f.john, f.johnIdle, 1, sequencestate.StateACTIVE, scheduledemail.StateDRAFTED)
			owner := f.john.ID
			in := mailbox.AssignInput{
				Filter: &schematype.SequenceStateFilter{UserID: &owner}, MailboxID: f.johnOAuth.ID,
				UpdateUndeliveredEmails: true, DryRun: true,
			}
			before := f.snapshot()
			preview, err := b.a.Assign(f.as(f.admin), in)
			require.NoError(t, err)
			require.True(t, preview.DryRun)
			require.Nil(t, preview.Assignment)
			require.Equal(t, before, f.snapshot(), "a preview changes nothing")
			require.Zero(t, countRows(t, d, "assignments"))

			in.DryRun = false
			applied, err := b.a.Assign(f.as(f.admin), in)
			require.NoError(t, err)
			require.Equal(t, preview.Selected, applied.Selected)
			require.Equal(t, preview.StatesAssigned, applied.StatesAssigned)
			require.Equal(t, preview.EmailsMoved, applied.EmailsMoved)
			require.Equal(t, preview.EmailsDelivering, applied.EmailsDelivering)
			require.Equal(t, preview.Skipped, applied.Skipped)
			require.Equal(t, 5, applied.StatesAssigned)
			require.Equal(t, 4*2+1, applied.EmailsMoved)
		})
	})

	t.Run("Rules", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			b := setup(t, d)
			f := b.f
			johns := f.states(f.john, f.johnEWS, 2, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED)
			saras := f.states(f.sara, f.saraOAuth, 1, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED)
			other := newFixture(t, d, "Globex")
			foreign := other.states(other.john, other.johnEWS, 1, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED)
			sendOff := f.mailbox(f.john, "john.nosend", func(c *ent.MailboxCreate) {
				connectedOAuth(c)
				c.SetSendEnabled(false)
			})
			yes := func(stateIDs []int, mb int) mailbox.AssignInput {
				return mailbox.AssignInput{StateIDs: stateIDs, MailboxID: mb, UpdateUndeliveredEmails: true}
			}
			tests := []struct {
				name string
				ctx  context.Context
				in   mailbox.AssignInput
				kind apperr.Kind
				id   string
			}{
				{"NoSelection", f.as(f.admin), mailbox.AssignInput{MailboxID: f.johnOAuth.ID}, apperr.KindValidation, "assignment.noSelection"},
				{"TwoSelections", f.as(f.admin), mailbox.AssignInput{StateIDs: ids(johns), Filter: &schematype.SequenceStateFilter{}, MailboxID: f.johnOAuth.ID}, apperr.KindValidation, "assignment.twoSelections"},
				{"EmptyIDs", f.as(f.admin), yes([]int{}, f.johnOAuth.ID), apperr.KindValidation, "assignment.emptySelection"},
				{"NothingMatches", f.as(f.admin), mailbox.AssignInput{Filter: &schematype.SequenceStateFilter{States: []string{"FAILED"}}, MailboxID: f.johnOAuth.ID}, apperr.KindValidation, "assignment.emptySelection"},
				{"TargetLegacyEWS", f.as(f.admin), yes(ids(johns), f.johnEWS.ID), apperr.KindValidation, "assignment.mailboxLegacyEWS"},
				{"TargetNotConnected", f.as(f.admin), yes(ids(johns), f.johnIdle.ID), apperr.KindValidation, "assignment.mailboxNotConnected"},
				{"TargetSendingOff", f.as(f.admin), yes(ids(johns), sendOff.ID), apperr.KindValidation, "assignment.mailboxSendingOff"},
				{"TargetOtherOrg", f.as(f.admin), yes(ids(johns), other.johnOAuth.ID), apperr.KindNotFound, "assignment.mailboxNotFound"},
				{"CrossOrgIDs", f.as(f.admin), yes(ids(johns, foreign), f.johnOAuth.ID), apperr.KindNotFound, "assignment.stateNotFound"},
				{"UserOtherUsersMailbox", f.as(f.john), yes(ids(johns), f.saraOAuth.ID), apperr.KindNotFound, "assignment.mailboxNotFound"},
				{"UserOtherUsersStates", f.as(f.john), yes(ids(johns, saras), f.johnOAuth.ID), apperr.KindNotFound, "assignment.stateNotFound"},
				{"OtherOwnerNotAllowed", f.as(f.admin), yes(ids(johns, saras), f.johnOAuth.ID), apperr.KindForbidden, "assignment.otherOwner"},
			}
			before := f.snapshot()
			for _, tt := range tests {
				_, err := b.a.Assign(tt.ctx, tt.in)
				requireAppErr(t, err, tt.kind, tt.id)
				if tt.id == "assignment.otherOwner" {
					require.Contains(t, err.Error(), "does not allow assigning sequence states to another user's mailbox")
				}
			}
			require.Equal(t, before, f.snapshot(), "a refused assignment changes nothing")
			require.Zero(t, countRows(t, d, "assignments"))

			// The organization setting lifts the owner rule (admins only).
			_, err := b.a.SetAllowCrossOwnerAssignment(f.as(f.john), true)
			requireAppErr(t, err, apperr.KindForbidden, "organization.adminOnly")
			_, err = b.a.SetAllowCrossOwnerAssignment(f.as(f.admin), true)
			require.NoError(t, err)
			res, err := b.a.Assign(f.as(f.admin), yes(ids(johns, saras), f.johnOAuth.ID))
			require.NoError(t, err)
			require.Equal(t, 3, res.StatesAssigned)
		})
	})
}

func TestAssigner_Background(t *testing.T) {
	t.Parallel()

	// Two organizations with the same data: one assignment runs through
	// uninterrupted, the other is killed mid-way and resumed.
	type testBundle struct {
		d    *db.DB
		a, b *fixture
	}
	setup := func(t *testing.T, d *db.DB) *testBundle {
		t.Helper()
		tb := &testBundle{d: d, a: newFixture(t, d, "A"), b: newFixture(t, d, "B")}
		for _, f := range []*fixture{tb.a, tb.b} {
			f.states(f.john, f.johnEWS, 9, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED, scheduledemail.StateDELIVERING)
			f.states(f.john, f.johnEWS, 2, sequencestate.StateFINISHED, scheduledemail.StateSCHEDULED)
			f.states(f.john, f.johnIdle, 3, sequencestate.StatePAUSED, scheduledemail.StateDRAFTED)
		}
		return tb
	}
	filterJohn := func(f *fixture) *schematype.SequenceStateFilter {
		id := f.john.ID
		return &schematype.SequenceStateFilter{UserID: &id}
	}

	t.Run("KilledMidwayResumesToTheSameResult", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			tb := setup(t, d)
			ins := newInserter(t, d)
			opts := mailbox.AssignOptions{BackgroundThreshold: 4, ChunkSize: 3}

			// Uninterrupted.
			plain := mailbox.NewAssigner(d, ins, opts)
			resA, err := plain.Assign(tb.a.as(tb.a.admin), mailbox.AssignInput{Filter: filterJohn(tb.a), MailboxID: tb.a.johnOAuth.ID, UpdateUndeliveredEmails: true})
			require.NoError(t, err)
			require.True(t, resA.Background)
			require.Equal(t, 14, resA.Selected)
			require.NoError(t, plain.Run(context.Background(), resA.Assignment.ID))
			opA := tb.a.client.Assignment.GetX(tb.a.sys, resA.Assignment.ID)

			// Killed in its third chunk (after its updates, before commit),
			// then resumed by a new run, as River retries after a crash.
			var kills int
			killOpts := opts
			killOpts.AfterChunkFunc = func(_ context.Context, op *ent.Assignment) error {
				if op.Done > 6 && kills == 0 {
					kills++
					return errors.New("worker killed")
				}
				return nil
			}
			killed := mailbox.NewAssigner(d, ins, killOpts)
			resB, err := killed.Assign(tb.b.as(tb.b.admin), mailbox.AssignInput{Filter: filterJohn(tb.b), MailboxID: tb.b.johnOAuth.ID, UpdateUndeliveredEmails: true})
			require.NoError(t, err)
			require.ErrorContains(t, killed.Run(context.Background(), resB.Assignment.ID), "worker killed")
			mid := tb.b.client.Assignment.GetX(tb.b.sys, resB.Assignment.ID)
			require.Equal(t, assignment.StatusRUNNING, mid.Status)
			require.Equal(t, 6, mid.Done, "two chunks committed, the third rolled back")
			require.Equal(t, 1, kills)
			require.NoError(t, killed.Run(context.Background(), resB.Assignment.ID))
			opB := tb.b.client.Assignment.GetX(tb.b.sys, resB.Assignment.ID)

			require.Equal(t, assignment.StatusSUCCEEDED, opB.Status)
			require.Equal(t, tb.a.snapshot(), tb.b.snapshot())
			for _, op := range []*ent.Assignment{opA, opB} {
				require.Equal(t, assignment.StatusSUCCEEDED, op.Status)
				require.Equal(t, 14, op.Done)
				require.Equal(t, 12, op.StatesAssigned)
				require.Equal(t, 9+3, op.EmailsMoved)
				require.Equal(t, 9, op.EmailsDelivering)
				require.Equal(t, 2, op.SkippedFinished)
			}
			// Running a finished assignment again changes nothing.
			require.NoError(t, killed.Run(context.Background(), resB.Assignment.ID))
			require.Equal(t, opB.StatesAssigned, tb.b.client.Assignment.GetX(tb.b.sys, resB.Assignment.ID).StatesAssigned)
			require.Equal(t, 2, countRows(t, d, "audit_events WHERE action = 'sequenceStates.assignMailbox'"))
		})
	})

	t.Run("RolledBackMutationLeavesNeitherRowNorJob", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			tb := setup(t, d)
			f := tb.a
			a := mailbox.NewAssigner(d, newInserter(t, d), mailbox.AssignOptions{BackgroundThreshold: 4})
			in := mailbox.AssignInput{Filter: filterJohn(f), MailboxID: f.johnOAuth.ID, UpdateUndeliveredEmails: true}
			boom := errors.New("a later step of the mutation failed")
			err := txn.RunSQL(f.as(f.admin), d, func(ctx context.Context, _ *ent.Client, _ *sql.Tx) error {
				res, err := a.Assign(ctx, in)
				require.NoError(t, err)
				require.True(t, res.Background)
				require.Equal(t, 1, countRowsTx(t, ctx, "river_job"), "the job is inserted in the transaction")
				return boom
			})
			require.ErrorIs(t, err, boom)
			require.Zero(t, countRows(t, d, "assignments"))
			require.Zero(t, countRows(t, d, "river_job"))

			// The same call committed leaves both.
			res, err := a.Assign(f.as(f.admin), in)
			require.NoError(t, err)
			require.Equal(t, 1, countRows(t, d, "assignments"))
			var args string
			require.NoError(t, d.Write.QueryRowContext(context.Background(), "SELECT kind FROM river_job").Scan(&args))
			require.Equal(t, "mailbox.assign", args)
			require.Equal(t, assignment.StatusRUNNING, res.Assignment.Status)
		})
	})

	t.Run("ConcurrentAssignmentsNeverInterleave", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			tb := setup(t, d)
			f := tb.a
			second := f.mailbox(f.john, "john.second", connectedOAuth)
			a := mailbox.NewAssigner(d, newInserter(t, d), mailbox.AssignOptions{ChunkSize: 2})
			// Two small assignments of the same states to two mailboxes at
			// once: each applies whole, one after the other.
			var g errgroup.Group
			for _, mb := range []*ent.Mailbox{f.johnOAuth, second} {
				g.Go(func() error {
					_, err := a.Assign(f.as(f.admin), mailbox.AssignInput{Filter: filterJohn(f), MailboxID: mb.ID, UpdateUndeliveredEmails: true})
					return err
				})
			}
			require.NoError(t, g.Wait())
			states, err := f.client.SequenceState.Query().
				Where(sequencestate.OrgID(f.org.ID), sequencestate.StateIn(sequencestate.StateACTIVE, sequencestate.StatePAUSED)).All(f.sys)
			require.NoError(t, err)
			seen := map[int]bool{}
			for _, s := range states {
				seen[s.MailboxID] = true
			}
			require.Len(t, seen, 1, "all states end on one mailbox, never a mix")

			// A background assignment in progress refuses a second one,
			// and a small one touching its states; others go ahead.
			bg := mailbox.NewAssigner(d, newInserter(t, d), mailbox.AssignOptions{BackgroundThreshold: 4})
			res, err := bg.Assign(f.as(f.admin), mailbox.AssignInput{Filter: filterJohn(f), MailboxID: f.johnOAuth.ID, UpdateUndeliveredEmails: true})
			require.NoError(t, err)
			require.True(t, res.Background)
			_, err = bg.Assign(f.as(f.admin), mailbox.AssignInput{Filter: filterJohn(f), MailboxID: second.ID, UpdateUndeliveredEmails: true})
			requireAppErr(t, err, apperr.KindConflict, "assignment.inProgress")
			one, err := f.client.SequenceState.Query().Where(sequencestate.OrgID(f.org.ID), sequencestate.UserID(f.john.ID)).FirstID(f.sys)
			require.NoError(t, err)
			_, err = bg.Assign(f.as(f.admin), mailbox.AssignInput{StateIDs: []int{one}, MailboxID: second.ID})
			requireAppErr(t, err, apperr.KindConflict, "assignment.inProgress")
			saras := f.states(f.sara, f.saraOAuth, 1, sequencestate.StateACTIVE, scheduledemail.StateSCHEDULED)
			_, err = bg.Assign(f.as(f.admin), mailbox.AssignInput{StateIDs: ids(saras), MailboxID: f.saraOAuth.ID})
			require.NoError(t, err, "states the running assignment does not touch can be assigned")
			require.NoError(t, bg.Run(context.Background(), res.Assignment.ID))
			_, err = bg.Assign(f.as(f.admin), mailbox.AssignInput{StateIDs: []int{one}, MailboxID: second.ID})
			require.NoError(t, err, "once it finished")
		})
	})

	t.Run("TargetDisconnectedMidwayFails", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			tb := setup(t, d)
			f := tb.a
			var once sync.Once
			a := mailbox.NewAssigner(d, newInserter(t, d), mailbox.AssignOptions{
				BackgroundThreshold: 4, ChunkSize: 3,
				AfterChunkFunc: func(ctx context.Context, _ *ent.Assignment) error {
					var err error
					once.Do(func() {
						// Microsoft revoked the grant after the first chunk.
						err = ent.FromContext(ctx).Mailbox.UpdateOneID(f.johnOAuth.ID).
							SetConnectionState(entmailbox.ConnectionStateNEEDS_RECONNECT).Exec(viewer.SystemContext(ctx))
					})
					return err
				},
			})
			res, err := a.Assign(f.as(f.admin), mailbox.AssignInput{Filter: filterJohn(f), MailboxID: f.johnOAuth.ID, UpdateUndeliveredEmails: true})
			require.NoError(t, err)
			require.NoError(t, a.Run(context.Background(), res.Assignment.ID))
			op := f.client.Assignment.GetX(f.sys, res.Assignment.ID)
			require.Equal(t, assignment.StatusFAILED, op.Status)
			require.Equal(t, 3, op.Done, "the first chunk stays applied")
			require.Contains(t, *op.Error, "is not connected")
			ev := f.client.AuditEvent.Query().Where(auditevent.Action("sequenceStates.assignMailbox")).OnlyX(f.sys)
			require.Equal(t, op.ID, *ev.TargetID)
		})
	})

	t.Run("DeliveringDuringTheAssignmentIsLeftAlone", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			tb := setup(t, d)
			f := tb.a
			var once sync.Once
			var claimed int
			// Between two chunks, the send claim moves one not yet
			// processed SCHEDULED email to DELIVERING.
			a := mailbox.NewAssigner(d, newInserter(t, d), mailbox.AssignOptions{
				BackgroundThreshold: 4, ChunkSize: 3,
				AfterChunkFunc: func(ctx context.Context, op *ent.Assignment) error {
					var err error
					once.Do(func() {
						c := ent.FromContext(ctx)
						var e *ent.ScheduledEmail
						e, err = c.ScheduledEmail.Query().Where(scheduledemail.StateEQ(scheduledemail.StateSCHEDULED),
							scheduledemail.MailboxID(f.johnEWS.ID),
							scheduledemail.HasSequenceStateWith(sequencestate.IDGT(op.CursorStateID),
								sequencestate.StateEQ(sequencestate.StateACTIVE))).First(ctx)
						if err == nil {
							claimed = e.ID
							err = c.ScheduledEmail.UpdateOne(e).SetState(scheduledemail.StateDELIVERING).Exec(ctx)
						}
					})
					return err
				},
			})
			res, err := a.Assign(f.as(f.admin), mailbox.AssignInput{Filter: filterJohn(f), MailboxID: f.johnOAuth.ID, UpdateUndeliveredEmails: true})
			require.NoError(t, err)
			require.NoError(t, a.Run(context.Background(), res.Assignment.ID))
			require.NotZero(t, claimed)
			e := f.client.ScheduledEmail.GetX(f.sys, claimed)
			require.Equal(t, scheduledemail.StateDELIVERING, e.State)
			require.Equal(t, f.johnEWS.ID, e.MailboxID, "the email being sent keeps its mailbox")
			op := f.client.Assignment.GetX(f.sys, res.Assignment.ID)
			require.Equal(t, 9+1, op.EmailsDelivering)
			require.Equal(t, 9-1+3, op.EmailsMoved)
		})
	})
}

func countRowsTx(t testing.TB, ctx context.Context, table string) int {
	t.Helper()
	var n int
	require.NoError(t, txn.SQLTx(ctx).QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n))
	return n
}
