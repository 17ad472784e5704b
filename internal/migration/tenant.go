package migration

import (
	"context"
	"fmt"
	"time"

	"mailbridge/ent"
	"mailbridge/ent/auditevent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/internal/txn"
)

// Tenant is the organization's Microsoft tenant as admins see it.
type Tenant struct {
	// ConsentGrantedAt and ConsentGrantedBy (a user ID) are from the latest
	// admin consent granted through Mailbridge; nil when there was none.
	ConsentGrantedAt *time.Time
	ConsentGrantedBy *int
	// PendingApproval counts mailboxes Pending admin approval.
	PendingApproval int
	// TenantIDs of the organization's Microsoft accounts.
	TenantIDs []string
}

// Tenant returns the admin consent state and what waits for it (admins
// only). Admin consent is known from the audit trail: Microsoft's answer
// to the admin consent request is recorded as organization.adminConsent.
func (s *Service) Tenant(ctx context.Context) (*Tenant, error) {
	v, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	c := txn.Client(ctx, s.client)
	out := &Tenant{}
	ev, err := c.AuditEvent.Query().
		Where(auditevent.Action("organization.adminConsent"), auditevent.TargetType("Organization"), auditevent.TargetID(v.OrgID)).
		Order(ent.Desc(auditevent.FieldCreatedAt)).
		First(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("migration: admin consent: %w", err)
	default:
		out.ConsentGrantedAt, out.ConsentGrantedBy = &ev.CreatedAt, ev.ActorID
	}
	out.PendingApproval, err = c.Mailbox.Query().
		Where(entmailbox.ConnectionStateEQ(entmailbox.ConnectionStatePENDING_ADMIN_APPROVAL)).
		Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration: pending approvals: %w", err)
	}
	out.TenantIDs, err = c.MicrosoftAccount.Query().
		Order(microsoftaccount.ByTenantID()).
		Unique(true).
		Select(microsoftaccount.FieldTenantID).
		Strings(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration: tenants: %w", err)
	}
	return out, nil
}
