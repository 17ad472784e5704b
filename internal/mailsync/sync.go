// Package mailsync keeps Mailbridge's copy of each connected Microsoft
// account's mail and calendar up to date through Microsoft Graph delta
// queries, and acts on what arrives: a prospect's reply finishes their
// sequence state, a non-delivery report marks the sequence email bounced.
//
// Sync runs per Microsoft account (one Exchange mailbox, whatever alias
// Mailbox rows use it): an account is synced while at least one of its
// mailboxes is connected with Syncing on. One round (Syncer.Sync) walks the
// delta of Inbox, Sent Items and the calendar view from their stored
// cursors, committing each page with its cursor, and keeps the account's
// change-notification subscription alive when notifications are on. River
// runs rounds (SyncWorker), one per account at a time; a periodic job
// (PollWorker) and change notifications (Webhook) enqueue them.
package mailsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"mailbridge/ent"
	"mailbridge/ent/graphsubscription"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/internal/db"
	"mailbridge/internal/jobs"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/viewer"
)

// Options configure a Syncer.
type Options struct {
	DB        *db.DB
	Microsoft *microsoft.Service
	// Inserter enqueues rounds (webhook, poller).
	Inserter jobs.Inserter
	Logger   *slog.Logger
	Now      func() time.Time
	// InitialWindow is how far back the first import of a mailbox reaches
	// (default 90 days).
	InitialWindow time.Duration
	// PageSize is the odata.maxpagesize asked of Graph (default 500).
	PageSize int
	// CalendarPast and CalendarFuture bound the rolling calendar window
	// (default 30 days back, 90 days ahead).
	CalendarPast, CalendarFuture time.Duration
	// NotificationURL is the public origin Graph can deliver change
	// notifications to (Webhook is served under it); empty turns
	// subscriptions off and leaves polling alone. NotificationURLFor
	// decides it from PUBLIC_URL.
	NotificationURL string
	// SubscriptionLifetime is how long a subscription is asked to live
	// (default 3 days; Outlook allows under 7); it is renewed when less
	// than a third of it is left.
	SubscriptionLifetime time.Duration
}

// Syncer runs sync rounds.
type Syncer struct {
	o      Options
	client *ent.Client
	log    *slog.Logger
}

// New returns a Syncer.
func New(o Options) *Syncer {
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	o.InitialWindow = cmp.Or(o.InitialWindow, 90*24*time.Hour)
	o.PageSize = cmp.Or(o.PageSize, 500)
	o.CalendarPast = cmp.Or(o.CalendarPast, 30*24*time.Hour)
	o.CalendarFuture = cmp.Or(o.CalendarFuture, 90*24*time.Hour)
	o.SubscriptionLifetime = cmp.Or(o.SubscriptionLifetime, 72*time.Hour)
	return &Syncer{o: o, client: o.DB.Client(), log: o.Logger}
}

func (s *Syncer) now() time.Time { return s.o.Now().UTC() }

// errPaused stops a round whose account no longer has a mailbox with
// Syncing on.
var errPaused = errors.New("mailsync: syncing was turned off")

// account is what a round needs to know about the account it syncs.
type account struct {
	*ent.MicrosoftAccount
	// own are the account's addresses (mailbox aliases and proxy
	// addresses), lowercase: never prospects, never participants.
	own       map[string]bool
	mailboxes []int
}

// loadAccount returns the account and whether any of its mailboxes syncs.
func (s *Syncer) loadAccount(ctx context.Context, id int) (*account, bool, error) {
	a, err := s.client.MicrosoftAccount.Get(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("mailsync: load account %d: %w", id, err)
	}
	mbs, err := s.client.Mailbox.Query().Where(entmailbox.MicrosoftAccountID(id)).All(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("mailsync: mailboxes of account %d: %w", id, err)
	}
	acct := &account{MicrosoftAccount: a, own: map[string]bool{}}
	on := false
	for _, mb := range mbs {
		acct.own[lower(mb.Address)] = true
		acct.mailboxes = append(acct.mailboxes, mb.ID)
		on = on || Syncs(mb)
	}
	for _, p := range a.ProxyAddresses {
		if len(p) > 5 && (p[:5] == "SMTP:" || p[:5] == "smtp:") {
			acct.own[lower(p[5:])] = true
		}
	}
	if a.Mail != nil {
		acct.own[lower(*a.Mail)] = true
	}
	acct.own[lower(a.UserPrincipalName)] = true
	return acct, on, nil
}

// Syncs reports whether a mailbox is one whose account is synced:
// connected through Microsoft Graph with Syncing on.
func Syncs(mb *ent.Mailbox) bool {
	return mb.SyncEnabled && mb.ConnectionState == entmailbox.ConnectionStateCONNECTED &&
		mb.Provider != nil && *mb.Provider == entmailbox.ProviderOFFICE365_OAUTH && mb.MicrosoftAccountID != nil
}

// stillOn reports whether the account still has a mailbox with Syncing on;
// a round checks it between pages, so turning Syncing off stops it
// promptly.
func (s *Syncer) stillOn(ctx context.Context, accountID int) (bool, error) {
	return s.client.Mailbox.Query().Where(
		entmailbox.MicrosoftAccountID(accountID), entmailbox.SyncEnabled(true),
		entmailbox.ConnectionStateEQ(entmailbox.ConnectionStateCONNECTED),
		entmailbox.ProviderEQ(entmailbox.ProviderOFFICE365_OAUTH),
	).Exist(ctx)
}

// notifiedSince reports whether a notification for the account may have
// arrived after t (it touches the subscription row). Stored times may be
// whole seconds, so the second of t counts too.
func (s *Syncer) notifiedSince(ctx context.Context, accountID int, t time.Time) bool {
	if s.o.NotificationURL == "" {
		return false
	}
	ok, err := s.client.GraphSubscription.Query().Where(graphsubscription.MicrosoftAccountID(accountID),
		graphsubscription.UpdatedAtGTE(t.Truncate(time.Second))).Exist(ctx)
	return err == nil && ok
}

// Sync runs one round for the account: mail folders, calendar and the
// change-notification subscription. It returns nil when the account is
// not synced (Syncing off, not connected): its mailboxes show PAUSED and
// the cursors stay for when Syncing comes back on.
func (s *Syncer) Sync(ctx context.Context, accountID int) error {
	ctx = viewer.SystemContext(ctx)
	acct, on, err := s.loadAccount(ctx, accountID)
	if err != nil {
		return err
	}
	if !on {
		return s.setPaused(ctx, acct)
	}
	gc, err := s.o.Microsoft.AccountGraph(ctx, accountID, microsoft.SyncConcurrency)
	if err != nil {
		return err
	}
	// A notification that arrives during a round finds this round's job
	// taken (one per account): the round runs again for it, a few times
	// at most (polling is the safety net).
	for range 3 {
		started := time.Now()
		r := &round{s: s, acct: acct, gc: gc}
		if err = r.run(ctx); err != nil || !s.notifiedSince(ctx, accountID, started) {
			break
		}
	}
	switch {
	case errors.Is(err, errPaused):
		return s.setPaused(ctx, acct)
	case err != nil:
		return s.failed(ctx, acct, err)
	}
	return s.setSynced(ctx, acct)
}
