// Package jobs declares Mailbridge's background jobs: River job args, their
// kinds and insert options, and the River client set-up over the shared
// database. It holds no worker code, so graph/ and the services can enqueue
// with InsertTx without importing any worker; workers live beside their
// domain (e.g. internal/mailbox) and server.go registers them
// (STYLE.md §1, §2.17).
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"mailbridge/internal/db"
)

// AssignMailboxArgs runs one large assignMailbox in the background, chunk by
// chunk. It carries only the assignment's ID: the selection, target and
// cursor live in the assignment row, so a retried or resumed job continues
// where the last committed chunk left off.
type AssignMailboxArgs struct {
	AssignmentID int `json:"assignment_id" river:"unique"`
}

// Kind is the stable name River stores for the job.
func (AssignMailboxArgs) Kind() string { return "mailbox.assign" }

// InsertOpts: a few attempts (every chunk is atomic and idempotent, so a
// retry resumes), and one job per assignment however often it is enqueued.
func (AssignMailboxArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       river.QueueDefault,
		MaxAttempts: 5,
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	}
}

// ---- Delivery of scheduled emails (internal/send) ----

// QueueSend is the queue of delivery jobs: they wait on Microsoft Graph,
// not on the CPU, and one mailbox's job must never wait behind another's.
const QueueSend = "send"

// SendDispatchArgs is the periodic job that finds Microsoft accounts with
// due emails in mailboxes that can send, and enqueues a SendAccountArgs job
// for each.
type SendDispatchArgs struct{}

// Kind is the stable name River stores for the job.
func (SendDispatchArgs) Kind() string { return "send.dispatch" }

// InsertOpts: not retried, a failed one is redone at the next tick; not
// unique, so a dispatch left "running" by a killed process never blocks
// the next ones (only the elected leader inserts them, once a tick).
func (SendDispatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSend, MaxAttempts: 1}
}

// SendAccountArgs delivers the due emails of one Microsoft account (one
// Exchange mailbox, whatever alias sends), one at a time at the account's
// pace. The account's send lease keeps it to one running delivery per
// account across workers and instances.
type SendAccountArgs struct {
	AccountID int `json:"account_id" river:"unique"`
}

// Kind is the stable name River stores for the job.
func (SendAccountArgs) Kind() string { return "send.account" }

// InsertOpts: unique per account among unfinished jobs within a short
// period, so that a job left "running" by a killed process blocks new ones
// for that period only (the account lease does the real exclusion).
func (SendAccountArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueSend,
		MaxAttempts: 10,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByPeriod: 10 * time.Second, ByState: unfinished},
	}
}

// unfinished are the job states a unique job is unique among: a completed
// job does not stop the next one.
var unfinished = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// Inserter is the insert-only part of a River client that services need:
// they enqueue inside the *sql.Tx of the change that calls for the job
// (db.DB.TxClient shares it with ent), so the job exists if and only if the
// change commits.
type Inserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

var _ Inserter = (*river.Client[*sql.Tx])(nil)

// NewInserter returns an insert-only River client (no workers, no queues)
// over d's writer pool.
func NewInserter(d *db.DB, logger *slog.Logger) (*river.Client[*sql.Tx], error) {
	c, err := river.NewClient(d.RiverDriver(), &river.Config{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("jobs: insert-only client: %w", err)
	}
	return c, nil
}

// Options tune the working client.
type Options struct {
	// MaxWorkers of the default queue (default 2: SQLite has one writer and
	// the machine few cores; background jobs must leave room for requests).
	MaxWorkers int
	// FetchPollInterval bounds how long a new job waits before it is
	// picked up (River polls: neither riversqlite nor riverdatabasesql
	// LISTENs). Default 1s.
	FetchPollInterval time.Duration
	Logger            *slog.Logger
	// SendWorkers of QueueSend (default 50): delivery jobs mostly wait on
	// Graph, one per Microsoft account.
	SendWorkers int
	// PeriodicJobs are inserted by the elected leader at their intervals.
	PeriodicJobs []*river.PeriodicJob
}

// NewClient returns a River client that works the jobs of workers on d.
// Start it after the database is migrated; Stop it on shutdown (Stop waits
// for running jobs to finish).
func NewClient(d *db.DB, workers *river.Workers, o Options) (*river.Client[*sql.Tx], error) {
	if o.MaxWorkers <= 0 {
		o.MaxWorkers = 2
	}
	if o.SendWorkers <= 0 {
		o.SendWorkers = 50
	}
	c, err := river.NewClient(d.RiverDriver(), &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: o.MaxWorkers},
			QueueSend:          {MaxWorkers: o.SendWorkers},
		},
		Workers:           workers,
		FetchPollInterval: o.FetchPollInterval,
		Logger:            o.Logger,
		PeriodicJobs:      o.PeriodicJobs,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: client: %w", err)
	}
	return c, nil
}

// SyncAccountArgs runs one mail and calendar sync round of one Microsoft
// account (internal/mailsync). Unique by account over every state but the
// finished ones: at most one round per account is queued or running across
// all workers and instances, which keeps sync within its share of the
// mailbox's concurrent requests.
type SyncAccountArgs struct {
	AccountID int `json:"account_id" river:"unique"`
}

// Kind is the stable name River stores for the job.
func (SyncAccountArgs) Kind() string { return "mailsync.account" }

// InsertOpts: retried with River's backoff (a round resumes at its last
// committed page).
func (SyncAccountArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       river.QueueDefault,
		MaxAttempts: 10,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: activeStates},
	}
}

// SyncPollArgs enqueues a sync round for every synced account: the
// periodic safety net under change notifications.
type SyncPollArgs struct{}

// Kind is the stable name River stores for the job.
func (SyncPollArgs) Kind() string { return "mailsync.poll" }

// InsertOpts: one poll queued at a time.
func (SyncPollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       river.QueueDefault,
		MaxAttempts: 3,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: activeStates},
	}
}

// activeStates are the job states in which a unique job blocks another
// insert of the same args: queued or running, not finished.
var activeStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}
