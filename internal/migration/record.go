package migration

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"mailbridge/ent"
	"mailbridge/ent/migrationsnapshot"
	"mailbridge/ent/notification"
	"mailbridge/ent/schema/schematype"
	"mailbridge/internal/audit"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// ReminderMessage is the banner users who still have to act see on their
// next visit.
const ReminderMessage = "Your admin asks you to finish moving your mailbox to Microsoft Graph: " +
	"Exchange Online is blocking the old Exchange (EWS) connection. " +
	"Open Settings > You > Mailboxes: click Connect with Office 365 on the mailbox you use, " +
	"turn Syncing and Sending on for it and off for the old one, and make it your default mailbox."

// Notify reminds users who still have to act (admins only): each of
// userIDs whose next step only they can take (connecting, enabling,
// disabling the old mailbox, making the new one default), or all of them
// when userIDs is empty, gets a banner on their next visit. A user with an open reminder
// does not get a second one. The reminders and an audit event are recorded
// in one transaction; Notify returns how many users were reminded.
func (s *Service) Notify(ctx context.Context, userIDs []int) (int, error) {
	v, err := requireAdmin(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		o, err := s.overview(ctx, v.OrgID)
		if err != nil {
			return err
		}
		var todo []int
		for _, p := range o.Users {
			if p.Step.UsersTurn() && (len(userIDs) == 0 || slices.Contains(userIDs, p.User.ID)) {
				todo = append(todo, p.User.ID)
			}
		}
		open, err := c.Notification.Query().
			Where(notification.KindEQ(notification.KindMIGRATION), notification.DismissedAtIsNil(), notification.UserIDIn(todo...)).
			Select(notification.FieldUserID).
			Ints(ctx)
		if err != nil {
			return fmt.Errorf("migration: open reminders: %w", err)
		}
		now := s.now()
		var creates []*ent.NotificationCreate
		for _, id := range todo {
			if slices.Contains(open, id) {
				continue
			}
			creates = append(creates, c.Notification.Create().
				SetOrgID(v.OrgID).SetUserID(id).SetCreatedByID(v.UserID).
				SetKind(notification.KindMIGRATION).SetMessage(ReminderMessage).SetCreatedAt(now))
		}
		for chunk := range slices.Chunk(creates, 500) {
			if err := c.Notification.CreateBulk(chunk...).Exec(ctx); err != nil {
				return fmt.Errorf("migration: record reminders: %w", err)
			}
		}
		n = len(creates)
		return audit.Record(ctx, c, audit.Event{
			OrgID: v.OrgID, Action: "migration.notifyUsers", TargetType: "Organization", TargetID: v.OrgID, SubjectUserID: v.UserID,
			Changes: []schematype.AuditChange{audit.Change("usersNotified", "0", strconv.Itoa(n))},
		})
	})
	return n, err
}

// Snapshots returns the organization's daily snapshots since days ago,
// oldest first (admins only).
func (s *Service) Snapshots(ctx context.Context, days int) ([]*ent.MigrationSnapshot, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	since := s.now().AddDate(0, 0, -days).Format(time.DateOnly)
	return txn.Client(ctx, s.client).MigrationSnapshot.Query().
		Where(migrationsnapshot.DayGTE(since)).
		Order(migrationsnapshot.ByDay()).
		All(ctx)
}

// RecordSnapshots records today's snapshot of every organization (trusted
// system code). Recording again the same day updates the day's row, so
// several instances may run it.
func (s *Service) RecordSnapshots(ctx context.Context) error {
	sys := viewer.SystemContext(ctx)
	orgs, err := s.client.Organization.Query().IDs(sys)
	if err != nil {
		return fmt.Errorf("migration: list organizations: %w", err)
	}
	day := s.now().Format(time.DateOnly)
	for _, org := range orgs {
		o, err := s.overview(sys, org)
		if err != nil {
			return err
		}
		err = s.client.MigrationSnapshot.Create().
			SetOrgID(org).SetDay(day).
			SetUsersToMigrate(o.UsersToMigrate).SetMailboxesOnEws(o.MailboxesOnEWS).SetHeldEmails(o.HeldEmails).
			OnConflictColumns(migrationsnapshot.FieldOrgID, migrationsnapshot.FieldDay).
			UpdateNewValues().
			Exec(sys)
		if err != nil {
			return fmt.Errorf("migration: record snapshot: %w", err)
		}
	}
	return nil
}

// RecordSnapshotsEvery records snapshots now and then every interval until
// ctx ends; failures are logged and retried at the next tick.
func (s *Service) RecordSnapshotsEvery(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.RecordSnapshots(ctx); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "migration: record snapshots", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
