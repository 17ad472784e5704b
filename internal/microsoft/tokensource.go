package microsoft

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/internal/apperr"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// Refresh timing (QUALITY.md §6.6).
const (
	// refreshAhead refreshes access tokens this long before they expire
	// (x/oauth2 alone would wait until 10 s before).
	refreshAhead = 5 * time.Minute
	// leaseTTL is how long one instance may hold an account's refresh lease.
	leaseTTL = 30 * time.Second
	// leaseWait is how long an instance that lost the lease waits for the
	// winner's tokens, polling every leasePoll.
	leaseWait = 5 * time.Second
	leasePoll = 100 * time.Millisecond
)

// ErrNeedsReconnect is returned for an account whose grant Microsoft no
// longer accepts: the user must connect again (Reconnect).
var ErrNeedsReconnect = apperr.Conflict("microsoft.needsReconnect",
	"Microsoft no longer accepts Mailbridge's access to this mailbox. Its owner must click Reconnect in Settings › Mailboxes.")

// TokenSource is the one token source of a Microsoft account for every
// caller: it returns the stored access token while it is fresh and
// otherwise refreshes it once — single-flight within the process, under a
// lease across instances — persisting every rotated refresh token.
func (s *Service) TokenSource(ctx context.Context, accountID int) oauth2.TokenSource {
	return tokenSourceFunc(func() (*oauth2.Token, error) { return s.Token(ctx, accountID) })
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// Token returns a fresh access token of the account.
func (s *Service) Token(ctx context.Context, accountID int) (*oauth2.Token, error) {
	acct, err := s.loadAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if tok, ok, err := s.freshToken(acct); ok || err != nil {
		return tok, err
	}
	ch := s.refreshes.DoChan(strconv.Itoa(accountID), func() (any, error) {
		// Detached from one caller's cancellation: other callers share it.
		return s.refresh(context.WithoutCancel(ctx), accountID)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*oauth2.Token), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Service) loadAccount(ctx context.Context, id int) (*ent.MicrosoftAccount, error) {
	acct, err := s.client.MicrosoftAccount.Get(viewer.SystemContext(ctx), id)
	if err != nil {
		return nil, fmt.Errorf("microsoft: load account %d: %w", id, err)
	}
	return acct, nil
}

// freshToken returns the stored access token when it is valid beyond
// refreshAhead; an account that needs reconnecting has none.
func (s *Service) freshToken(acct *ent.MicrosoftAccount) (*oauth2.Token, bool, error) {
	if acct.Status == microsoftaccount.StatusNEEDS_RECONNECT {
		return nil, true, ErrNeedsReconnect
	}
	if acct.AccessToken == nil || acct.TokenExpiresAt == nil || !s.now().Add(refreshAhead).Before(*acct.TokenExpiresAt) {
		return nil, false, nil
	}
	at, err := s.ring.Decrypt(*acct.AccessToken, accessPlace(acct))
	if err != nil {
		return nil, true, fmt.Errorf("microsoft: account %d: %w", acct.ID, err)
	}
	return &oauth2.Token{AccessToken: at, TokenType: "Bearer", Expiry: *acct.TokenExpiresAt}, true, nil
}

// refresh runs one refresh of the account across instances: take the
// lease (a conditional update committed before any HTTP call), re-read,
// refresh, persist with a version compare-and-swap, release.
func (s *Service) refresh(ctx context.Context, id int) (*oauth2.Token, error) {
	sys := viewer.SystemContext(ctx)
	deadline := time.Now().Add(leaseWait)
	for {
		now := s.now()
		n, err := s.client.MicrosoftAccount.Update().
			Where(microsoftaccount.ID(id), microsoftaccount.Or(microsoftaccount.RefreshingUntilIsNil(), microsoftaccount.RefreshingUntilLT(now))).
			SetRefreshingUntil(now.Add(leaseTTL)).
			Save(sys)
		if err != nil {
			return nil, fmt.Errorf("microsoft: take refresh lease: %w", err)
		}
		if n == 1 {
			break
		}
		// Another instance is refreshing: wait for its tokens.
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("microsoft: account %d: another instance has been refreshing for over %s", id, leaseWait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(leasePoll):
		}
		acct, err := s.loadAccount(ctx, id)
		if err != nil {
			return nil, err
		}
		if tok, ok, err := s.freshToken(acct); ok || err != nil {
			return tok, err
		}
	}
	release := func() {
		if err := s.client.MicrosoftAccount.UpdateOneID(id).ClearRefreshingUntil().Exec(sys); err != nil {
			s.log.WarnContext(ctx, "microsoft: release refresh lease", "account_id", id, "error", err)
		}
	}
	for attempt := 0; ; attempt++ {
		// Re-read after taking the lease: another instance may have
		// refreshed just before.
		acct, err := s.loadAccount(ctx, id)
		if err != nil {
			release()
			return nil, err
		}
		if tok, ok, err := s.freshToken(acct); ok || err != nil {
			release()
			return tok, err
		}
		if acct.RefreshToken == nil {
			release()
			return nil, s.markNeedsReconnect(ctx, acct, "Mailbridge holds no refresh token for this Microsoft account.")
		}
		rt, err := s.ring.Decrypt(*acct.RefreshToken, refreshPlace(acct))
		if err != nil {
			release()
			return nil, fmt.Errorf("microsoft: account %d: %w", id, err)
		}
		tok, err := s.oauth.TokenSource(s.httpCtx(ctx), &oauth2.Token{RefreshToken: rt}).Token()
		if err == nil {
			out, err := s.persistRefresh(ctx, acct, tok)
			release()
			return out, err
		}
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && permanent(re) {
			// Another instance may have rotated the token meanwhile
			// (QUALITY.md §6.6): re-read once before giving up.
			again, lerr := s.loadAccount(ctx, id)
			if lerr == nil && again.TokenVersion != acct.TokenVersion && attempt == 0 {
				continue
			}
			release()
			code := aadCodeFromBody(re)
			s.log.WarnContext(ctx, "microsoft: refresh refused; account needs reconnecting", "account_id", id, "error", re.ErrorCode, "aadsts", code)
			return nil, s.markNeedsReconnect(ctx, acct, reconnectReason(re.ErrorCode, code))
		}
		// Transient (network, 5xx, temporarily_unavailable): back off and retry.
		s.log.WarnContext(ctx, "microsoft: refresh failed; retrying", "account_id", id, "attempt", attempt+1, "error", errorKind(err))
		if attempt >= 2 {
			release()
			return nil, fmt.Errorf("microsoft: refresh account %d: %w", id, err)
		}
		select {
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		case <-time.After(time.Duration(250<<attempt) * time.Millisecond):
		}
	}
}

// errorKind describes a refresh error for logs without its body.
func errorKind(err error) string {
	var re *oauth2.RetrieveError
	var ne net.Error
	switch {
	case errors.As(err, &re):
		return fmt.Sprintf("HTTP %d %s", re.Response.StatusCode, re.ErrorCode)
	case errors.As(err, &ne):
		return "network: " + ne.Error()
	}
	return "other"
}

// permanent reports whether a token error needs the user to reconnect
// (MICROSOFT.md §1.6): invalid_grant and the client errors; 5xx and
// temporarily_unavailable are transient.
func permanent(re *oauth2.RetrieveError) bool {
	if re.Response != nil && re.Response.StatusCode >= 500 {
		return false
	}
	switch re.ErrorCode {
	case "invalid_grant", "invalid_client", "unauthorized_client", "invalid_request", "interaction_required", "consent_required":
		return true
	}
	return false
}

// reconnectReasons explain the revocation codes (QUALITY.md §6.6).
var reconnectReasons = map[string]string{
	"AADSTS70008":  "Microsoft's sign-in for this mailbox expired.",
	"AADSTS700082": "Microsoft's sign-in for this mailbox expired after 90 days without use.",
	"AADSTS700084": "Microsoft's sign-in for this mailbox reached its maximum lifetime.",
	"AADSTS50173":  "Microsoft revoked Mailbridge's access, for example after a password change or reset.",
	"AADSTS65001":  "The consent for Mailbridge was revoked in your Microsoft organization.",
	"AADSTS50076":  "Microsoft requires you to sign in again with multi-factor authentication.",
	"AADSTS50079":  "Microsoft requires you to register for multi-factor authentication and sign in again.",
	"AADSTS70043":  "Your organization requires you to sign in to Microsoft again.",
}

func reconnectReason(e, code string) string {
	reason, ok := reconnectReasons[code]
	if !ok {
		reason = "Microsoft no longer accepts Mailbridge's access (" + e + ")."
	}
	reason += " Click Reconnect to connect the mailbox again."
	if code != "" {
		reason += " Microsoft error code: " + code + "."
	}
	return reason
}

// persistRefresh stores the refreshed tokens with a compare-and-swap on the
// token version. The old refresh token is overwritten, never kept.
func (s *Service) persistRefresh(ctx context.Context, acct *ent.MicrosoftAccount, tok *oauth2.Token) (*oauth2.Token, error) {
	upd := s.client.MicrosoftAccount.UpdateOneID(acct.ID).
		Where(microsoftaccount.TokenVersion(acct.TokenVersion)).
		SetTokenVersion(acct.TokenVersion + 1)
	if err := s.setTokens(upd, acct, tok); err != nil {
		return nil, err
	}
	if sc, _ := tok.Extra("scope").(string); sc != "" {
		upd.SetScopes(strings.Fields(sc))
	}
	err := upd.Exec(viewer.SystemContext(ctx))
	if ent.IsNotFound(err) {
		// Lost the race after all (a lease expired mid-refresh): the stored
		// tokens are newer than ours.
		latest, lerr := s.loadAccount(ctx, acct.ID)
		if lerr != nil {
			return nil, lerr
		}
		if t, ok, ferr := s.freshToken(latest); ok || ferr != nil {
			return t, ferr
		}
		return nil, errors.New("microsoft: token version changed during refresh")
	}
	if err != nil {
		return nil, fmt.Errorf("microsoft: persist refreshed tokens: %w", err)
	}
	return &oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer", Expiry: s.expiry(tok)}, nil
}

// markNeedsReconnect sets the account and its connected mailboxes to
// Needs reconnect with the reason; their sync and send pause (scheduled
// emails are held, not failed) until the owner reconnects.
func (s *Service) markNeedsReconnect(ctx context.Context, acct *ent.MicrosoftAccount, reason string) error {
	err := txn.Run(viewer.SystemContext(ctx), s.client, func(ctx context.Context, c *ent.Client) error {
		if err := c.MicrosoftAccount.UpdateOneID(acct.ID).
			SetStatus(microsoftaccount.StatusNEEDS_RECONNECT).
			SetStatusReason(truncate(reason, 1000)).
			ClearAccessToken().ClearTokenExpiresAt().
			Exec(ctx); err != nil {
			return fmt.Errorf("microsoft: mark account: %w", err)
		}
		return c.Mailbox.Update().
			Where(entmailbox.MicrosoftAccountID(acct.ID), entmailbox.ConnectionStateEQ(entmailbox.ConnectionStateCONNECTED)).
			SetConnectionState(entmailbox.ConnectionStateNEEDS_RECONNECT).
			SetConnectionError(truncate(reason, 1000)).
			Exec(ctx)
	})
	if err != nil {
		return err
	}
	return ErrNeedsReconnect
}
