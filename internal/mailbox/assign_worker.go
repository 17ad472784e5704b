package mailbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"mailbridge/ent"
	"mailbridge/ent/assignment"
	"mailbridge/ent/user"
	"mailbridge/internal/apperr"
	"mailbridge/internal/jobs"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// AssignWorker runs background assignments (jobs.AssignMailboxArgs) chunk
// by chunk, each chunk in its own transaction together with the
// assignment's cursor and counts. Killed or retried, it resumes after the
// last committed chunk; a finished assignment is a no-op.
type AssignWorker struct {
	river.WorkerDefaults[jobs.AssignMailboxArgs]
	a *Assigner
}

var _ river.Worker[jobs.AssignMailboxArgs] = (*AssignWorker)(nil)

// NewAssignWorker returns the worker for a's background assignments.
func NewAssignWorker(a *Assigner) *AssignWorker { return &AssignWorker{a: a} }

// Timeout gives a job room for 100,000 states; a job that runs out
// resumes on retry.
func (w *AssignWorker) Timeout(*river.Job[jobs.AssignMailboxArgs]) time.Duration {
	return 30 * time.Minute
}

// NextRetry retries soon: every chunk is atomic, so a retry only resumes.
func (w *AssignWorker) NextRetry(j *river.Job[jobs.AssignMailboxArgs]) time.Time {
	return time.Now().Add(time.Duration(j.Attempt) * 5 * time.Second)
}

// Work runs the assignment to its end.
func (w *AssignWorker) Work(ctx context.Context, j *river.Job[jobs.AssignMailboxArgs]) error {
	err := w.a.Run(ctx, j.Args.AssignmentID)
	if pub, ok := apperr.As(err); ok {
		// A rule no longer holds (the mailbox was disconnected, the
		// actor removed): retrying cannot help.
		return river.JobCancel(pub)
	}
	return err
}

// Run processes a background assignment's remaining chunks as the user who
// asked for it, then finishes it. When the target mailbox stopped being
// eligible, the assignment ends FAILED with the reason (chunks already
// applied stay applied: each is complete on its own).
func (a *Assigner) Run(ctx context.Context, id int) error {
	sys := viewer.SystemContext(ctx)
	op, err := a.db.Client().Assignment.Get(sys, id)
	if ent.IsNotFound(err) {
		return apperr.NotFound("assignment.notFound", fmt.Sprintf("assignment %d no longer exists", id))
	}
	if err != nil {
		return fmt.Errorf("mailbox: assign job: load %d: %w", id, err)
	}
	if op.Status != assignment.StatusRUNNING {
		return nil
	}
	actor, err := a.db.Client().User.Query().Where(user.ID(op.ActorID)).Only(sys)
	if err != nil {
		return fmt.Errorf("mailbox: assign job: load actor: %w", err)
	}
	v := &viewer.Viewer{UserID: actor.ID, OrgID: op.OrgID, Admin: actor.Role == user.RoleADMIN}
	if op.APITokenID != nil {
		v.APITokenID = *op.APITokenID
	}
	actx := viewer.NewContext(ctx, v)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		done := false
		err := txn.RunSQL(actx, a.db, func(ctx context.Context, c *ent.Client, tx *sql.Tx) error {
			if err := a.lockOrg(ctx, tx, op.OrgID); err != nil {
				return err
			}
			op, err := c.Assignment.Get(ctx, id)
			if err != nil {
				return fmt.Errorf("mailbox: assign job: reload: %w", err)
			}
			if op.Status != assignment.StatusRUNNING {
				done = true
				return nil
			}
			mb, err := c.Mailbox.Get(ctx, op.MailboxID)
			if err != nil {
				return fmt.Errorf("mailbox: assign job: load mailbox: %w", err)
			}
			if err := checkEligible(mb); err != nil {
				done = true
				return a.fail(ctx, c, op, mb, err)
			}
			org, err := c.Organization.Get(ctx, op.OrgID)
			if err != nil {
				return fmt.Errorf("mailbox: assign job: load organization: %w", err)
			}
			op, n, err := a.applyChunk(ctx, c, op, mb, org.AllowCrossOwnerAssignment)
			if err != nil {
				return err
			}
			if n == 0 {
				done = true
				_, err = a.finish(ctx, c, op, mb)
			}
			return err
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// fail ends op with the reason in words.
func (a *Assigner) fail(ctx context.Context, c *ent.Client, op *ent.Assignment, mb *ent.Mailbox, cause error) error {
	msg := cause.Error()
	var pub *apperr.Error
	if errors.As(cause, &pub) {
		msg = "Stopped: " + pub.Message
	}
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	now := a.o.Now().UTC()
	op, err := c.Assignment.UpdateOne(op).
		SetStatus(assignment.StatusFAILED).
		SetError(msg).
		SetFinishedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("mailbox: assign job: fail: %w", err)
	}
	return auditAssignment(ctx, c, op, mb)
}
