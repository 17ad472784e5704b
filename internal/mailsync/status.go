package mailsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/internal/microsoft"
)

// This file keeps the sync health of an account's mailboxes (stage,
// progress, last successful sync, last error in words, throttled until).
// Every mailbox of the account shows the account's health; those with
// Syncing off show PAUSED.

// ThrottledError is returned by Sync when Graph asked to wait: the worker
// snoozes the round for RetryAfter, so the mailbox is left alone meanwhile
// and other mailboxes' rounds go on.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("mailsync: throttled by Microsoft Graph for %s", e.RetryAfter)
}

func (s *Syncer) mailboxes(acct *account) *ent.MailboxUpdate {
	return s.client.Mailbox.Update().Where(entmailbox.IDIn(acct.mailboxes...))
}

// onMailboxes narrows u to the account's mailboxes that sync (want) or not.
func onMailboxes(u *ent.MailboxUpdate, want bool) *ent.MailboxUpdate {
	on := entmailbox.And(entmailbox.SyncEnabled(true), entmailbox.ConnectionStateEQ(entmailbox.ConnectionStateCONNECTED))
	if want {
		return u.Where(on)
	}
	return u.Where(entmailbox.Not(on))
}

func (s *Syncer) setPaused(ctx context.Context, acct *account) error {
	_, err := s.mailboxes(acct).SetSyncStage(entmailbox.SyncStagePAUSED).Save(ctx)
	return err
}

// setStage marks the syncing mailboxes' stage; the others PAUSED.
func (s *Syncer) setStage(ctx context.Context, acct *account, stage entmailbox.SyncStage, update func(*ent.MailboxUpdate)) error {
	u := onMailboxes(s.mailboxes(acct), true).SetSyncStage(stage)
	if update != nil {
		update(u)
	}
	if _, err := u.Save(ctx); err != nil {
		return fmt.Errorf("mailsync: mailbox status: %w", err)
	}
	_, err := onMailboxes(s.mailboxes(acct), false).SetSyncStage(entmailbox.SyncStagePAUSED).Save(ctx)
	return err
}

func (s *Syncer) setSynced(ctx context.Context, acct *account) error {
	now := s.now()
	return s.setStage(ctx, acct, entmailbox.SyncStageINCREMENTAL, func(u *ent.MailboxUpdate) {
		u.SetLastSyncedAt(now).ClearLastSyncError().ClearThrottledUntil().ClearSyncProgressTotal()
	})
}

// failed records err on the account's mailboxes and decides what the
// worker does next: nil when retrying cannot help before something changes
// (the next poll tries again), a ThrottledError to wait, err itself for
// River to retry with backoff.
func (s *Syncer) failed(ctx context.Context, acct *account, err error) error {
	if ctx.Err() != nil {
		return err
	}
	f := microsoft.ClassifyGraphError(err)
	s.log.Warn("mailsync: round failed", "account", acct.ID, "status", f.Status, "code", f.Code, "error", err)
	var serr error
	switch f.Kind {
	case microsoft.Throttled:
		until := s.now().Add(f.RetryAfter)
		serr = s.setError(ctx, acct, "", func(u *ent.MailboxUpdate) {
			u.SetThrottledUntil(until).SetLastSyncError(fmt.Sprintf("Microsoft asked Mailbridge to slow down; syncing resumes at %s UTC.", until.Format("15:04:05")))
		})
		return errors.Join(&ThrottledError{RetryAfter: f.RetryAfter}, serr)
	case microsoft.Reconnect:
		if !errors.Is(err, microsoft.ErrNeedsReconnect) {
			// Graph refused the access token (revoked, or a CAE event):
			// expire it, so the retry refreshes it — and finds out whether
			// the grant itself is gone.
			if serr = s.client.MicrosoftAccount.UpdateOneID(acct.ID).SetTokenExpiresAt(s.now()).Exec(ctx); serr != nil {
				return errors.Join(err, serr)
			}
			return err
		}
		// The token source has marked the mailboxes NEEDS_RECONNECT; the
		// cursors stay, so reconnecting resumes where sync stopped.
		serr = s.setError(ctx, acct, "", func(u *ent.MailboxUpdate) {
			u.SetLastSyncError("Syncing stopped: Microsoft no longer accepts Mailbridge's access to this mailbox. Click Reconnect to resume; nothing synced so far is lost.")
		})
		return serr
	case microsoft.Permanent:
		serr = s.setError(ctx, acct, entmailbox.SyncStageFAILED, func(u *ent.MailboxUpdate) {
			u.SetLastSyncError(describe(f))
		})
		return serr
	}
	if serr = s.setError(ctx, acct, "", func(u *ent.MailboxUpdate) { u.SetLastSyncError(describe(f)) }); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

func (s *Syncer) setError(ctx context.Context, acct *account, stage entmailbox.SyncStage, update func(*ent.MailboxUpdate)) error {
	u := s.mailboxes(acct).Where(entmailbox.SyncEnabled(true))
	if stage != "" {
		u.SetSyncStage(stage)
	}
	update(u)
	_, err := u.Save(ctx)
	return err
}

// describe says in words what went wrong with a Graph call.
func describe(f microsoft.GraphFailure) string {
	msg := strings.TrimSpace(f.Message)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	switch {
	case f.Status == 0:
		return "Mailbridge could not reach Microsoft Graph (" + msg + "); it will try again."
	case f.Status >= 500:
		return fmt.Sprintf("Microsoft Graph had a problem (%d %s: %s); Mailbridge will try again.", f.Status, f.Code, msg)
	}
	return fmt.Sprintf("Microsoft Graph refused the sync (%d %s: %s).", f.Status, f.Code, msg)
}
