package send

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/riverqueue/river"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/ent/predicate"
	"mailbridge/ent/scheduledemail"
	"mailbridge/internal/jobs"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/viewer"
)

// dispatchWorker enqueues a delivery job for every Microsoft account with
// due emails in a mailbox that can send, is not throttled, and whose
// account nobody is sending for.
type dispatchWorker struct {
	river.WorkerDefaults[jobs.SendDispatchArgs]
	s *Sender
}

func (w *dispatchWorker) Work(ctx context.Context, _ *river.Job[jobs.SendDispatchArgs]) error {
	ids, err := w.s.DueAccounts(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: jobs.SendAccountArgs{AccountID: id}}
	}
	_, err = river.ClientFromContext[*sql.Tx](ctx).InsertMany(ctx, params)
	return err
}

// DueAccounts lists the Microsoft accounts that have work for a delivery
// job now, those waiting longest first.
func (s *Sender) DueAccounts(ctx context.Context) ([]int, error) {
	now := s.now()
	sys := viewer.SystemContext(ctx)
	mbs, err := s.db.Client().Mailbox.Query().
		Where(WhereCanSend(),
			entmailbox.Or(entmailbox.ThrottledUntilIsNil(), entmailbox.ThrottledUntilLTE(now)),
			entmailbox.HasMicrosoftAccountWith(microsoftaccount.Or(
				microsoftaccount.SendLeaseUntilIsNil(), microsoftaccount.SendLeaseUntilLT(now))),
			hasWork(now)).
		Order(ent.Asc(entmailbox.FieldMicrosoftAccountID)).
		Select(entmailbox.FieldMicrosoftAccountID).
		All(sys)
	if err != nil {
		return nil, errorf("due accounts: %w", err)
	}
	seen := map[int]bool{}
	var ids []int
	for _, m := range mbs {
		if id := *m.MicrosoftAccountID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// hasWork selects mailboxes with an email due now: SCHEDULED and due, or
// DELIVERING with its lease run out (a crashed or waiting attempt). The
// probe is served by the (mailbox_id, state, org_id) index.
func hasWork(now time.Time) predicate.Mailbox {
	return func(s *entsql.Selector) {
		t := entsql.Table(scheduledemail.Table)
		s.Where(entsql.Exists(entsql.Select(t.C(scheduledemail.FieldID)).From(t).Where(entsql.And(
			entsql.ColumnsEQ(t.C(scheduledemail.FieldMailboxID), s.C(entmailbox.FieldID)),
			entsql.Or(
				entsql.And(entsql.EQ(t.C(scheduledemail.FieldState), scheduledemail.StateSCHEDULED),
					entsql.LTE(t.C(scheduledemail.FieldSendAt), now)),
				entsql.And(entsql.EQ(t.C(scheduledemail.FieldState), scheduledemail.StateDELIVERING),
					entsql.LT(t.C(scheduledemail.FieldLeaseUntil), now)),
			),
		))))
	}
}

// accountWorker runs delivery jobs.
type accountWorker struct {
	river.WorkerDefaults[jobs.SendAccountArgs]
	s *Sender
}

// Timeout leaves room for the run budget and one slow Graph call.
func (w *accountWorker) Timeout(*river.Job[jobs.SendAccountArgs]) time.Duration {
	return w.s.real(w.s.o.RunBudget) + 2*time.Minute
}

// NextRetry backs off exponentially with jitter after a transient failure.
func (w *accountWorker) NextRetry(j *river.Job[jobs.SendAccountArgs]) time.Time {
	return time.Now().Add(w.s.real(backoff(j.Attempt)))
}

func (w *accountWorker) Work(ctx context.Context, j *river.Job[jobs.SendAccountArgs]) error {
	return w.s.RunAccount(ctx, j.Args.AccountID, strconv.FormatInt(j.ID, 10), j.Attempt)
}

// errTransient wraps a failure worth retrying later with backoff.
type errTransient struct{ err error }

func (e errTransient) Error() string { return e.err.Error() }
func (e errTransient) Unwrap() error { return e.err }

// RunAccount delivers the due emails of account accountID as lease holder
// leaseID (the delivery job's ID, so that a snoozed job finds its lease
// again) until none is due, the pace asks for a long wait, or the run
// budget is spent. attempt is the job's attempt, for backoff.
func (s *Sender) RunAccount(ctx context.Context, accountID int, leaseID string, attempt int) error {
	ctx = viewer.SystemContext(ctx)
	leaseUntil := s.now().Add(s.o.Lease)
	ok, err := s.takeAccount(ctx, accountID, leaseID, leaseUntil)
	if err != nil || !ok {
		return err // another job is sending for this account
	}
	gc, err := s.ms.AccountGraph(ctx, accountID, microsoft.SendConcurrency)
	if err != nil {
		_ = s.releaseAccount(ctx, accountID, leaseID, time.Time{})
		return err
	}
	acct, err := s.db.Client().MicrosoftAccount.Get(ctx, accountID)
	if err != nil {
		_ = s.releaseAccount(ctx, accountID, leaseID, time.Time{})
		return errorf("load account %d: %w", accountID, err)
	}
	a := &account{s: s, id: accountID, lease: leaseID, gc: gc, primary: acct.UserPrincipalName}
	if acct.Mail != nil {
		a.primary = *acct.Mail
	}
	deadline := time.Now().Add(s.real(s.o.RunBudget))
	for {
		if err := ctx.Err(); err != nil {
			_ = s.releaseAccount(context.WithoutCancel(ctx), accountID, leaseID, time.Time{})
			return err
		}
		wait, err := a.step(ctx)
		var tr errTransient
		switch {
		case errors.As(err, &tr):
			// Keep others away until the retry; River retries this job.
			d := backoff(attempt)
			a.noteError(ctx, tr.err.Error())
			_ = s.releaseAccount(ctx, accountID, leaseID, s.now().Add(d))
			return tr.err
		case err != nil:
			_ = s.releaseAccount(ctx, accountID, leaseID, time.Time{})
			return err
		case wait < 0: // nothing due
			return s.releaseAccount(ctx, accountID, leaseID, time.Time{})
		case wait > 0 && (s.real(wait) > maxInJobWait || time.Now().Add(s.real(wait)).After(deadline)):
			// Snooze, keeping the lease until then so no other job starts.
			if err := s.releaseAccount(ctx, accountID, leaseID, s.now().Add(wait+s.o.Lease)); err != nil {
				return err
			}
			return river.JobSnooze(s.real(wait))
		case wait > 0:
			if err := s.sleep(ctx, wait); err != nil {
				continue
			}
		}
		if time.Now().After(deadline) {
			if err := s.releaseAccount(ctx, accountID, leaseID, s.now().Add(s.o.Lease)); err != nil {
				return err
			}
			return river.JobSnooze(time.Millisecond)
		}
		// Renew the lease once half of it is gone.
		if s.now().After(leaseUntil.Add(-s.o.Lease / 2)) {
			leaseUntil = s.now().Add(s.o.Lease)
			if ok, err := s.takeAccount(ctx, accountID, leaseID, leaseUntil); err != nil || !ok {
				return err
			}
		}
	}
}

// takeAccount takes or renews the account's send lease for leaseID until
// until; false when another holder's lease is running.
func (s *Sender) takeAccount(ctx context.Context, accountID int, leaseID string, until time.Time) (bool, error) {
	now := s.now()
	n, err := s.db.Client().MicrosoftAccount.Update().
		Where(microsoftaccount.ID(accountID), microsoftaccount.Or(
			microsoftaccount.SendLeaseIDEQ(leaseID),
			microsoftaccount.SendLeaseUntilIsNil(),
			microsoftaccount.SendLeaseUntilLT(now))).
		SetSendLeaseID(leaseID).SetSendLeaseUntil(until).
		Save(ctx)
	if err != nil {
		return false, errorf("take account %d: %w", accountID, err)
	}
	return n == 1, nil
}

// releaseAccount ends leaseID's lease, or when keep is set keeps others
// away until then (a snooze or a backoff).
func (s *Sender) releaseAccount(ctx context.Context, accountID int, leaseID string, keep time.Time) error {
	u := s.db.Client().MicrosoftAccount.Update().
		Where(microsoftaccount.ID(accountID), microsoftaccount.SendLeaseIDEQ(leaseID))
	if keep.IsZero() {
		u.ClearSendLeaseID().ClearSendLeaseUntil()
	} else {
		u.SetSendLeaseUntil(keep)
	}
	if err := u.Exec(ctx); err != nil {
		return errorf("release account %d: %w", accountID, err)
	}
	return nil
}
