package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"mailbridge/ent"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/ent/oauthstate"
	"mailbridge/ent/user"
	"mailbridge/internal/viewer"
)

// SignInPath starts "Sign in with Microsoft" (production sign-in).
const SignInPath = "/auth/microsoft/signin"

// signInScopes are what sign-in needs: the ID token's identity, plus
// User.Read, since a grant of OpenID Connect scopes alone cannot be
// redeemed (AADSTS90009, MICROSOFT.md §1.5).
var signInScopes = []string{"openid", "profile", "email", "User.Read"}

// StartSignIn serves GET /auth/microsoft/signin: it stores a one-time state
// and sends the browser to Microsoft with OpenID Connect scopes only.
func (s *Service) StartSignIn(w http.ResponseWriter, r *http.Request) {
	state, verifier, nonce, now := randomString(32), oauth2.GenerateVerifier(), randomString(24), s.now()
	err := s.client.OAuthState.Create().
		SetStateHash(hashState(state)).
		SetPurpose(oauthstate.PurposeSIGN_IN).
		SetCodeVerifier(verifier).
		SetNonce(nonce).
		SetCreatedAt(now).
		SetExpiresAt(now.Add(stateTTL)).
		Exec(viewer.SystemContext(r.Context()))
	if err != nil {
		s.internalError(w, r, "store sign-in state", err)
		return
	}
	cfg := *s.oauth
	cfg.Scopes = signInScopes
	http.Redirect(w, r, cfg.AuthCodeURL(state,
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce),
		oauth2.SetAuthURLParam("response_mode", "query"),
	), http.StatusFound)
}

// finishSignIn signs the Microsoft identity in as its Mailbridge user:
// first by (tenant id, object id) of a connected Microsoft account, then by
// its UPN among the users of the organization that tenant belongs to.
// Unknown identities are refused: there is no self sign-up.
func (s *Service) finishSignIn(w http.ResponseWriter, r *http.Request, st *ent.OAuthState) {
	ctx := r.Context()
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		code := aadCode(q.Get("error_description"))
		msg := "Microsoft did not sign you in (" + e + ")."
		if code != "" {
			msg += " Microsoft error code: " + code + "."
		}
		s.signInPage(w, http.StatusUnauthorized, msg+" Try again from the sign-in page.")
		return
	}
	tok, err := s.oauth.Exchange(s.httpCtx(ctx), q.Get("code"), oauth2.VerifierOption(st.CodeVerifier))
	if err != nil {
		s.log.WarnContext(ctx, "microsoft: sign-in code redemption refused", "error", errorKind(err))
		s.signInPage(w, http.StatusUnauthorized, "Microsoft did not accept the sign-in. Try again from the sign-in page.")
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	claims, err := s.verifier.Verify(ctx, rawID, st.Nonce)
	if err != nil {
		s.log.WarnContext(ctx, "microsoft: sign-in ID token refused", "error", err)
		s.signInPage(w, http.StatusUnauthorized, "Mailbridge could not verify Microsoft's sign-in. Try again from the sign-in page.")
		return
	}
	u, err := s.userFor(ctx, claims)
	if err != nil {
		s.internalError(w, r, "find user", err)
		return
	}
	if u == nil {
		s.log.InfoContext(ctx, "microsoft: sign-in refused: unknown identity", "tid", claims.TenantID)
		s.signInPage(w, http.StatusForbidden, fmt.Sprintf(
			"Mailbridge has no user for %s. Ask your Mailbridge admin to add you, then sign in again.", cmpOr(claims.PreferredUsername, "this Microsoft account")))
		return
	}
	if s.signIn == nil {
		s.internalError(w, r, "sign in", fmt.Errorf("no session starter"))
		return
	}
	if err := s.signIn(ctx, w, r, u.ID); err != nil {
		s.internalError(w, r, "sign in", err)
		return
	}
	http.Redirect(w, r, MailboxesPath, http.StatusSeeOther)
}

func (s *Service) userFor(ctx context.Context, c *IDClaims) (*ent.User, error) {
	sys := viewer.SystemContext(ctx)
	ids, err := s.client.MicrosoftAccount.Query().
		Where(microsoftaccount.TenantID(c.TenantID), microsoftaccount.ObjectID(c.ObjectID)).
		Select(microsoftaccount.FieldUserID).Ints(sys)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		// First sign-in: the UPN among the users of the organizations
		// whose Microsoft tenant this is (an organization's tenant is the
		// tenant of its connected accounts).
		upn := strings.TrimSpace(c.PreferredUsername)
		if upn == "" {
			return nil, nil
		}
		orgs, err := s.client.MicrosoftAccount.Query().
			Where(microsoftaccount.TenantID(c.TenantID)).
			Select(microsoftaccount.FieldOrgID).Ints(sys)
		if err != nil || len(orgs) == 0 {
			return nil, err
		}
		ids, err = s.client.User.Query().Where(user.OrgIDIn(orgs...), user.EmailEqualFold(upn)).IDs(sys)
		if err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	first := ids[0]
	for _, id := range ids[1:] {
		if id != first {
			return nil, nil // ambiguous: never guess
		}
	}
	return s.client.User.Get(sys, first)
}

func (s *Service) signInPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, pageData{Title: "Sign-in failed", Message: msg, Back: "/sign-in", BackLabel: "Back to sign in"})
}
