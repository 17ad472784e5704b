package microsoft

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"golang.org/x/oauth2"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/ent/oauthstate"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/user"
	"mailbridge/internal/apperr"
	"mailbridge/internal/audit"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/tokencrypt"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// Outcome is how a connect attempt ended; the callback hands it to the web
// app (?connect=<outcome>), which explains it in words.
type Outcome string

// The outcomes.
const (
	OutcomeConnected Outcome = "connected"
	// OutcomeDeclined: the user declined the permissions at Microsoft.
	OutcomeDeclined Outcome = "declined"
	// OutcomePending: an administrator must approve Mailbridge first.
	OutcomePending Outcome = "pending"
	// OutcomeError: Microsoft refused the sign-in, or Mailbridge could not
	// complete it; the mailbox's connectionError says why.
	OutcomeError Outcome = "error"
	// OutcomeMismatch: the Microsoft account does not own the mailbox's
	// address; nothing changed.
	OutcomeMismatch Outcome = "mismatch"
	// OutcomeTaken: the Microsoft account is connected by another
	// Mailbridge user; nothing changed.
	OutcomeTaken Outcome = "taken"
)

// StartConnect begins "Connect with Office 365" for one of the viewer's own
// mailboxes: it stores a one-time state (hashed) bound to the viewer and the
// mailbox, with the PKCE verifier and a nonce, and returns Microsoft's
// authorize URL. Partners calling with an API token hand the URL to the
// user; the callback works without a Mailbridge session.
func (s *Service) StartConnect(ctx context.Context, mailboxID int) (mb *ent.Mailbox, authorizationURL string, err error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, "", apperr.Unauthenticated("auth.required", "Sign in to connect a mailbox.")
	}
	c := txn.Client(ctx, s.client)
	mb, err = mailbox.OwnMailbox(ctx, c, mailboxID,
		"Only the mailbox's owner can connect it: they must sign in to Microsoft with their own account.")
	if err != nil {
		return nil, "", err
	}
	state, verifier, nonce := randomString(32), oauth2.GenerateVerifier(), randomString(24)
	now := s.now()
	err = c.OAuthState.Create().
		SetStateHash(hashState(state)).
		SetPurpose(oauthstate.PurposeCONNECT).
		SetOrgID(mb.OrgID).
		SetUserID(mb.UserID).
		SetMailboxID(mb.ID).
		SetCodeVerifier(verifier).
		SetNonce(nonce).
		SetCreatedAt(now).
		SetExpiresAt(now.Add(stateTTL)).
		Exec(viewer.SystemContext(ctx))
	if err != nil {
		return nil, "", fmt.Errorf("microsoft: store state: %w", err)
	}
	authURL := s.oauth.AuthCodeURL(state,
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce),
		oauth2.SetAuthURLParam("login_hint", mb.Address),
		oauth2.SetAuthURLParam("response_mode", "query"),
	)
	return mb, authURL, nil
}

// me is the part of Graph's /me Mailbridge uses.
type me struct {
	ID, UserPrincipalName, Mail, DisplayName string
	ProxyAddresses                           []string
}

// readMe reads /me?$select=id,userPrincipalName,mail,displayName,proxyAddresses
// (proxyAddresses is returned only when selected; mail may be null).
func (s *Service) readMe(ctx context.Context, ts oauth2.TokenSource) (*me, error) {
	client, err := s.Graph(ts)
	if err != nil {
		return nil, err
	}
	u, err := client.Me().Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{
			Select: []string{"id", "userPrincipalName", "mail", "displayName", "proxyAddresses"},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("microsoft: GET /me: %w", err)
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return &me{
		ID: deref(u.GetId()), UserPrincipalName: deref(u.GetUserPrincipalName()), Mail: deref(u.GetMail()),
		DisplayName: deref(u.GetDisplayName()), ProxyAddresses: u.GetProxyAddresses(),
	}, nil
}

// Addresses are the email addresses a Microsoft account may serve: its UPN,
// its mail and its SMTP proxy addresses, lowercased (addresses compare
// case-insensitively).
func (m *me) Addresses() []string {
	var out []string
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && strings.Contains(a, "@") && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	add(m.UserPrincipalName)
	add(m.Mail)
	for _, p := range m.ProxyAddresses {
		if kind, addr, ok := strings.Cut(p, ":"); ok && strings.EqualFold(kind, "smtp") {
			add(addr)
		}
	}
	return out
}

// Callback serves GET /auth/microsoft/callback.
func (s *Service) Callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	st, msg := s.consumeState(ctx, q.Get("state"))
	if msg != "" {
		s.page(w, http.StatusBadRequest, "This sign-in link cannot be used", msg)
		return
	}
	if v := viewer.FromContext(ctx); v != nil && st.Purpose != oauthstate.PurposeSIGN_IN && (st.UserID == nil || v.UserID != *st.UserID) {
		s.page(w, http.StatusForbidden, "Signed in as someone else",
			"You are signed in to Mailbridge as a different user from the one who started connecting this mailbox. Nothing was changed. Sign out, sign in as the mailbox's owner and click Connect with Office 365 again.")
		return
	}
	switch st.Purpose {
	case oauthstate.PurposeCONNECT:
		s.finishConnect(w, r, st)
	case oauthstate.PurposeADMIN_CONSENT:
		s.finishAdminConsent(w, r, st)
	case oauthstate.PurposeSIGN_IN:
		s.finishSignIn(w, r, st)
	default:
		s.page(w, http.StatusBadRequest, "This sign-in link cannot be used", "This sign-in is not one Mailbridge can finish here. Start again from Mailbridge.")
	}
}

// consumeState looks up and uses up the state. It returns a message for
// people when the state is unknown, used or expired.
func (s *Service) consumeState(ctx context.Context, state string) (*ent.OAuthState, string) {
	const restart = " Nothing was changed. Go back to Settings › Mailboxes in Mailbridge and click Connect with Office 365 again."
	if state == "" || len(state) > 200 {
		return nil, "This address is missing its sign-in state, so Mailbridge cannot tell which sign-in it finishes." + restart
	}
	sys := viewer.SystemContext(ctx)
	st, err := s.client.OAuthState.Query().Where(oauthstate.StateHash(hashState(state))).Only(sys)
	if ent.IsNotFound(err) {
		return nil, "Mailbridge does not know this sign-in. It may have been started on another Mailbridge, or the link was changed." + restart
	}
	if err != nil {
		s.log.ErrorContext(ctx, "microsoft: load state", "error", err)
		return nil, "Mailbridge could not check this sign-in. Try again in a moment." + restart
	}
	now := s.now()
	if st.UsedAt != nil {
		return nil, "This sign-in was already used. Each Connect with Office 365 link works once." + restart
	}
	if !now.Before(st.ExpiresAt) {
		return nil, "This sign-in took too long and has expired." + restart
	}
	// Use it up: only one request can win the update.
	n, err := s.client.OAuthState.Update().
		Where(oauthstate.ID(st.ID), oauthstate.UsedAtIsNil()).
		SetUsedAt(now).
		Save(sys)
	if err != nil {
		s.log.ErrorContext(ctx, "microsoft: use state", "error", err)
		return nil, "Mailbridge could not check this sign-in. Try again in a moment." + restart
	}
	if n != 1 {
		return nil, "This sign-in was already used. Each Connect with Office 365 link works once." + restart
	}
	return st, ""
}

// back sends the browser to Settings › Mailboxes with the outcome.
func (s *Service) back(w http.ResponseWriter, r *http.Request, mailboxID int, o Outcome, extra url.Values) {
	q := url.Values{"connect": {string(o)}, "mailbox": {strconv.Itoa(mailboxID)}}
	for k, v := range extra {
		q[k] = v
	}
	http.Redirect(w, r, MailboxesPath+"?"+q.Encode(), http.StatusSeeOther)
}

func (s *Service) finishConnect(w http.ResponseWriter, r *http.Request, st *ent.OAuthState) {
	ctx := r.Context()
	sys := viewer.SystemContext(ctx)
	if st.MailboxID == nil || st.UserID == nil || st.OrgID == nil {
		s.page(w, http.StatusBadRequest, "This sign-in link cannot be used", "This sign-in is incomplete. Start again from Mailbridge.")
		return
	}
	mb, err := s.client.Mailbox.Get(sys, *st.MailboxID)
	if err != nil {
		s.page(w, http.StatusNotFound, "Mailbox not found", "The mailbox this sign-in was for no longer exists in Mailbridge. Nothing was changed.")
		return
	}
	owner, err := s.client.User.Query().Where(user.ID(mb.UserID)).Only(sys)
	if err != nil {
		s.internalError(w, r, "load owner", err)
		return
	}
	// Changes are made and audited as the mailbox's owner, who started the flow.
	actx := viewer.NewContext(sys, &viewer.Viewer{UserID: owner.ID, OrgID: owner.OrgID, Admin: owner.Role == user.RoleADMIN})
	q := r.URL.Query()

	if e := q.Get("error"); e != "" {
		o, reason := classifyAuthorizeError(e, q.Get("error_subcode"), q.Get("error_description"))
		if err := s.recordFailure(actx, mb, o, reason); err != nil {
			s.internalError(w, r, "record failure", err)
			return
		}
		s.log.InfoContext(ctx, "microsoft: connect refused at Microsoft", "mailbox_id", mb.ID, "error", e, "outcome", o, "aadsts", aadCode(q.Get("error_description")))
		s.back(w, r, mb.ID, o, nil)
		return
	}
	code := q.Get("code")
	if code == "" {
		s.page(w, http.StatusBadRequest, "This sign-in link cannot be used", "Microsoft's answer has no authorization code. Nothing was changed; click Connect with Office 365 again.")
		return
	}
	tok, err := s.oauth.Exchange(s.httpCtx(ctx), code, oauth2.VerifierOption(st.CodeVerifier))
	if err != nil {
		reason := "Microsoft did not accept the sign-in. Click Connect with Office 365 to try again."
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			if c := aadCodeFromBody(re); c != "" {
				reason += " (Microsoft error " + c + ")"
			}
			s.log.WarnContext(ctx, "microsoft: code redemption refused", "mailbox_id", mb.ID, "error", re.ErrorCode, "aadsts", aadCodeFromBody(re))
		} else {
			reason = "Mailbridge could not reach Microsoft to finish the sign-in. Try again in a moment."
			s.log.WarnContext(ctx, "microsoft: code redemption failed", "mailbox_id", mb.ID, "error", err)
		}
		s.failAndReturn(w, r, actx, mb, reason)
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	claims, err := s.verifier.Verify(ctx, rawID, st.Nonce)
	if err != nil {
		s.log.WarnContext(ctx, "microsoft: ID token refused", "mailbox_id", mb.ID, "error", err)
		s.failAndReturn(w, r, actx, mb, "Mailbridge could not verify Microsoft's sign-in, so it did not connect the mailbox. Click Connect with Office 365 to try again; if it keeps happening, contact support.")
		return
	}
	profile, err := s.readMe(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		s.log.WarnContext(ctx, "microsoft: read profile", "mailbox_id", mb.ID, "error", err)
		s.failAndReturn(w, r, actx, mb, "Mailbridge could not read your Microsoft 365 profile to check the mailbox's address. Click Connect with Office 365 to try again.")
		return
	}
	if !strings.EqualFold(profile.ID, claims.ObjectID) {
		s.log.WarnContext(ctx, "microsoft: /me id differs from the ID token's oid", "mailbox_id", mb.ID)
		s.failAndReturn(w, r, actx, mb, "Microsoft's sign-in and profile disagree about who signed in, so Mailbridge did not connect the mailbox. Try again.")
		return
	}
	if !slices.Contains(profile.Addresses(), strings.ToLower(mb.Address)) {
		s.log.InfoContext(ctx, "microsoft: account does not own the mailbox", "mailbox_id", mb.ID)
		s.back(w, r, mb.ID, OutcomeMismatch, url.Values{"signedInAs": {cmpOr(profile.UserPrincipalName, profile.Mail)}})
		return
	}
	o, err := s.storeGrant(actx, mb, claims, profile, tok)
	if err != nil {
		s.internalError(w, r, "store grant", err)
		return
	}
	s.back(w, r, mb.ID, o, nil)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Service) failAndReturn(w http.ResponseWriter, r *http.Request, ctx context.Context, mb *ent.Mailbox, reason string) {
	if err := s.recordFailure(ctx, mb, OutcomeError, reason); err != nil {
		s.internalError(w, r, "record failure", err)
		return
	}
	s.back(w, r, mb.ID, OutcomeError, nil)
}

// recordFailure puts a refused connect on the mailbox — unless the mailbox
// is connected already (a working connection, EWS or Graph, is never
// broken by a failed attempt), or needs reconnecting and the user only
// declined (it still needs reconnecting).
func (s *Service) recordFailure(ctx context.Context, mb *ent.Mailbox, o Outcome, reason string) error {
	if mb.ConnectionState == entmailbox.ConnectionStateCONNECTED {
		return nil
	}
	if mb.ConnectionState == entmailbox.ConnectionStateNEEDS_RECONNECT && o == OutcomeDeclined {
		return nil
	}
	state := map[Outcome]entmailbox.ConnectionState{
		OutcomeDeclined: entmailbox.ConnectionStateNOT_CONNECTED,
		OutcomePending:  entmailbox.ConnectionStatePENDING_ADMIN_APPROVAL,
		OutcomeError:    entmailbox.ConnectionStateERROR,
	}[o]
	return txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		upd := c.Mailbox.UpdateOneID(mb.ID).SetConnectionState(state)
		if o == OutcomeDeclined {
			upd.ClearConnectionError()
		} else {
			upd.SetConnectionError(truncate(reason, 1000))
		}
		if err := upd.Exec(ctx); err != nil {
			return fmt.Errorf("microsoft: record outcome: %w", err)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID: mb.OrgID, Action: "mailbox.connectFailed", TargetType: "Mailbox", TargetID: mb.ID, SubjectUserID: mb.UserID,
			Changes: []schematype.AuditChange{audit.Change("connectionState", string(mb.ConnectionState), string(state))},
		})
	})
}

// storeGrant stores (or refreshes) the Microsoft account keyed by (tenant
// id, object id) with its tokens encrypted, and connects the mailbox
// through it. A legacy EWS mailbox switches to Office 365 OAuth in place,
// keeping its settings, history and scheduled emails.
func (s *Service) storeGrant(ctx context.Context, mb *ent.Mailbox, claims *IDClaims, p *me, tok *oauth2.Token) (Outcome, error) {
	outcome := OutcomeConnected
	err := txn.Run(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		acct, err := c.MicrosoftAccount.Query().
			Where(microsoftaccount.OrgID(mb.OrgID), microsoftaccount.TenantID(claims.TenantID), microsoftaccount.ObjectID(claims.ObjectID)).
			Only(viewer.SystemContext(ctx))
		switch {
		case ent.IsNotFound(err):
			acct, err = c.MicrosoftAccount.Create().
				SetOrgID(mb.OrgID).SetUserID(mb.UserID).
				SetTenantID(claims.TenantID).SetObjectID(claims.ObjectID).
				SetUserPrincipalName(cmpOr(p.UserPrincipalName, claims.PreferredUsername)).
				Save(ctx)
			if err != nil {
				return fmt.Errorf("microsoft: create account: %w", err)
			}
		case err != nil:
			return fmt.Errorf("microsoft: find account: %w", err)
		case acct.UserID != mb.UserID:
			outcome = OutcomeTaken
			return nil
		}
		upd := c.MicrosoftAccount.UpdateOne(acct).
			SetUserPrincipalName(cmpOr(p.UserPrincipalName, acct.UserPrincipalName)).
			SetDisplayName(truncate(p.DisplayName, 200)).
			SetProxyAddresses(p.ProxyAddresses).
			SetStatus(microsoftaccount.StatusACTIVE).
			ClearStatusReason().
			ClearRefreshingUntil().
			AddTokenVersion(1)
		if p.Mail != "" {
			upd.SetMail(p.Mail)
		} else {
			upd.ClearMail()
		}
		if sc, _ := tok.Extra("scope").(string); sc != "" {
			upd.SetScopes(strings.Fields(sc))
		}
		if err := s.setTokens(upd, acct, tok); err != nil {
			return err
		}
		if err := upd.Exec(ctx); err != nil {
			return fmt.Errorf("microsoft: store tokens: %w", err)
		}
		was := mb.Provider
		err = c.Mailbox.UpdateOneID(mb.ID).
			SetProvider(entmailbox.ProviderOFFICE365_OAUTH).
			SetConnectionState(entmailbox.ConnectionStateCONNECTED).
			ClearConnectionError().
			SetMicrosoftAccountID(acct.ID).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("microsoft: connect mailbox: %w", err)
		}
		// Reconnecting restores the account's other mailboxes too.
		err = c.Mailbox.Update().
			Where(entmailbox.MicrosoftAccountID(acct.ID), entmailbox.ConnectionStateEQ(entmailbox.ConnectionStateNEEDS_RECONNECT)).
			SetConnectionState(entmailbox.ConnectionStateCONNECTED).
			ClearConnectionError().
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("microsoft: restore mailboxes: %w", err)
		}
		from := ""
		if was != nil {
			from = string(*was)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID: mb.OrgID, Action: "mailbox.connect", TargetType: "Mailbox", TargetID: mb.ID, SubjectUserID: mb.UserID,
			Changes: []schematype.AuditChange{
				audit.Change("provider", from, string(entmailbox.ProviderOFFICE365_OAUTH)),
				audit.Change("connectionState", string(mb.ConnectionState), string(entmailbox.ConnectionStateCONNECTED)),
			},
		})
	})
	return outcome, err
}

// Token places in the vault.
func accessPlace(a *ent.MicrosoftAccount) tokencrypt.Place {
	return tokencrypt.Place{Table: "microsoft_accounts", Column: "access_token", OrgID: a.OrgID, RowID: a.ID}
}

func refreshPlace(a *ent.MicrosoftAccount) tokencrypt.Place {
	return tokencrypt.Place{Table: "microsoft_accounts", Column: "refresh_token", OrgID: a.OrgID, RowID: a.ID}
}

// setTokens encrypts tok into upd. A response without a refresh token keeps
// the stored one (x/oauth2 does the same).
func (s *Service) setTokens(upd *ent.MicrosoftAccountUpdateOne, a *ent.MicrosoftAccount, tok *oauth2.Token) error {
	at, err := s.ring.Encrypt(tok.AccessToken, accessPlace(a))
	if err != nil {
		return err
	}
	upd.SetAccessToken(at)
	if tok.RefreshToken != "" {
		rt, err := s.ring.Encrypt(tok.RefreshToken, refreshPlace(a))
		if err != nil {
			return err
		}
		upd.SetRefreshToken(rt)
	}
	if exp := s.expiry(tok); !exp.IsZero() {
		upd.SetTokenExpiresAt(exp)
	} else {
		upd.ClearTokenExpiresAt()
	}
	return nil
}

// expiry is when tok's access token expires, on the service's clock
// (x/oauth2 computes Expiry from the wall clock).
func (s *Service) expiry(tok *oauth2.Token) time.Time {
	if tok.ExpiresIn > 0 {
		return s.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return tok.Expiry.UTC()
}

var aadPattern = regexp.MustCompile(`AADSTS(\d+)`)

// aadCode is the first AADSTS code in an error description.
func aadCode(desc string) string {
	if m := aadPattern.FindStringSubmatch(desc); m != nil {
		return "AADSTS" + m[1]
	}
	return ""
}

func aadCodeFromBody(re *oauth2.RetrieveError) string {
	if c := aadCode(re.ErrorDescription); c != "" {
		return c
	}
	return aadCode(string(re.Body))
}

// signInReasons explain sign-in errors in words (Microsoft Entra error codes).
var signInReasons = map[string]string{
	"AADSTS50053":  "Your Microsoft account is locked, or the sign-in was blocked after too many attempts.",
	"AADSTS50057":  "Your Microsoft account is disabled.",
	"AADSTS50055":  "Your Microsoft password has expired. Change it at Microsoft, then connect again.",
	"AADSTS50076":  "Your organization requires multi-factor authentication, which was not completed.",
	"AADSTS50079":  "Your organization requires you to register for multi-factor authentication first.",
	"AADSTS53003":  "Your organization's Conditional Access policies blocked this sign-in.",
	"AADSTS50020":  "This Microsoft account cannot sign in to your organization's Mailbridge app: sign in with your work or school account.",
	"AADSTS50126":  "The user name or password was wrong.",
	"AADSTS700016": "Mailbridge's app registration was not found in your organization. Ask your admin.",
}

// classifyAuthorizeError maps Microsoft's error redirect to an outcome and
// the words shown on the mailbox.
func classifyAuthorizeError(e, subcode, desc string) (Outcome, string) {
	code := aadCode(desc)
	switch {
	case code == "AADSTS90094" || code == "AADSTS90095" || code == "AADSTS65001" || e == "consent_required",
		e == "access_denied" && subcode == "cancel":
		return OutcomePending, "Microsoft says an administrator must approve Mailbridge for your organization. If you clicked Request approval, your admin has been asked; once they approve, click Connect with Office 365 again. If you cancelled by mistake, connect again now."
	case e == "access_denied" && (code == "" || code == "AADSTS65004"):
		return OutcomeDeclined, "You declined the permissions Mailbridge needs."
	}
	reason, ok := signInReasons[code]
	if !ok {
		reason = "Microsoft refused the sign-in (" + e + ")."
	}
	if code != "" {
		reason += " Microsoft error code: " + code + "."
	}
	return OutcomeError, reason
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
