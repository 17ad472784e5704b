package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mailbridge/ent"
	"mailbridge/ent/apitoken"
	"mailbridge/ent/schema/schematype"
	"mailbridge/internal/apperr"
	"mailbridge/internal/audit"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// tokenPrefix starts every API token, so leaked tokens are recognisable by
// secret scanners.
const tokenPrefix = "mbt_"

// tokenTouchEvery limits last-used writes to one per minute per token.
const tokenTouchEvery = time.Minute

// NewAPIToken describes a token to create.
type NewAPIToken struct {
	UserID    int    // the user the token acts as
	Name      string // what it is for, e.g. "CRM sync"
	ExpiresAt *time.Time
}

// CreateAPIToken creates a token acting as in.UserID and returns its secret,
// which is never stored and cannot be shown again. With a viewer in ctx,
// users create tokens acting as themselves and admins also for other users
// of their organization; the CLI calls it with viewer.SystemContext.
func (s *Service) CreateAPIToken(ctx context.Context, in NewAPIToken) (secret string, tok *ent.APIToken, err error) {
	v := viewer.FromContext(ctx)
	if v != nil && !v.Admin && in.UserID != v.UserID {
		return "", nil, apperr.Forbidden("apiToken.adminOnly", "Only admins can create API tokens for other users; you can create tokens acting as yourself.")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", nil, apperr.Validation("apiToken.invalidName", "name", "Give the token a name of 1 to 100 characters, e.g. \"CRM sync\".")
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.opts.Now()) {
		return "", nil, apperr.Validation("apiToken.expiresInPast", "expiresAt", "The expiry must be in the future.")
	}
	err = txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		u, err := c.User.Get(ctx, in.UserID)
		if ent.IsNotFound(err) {
			return apperr.NotFound("user.notFound", "There is no such user in your organization.")
		}
		if err != nil {
			return fmt.Errorf("auth: load token user: %w", err)
		}
		var h []byte
		secret, h = newSecret(tokenPrefix)
		create := c.APIToken.Create().
			SetOrgID(u.OrgID).
			SetUserID(u.ID).
			SetName(name).
			SetTokenHash(h).
			SetPrefix(secret[:len(tokenPrefix)+8]).
			SetNillableExpiresAt(in.ExpiresAt)
		if v != nil {
			create.SetCreatedByID(v.UserID)
		}
		if tok, err = create.Save(ctx); err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID: u.OrgID, Action: "apiToken.create", TargetType: "APIToken", TargetID: tok.ID, SubjectUserID: u.ID,
			Changes: []schematype.AuditChange{{Field: "name", To: &name}},
		})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, tok, nil
}

// RevokeAPIToken revokes a token now; requests with it fail from then on.
// Revoking a revoked token is a no-op. Users revoke the tokens acting as
// them, admins any token of their organization (the ent privacy policy
// hides the others, which answer NOT_FOUND).
func (s *Service) RevokeAPIToken(ctx context.Context, id int) (*ent.APIToken, error) {
	var tok *ent.APIToken
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		var err error
		tok, err = c.APIToken.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.NotFound("apiToken.notFound", "This API token does not exist or you cannot see it.")
		}
		if err != nil {
			return fmt.Errorf("auth: load token: %w", err)
		}
		if tok.RevokedAt != nil {
			return nil
		}
		if tok, err = c.APIToken.UpdateOne(tok).SetRevokedAt(s.opts.Now()).Save(ctx); err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID: tok.OrgID, Action: "apiToken.revoke", TargetType: "APIToken", TargetID: tok.ID, SubjectUserID: tok.UserID,
		})
	})
	return tok, err
}

// tokenViewer resolves an API token to its viewer; nil (no error) for
// unknown, revoked or expired tokens.
func (s *Service) tokenViewer(ctx context.Context, secret string) (*viewer.Viewer, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, nil
	}
	ctx = viewer.SystemContext(ctx)
	tok, err := s.client.APIToken.Query().
		Where(apitoken.TokenHash(hash(secret))).
		WithUser().
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: look up token: %w", err)
	}
	now := s.opts.Now()
	if tok.RevokedAt != nil || (tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt)) {
		return nil, nil
	}
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= tokenTouchEvery {
		if err := s.client.APIToken.UpdateOne(tok).SetLastUsedAt(now).Exec(ctx); err != nil {
			s.log.WarnContext(ctx, "auth: touch token", "error", err)
		}
	}
	u := tok.Edges.User
	return &viewer.Viewer{UserID: u.ID, OrgID: u.OrgID, Admin: u.Role == "ADMIN", APITokenID: tok.ID}, nil
}
