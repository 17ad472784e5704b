// Package mailbox holds the rules of a user's mailbox settings
// (Settings > You > Mailboxes): the Syncing and Sending toggles and the
// default mailbox. Every change is audited in the same transaction.
package mailbox

import (
	"context"
	"fmt"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/user"
	"mailbridge/internal/apperr"
	"mailbridge/internal/audit"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// Service changes mailbox settings on behalf of the viewer in the context.
type Service struct {
	client   *ent.Client
	rowLocks bool
}

// NewService returns a Service over client (used when the context carries
// no transaction of its own). rowLocks says the database supports
// SELECT … FOR UPDATE (PostgreSQL); SQLite serialises writing transactions
// on its own.
func NewService(client *ent.Client, rowLocks bool) *Service {
	return &Service{client: client, rowLocks: rowLocks}
}

// Toggle names one of the two per-mailbox switches.
type Toggle string

// The toggles, named as in the UI.
const (
	Sync Toggle = "sync"
	Send Toggle = "send"
)

// Set turns syncing or sending on or off. Only the mailbox's owner may change
// it (an admin may read it but not change it), and only a connected mailbox
// can be turned on — a legacy EWS connection counts as connected.
func (s *Service) Set(ctx context.Context, id int, t Toggle, enabled bool) (*ent.Mailbox, error) {
	var out *ent.Mailbox
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		mb, err := ownMailbox(ctx, c, id)
		if err != nil {
			return err
		}
		current := mb.SyncEnabled
		if t == Send {
			current = mb.SendEnabled
		}
		if current == enabled {
			out = mb
			return nil
		}
		if enabled && mb.ConnectionState != entmailbox.ConnectionStateCONNECTED {
			return notConnected(mb, t)
		}
		upd := c.Mailbox.UpdateOne(mb)
		if t == Sync {
			upd.SetSyncEnabled(enabled)
		} else {
			upd.SetSendEnabled(enabled)
		}
		if out, err = upd.Save(ctx); err != nil {
			return fmt.Errorf("mailbox: set %s: %w", t, err)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID:         mb.OrgID,
			Action:        "mailbox.set" + map[Toggle]string{Sync: "Sync", Send: "Send"}[t],
			TargetType:    "Mailbox",
			TargetID:      mb.ID,
			SubjectUserID: mb.UserID,
			Changes:       []schematype.AuditChange{audit.Change(string(t)+"Enabled", current, enabled)},
		})
	})
	return out, err
}

// MakeDefault makes the mailbox the owner's default; the previous default
// (if another) stops being default in the same transaction. A partial unique
// index guarantees one default per user even under concurrent requests; the
// loser of such a race gets a CONFLICT.
func (s *Service) MakeDefault(ctx context.Context, id int) (mb, previous *ent.Mailbox, err error) {
	err = txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		mb, err = ownMailbox(ctx, c, id)
		if err != nil {
			return err
		}
		if mb.IsDefault {
			return nil
		}
		// Serialise default changes per user: without it, two requests
		// swapping defaults lock the two rows in opposite orders.
		if s.rowLocks {
			if _, err := c.User.Query().Where(user.ID(mb.UserID)).ForUpdate().Only(ctx); err != nil {
				return fmt.Errorf("mailbox: lock owner: %w", err)
			}
			if mb, err = c.Mailbox.Get(ctx, id); err != nil {
				return fmt.Errorf("mailbox: reload: %w", err)
			}
			if mb.IsDefault {
				return nil
			}
		}
		previous, err = c.Mailbox.Query().
			Where(entmailbox.UserID(mb.UserID), entmailbox.IsDefault(true)).
			Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return fmt.Errorf("mailbox: find default: %w", err)
		}
		changes := []schematype.AuditChange{audit.Change("isDefault", false, true)}
		if previous != nil {
			if previous, err = c.Mailbox.UpdateOne(previous).SetIsDefault(false).Save(ctx); err != nil {
				return defaultRace(err)
			}
			prev := previous.Address
			changes = append(changes, schematype.AuditChange{Field: "previousDefault", From: &prev})
		}
		if mb, err = c.Mailbox.UpdateOne(mb).SetIsDefault(true).Save(ctx); err != nil {
			return defaultRace(err)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID:         mb.OrgID,
			Action:        "mailbox.makeDefault",
			TargetType:    "Mailbox",
			TargetID:      mb.ID,
			SubjectUserID: mb.UserID,
			Changes:       changes,
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return mb, previous, nil
}

// ownMailbox loads a mailbox whose settings the viewer may change.
func ownMailbox(ctx context.Context, c *ent.Client, id int) (*ent.Mailbox, error) {
	return OwnMailbox(ctx, c, id,
		"Only the mailbox's owner can change its settings. Admins can view them but not change them.")
}

// OwnMailbox loads a mailbox the viewer may act on: it must be visible
// (privacy: NOT_FOUND otherwise) and theirs (FORBIDDEN for admins looking at
// someone else's, with notOwner as the message a person reads). Connect,
// disconnect and remove use it too, so every owner-only action answers alike.
func OwnMailbox(ctx context.Context, c *ent.Client, id int, notOwner string) (*ent.Mailbox, error) {
	mb, err := c.Mailbox.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("mailbox.notFound", "This mailbox does not exist or you cannot see it.")
	}
	if err != nil {
		return nil, fmt.Errorf("mailbox: load %d: %w", id, err)
	}
	if v := viewer.FromContext(ctx); v == nil || v.UserID != mb.UserID {
		return nil, apperr.Forbidden("mailbox.notOwner", notOwner)
	}
	return mb, nil
}

func notConnected(mb *ent.Mailbox, t Toggle) error {
	verb := map[Toggle]string{Sync: "syncing", Send: "sending"}[t]
	return apperr.Conflict("mailbox.notConnected", fmt.Sprintf(
		"%s is not connected, so %s cannot be turned on. Connect it with Office 365 OAuth first (Edit › Email Provider › Office 365 OAuth (recommended) › Connect with Office 365).",
		mb.Address, verb))
}

func defaultRace(err error) error {
	if ent.IsConstraintError(err) {
		return &apperr.Error{Kind: apperr.KindConflict, ID: "mailbox.defaultChanged",
			Message: "Your default mailbox was changed at the same time by another request. Reload and try again.", Cause: err}
	}
	return fmt.Errorf("mailbox: make default: %w", err)
}
