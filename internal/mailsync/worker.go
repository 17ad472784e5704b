package mailsync

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/internal/jobs"
	"mailbridge/internal/viewer"
)

// SyncWorker runs the rounds River hands it.
type SyncWorker struct {
	river.WorkerDefaults[jobs.SyncAccountArgs]
	s *Syncer
}

// NewSyncWorker returns the worker of jobs.SyncAccountArgs.
func NewSyncWorker(s *Syncer) *SyncWorker { return &SyncWorker{s: s} }

// Work runs one round; a throttled round is snoozed for Retry-After, so
// the mailbox is left alone and the worker is free for others meanwhile.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[jobs.SyncAccountArgs]) error {
	err := w.s.Sync(ctx, job.Args.AccountID)
	var te *ThrottledError
	if errors.As(err, &te) {
		return river.JobSnooze(te.RetryAfter)
	}
	return err
}

// Timeout: a first import of a large mailbox takes a while; it commits
// page by page, so a timeout loses nothing.
func (w *SyncWorker) Timeout(*river.Job[jobs.SyncAccountArgs]) time.Duration { return 30 * time.Minute }

// PollWorker enqueues a round for every synced account.
type PollWorker struct {
	river.WorkerDefaults[jobs.SyncPollArgs]
	s *Syncer
}

// NewPollWorker returns the worker of jobs.SyncPollArgs.
func NewPollWorker(s *Syncer) *PollWorker { return &PollWorker{s: s} }

func (w *PollWorker) Work(ctx context.Context, _ *river.Job[jobs.SyncPollArgs]) error {
	return w.s.EnqueueAll(ctx)
}

// PeriodicPoll is the periodic job that polls every interval.
func PeriodicPoll(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return jobs.SyncPollArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// EnqueueAll enqueues a round for every account with a mailbox that syncs.
func (s *Syncer) EnqueueAll(ctx context.Context) error {
	ctx = viewer.SystemContext(ctx)
	ids, err := s.client.Mailbox.Query().Where(
		entmailbox.SyncEnabled(true), entmailbox.ConnectionStateEQ(entmailbox.ConnectionStateCONNECTED),
		entmailbox.ProviderEQ(entmailbox.ProviderOFFICE365_OAUTH), entmailbox.MicrosoftAccountIDNotNil(),
	).Unique(true).Select(entmailbox.FieldMicrosoftAccountID).Ints(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.Enqueue(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
