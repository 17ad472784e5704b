// Package migration is the admin's view of an organization's move from
// legacy Exchange Web Services (EWS) mailboxes to Office 365 OAuth through
// Microsoft Graph (Settings > Organization > Migration): who still has to
// act and their next step in the help article's order, the scheduled
// emails held on EWS mailboxes, daily progress snapshots, and in-app
// reminders to the users who still have to act.
//
// Only the end user can connect their mailbox (the OAuth step needs their
// credentials), so an admin's tools are to see, remind, and assign held
// emails once the user's Graph mailbox is ready.
package migration

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/notification"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/user"
	"mailbridge/internal/apperr"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// Step is what a user has to do next to finish moving to Microsoft Graph,
// in the order the help article gives.
type Step string

// The steps, in the article's order.
const (
	StepConnect     Step = "CONNECT_GRAPH_MAILBOX"  // Connect with Office 365
	StepEnable      Step = "ENABLE_GRAPH_MAILBOX"   // turn Syncing and Sending on for it
	StepDisableOld  Step = "DISABLE_OLD_MAILBOX"    // turn Syncing and Sending off on the EWS mailbox
	StepMakeDefault Step = "MAKE_NEW_DEFAULT"       // make the Graph mailbox the default
	StepAssign      Step = "ASSIGN_SEQUENCE_STATES" // move the held scheduled emails (Assign Mailbox)
	StepDone        Step = "DONE"
)

// UsersTurn reports whether only the user can take the step: everything
// before assigning the sequence states, which an admin can do too.
func (s Step) UsersTurn() bool {
	return s != StepAssign && s != StepDone
}

// Steps lists the steps in order; a step's index is its place in the list.
var Steps = []Step{StepConnect, StepEnable, StepDisableOld, StepMakeDefault, StepAssign, StepDone}

// UserProgress is one user who has (or had) a legacy EWS mailbox.
type UserProgress struct {
	User *ent.User
	Step Step
	// EWSMailboxes are the user's legacy mailboxes, by address.
	EWSMailboxes []*ent.Mailbox
	// GraphMailbox is the connected Office 365 mailbox the user moves to
	// (their default if it is one), or nil before they connect one.
	GraphMailbox *ent.Mailbox
	// HeldEmails are the scheduled emails waiting on the EWS mailboxes.
	HeldEmails int
	// NotifiedAt is when an admin last reminded the user.
	NotifiedAt *time.Time
}

// Overview is the organization's migration at one moment.
type Overview struct {
	// UsersOnEWS have at least one legacy EWS mailbox.
	UsersOnEWS int
	// UsersToMigrate are those of them whose next step is not DONE.
	UsersToMigrate int
	MailboxesOnEWS int
	// HeldEmails are the scheduled emails waiting on EWS mailboxes, the
	// earliest due at EarliestHeldDueAt.
	HeldEmails        int
	EarliestHeldDueAt *time.Time
	// Users are ordered by step (earliest first), then name.
	Users []UserProgress
}

// Service computes overviews and records reminders and snapshots.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// NewService returns a Service over client; now defaults to time.Now.
func NewService(client *ent.Client, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, now: func() time.Time { return now().UTC() }}
}

// requireAdmin refuses everyone but the organization's admins.
func requireAdmin(ctx context.Context) (*viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("auth.required", "Sign in to see your organization's migration.")
	}
	if !v.Admin {
		return nil, apperr.Forbidden("organization.adminOnly",
			"Only admins of your organization can see this. Ask an admin if you need it.")
	}
	return v, nil
}

// Overview returns the viewer's organization's migration (admins only).
func (s *Service) Overview(ctx context.Context) (*Overview, error) {
	v, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	return s.overview(ctx, v.OrgID)
}

// overview computes the overview of one organization with four queries:
// the users with an EWS mailbox and all their mailboxes, the held counts
// per EWS mailbox, the earliest held email, and the latest reminders.
func (s *Service) overview(ctx context.Context, orgID int) (*Overview, error) {
	c := txn.Client(ctx, s.client)
	users, err := c.User.Query().
		Where(user.OrgID(orgID), user.HasMailboxesWith(mailbox.WhereNeedsMigration(true))).
		WithMailboxes(func(q *ent.MailboxQuery) { q.Order(entmailbox.ByAddress()) }).
		Order(user.ByName(), user.ByID()).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration: load users: %w", err)
	}
	var ewsIDs, userIDs []int
	for _, u := range users {
		userIDs = append(userIDs, u.ID)
		for _, mb := range u.Edges.Mailboxes {
			if mailbox.NeedsMigration(mb) {
				ewsIDs = append(ewsIDs, mb.ID)
			}
		}
	}
	held := map[int]int{}
	for chunk := range slices.Chunk(ewsIDs, 1000) {
		counts, err := mailbox.UndeliveredCounts(ctx, c, chunk)
		if err != nil {
			return nil, err
		}
		for id, n := range counts {
			held[id] = n
		}
	}
	notified, err := s.lastNotified(ctx, c, orgID, userIDs)
	if err != nil {
		return nil, err
	}
	o := &Overview{UsersOnEWS: len(users), MailboxesOnEWS: len(ewsIDs)}
	for _, u := range users {
		p := Progress(u.Edges.Mailboxes, held)
		p.User = u
		if t, ok := notified[u.ID]; ok {
			p.NotifiedAt = &t
		}
		o.HeldEmails += p.HeldEmails
		if p.Step != StepDone {
			o.UsersToMigrate++
		}
		o.Users = append(o.Users, p)
	}
	slices.SortStableFunc(o.Users, func(a, b UserProgress) int {
		return cmp.Compare(slices.Index(Steps, a.Step), slices.Index(Steps, b.Step))
	})
	if o.HeldEmails > 0 {
		first, err := c.ScheduledEmail.Query().
			Where(scheduledemail.OrgID(orgID), mailbox.WhereUndelivered(), scheduledemail.SendAtNotNil(),
				scheduledemail.HasMailboxWith(mailbox.WhereNeedsMigration(true))).
			Order(scheduledemail.BySendAt()).
			First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, fmt.Errorf("migration: earliest held email: %w", err)
		}
		if first != nil {
			o.EarliestHeldDueAt = first.SendAt
		}
	}
	return o, nil
}

// lastNotified returns when each user was last reminded to migrate.
func (s *Service) lastNotified(ctx context.Context, c *ent.Client, orgID int, userIDs []int) (map[int]time.Time, error) {
	out := map[int]time.Time{}
	for chunk := range slices.Chunk(userIDs, 1000) {
		ns, err := c.Notification.Query().
			Where(notification.OrgID(orgID), notification.KindEQ(notification.KindMIGRATION), notification.UserIDIn(chunk...)).
			Select(notification.FieldUserID, notification.FieldCreatedAt).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("migration: load reminders: %w", err)
		}
		for _, n := range ns {
			if t, ok := out[n.UserID]; !ok || n.CreatedAt.After(t) {
				out[n.UserID] = n.CreatedAt
			}
		}
	}
	return out, nil
}

// Progress works out a user's next step from all their mailboxes and the
// held (undelivered) email counts of their EWS mailboxes, following the
// article: connect the Graph mailbox, enable Syncing and Sending on it,
// disable the old one, make the new one default, assign the sequence
// states. User is left nil.
func Progress(mbs []*ent.Mailbox, held map[int]int) UserProgress {
	var p UserProgress
	var graph []*ent.Mailbox
	for _, mb := range mbs {
		switch {
		case mailbox.NeedsMigration(mb):
			p.EWSMailboxes = append(p.EWSMailboxes, mb)
			p.HeldEmails += held[mb.ID]
		case mb.Provider != nil && *mb.Provider == entmailbox.ProviderOFFICE365_OAUTH &&
			mb.ConnectionState == entmailbox.ConnectionStateCONNECTED:
			graph = append(graph, mb)
		}
	}
	if len(graph) == 0 {
		p.Step = StepConnect
		return p
	}
	// The mailbox to move to: the default, else one already sending and
	// syncing, else the first connected one.
	p.GraphMailbox = graph[0]
	for _, mb := range graph {
		if mb.IsDefault || (!p.GraphMailbox.IsDefault && mb.SyncEnabled && mb.SendEnabled && !(p.GraphMailbox.SyncEnabled && p.GraphMailbox.SendEnabled)) {
			p.GraphMailbox = mb
		}
	}
	switch {
	case !p.GraphMailbox.SyncEnabled || !p.GraphMailbox.SendEnabled:
		p.Step = StepEnable
	case slices.ContainsFunc(p.EWSMailboxes, func(mb *ent.Mailbox) bool { return mb.SyncEnabled || mb.SendEnabled }):
		p.Step = StepDisableOld
	case !p.GraphMailbox.IsDefault:
		p.Step = StepMakeDefault
	case p.HeldEmails > 0:
		p.Step = StepAssign
	default:
		p.Step = StepDone
	}
	return p
}
