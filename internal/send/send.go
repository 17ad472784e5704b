// Package send delivers scheduled emails through Microsoft Graph, exactly
// once, within Exchange Online's limits (QUALITY.md §6.3, MICROSOFT.md
// §3.4, §4.3).
//
// A periodic dispatch job (jobs.SendDispatchArgs) finds the Microsoft
// accounts with due emails in mailboxes that can send and enqueues one
// delivery job per account (jobs.SendAccountArgs). A delivery job takes the
// account's send lease, then delivers the account's due emails one at a
// time, at most 30 a minute, within each mailbox's daily limit and the
// account's 10,000 recipients a day, through one Graph client limited to
// microsoft.SendConcurrency requests in flight. Each email goes through the
// send protocol: claim (SCHEDULED → DELIVERING with an attempt id and a
// lease) → draft carrying the attempt id in a single-value extended
// property → draft id stored → send without SDK retry → DELIVERED; an
// unknown outcome is looked up in the mailbox before anything is sent again.
package send

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"mailbridge/internal/db"
	"mailbridge/internal/jobs"
	"mailbridge/internal/microsoft"
)

// Exchange Online's sending limits per mailbox (MICROSOFT.md §4.3). Going
// over them is not refused, so Mailbridge paces itself.
const (
	MaxSendsPerMinute   = 30
	MaxRecipientsPerDay = 10_000
	defaultLease        = 2 * time.Minute
	defaultPollInterval = 5 * time.Second
	defaultConfirmWait  = 10 * time.Minute
	defaultRunBudget    = 2 * time.Minute
	// maxInJobWait: shorter waits are slept in the job rather than
	// snoozed. River moves snoozed jobs back every 5 seconds, up to 5
	// seconds early, so a job woken early sleeps the rest instead of
	// snoozing for another round.
	maxInJobWait         = 6 * time.Second
	submissionBlockPause = 24 * time.Hour
	// submitMargin bounds how long a send request takes to reach Exchange
	// when its answer was not recorded (pacing counts it from then).
	submitMargin = 5 * time.Second
)

// Options tune a Sender. Zero values take the defaults.
type Options struct {
	// Now is the clock of leases, pacing and the recorded times (UTC).
	Now func() time.Time
	// TimeScale is how many seconds of Now pass per real second (1 unless
	// a test or benchmark runs a faster clock); waits are divided by it.
	TimeScale float64
	// Lease is how long a claimed email or an account's send lease lasts
	// without renewal: after a crash, delivery resumes that much later
	// (default 2 minutes).
	Lease time.Duration
	// PollInterval is the period of the dispatch job (default 5s).
	PollInterval time.Duration
	// ConfirmWait is how long a sent draft may stay a draft (transport not
	// done yet) before it is sent again (default 10 minutes).
	ConfirmWait time.Duration
	// RunBudget bounds one delivery job's run; it then yields to other
	// accounts' jobs and continues in a new run (default 2 minutes).
	RunBudget time.Duration
	Logger    *slog.Logger
}

// Sender delivers scheduled emails.
type Sender struct {
	db *db.DB
	ms *microsoft.Service
	o  Options
}

// New returns the Sender over d sending through ms.
func New(d *db.DB, ms *microsoft.Service, o Options) *Sender {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Lease <= 0 {
		o.Lease = defaultLease
	}
	if o.PollInterval <= 0 {
		o.PollInterval = defaultPollInterval
	}
	if o.ConfirmWait <= 0 {
		o.ConfirmWait = defaultConfirmWait
	}
	if o.RunBudget <= 0 {
		o.RunBudget = defaultRunBudget
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Sender{db: d, ms: ms, o: o}
}

func (s *Sender) now() time.Time { return s.o.Now().UTC() }

// real converts a span of the Sender's clock to real time.
func (s *Sender) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.o.TimeScale)
}

// sleep waits d of the Sender's clock.
func (s *Sender) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(s.real(d))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is the wait before the attempt-th retry after a transient
// failure: exponential from 5 seconds, at most 10 minutes, with ±25% jitter.
func backoff(attempt int) time.Duration {
	d := 5 * time.Second << min(max(attempt-1, 0), 7)
	d = min(d, 10*time.Minute)
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}

// PeriodicJobs are the jobs server.go hands River: the dispatch tick.
func (s *Sender) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(
		river.PeriodicInterval(s.real(s.o.PollInterval)),
		func() (river.JobArgs, *river.InsertOpts) { return jobs.SendDispatchArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true},
	)}
}

// AddWorkers registers the Sender's workers.
func (s *Sender) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &dispatchWorker{s: s})
	river.AddWorker(w, &accountWorker{s: s})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func errorf(format string, a ...any) error { return fmt.Errorf("send: "+format, a...) }
