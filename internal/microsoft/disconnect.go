package microsoft

import (
	"context"
	"fmt"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/schema/schematype"
	"mailbridge/internal/apperr"
	"mailbridge/internal/audit"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// Disconnect disconnects one of the viewer's own mailboxes from Microsoft
// 365: the mailbox goes back to Not connected with Syncing and Sending off,
// and when no other mailbox uses its Microsoft account, the account and
// its tokens are deleted. Scheduled emails stay on the mailbox, held (not
// failed) until it is connected again or they are assigned elsewhere.
func (s *Service) Disconnect(ctx context.Context, mailboxID int) (*ent.Mailbox, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("auth.required", "Sign in to disconnect a mailbox.")
	}
	var out *ent.Mailbox
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		mb, err := mailbox.OwnMailbox(ctx, c, mailboxID, "Only the mailbox's owner can disconnect it.")
		if err != nil {
			return err
		}
		if mb.Provider == nil || *mb.Provider != entmailbox.ProviderOFFICE365_OAUTH || mb.MicrosoftAccountID == nil {
			return apperr.Conflict("mailbox.notOffice365", mb.Address+" is not connected with Office 365 OAuth, so there is nothing to disconnect.")
		}
		acctID := *mb.MicrosoftAccountID
		out, err = c.Mailbox.UpdateOne(mb).
			SetConnectionState(entmailbox.ConnectionStateNOT_CONNECTED).
			ClearConnectionError().
			ClearMicrosoftAccountID().
			SetSyncEnabled(false).
			SetSendEnabled(false).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("microsoft: disconnect mailbox: %w", err)
		}
		sys := viewer.SystemContext(ctx)
		others, err := c.Mailbox.Query().Where(entmailbox.MicrosoftAccountID(acctID)).Count(sys)
		if err != nil {
			return fmt.Errorf("microsoft: count account mailboxes: %w", err)
		}
		if others == 0 {
			if err := c.MicrosoftAccount.DeleteOneID(acctID).Exec(sys); err != nil {
				return fmt.Errorf("microsoft: delete account: %w", err)
			}
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID: mb.OrgID, Action: "mailbox.disconnect", TargetType: "Mailbox", TargetID: mb.ID, SubjectUserID: mb.UserID,
			Changes: []schematype.AuditChange{
				audit.Change("connectionState", string(mb.ConnectionState), string(entmailbox.ConnectionStateNOT_CONNECTED)),
				audit.Change("syncEnabled", mb.SyncEnabled, false),
				audit.Change("sendEnabled", mb.SendEnabled, false),
			},
		})
	})
	return out, err
}
