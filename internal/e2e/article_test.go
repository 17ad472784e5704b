package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/internal/browsertest"
	"mailbridge/internal/db"
	"mailbridge/internal/viewer"
)

// TestIntegrationArticle_NewUserWithOneMailbox is "New or existing user
// with one mailbox": Sara sets up her default mailbox, connects it with
// Office 365 OAuth, clicks Accept, sees Connected, enables Syncing and
// Sending, and saves.
func TestIntegrationArticle_NewUserWithOneMailbox(t *testing.T) {
	t.Parallel()
	a := start(t, "user")
	ctx := tab(t)
	a.signIn(t, ctx, "Sara Lee")
	a.openMailbox(t, ctx, "sara@acme.com")
	a.connect(t, ctx, "sara@acme.com", accept)
	waitText(t, ctx, "sara@acme.com is Connected")
	a.openMailbox(t, ctx, "sara@acme.com")
	a.toggles(t, ctx, "sara@acme.com", true, true)
	row := text(t, ctx)
	require.Contains(t, row, "Connected")
	screenshot(t, ctx, "article-1-new-user-connected")
}

// johnConnectsAlias is the article's "several aliases": John connects the
// alias he uses (john.work@acme.com), turns Syncing and Sending on for it,
// and keeps them off for his other mailbox (Sync first, Send last, as the
// migration section says, so scheduled emails are not stranded).
func johnConnectsAlias(t *testing.T, a *app, ctx context.Context) {
	t.Helper()
	a.signIn(t, ctx, "John Smith")
	a.openMailbox(t, ctx, "john@acme.com")
	a.toggles(t, ctx, "john@acme.com", false, true)
	a.openMailbox(t, ctx, "john.work@acme.com")
	a.connect(t, ctx, "john.work@acme.com", accept)
	waitText(t, ctx, "john.work@acme.com is Connected")
	a.openMailbox(t, ctx, "john.work@acme.com")
	a.toggles(t, ctx, "john.work@acme.com", true, true)
	a.openMailbox(t, ctx, "john@acme.com")
	a.toggles(t, ctx, "john@acme.com", false, false)
}

// TestIntegrationArticle_SeveralAliases is "Existing Outreach User with
// Several Email Aliases / Mailboxes".
func TestIntegrationArticle_SeveralAliases(t *testing.T) {
	t.Parallel()
	a := start(t, "user")
	ctx := tab(t)
	johnConnectsAlias(t, a, ctx)
	do(t, ctx, chromedp.Navigate(a.url+"/settings/mailboxes"), chromedp.WaitVisible(chromedp.JSPath(mailbox("john.work@acme.com"))))
	work, err := chromedp.Run(ctx, chromedp.Evaluate[string](mailbox("john.work@acme.com")+".innerText"))
	require.NoError(t, err)
	require.Regexp(t, `(?i)Connected[\s\S]*Syncing\s+On[\s\S]*Sending\s+On`, work)
	primary, err := chromedp.Run(ctx, chromedp.Evaluate[string](mailbox("john@acme.com")+".innerText"))
	require.NoError(t, err)
	require.Regexp(t, `(?i)Syncing\s+Off[\s\S]*Sending\s+Off`, primary)
	screenshot(t, ctx, "article-2-several-aliases")
}

// TestIntegrationArticle_MigrateSecondaryMailbox is "Migrate Your Secondary
// Mailbox to Graph API" and its final step: John moves to john.work, makes
// it the default, then an admin selects all his sequence states in
// Sequences States and assigns them with "Yes, update …"; through the API,
// every undelivered email now belongs to john.work.
func TestIntegrationArticle_MigrateSecondaryMailbox(t *testing.T) {
	t.Parallel()
	a := start(t, "user")
	ctx := tab(t)
	johnConnectsAlias(t, a, ctx)
	do(t, ctx,
		chromedp.Click(roleIn(mailbox("john.work@acme.com"), "button", "Make default")),
		chromedp.WaitNotPresent(roleIn(mailbox("john.work@acme.com"), "button", "Make default")),
	)

	admin := tab(t)
	a.signIn(t, admin, "Alex Morgan")
	token := a.createToken(t, admin)
	before := a.graphql(t, token, `{ mailboxes(first: 10, filter: {addressContains: "john"}, orderBy: {field: ADDRESS}) { edges { node { address undeliveredEmailCount } } } }`, nil)
	held := undelivered(before)["john@acme.com"]
	require.Positive(t, held)

	do(t, admin,
		chromedp.Click(role("link", "Sequences States")),
		chromedp.WaitVisible(role("combobox", "Mailbox")),
		browsertest.SelectOption(role("combobox", "Mailbox"), "john@acme.com"),
		chromedp.WaitVisible(chromedp.CSS(`table[aria-busy="false"]`)),
		chromedp.Click(role("checkbox", "Select all sequence states on this page")),
		// John has more than one page of them: "Select all N matching".
		chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll('button')].filter((b) => /^Select all [\d,]+ matching$/.test(b.textContent))`)),
	)
	do(t, admin,
		chromedp.Click(role("button", "Settings")),
		chromedp.Click(role("menuitem", "Assign Mailbox")),
		chromedp.WaitVisible(role("combobox", "From")),
		browsertest.SelectOption(role("combobox", "From"), "john.work@acme.com (John Smith)"),
		chromedp.Click(role("radio", "Yes, update the mailbox of any existing undelivered emails.")),
		chromedp.WaitEnabled(role("button", "Assign")),
		chromedp.Click(role("button", "Assign")),
	)
	// The preview says "will be moved"; the result drops "will be".
	poll := chromedp.Poll[bool](`/undelivered emails? moved/.test(document.body.innerText)`, chromedp.WithPollingTimeout(30*time.Second))
	do(t, admin, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := poll(ctx, tg)
		return err
	}))

	after := undelivered(a.graphql(t, token, `{ mailboxes(first: 10, filter: {addressContains: "john"}, orderBy: {field: ADDRESS}) { edges { node { address undeliveredEmailCount } } } }`, nil))
	require.Equal(t, 0, after["john@acme.com"], "no undelivered email is left on the primary")
	require.Equal(t, held, after["john.work@acme.com"], "every one of them moved to the secondary")
	screenshot(t, admin, "article-3-assign-mailbox")
}

// undelivered maps each address to its undelivered email count.
func undelivered(data map[string]any) map[string]int {
	out := map[string]int{}
	for _, e := range data["mailboxes"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		out[n["address"].(string)] = int(n["undeliveredEmailCount"].(float64))
	}
	return out
}

// createToken creates an API token on Settings > Organization > API tokens
// and reads it from the page (shown once).
func (a *app) createToken(t *testing.T, ctx context.Context) string {
	t.Helper()
	do(t, ctx,
		chromedp.Click(role("link", "API tokens")),
		chromedp.WaitVisible(role("textbox", "Name")),
		chromedp.SendKeys(role("textbox", "Name"), "Article check"),
		chromedp.Click(role("button", "Create token")),
		chromedp.WaitVisible(role("textbox", "New API token")),
	)
	tok, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(`+string(role("textbox", "New API token"))+`)[0].value`))
	require.NoError(t, err)
	require.NotEmpty(t, tok)
	return tok
}

// TestIntegrationArticle_AdminApproval: the organization requires an
// administrator's approval; Sara clicks Request approval, the admin grants
// admin consent from Settings > Organization > Microsoft tenant, and Sara
// connects.
func TestIntegrationArticle_AdminApproval(t *testing.T) {
	t.Parallel()
	a := start(t, "workflow")
	ctx := tab(t)
	a.signIn(t, ctx, "Sara Lee")
	a.openMailbox(t, ctx, "sara@acme.com")
	a.connect(t, ctx, "sara@acme.com",
		chromedp.WaitVisible(role("button", "Request approval")),
		chromedp.Click(role("button", "Request approval")),
		chromedp.WaitVisible(role("heading", "Request sent")),
	)

	admin := tab(t)
	a.signIn(t, admin, "Alex Morgan")
	do(t, admin,
		chromedp.Click(role("link", "Microsoft tenant")),
		chromedp.WaitVisible(role("button", "Approve Mailbridge for your organization")),
	)
	require.Contains(t, text(t, admin), "Not granted through Mailbridge yet.")
	do(t, admin,
		chromedp.Click(role("button", "Approve Mailbridge for your organization")),
		chromedp.WaitVisible(chromedp.ID("i0116")),
		chromedp.SendKeys(chromedp.ID("i0116"), "admin@acme.com"),
		chromedp.Click(role("button", "Next")),
		chromedp.WaitVisible(chromedp.ID("i0118")),
		chromedp.SendKeys(chromedp.ID("i0118"), "demo"),
		chromedp.Click(role("button", "Sign in")),
		chromedp.Click(role("button", "Accept")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="admin-consent-outcome"]`)),
		chromedp.Click(role("link", "Microsoft tenant")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="admin-consent-state"]`)),
	)
	waitText(t, admin, "Granted on")
	screenshot(t, admin, "article-4-admin-consent-granted")

	do(t, ctx, chromedp.Navigate(a.url+"/settings/mailboxes"))
	a.openMailbox(t, ctx, "sara@acme.com")
	// Sara is still signed in at Microsoft from her first try, so Microsoft
	// may or may not ask for her password, and may still show her the
	// permissions: she answers whatever it asks.
	answer := chromedp.Evaluate[bool](`(() => {
  if (document.querySelector('[data-testid="connect-outcome"]')) return true;
  const pw = document.getElementById('i0118');
  if (pw && !pw.dataset.done) { pw.dataset.done = '1'; pw.value = 'demo'; document.getElementById('idSIButton9').click(); }
  const b = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Accept');
  if (b && !b.dataset.done) { b.dataset.done = '1'; b.click(); }
  return false;
})()`)
	do(t, ctx,
		browsertest.SelectOption(roleIn(mailbox("sara@acme.com"), "combobox", "Email Provider"), "Office 365 OAuth (recommended)"),
		chromedp.Click(roleIn(mailbox("sara@acme.com"), "button", "Connect with Office 365")),
	)
	// Each answer navigates, so the check runs again until Mailbridge shows
	// the outcome (errors while a page is replaced are expected).
	for deadline := time.Now().Add(30 * time.Second); ; {
		if done, err := chromedp.Run(ctx, answer); err == nil && done {
			break
		}
		require.True(t, time.Now().Before(deadline), "Sara did not get back to Mailbridge")
		time.Sleep(200 * time.Millisecond)
	}
	waitText(t, ctx, "sara@acme.com is Connected")
	screenshot(t, ctx, "article-4-connected-after-approval")
}

// TestIntegrationArticle_AdminFinishesMigration: the admin drives the
// organization's migration from the dashboard: John is ready, so his held
// emails are assigned from there; Priya still has to act, so she is
// reminded, sees the banner on her next visit, connects her mailbox, and
// the dashboard shows nobody left to migrate.
func TestIntegrationArticle_AdminFinishesMigration(t *testing.T) {
	t.Parallel()
	a := start(t, "user")
	john := tab(t)
	johnConnectsAlias(t, a, john)
	do(t, john, chromedp.Click(roleIn(mailbox("john.work@acme.com"), "button", "Make default")),
		chromedp.WaitNotPresent(roleIn(mailbox("john.work@acme.com"), "button", "Make default")))

	admin := tab(t)
	a.signIn(t, admin, "Alex Morgan")
	do(t, admin,
		chromedp.Click(role("link", "Migration")),
		chromedp.WaitVisible(role("table", "Users and their next step")),
	)
	page := text(t, admin)
	require.Contains(t, page, "Assign the sequence states")
	require.Contains(t, page, "Connect with Office 365")
	do(t, admin,
		chromedp.Click(role("button", "Notify users who still have to act")),
	)
	waitText(t, admin, "Reminded 1 user:") // Priya; John's next step is the admin's
	do(t, admin, chromedp.Click(role("button", "Assign held emails of John Smith")))
	waitText(t, admin, "to their Graph mailbox")

	priya := tab(t)
	a.signIn(t, priya, "Priya Patel")
	do(t, priya, chromedp.WaitVisible(role("region", "Notifications")))
	banner, err := chromedp.Run(priya, chromedp.Evaluate[string](`(`+string(role("region", "Notifications"))+`)[0].innerText`))
	require.NoError(t, err)
	require.Contains(t, banner, "finish moving your mailbox to Microsoft Graph")
	do(t, priya, chromedp.Click(role("button", "Dismiss")), chromedp.WaitNotPresent(role("region", "Notifications")))
	a.openMailbox(t, priya, "priya@acme.com")
	a.connect(t, priya, "priya@acme.com", accept)
	waitText(t, priya, "priya@acme.com is Connected")

	do(t, admin, chromedp.Reload(), chromedp.WaitVisible(role("table", "Users and their next step")))
	waitText(t, admin, "Users still to migrate 0")
	require.True(t, strings.Contains(text(t, admin), "Done"), "John is done")
	screenshot(t, admin, "article-6-migration-finished")

	// The admin's actions are in the audit log.
	do(t, admin, chromedp.Click(role("link", "Audit log")), chromedp.WaitVisible(role("table", "Audit log")))
	log := text(t, admin)
	require.Contains(t, log, "Reminded users to migrate")
	require.Contains(t, log, "Assigned sequence states (Assign Mailbox)")
	screenshot(t, admin, "article-6-audit-log")
}

// TestIntegrationArticle_NeedsReconnect: Microsoft revoked Sara's grant, so
// her mailbox Needs reconnect; she clicks Reconnect and it is Connected
// again, the same mailbox with the same settings.
func TestIntegrationArticle_NeedsReconnect(t *testing.T) {
	t.Parallel()
	a := start(t, "user")
	ctx := tab(t)
	a.signIn(t, ctx, "Sara Lee")
	a.openMailbox(t, ctx, "sara@acme.com")
	a.connect(t, ctx, "sara@acme.com", accept)
	waitText(t, ctx, "sara@acme.com is Connected")
	a.openMailbox(t, ctx, "sara@acme.com")
	a.toggles(t, ctx, "sara@acme.com", true, true)

	// What Mailbridge records when Microsoft answers a refresh with
	// AADSTS50173 (the grant was revoked): written into the running
	// server's database, as its token source does.
	d, err := db.Open(t.Context(), db.Options{DataDir: a.dataDir, MustExist: true})
	require.NoError(t, err)
	defer d.Close()
	sys := viewer.SystemContext(t.Context())
	mb, err := d.Client().Mailbox.Query().Where(entmailbox.Address("sara@acme.com")).Only(sys)
	require.NoError(t, err)
	require.NoError(t, d.Client().Mailbox.UpdateOne(mb).SetConnectionState(entmailbox.ConnectionStateNEEDS_RECONNECT).
		SetConnectionError("Microsoft revoked Mailbridge's access, for example after a password change or reset. Click Reconnect to connect the mailbox again. Microsoft error code: AADSTS50173.").
		Exec(sys))
	require.NoError(t, d.Client().MicrosoftAccount.UpdateOneID(*mb.MicrosoftAccountID).SetStatus(microsoftaccount.StatusNEEDS_RECONNECT).Exec(sys))

	do(t, ctx, chromedp.Navigate(a.url+"/settings/mailboxes"), chromedp.WaitVisible(chromedp.JSPath(mailbox("sara@acme.com"))))
	waitText(t, ctx, "Needs reconnect")
	do(t, ctx,
		chromedp.Click(roleIn(mailbox("sara@acme.com"), "button", "Edit")),
		chromedp.Click(roleIn(mailbox("sara@acme.com"), "button", "Reconnect")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-outcome"]`)),
	)
	waitText(t, ctx, "sara@acme.com is Connected")
	again, err := d.Client().Mailbox.Get(sys, mb.ID)
	require.NoError(t, err)
	require.Equal(t, entmailbox.ConnectionStateCONNECTED, again.ConnectionState)
	require.True(t, again.SyncEnabled && again.SendEnabled, "the same mailbox keeps its settings")
	screenshot(t, ctx, "article-5-reconnected")
}
