package mailsync

import (
	"context"
	"fmt"

	"mailbridge/ent"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/syncedmessage"
	"mailbridge/internal/apperr"
	"mailbridge/internal/audit"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// SetHeadersOnly turns the organization's headers-only privacy setting on
// or off (admins only). Turning it on also removes the snippets already
// stored.
func SetHeadersOnly(ctx context.Context, client *ent.Client, enabled bool) (*ent.Organization, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("auth.required", "Sign in first.")
	}
	if !v.Admin {
		return nil, apperr.Forbidden("organization.adminOnly", "Only admins can change the organization's settings.")
	}
	var org *ent.Organization
	err := txn.Run(ctx, client, func(ctx context.Context, c *ent.Client) error {
		cur, err := c.Organization.Get(ctx, v.OrgID)
		if err != nil {
			return fmt.Errorf("mailsync: load organization: %w", err)
		}
		if cur.SyncHeadersOnly == enabled {
			org = cur
			return nil
		}
		if org, err = c.Organization.UpdateOne(cur).SetSyncHeadersOnly(enabled).Save(ctx); err != nil {
			return fmt.Errorf("mailsync: update organization: %w", err)
		}
		if enabled {
			if _, err := c.SyncedMessage.Update().Where(syncedmessage.OrgID(org.ID), syncedmessage.SnippetNotNil()).ClearSnippet().Save(ctx); err != nil {
				return fmt.Errorf("mailsync: remove snippets: %w", err)
			}
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID: org.ID, Action: "organization.setSyncHeadersOnly", TargetType: "Organization", TargetID: org.ID,
			SubjectUserID: v.UserID,
			Changes:       []schematype.AuditChange{audit.Change("syncHeadersOnly", !enabled, enabled)},
		})
	})
	return org, err
}
