package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/oauthstate"
	"mailbridge/ent/schema/schematype"
	"mailbridge/ent/user"
	"mailbridge/internal/apperr"
	"mailbridge/internal/audit"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// graphResource qualifies Graph permissions for the admin consent endpoint.
const graphResource = "https://graph.microsoft.com/"

// adminConsentScopes are Scopes with the Graph permissions qualified, as
// the /adminconsent endpoint takes them (MICROSOFT.md §1.7).
func adminConsentScopes() string {
	out := make([]string, 0, len(Scopes))
	for _, s := range Scopes {
		switch s {
		case "openid", "profile", "email", "offline_access":
			out = append(out, s)
		default:
			out = append(out, graphResource+s)
		}
	}
	return strings.Join(out, " ")
}

// StartAdminConsent returns Microsoft's admin consent URL, for an admin of
// the viewer's organization to approve Mailbridge for every user of their
// Microsoft organization (the way out of Pending admin approval).
func (s *Service) StartAdminConsent(ctx context.Context) (string, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return "", apperr.Unauthenticated("auth.required", "Sign in to approve Mailbridge for your organization.")
	}
	if !v.Admin {
		return "", apperr.Forbidden("microsoft.adminOnly",
			"Only Mailbridge admins can start admin consent. Ask an admin of your organization, who must also be an administrator of your Microsoft organization.")
	}
	state, now := randomString(32), s.now()
	err := txn.Client(ctx, s.client).OAuthState.Create().
		SetStateHash(hashState(state)).
		SetPurpose(oauthstate.PurposeADMIN_CONSENT).
		SetOrgID(v.OrgID).
		SetUserID(v.UserID).
		SetCodeVerifier(oauth2.GenerateVerifier()). // unused: no code is redeemed
		SetNonce(randomString(24)).
		SetCreatedAt(now).
		SetExpiresAt(now.Add(stateTTL)).
		Exec(viewer.SystemContext(ctx))
	if err != nil {
		return "", fmt.Errorf("microsoft: store state: %w", err)
	}
	q := url.Values{
		"client_id":    {s.cfg.ClientID},
		"scope":        {adminConsentScopes()},
		"redirect_uri": {s.oauth.RedirectURL},
		"state":        {state},
	}
	return strings.TrimRight(s.cfg.LoginURL, "/") + "/" + url.PathEscape(s.cfg.Tenant) + "/v2.0/adminconsent?" + q.Encode(), nil
}

// finishAdminConsent records the admin's answer. Microsoft sends
// admin_consent=True even on error, so only the absence of error counts;
// the returned tenant is not trusted for anything (MICROSOFT.md §1.7).
func (s *Service) finishAdminConsent(w http.ResponseWriter, r *http.Request, st *ent.OAuthState) {
	ctx := r.Context()
	sys := viewer.SystemContext(ctx)
	if st.OrgID == nil || st.UserID == nil {
		s.page(w, http.StatusBadRequest, "This sign-in link cannot be used", "This sign-in is incomplete. Start again from Mailbridge.")
		return
	}
	admin, err := s.client.User.Query().Where(user.ID(*st.UserID)).Only(sys)
	if err != nil {
		s.internalError(w, r, "load admin", err)
		return
	}
	actx := viewer.NewContext(sys, &viewer.Viewer{UserID: admin.ID, OrgID: admin.OrgID, Admin: admin.Role == user.RoleADMIN})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		code := aadCode(q.Get("error_description"))
		s.log.InfoContext(ctx, "microsoft: admin consent not granted", "org_id", *st.OrgID, "error", e, "aadsts", code)
		http.Redirect(w, r, MailboxesPath+"?"+url.Values{"adminConsent": {"refused"}, "code": {code}}.Encode(), http.StatusSeeOther)
		return
	}
	if !strings.EqualFold(q.Get("admin_consent"), "true") {
		s.page(w, http.StatusBadRequest, "This sign-in link cannot be used", "Microsoft's answer does not say whether consent was granted. Nothing was changed; try again from Mailbridge.")
		return
	}
	err = txn.Run(actx, s.client, func(ctx context.Context, c *ent.Client) error {
		// Tell the users who were waiting that they can connect now.
		if err := c.Mailbox.Update().
			Where(entmailbox.OrgID(*st.OrgID), entmailbox.ConnectionStateEQ(entmailbox.ConnectionStatePENDING_ADMIN_APPROVAL)).
			SetConnectionError("An administrator approved Mailbridge for your organization. Click Connect with Office 365 to finish connecting this mailbox.").
			Exec(ctx); err != nil {
			return fmt.Errorf("microsoft: update pending mailboxes: %w", err)
		}
		return audit.Record(ctx, c, audit.Event{
			OrgID: *st.OrgID, Action: "organization.adminConsent", TargetType: "Organization", TargetID: *st.OrgID, SubjectUserID: admin.ID,
			Changes: []schematype.AuditChange{audit.Change("office365AdminConsent", "", "granted")},
		})
	})
	if err != nil {
		s.internalError(w, r, "record admin consent", err)
		return
	}
	http.Redirect(w, r, MailboxesPath+"?adminConsent=granted", http.StatusSeeOther)
}
