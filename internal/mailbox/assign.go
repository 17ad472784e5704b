package mailbox

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"mailbridge/ent"
	"mailbridge/ent/assignment"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/predicate"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/sequencestate"
	"mailbridge/internal/apperr"
	"mailbridge/internal/audit"
	"mailbridge/internal/db"
	"mailbridge/internal/jobs"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// Assignment limits.
const (
	// DefaultBackgroundThreshold is the selection size above which an
	// assignment runs as a background job instead of in the request.
	DefaultBackgroundThreshold = 5000
	// DefaultChunkSize bounds the IDs of one statement (QUALITY.md §4.3:
	// IN lists of at most 1,000, well under both databases' bind-parameter
	// limits) and the states of one background transaction.
	DefaultChunkSize = 1000
	// MaxExplicitIDs bounds an explicit selection; larger ones pass the
	// list's filter ("select all N matching") instead.
	MaxExplicitIDs = 10_000
)

// SkipReason says why a selected sequence state was not assigned.
type SkipReason string

// The skip reasons, as the API names them.
const (
	// SkipFinished: the state is FINISHED or FAILED; it sends nothing more.
	SkipFinished SkipReason = "FINISHED"
	// SkipAlreadyAssigned: the state already uses the target mailbox.
	SkipAlreadyAssigned SkipReason = "ALREADY_ASSIGNED"
	// SkipOtherOwner: the state's owner changed during a background
	// assignment and the organization does not allow assigning it to
	// another user's mailbox.
	SkipOtherOwner SkipReason = "OTHER_OWNER"
)

// activeStates are the sequence states that still send, and so move.
var activeStates = []sequencestate.State{sequencestate.StateACTIVE, sequencestate.StatePAUSED}

// movableEmails are the only email states an assignment changes: the
// update is conditional on them, so an email the send claim moved to
// DELIVERING in the meantime is left alone.
var movableEmails = []scheduledemail.State{scheduledemail.StateDRAFTED, scheduledemail.StateSCHEDULED}

// AssignInput is one assignMailbox request. Exactly one of StateIDs and
// Filter selects the states.
type AssignInput struct {
	StateIDs                []int
	Filter                  *schematype.SequenceStateFilter
	MailboxID               int
	UpdateUndeliveredEmails bool
	DryRun                  bool
}

// AssignResult reports what an assignment did, or — for a preview — would
// do. A background assignment reports its counts through Assignment as its
// chunks complete.
type AssignResult struct {
	DryRun           bool
	Background       bool
	Selected         int
	StatesAssigned   int
	EmailsMoved      int
	EmailsDelivering int
	Skipped          map[SkipReason]int
	Assignment       *ent.Assignment
}

// Skips returns an assignment's skipped states per reason (zero counts
// omitted), in a fixed order.
func Skips(a *ent.Assignment) map[SkipReason]int {
	return skips(a.SkippedFinished, a.SkippedAlreadyAssigned, a.SkippedOtherOwner)
}

func skips(finished, already, other int) map[SkipReason]int {
	m := map[SkipReason]int{}
	for r, n := range map[SkipReason]int{SkipFinished: finished, SkipAlreadyAssigned: already, SkipOtherOwner: other} {
		if n > 0 {
			m[r] = n
		}
	}
	return m
}

// AssignOptions configure an Assigner.
type AssignOptions struct {
	// BackgroundThreshold: selections larger than this run as a job
	// (default DefaultBackgroundThreshold).
	BackgroundThreshold int
	// ChunkSize: states per statement and per background transaction
	// (default DefaultChunkSize).
	ChunkSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// AfterChunkFunc, when set, runs inside each chunk's transaction after
	// its updates and before its commit; an error rolls the chunk back.
	// Tests use it to kill a job mid-way.
	AfterChunkFunc func(ctx context.Context, a *ent.Assignment) error
}

// Assigner moves sequence states and their undelivered emails to another
// mailbox (Settings › System Activity › Sequences States › Assign Mailbox).
type Assigner struct {
	db   *db.DB
	jobs jobs.Inserter
	o    AssignOptions
}

// NewAssigner returns an Assigner over d that enqueues background
// assignments with ins.
func NewAssigner(d *db.DB, ins jobs.Inserter, o AssignOptions) *Assigner {
	o.BackgroundThreshold = cmp.Or(o.BackgroundThreshold, DefaultBackgroundThreshold)
	o.ChunkSize = cmp.Or(o.ChunkSize, DefaultChunkSize)
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Assigner{db: d, jobs: ins, o: o}
}

// Assign checks the rules, then previews (DryRun), applies in the caller's
// transaction (small selections), or records the assignment and enqueues
// its job in that transaction (large ones).
func (a *Assigner) Assign(ctx context.Context, in AssignInput) (*AssignResult, error) {
	sel, err := newSelection(in)
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("auth.required", "Sign in to assign sequence states.")
	}
	var res *AssignResult
	err = txn.RunSQL(ctx, a.db, func(ctx context.Context, c *ent.Client, tx *sql.Tx) error {
		if err := a.lockOrg(ctx, tx, v.OrgID); err != nil {
			return err
		}
		mb, err := a.target(ctx, c, v, in.MailboxID)
		if err != nil {
			return err
		}
		if sel.ids != nil {
			if err := checkVisible(ctx, c, sel.ids); err != nil {
				return err
			}
		}
		if sel.maxID, err = maxStateID(ctx, c, sel); err != nil {
			return err
		}
		total := 0
		if sel.maxID > 0 {
			if total, err = sel.count(ctx, c); err != nil {
				return err
			}
		}
		if total == 0 {
			return apperr.Validation("assignment.emptySelection", "filter",
				"No sequence states match the selection. Change the filters or select states in the list.")
		}
		org, err := c.Organization.Get(ctx, v.OrgID)
		if err != nil {
			return fmt.Errorf("mailbox: assign: load organization: %w", err)
		}
		if !org.AllowCrossOwnerAssignment {
			if err := checkOwners(ctx, c, sel, mb); err != nil {
				return err
			}
		}
		background := total > a.o.BackgroundThreshold
		if err := a.checkRunning(ctx, c, v.OrgID, sel, background); err != nil {
			return err
		}
		if in.DryRun {
			res, err = preview(ctx, c, sel, mb, in.UpdateUndeliveredEmails, total)
			return err
		}
		create := c.Assignment.Create().
			SetOrgID(v.OrgID).
			SetActorID(v.UserID).
			SetMailboxID(mb.ID).
			SetUpdateUndeliveredEmails(in.UpdateUndeliveredEmails).
			SetMaxStateID(sel.maxID).
			SetBackground(background).
			SetTotal(total)
		if v.APITokenID != 0 {
			create.SetAPITokenID(v.APITokenID)
		}
		if sel.ids != nil {
			create.SetSelectionIds(sel.ids)
		} else {
			create.SetSelectionFilter(sel.filter)
		}
		op, err := create.Save(ctx)
		if err != nil {
			return fmt.Errorf("mailbox: assign: record: %w", err)
		}
		if background {
			if _, err := a.jobs.InsertTx(ctx, tx, jobs.AssignMailboxArgs{AssignmentID: op.ID}, nil); err != nil {
				return fmt.Errorf("mailbox: assign: enqueue: %w", err)
			}
			res = &AssignResult{Background: true, Selected: total, Skipped: map[SkipReason]int{}, Assignment: op}
			return nil
		}
		for {
			var n int
			if op, n, err = a.applyChunk(ctx, c, op, mb, org.AllowCrossOwnerAssignment); err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
		if op, err = a.finish(ctx, c, op, mb); err != nil {
			return err
		}
		res = resultOf(op)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// resultOf reports a finished assignment.
func resultOf(op *ent.Assignment) *AssignResult {
	return &AssignResult{
		Background:       op.Background,
		Selected:         op.Total,
		StatesAssigned:   op.StatesAssigned,
		EmailsMoved:      op.EmailsMoved,
		EmailsDelivering: op.EmailsDelivering,
		Skipped:          Skips(op),
		Assignment:       op,
	}
}

// selection is the states an assignment acts on: sorted unique IDs, or a
// filter bounded by maxID.
type selection struct {
	ids    []int
	filter *schematype.SequenceStateFilter
	maxID  int
	chunk  int
}

func newSelection(in AssignInput) (*selection, error) {
	switch {
	case in.StateIDs == nil && in.Filter == nil:
		return nil, apperr.Validation("assignment.noSelection", "stateIDs",
			"Select the sequence states to assign: pass stateIDs, or a filter for everything that matches it.")
	case in.StateIDs != nil && in.Filter != nil:
		return nil, apperr.Validation("assignment.twoSelections", "filter",
			"Pass either stateIDs or a filter, not both.")
	case in.StateIDs != nil && len(in.StateIDs) == 0:
		return nil, apperr.Validation("assignment.emptySelection", "stateIDs",
			"Select at least one sequence state.")
	case len(in.StateIDs) > MaxExplicitIDs:
		return nil, apperr.Validation("assignment.tooManyIDs", "stateIDs", fmt.Sprintf(
			"Pass at most %d sequence state IDs. To assign more, pass the list's filter instead (select all matching).", MaxExplicitIDs))
	}
	s := &selection{filter: in.Filter}
	if in.StateIDs != nil {
		s.ids = slices.Clone(in.StateIDs)
		slices.Sort(s.ids)
		s.ids = slices.Compact(s.ids)
	}
	return s, nil
}

// selectionOf rebuilds an assignment's selection.
func selectionOf(op *ent.Assignment) *selection {
	return &selection{ids: op.SelectionIds, filter: op.SelectionFilter, maxID: op.MaxStateID}
}

// chunks returns the predicate sets that together select the whole
// selection after cursor, each binding at most size IDs.
func (s *selection) chunks(after, size int) [][]predicate.SequenceState {
	if s.ids == nil {
		ps := append(StatePredicates(s.filter), sequencestate.IDGT(after), sequencestate.IDLTE(s.maxID))
		return [][]predicate.SequenceState{ps}
	}
	i, _ := slices.BinarySearch(s.ids, after+1)
	var out [][]predicate.SequenceState
	for rest := s.ids[i:]; len(rest) > 0; {
		n := min(size, len(rest))
		out = append(out, []predicate.SequenceState{sequencestate.IDIn(rest[:n]...)})
		rest = rest[n:]
	}
	return out
}

// count counts the selected states that also satisfy extra.
func (s *selection) count(ctx context.Context, c *ent.Client, extra ...predicate.SequenceState) (int, error) {
	total := 0
	for _, ps := range s.chunks(0, DefaultChunkSize) {
		n, err := c.SequenceState.Query().Where(append(ps, extra...)...).Count(ctx)
		if err != nil {
			return 0, fmt.Errorf("mailbox: assign: count: %w", err)
		}
		total += n
	}
	return total, nil
}

// countEmails counts the scheduled emails of the selected active states
// that satisfy extra.
func (s *selection) countEmails(ctx context.Context, c *ent.Client, extra ...predicate.ScheduledEmail) (int, error) {
	total := 0
	for _, ps := range s.chunks(0, DefaultChunkSize) {
		n, err := c.ScheduledEmail.Query().
			Where(append(extra, scheduledemail.HasSequenceStateWith(append(ps, sequencestate.StateIn(activeStates...))...))...).
			Count(ctx)
		if err != nil {
			return 0, fmt.Errorf("mailbox: assign: count emails: %w", err)
		}
		total += n
	}
	return total, nil
}

// lockOrg serialises assignments within an organization on PostgreSQL for
// the rest of the transaction, so two never interleave chunk by chunk and
// the running-assignment check cannot race. SQLite's immediate write
// transactions are serialised already.
func (a *Assigner) lockOrg(ctx context.Context, tx *sql.Tx, orgID int) error {
	if a.db.Dialect != dialect.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('mailbridge_assign:' || $1, 0))`, strconv.Itoa(orgID)); err != nil {
		return fmt.Errorf("mailbox: assign: lock organization: %w", err)
	}
	return nil
}

// target loads the mailbox the states go to and checks that it can send.
func (a *Assigner) target(ctx context.Context, c *ent.Client, v *viewer.Viewer, id int) (*ent.Mailbox, error) {
	mb, err := c.Mailbox.Get(ctx, id)
	if ent.IsNotFound(err) {
		msg := "This mailbox does not exist or you cannot see it."
		if !v.Admin {
			msg += " You can assign sequence states only to your own mailboxes."
		}
		return nil, apperr.NotFound("assignment.mailboxNotFound", msg)
	}
	if err != nil {
		return nil, fmt.Errorf("mailbox: assign: load mailbox %d: %w", id, err)
	}
	if !v.Admin && mb.UserID != v.UserID {
		return nil, apperr.Forbidden("assignment.notOwnMailbox", "You can assign sequence states only to your own mailboxes.")
	}
	return mb, checkEligible(mb)
}

// checkEligible says why a mailbox cannot take sequence states, if it
// cannot: it must be connected through Office 365 OAuth with Sending on.
func checkEligible(mb *ent.Mailbox) error {
	if reason := IneligibleReason(mb); reason != "" {
		id := "assignment.mailboxNotConnected"
		switch {
		case mb.Provider != nil && *mb.Provider == entmailbox.ProviderEXCHANGE_EWS:
			id = "assignment.mailboxLegacyEWS"
		case mb.ConnectionState == entmailbox.ConnectionStateCONNECTED && !mb.SendEnabled:
			id = "assignment.mailboxSendingOff"
		}
		return apperr.Validation(id, "mailboxID", reason)
	}
	return nil
}

// IneligibleReason says in words why sequence states cannot be assigned to
// mb, or returns "" when they can. The Assign Mailbox dialog shows it next
// to the disabled mailbox.
func IneligibleReason(mb *ent.Mailbox) string {
	switch {
	case mb.Provider != nil && *mb.Provider == entmailbox.ProviderEXCHANGE_EWS:
		return fmt.Sprintf("%s uses legacy Exchange (EWS), which Exchange Online blocks. Connect it with Office 365 OAuth first (Edit › Email Provider › Office 365 OAuth (recommended) › Connect with Office 365).", mb.Address)
	case mb.Provider == nil || *mb.Provider != entmailbox.ProviderOFFICE365_OAUTH || mb.ConnectionState != entmailbox.ConnectionStateCONNECTED:
		return fmt.Sprintf("%s is not connected. Connect it with Office 365 OAuth first (Edit › Email Provider › Office 365 OAuth (recommended) › Connect with Office 365).", mb.Address)
	case !mb.SendEnabled:
		return fmt.Sprintf("%s has Sending off. Turn Sending on for it first.", mb.Address)
	}
	return ""
}

// checkVisible fails with NOT_FOUND unless the viewer can see every ID:
// other organizations' (and, for users, other users') states do not exist
// for them.
func checkVisible(ctx context.Context, c *ent.Client, ids []int) error {
	for chunk := range slices.Chunk(ids, DefaultChunkSize) {
		n, err := c.SequenceState.Query().Where(sequencestate.IDIn(chunk...)).Count(ctx)
		if err != nil {
			return fmt.Errorf("mailbox: assign: check states: %w", err)
		}
		if n != len(chunk) {
			return apperr.NotFound("assignment.stateNotFound",
				"Some of the selected sequence states do not exist or you cannot see them. Reload the list and select again.")
		}
	}
	return nil
}

// maxStateID is the newest selected state: a filter selection is bounded
// by it, so states created while a background assignment runs stay out.
func maxStateID(ctx context.Context, c *ent.Client, s *selection) (int, error) {
	if s.ids != nil {
		return s.ids[len(s.ids)-1], nil
	}
	id, err := c.SequenceState.Query().Where(StatePredicates(s.filter)...).
		Order(sequencestate.ByID(entsql.OrderDesc())).FirstID(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("mailbox: assign: newest state: %w", err)
	}
	return id, nil
}

// checkOwners enforces the organization's default: a state goes only to a
// mailbox of its own owner.
func checkOwners(ctx context.Context, c *ent.Client, s *selection, mb *ent.Mailbox) error {
	n, err := s.count(ctx, c, sequencestate.StateIn(activeStates...), sequencestate.UserIDNEQ(mb.UserID))
	if err != nil || n == 0 {
		return err
	}
	owner, err := c.User.Get(ctx, mb.UserID)
	if err != nil {
		return fmt.Errorf("mailbox: assign: load owner: %w", err)
	}
	return apperr.Forbidden("assignment.otherOwner", fmt.Sprintf(
		"%d of the selected sequence states belong to other users than %s, who owns %s. Your organization does not allow assigning sequence states to another user's mailbox (the organization setting allowCrossOwnerAssignment is off, the default). Select only %s's states, or ask an admin to turn the setting on.",
		n, owner.Name, mb.Address, owner.Name))
}

// checkRunning refuses an assignment that would interleave with a running
// background one: any second background assignment in the organization,
// and a small one that touches states the running one has still to do.
func (a *Assigner) checkRunning(ctx context.Context, c *ent.Client, orgID int, s *selection, background bool) error {
	// Every running assignment of the organization counts, including
	// other users' that the viewer cannot see.
	sys := viewer.SystemContext(ctx)
	running, err := c.Assignment.Query().
		Where(assignment.OrgID(orgID), assignment.StatusEQ(assignment.StatusRUNNING)).
		WithMailbox().
		All(sys)
	if err != nil {
		return fmt.Errorf("mailbox: assign: running assignments: %w", err)
	}
	for _, op := range running {
		overlap := background
		if !background {
			ids, err := selectedIDs(ctx, c, s)
			if err != nil {
				return err
			}
			if overlap, err = touches(ctx, c, op, ids); err != nil {
				return err
			}
		}
		if overlap {
			pct := 0
			if op.Total > 0 {
				pct = op.Done * 100 / op.Total
			}
			return apperr.Conflict("assignment.inProgress", fmt.Sprintf(
				"Another assignment of %d sequence states to %s is in progress (%d%% done) and includes some of these states. Wait for it to finish, then assign again.",
				op.Total, op.Edges.Mailbox.Address, pct))
		}
	}
	return nil
}

// selectedIDs lists a small selection's states.
func selectedIDs(ctx context.Context, c *ent.Client, s *selection) ([]int, error) {
	if s.ids != nil {
		return s.ids, nil
	}
	ids, err := c.SequenceState.Query().Where(s.chunks(0, DefaultChunkSize)[0]...).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox: assign: list states: %w", err)
	}
	return ids, nil
}

// touches reports whether op has still to process any of ids.
func touches(ctx context.Context, c *ent.Client, op *ent.Assignment, ids []int) (bool, error) {
	rest := selectionOf(op)
	sys := viewer.SystemContext(ctx)
	for chunk := range slices.Chunk(ids, DefaultChunkSize) {
		for _, ps := range rest.chunks(op.CursorStateID, DefaultChunkSize) {
			n, err := c.SequenceState.Query().
				Where(append(ps, sequencestate.OrgID(op.OrgID), sequencestate.IDIn(chunk...))...).
				Count(sys)
			if err != nil {
				return false, fmt.Errorf("mailbox: assign: overlap: %w", err)
			}
			if n > 0 {
				return true, nil
			}
		}
	}
	return false, nil
}

// preview counts what applying would do, with the same rules as
// applyChunk, changing nothing.
func preview(ctx context.Context, c *ent.Client, s *selection, mb *ent.Mailbox, update bool, total int) (*AssignResult, error) {
	finished, err := s.count(ctx, c, sequencestate.Not(sequencestate.StateIn(activeStates...)))
	if err != nil {
		return nil, err
	}
	already, err := s.count(ctx, c, sequencestate.StateIn(activeStates...), sequencestate.MailboxID(mb.ID))
	if err != nil {
		return nil, err
	}
	res := &AssignResult{
		DryRun:         true,
		Background:     false,
		Selected:       total,
		StatesAssigned: total - finished - already,
		Skipped:        skips(finished, already, 0),
	}
	if update {
		if res.EmailsMoved, err = s.countEmails(ctx, c, scheduledemail.StateIn(movableEmails...), scheduledemail.MailboxIDNEQ(mb.ID)); err != nil {
			return nil, err
		}
		if res.EmailsDelivering, err = s.countEmails(ctx, c, scheduledemail.StateEQ(scheduledemail.StateDELIVERING), scheduledemail.MailboxIDNEQ(mb.ID)); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// applyChunk assigns the next chunk of op's selection after its cursor and
// advances the cursor and counts in the same transaction, so a chunk is
// applied exactly once however often the job is retried. It returns the
// number of states it processed (0 when the selection is exhausted).
// Updates are conditional — states ACTIVE or PAUSED, emails DRAFTED or
// SCHEDULED — so they race safely with a send claim or a finishing state.
func (a *Assigner) applyChunk(ctx context.Context, c *ent.Client, op *ent.Assignment, mb *ent.Mailbox, allowOtherOwner bool) (*ent.Assignment, int, error) {
	sel := selectionOf(op)
	parts := sel.chunks(op.CursorStateID, a.o.ChunkSize)
	if len(parts) == 0 {
		return op, 0, nil
	}
	rows, err := c.SequenceState.Query().Where(parts[0]...).
		Order(sequencestate.ByID()).
		Limit(a.o.ChunkSize).
		Select(sequencestate.FieldID, sequencestate.FieldState, sequencestate.FieldMailboxID, sequencestate.FieldUserID).
		All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("mailbox: assign: next chunk: %w", err)
	}
	if len(rows) == 0 {
		return op, 0, nil
	}
	var (
		toAssign, active              []int
		finished, already, otherOwner int
		from                          = slices.Clone(op.FromMailboxIds)
	)
	for _, st := range rows {
		switch {
		case !slices.Contains(activeStates, st.State):
			finished++
		case !allowOtherOwner && st.UserID != mb.UserID:
			otherOwner++
		case st.MailboxID == mb.ID:
			already++
			active = append(active, st.ID)
		default:
			toAssign = append(toAssign, st.ID)
			active = append(active, st.ID)
			if !slices.Contains(from, st.MailboxID) {
				from = append(from, st.MailboxID)
			}
		}
	}
	now := a.o.Now().UTC()
	assigned := 0
	if len(toAssign) > 0 {
		if assigned, err = c.SequenceState.Update().
			Where(sequencestate.IDIn(toAssign...), sequencestate.StateIn(activeStates...)).
			SetMailboxID(mb.ID).
			SetUpdatedAt(now).
			Save(ctx); err != nil {
			return nil, 0, fmt.Errorf("mailbox: assign: states: %w", err)
		}
		finished += len(toAssign) - assigned // finished since they were read
	}
	moved, delivering := 0, 0
	if op.UpdateUndeliveredEmails && len(active) > 0 {
		if moved, err = c.ScheduledEmail.Update().
			Where(scheduledemail.SequenceStateIDIn(active...),
				scheduledemail.StateIn(movableEmails...),
				scheduledemail.MailboxIDNEQ(mb.ID)).
			SetMailboxID(mb.ID).
			SetUpdatedAt(now).
			Save(ctx); err != nil {
			return nil, 0, fmt.Errorf("mailbox: assign: emails: %w", err)
		}
		if delivering, err = c.ScheduledEmail.Query().
			Where(scheduledemail.SequenceStateIDIn(active...),
				scheduledemail.StateEQ(scheduledemail.StateDELIVERING),
				scheduledemail.MailboxIDNEQ(mb.ID)).
			Count(ctx); err != nil {
			return nil, 0, fmt.Errorf("mailbox: assign: delivering emails: %w", err)
		}
	}
	slices.Sort(from)
	op, err = c.Assignment.UpdateOne(op).
		SetCursorStateID(rows[len(rows)-1].ID).
		AddDone(len(rows)).
		AddStatesAssigned(assigned).
		AddEmailsMoved(moved).
		AddEmailsDelivering(delivering).
		AddSkippedFinished(finished).
		AddSkippedAlreadyAssigned(already).
		AddSkippedOtherOwner(otherOwner).
		SetFromMailboxIds(from).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("mailbox: assign: progress: %w", err)
	}
	if a.o.AfterChunkFunc != nil {
		if err := a.o.AfterChunkFunc(ctx, op); err != nil {
			return nil, 0, err
		}
	}
	return op, len(rows), nil
}

// finish marks op SUCCEEDED and writes its one audit event: who (the
// viewer of ctx), the selection, from which mailboxes to which, and the
// counts.
func (a *Assigner) finish(ctx context.Context, c *ent.Client, op *ent.Assignment, mb *ent.Mailbox) (*ent.Assignment, error) {
	now := a.o.Now().UTC()
	op, err := c.Assignment.UpdateOne(op).
		SetStatus(assignment.StatusSUCCEEDED).
		SetFinishedAt(now).
		SetDone(op.Total). // states deleted meanwhile count as done
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox: assign: finish: %w", err)
	}
	return op, auditAssignment(ctx, c, op, mb)
}

// auditAssignment writes an assignment's one audit event when it ends.
func auditAssignment(ctx context.Context, c *ent.Client, op *ent.Assignment, mb *ent.Mailbox) error {
	from := "(none)"
	if len(op.FromMailboxIds) > 0 {
		mbs, err := c.Mailbox.Query().Where(entmailbox.IDIn(op.FromMailboxIds...)).All(viewer.SystemContext(ctx))
		if err != nil {
			return fmt.Errorf("mailbox: assign: source mailboxes: %w", err)
		}
		addrs := make([]string, len(mbs))
		for i, m := range mbs {
			addrs[i] = m.Address
		}
		slices.Sort(addrs)
		from = strings.Join(addrs, ", ")
	}
	selection := fmt.Sprintf("%d sequence states by ID", len(op.SelectionIds))
	if op.SelectionIds == nil {
		selection = "all matching " + describeFilter(op.SelectionFilter)
	}
	str := func(s string) *string { return &s }
	changes := []schematype.AuditChange{
		{Field: "selection", To: str(selection)},
		{Field: "mailbox", From: str(from), To: str(mb.Address)},
		{Field: "updateUndeliveredEmails", To: str(fmt.Sprint(op.UpdateUndeliveredEmails))},
		{Field: "status", To: str(string(op.Status))},
		{Field: "statesSelected", To: str(fmt.Sprint(op.Total))},
		{Field: "statesAssigned", To: str(fmt.Sprint(op.StatesAssigned))},
		{Field: "emailsMoved", To: str(fmt.Sprint(op.EmailsMoved))},
		{Field: "emailsDelivering", To: str(fmt.Sprint(op.EmailsDelivering))},
	}
	for _, r := range []SkipReason{SkipFinished, SkipAlreadyAssigned, SkipOtherOwner} {
		if n := Skips(op)[r]; n > 0 {
			changes = append(changes, schematype.AuditChange{Field: "skipped" + string(r), To: str(fmt.Sprint(n))})
		}
	}
	return audit.Record(ctx, c, audit.Event{
		OrgID:         op.OrgID,
		Action:        "sequenceStates.assignMailbox",
		TargetType:    "Assignment",
		TargetID:      op.ID,
		SubjectUserID: mb.UserID,
		Changes:       changes,
	})
}

// describeFilter writes a filter for the audit trail.
func describeFilter(f *schematype.SequenceStateFilter) string {
	if f == nil {
		return "(no filter)"
	}
	var parts []string
	add := func(name string, v any) { parts = append(parts, fmt.Sprintf("%s=%v", name, v)) }
	if f.MailboxID != nil {
		add("mailboxID", *f.MailboxID)
	}
	if f.UserID != nil {
		add("userID", *f.UserID)
	}
	if f.SequenceID != nil {
		add("sequenceID", *f.SequenceID)
	}
	if len(f.States) > 0 {
		add("states", strings.Join(f.States, "|"))
	}
	if f.HasUndeliveredEmails != nil {
		add("hasUndeliveredEmails", *f.HasUndeliveredEmails)
	}
	if f.ProspectEmailContains != nil && *f.ProspectEmailContains != "" {
		add("prospectEmailContains", *f.ProspectEmailContains)
	}
	if len(parts) == 0 {
		return "(no filter)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Assignable is a mailbox offered in the Assign Mailbox dialog, with why it
// cannot take sequence states (Reason empty when it can).
type Assignable struct {
	Mailbox *ent.Mailbox
	Reason  string
}

// AssignableMailboxes lists the mailboxes the viewer may pick in the
// dialog: the organization's for admins, their own for users (privacy
// decides), eligible ones first, then by address.
func (a *Assigner) AssignableMailboxes(ctx context.Context) ([]Assignable, error) {
	mbs, err := txn.Client(ctx, a.db.Client()).Mailbox.Query().
		Order(entmailbox.ByAddress()).
		Limit(500).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox: assignable mailboxes: %w", err)
	}
	out := make([]Assignable, len(mbs))
	for i, mb := range mbs {
		out[i] = Assignable{Mailbox: mb, Reason: IneligibleReason(mb)}
	}
	slices.SortStableFunc(out, func(x, y Assignable) int {
		return cmp.Compare(min(len(x.Reason), 1), min(len(y.Reason), 1))
	})
	return out, nil
}

// SetAllowCrossOwnerAssignment changes the organization setting that lets
// assignMailbox move a user's states to another user's mailbox (admins
// only), audited.
func (a *Assigner) SetAllowCrossOwnerAssignment(ctx context.Context, enabled bool) (*ent.Organization, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("auth.required", "Sign in first.")
	}
	if !v.Admin {
		return nil, apperr.Forbidden("organization.adminOnly", "Only admins can change the organization's settings.")
	}
	var org *ent.Organization
	err := txn.Run(ctx, a.db.Client(), func(ctx context.Context, c *ent.Client) error {
		cur, err := c.Organization.Get(ctx, v.OrgID)
		if err != nil {
			return fmt.Errorf("mailbox: load organization: %w", err)
		}
		if cur.AllowCrossOwnerAssignment == enabled {
			org = cur
			return nil
		}
		if org, err = c.Organization.UpdateOne(cur).SetAllowCrossOwnerAssignment(enabled).Save(ctx); err != nil {
			return fmt.Errorf("mailbox: update organization: %w", err)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID:         org.ID,
			Action:        "organization.setAllowCrossOwnerAssignment",
			TargetType:    "Organization",
			TargetID:      org.ID,
			SubjectUserID: v.UserID,
			Changes:       []schematype.AuditChange{audit.Change("allowCrossOwnerAssignment", !enabled, enabled)},
		})
	})
	return org, err
}
