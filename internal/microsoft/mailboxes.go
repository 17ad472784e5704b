package microsoft

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/schema/schematype"
	"mailbridge/internal/apperr"
	"mailbridge/internal/audit"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// accountAddresses are the addresses a stored grant may serve (as me.Addresses).
func accountAddresses(a *ent.MicrosoftAccount) []string {
	m := &me{UserPrincipalName: a.UserPrincipalName, ProxyAddresses: a.ProxyAddresses}
	if a.Mail != nil {
		m.Mail = *a.Mail
	}
	return m.Addresses()
}

// AddMailbox adds a mailbox (an alias) for the viewer. When one of the
// viewer's connected Microsoft accounts owns the address (UPN, mail or an
// SMTP proxy address), the new mailbox uses that grant and is Connected at
// once; otherwise it is Not connected.
func (s *Service) AddMailbox(ctx context.Context, address string) (*ent.Mailbox, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("auth.required", "Sign in to add a mailbox.")
	}
	parsed, err := mail.ParseAddress(strings.TrimSpace(address))
	if err != nil || parsed.Name != "" || len(parsed.Address) > 320 {
		return nil, apperr.Validation("mailbox.invalidAddress", "address",
			fmt.Sprintf("%q is not an email address. Enter it like john.work@acme.com.", address))
	}
	addr := strings.ToLower(parsed.Address)
	var out *ent.Mailbox
	err = txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		sys := viewer.SystemContext(ctx)
		taken, err := c.Mailbox.Query().Where(entmailbox.OrgID(v.OrgID), entmailbox.AddressEqualFold(addr)).Exist(sys)
		if err != nil {
			return fmt.Errorf("microsoft: check address: %w", err)
		}
		if taken {
			return apperr.Conflict("mailbox.addressTaken", addr+" is already a mailbox in your organization.")
		}
		create := c.Mailbox.Create().SetOrgID(v.OrgID).SetUserID(v.UserID).SetAddress(addr)
		accounts, err := c.MicrosoftAccount.Query().
			Where(microsoftaccount.UserID(v.UserID), microsoftaccount.StatusEQ(microsoftaccount.StatusACTIVE)).
			All(sys)
		if err != nil {
			return fmt.Errorf("microsoft: load accounts: %w", err)
		}
		for _, a := range accounts {
			if slices.Contains(accountAddresses(a), addr) {
				create.SetProvider(entmailbox.ProviderOFFICE365_OAUTH).
					SetConnectionState(entmailbox.ConnectionStateCONNECTED).
					SetMicrosoftAccountID(a.ID)
				break
			}
		}
		if out, err = create.Save(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return apperr.Conflict("mailbox.addressTaken", addr+" is already a mailbox in your organization.")
			}
			return fmt.Errorf("microsoft: add mailbox: %w", err)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID: v.OrgID, Action: "mailbox.add", TargetType: "Mailbox", TargetID: out.ID, SubjectUserID: v.UserID,
			Changes: []schematype.AuditChange{audit.Change("address", "", addr), audit.Change("connectionState", "", string(out.ConnectionState))},
		})
	})
	return out, err
}

// RemoveMailbox removes one of the viewer's mailboxes. It refuses the
// default mailbox and a mailbox that still has scheduled emails to send
// (assign them to another mailbox first), and one with sequence history.
func (s *Service) RemoveMailbox(ctx context.Context, mailboxID int) (*ent.Mailbox, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("auth.required", "Sign in to remove a mailbox.")
	}
	var out *ent.Mailbox
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		mb, err := mailbox.OwnMailbox(ctx, c, mailboxID, "Only the mailbox's owner can remove it.")
		if err != nil {
			return err
		}
		if mb.IsDefault {
			return apperr.Conflict("mailbox.isDefault", mb.Address+" is your default mailbox. Make another mailbox the default first.")
		}
		sys := viewer.SystemContext(ctx)
		n, err := c.ScheduledEmail.Query().
			Where(scheduledemail.MailboxID(mb.ID), scheduledemail.StateIn(scheduledemail.StateDRAFTED, scheduledemail.StateSCHEDULED, scheduledemail.StateDELIVERING)).
			Count(sys)
		if err != nil {
			return fmt.Errorf("microsoft: count undelivered: %w", err)
		}
		if n > 0 {
			return apperr.Conflict("mailbox.hasUndeliveredEmails", fmt.Sprintf(
				"%s still has %d scheduled emails to send. Assign them to another mailbox (Sequences States › Assign Mailbox) before removing it.", mb.Address, n))
		}
		if err := c.Mailbox.DeleteOne(mb).Exec(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return apperr.Conflict("mailbox.hasHistory", mb.Address+" has sequence history, so it cannot be removed. Disconnect it and turn off Syncing and Sending instead.")
			}
			return fmt.Errorf("microsoft: remove mailbox: %w", err)
		}
		if mb.MicrosoftAccountID != nil {
			left, err := c.Mailbox.Query().Where(entmailbox.MicrosoftAccountID(*mb.MicrosoftAccountID)).Count(sys)
			if err != nil {
				return fmt.Errorf("microsoft: count account mailboxes: %w", err)
			}
			if left == 0 {
				if err := c.MicrosoftAccount.DeleteOneID(*mb.MicrosoftAccountID).Exec(sys); err != nil {
					return fmt.Errorf("microsoft: delete account: %w", err)
				}
			}
		}
		out = mb
		return audit.Record(ctx, c, audit.Event{
			OrgID: mb.OrgID, Action: "mailbox.remove", TargetType: "Mailbox", TargetID: mb.ID, SubjectUserID: mb.UserID,
			Changes: []schematype.AuditChange{audit.Change("address", mb.Address, "")},
		})
	})
	return out, err
}
