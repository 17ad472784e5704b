package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/frontend"
	"mailbridge/internal/browsertest"
	"mailbridge/internal/config"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/demo"
	"mailbridge/internal/m365sim"
)

// connectEnv is demo Mailbridge served over HTTP next to a running
// emulator, with the demo tenant and app registration.
type connectEnv struct {
	*env
	url string
	sim *m365sim.Server
}

func newConnectEnv(t *testing.T) *connectEnv {
	t.Helper()
	if !frontend.Built() {
		if os.Getenv("CI") != "" {
			t.Fatal("the web app is not built: the test command (make test) builds it first")
		}
		t.Skip("the web app is not built: run `make frontend` (make test does) to run the browser test")
	}
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	// The handler needs Mailbridge's URL (the redirect URI), so the server
	// starts first and gets its handler below.
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	require.NoError(t, demo.SetupEmulator(sim.Sim, srv.URL))
	d := dbtest.SQLite(t)
	key := "k1:" + strings.Repeat("A", 43) + "="
	e := newEnv(t, d, envOptions{mode: config.ModeDemo, getenv: map[string]string{
		"PUBLIC_URL": srv.URL, "MICROSOFT_CLIENT_ID": demo.EmulatorClientID, "MICROSOFT_CLIENT_SECRET": demo.EmulatorClientSecret,
		"MICROSOFT_LOGIN_URL": sim.URL, "MICROSOFT_GRAPH_URL": sim.URL, "MAILBRIDGE_TOKEN_KEY": key,
	}})
	srv.Config.Handler = e.h
	_, err = demo.Seed(context.Background(), d, demo.Options{SequenceStates: 5})
	require.NoError(t, err)
	return &connectEnv{env: e, url: srv.URL, sim: sim}
}

// startConnect signs in as name, opens the mailbox's settings and clicks
// Connect with Office 365, then types the emulator password.
func (c *connectEnv) startConnect(t *testing.T, ctx context.Context, name, address string, next chromedp.ID) {
	t.Helper()
	row := `//li[.//h2[contains(normalize-space(), "` + address + `")]]`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/settings/mailboxes"),
		chromedp.Click(button("Sign in as "+name)),
		chromedp.WaitVisible(chromedp.Search(row)),
		chromedp.Click(chromedp.Search(row+`//button[normalize-space()="Set up account" or normalize-space()="Edit"]`)),
		chromedp.WaitVisible(chromedp.Search(`//select[@id][option[normalize-space()="Office 365 OAuth (recommended)"]]`)),
	))
	browsertest.Screenshot(t, ctx, "connect-"+strings.Split(address, "@")[0]+"-settings")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(button("Connect with Office 365")),
		chromedp.WaitVisible(chromedp.ID("i0118")),
	))
	browsertest.Screenshot(t, ctx, "connect-"+strings.Split(address, "@")[0]+"-microsoft-signin")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("i0118"), demo.EmulatorPassword),
		chromedp.Click(chromedp.ID("idSIButton9")),
		chromedp.WaitVisible(next),
	))
	browsertest.Screenshot(t, ctx, "connect-"+strings.Split(address, "@")[0]+"-consent")
}

// TestIntegrationBrowser_ConnectOffice365 is the article's "new user with
// one mailbox": Sara sets up her mailbox, connects it with Office 365,
// accepts Microsoft's consent page and comes back to Connected.
func TestIntegrationBrowser_ConnectOffice365(t *testing.T) {
	t.Parallel()
	c := newConnectEnv(t)
	ctx := browsertest.Tab(t, browsertest.Chromium(t), 60*time.Second)
	c.startConnect(t, ctx, "Sara Lee", "sara@acme.com", chromedp.ID("idBtn_Accept"))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("idBtn_Accept")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-outcome"]`)),
	))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(loc, c.url+"/settings/mailboxes?"), loc)
	banner, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="connect-outcome"]`)))
	require.NoError(t, err)
	require.Contains(t, banner, "sara@acme.com is Connected. Enable Syncing and Sending")
	list, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ul[aria-label="Mailboxes"]`)))
	require.NoError(t, err)
	require.Contains(t, list, "Connected")
	require.Contains(t, list, "Office 365 OAuth")
	browsertest.Screenshot(t, ctx, "connect-sara-connected")

	mb, err := c.client.Mailbox.Query().Where(mailbox.Address("sara@acme.com")).Only(c.sys)
	require.NoError(t, err)
	require.Equal(t, mailbox.ConnectionStateCONNECTED, mb.ConnectionState)
	require.NotNil(t, mb.MicrosoftAccountID)
}

// TestIntegrationBrowser_ConnectDeclined: John starts connecting his
// secondary alias and declines Microsoft's permissions; he comes back to
// Not connected with the article's words.
func TestIntegrationBrowser_ConnectDeclined(t *testing.T) {
	t.Parallel()
	c := newConnectEnv(t)
	ctx := browsertest.Tab(t, browsertest.Chromium(t), 60*time.Second)
	c.startConnect(t, ctx, "John Smith", "john.work@acme.com", chromedp.ID("idBtn_Accept"))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("declineLink")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-outcome"]`)),
	))
	banner, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="connect-outcome"]`)))
	require.NoError(t, err)
	require.Contains(t, banner, "You declined the permissions Mailbridge needs, so john.work@acme.com is Not connected.")
	browsertest.Screenshot(t, ctx, "connect-john-declined")

	mb, err := c.client.Mailbox.Query().Where(mailbox.Address("john.work@acme.com")).Only(c.sys)
	require.NoError(t, err)
	require.Equal(t, mailbox.ConnectionStateNOT_CONNECTED, mb.ConnectionState)
	require.Nil(t, mb.MicrosoftAccountID)
}

// TestIntegrationBrowser_ConnectAdminApproval: in a tenant where users may
// not consent, Sara meets Microsoft's "needs admin approval" page, goes
// back to Mailbridge and sees Pending admin approval explained.
func TestIntegrationBrowser_ConnectAdminApproval(t *testing.T) {
	t.Parallel()
	c := newConnectEnv(t)
	require.NoError(t, c.sim.UpdateTenant(demo.Domain, func(tn *m365sim.Tenant) { tn.ConsentMode = m365sim.ConsentAdminRequired }))
	ctx := browsertest.Tab(t, browsertest.Chromium(t), 60*time.Second)
	c.startConnect(t, ctx, "Sara Lee", "sara@acme.com", chromedp.ID("returnToApp"))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("returnToApp")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-outcome"]`)),
	))
	banner, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="connect-outcome"]`)))
	require.NoError(t, err)
	require.Contains(t, banner, "sara@acme.com is Pending admin approval")
	list, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ul[aria-label="Mailboxes"]`)))
	require.NoError(t, err)
	require.Contains(t, list, "Pending admin approval")
	browsertest.Screenshot(t, ctx, "connect-sara-pending-admin-approval")

	mb, err := c.client.Mailbox.Query().Where(mailbox.Address("sara@acme.com")).Only(c.sys)
	require.NoError(t, err)
	require.Equal(t, mailbox.ConnectionStatePENDING_ADMIN_APPROVAL, mb.ConnectionState)
}

// TestIntegrationBrowser_Reconnect: Microsoft revoked Sara's grant, so her
// mailbox Needs reconnect; Reconnect runs the same flow and brings the same
// mailbox back to Connected.
func TestIntegrationBrowser_Reconnect(t *testing.T) {
	t.Parallel()
	c := newConnectEnv(t)
	ctx := browsertest.Tab(t, browsertest.Chromium(t), 60*time.Second)
	c.startConnect(t, ctx, "Sara Lee", "sara@acme.com", chromedp.ID("idBtn_Accept"))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("idBtn_Accept")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-outcome"]`)),
	))
	mb, err := c.client.Mailbox.Query().Where(mailbox.Address("sara@acme.com")).Only(c.sys)
	require.NoError(t, err)
	// What the token source does when Microsoft answers AADSTS50173.
	const reason = "Microsoft revoked Mailbridge's access, for example after a password change or reset. Click Reconnect to connect the mailbox again. Microsoft error code: AADSTS50173."
	require.NoError(t, c.client.Mailbox.UpdateOne(mb).SetConnectionState(mailbox.ConnectionStateNEEDS_RECONNECT).SetConnectionError(reason).Exec(c.sys))
	require.NoError(t, c.client.MicrosoftAccount.UpdateOneID(*mb.MicrosoftAccountID).SetStatus("NEEDS_RECONNECT").Exec(c.sys))

	row := `//li[.//h2[contains(normalize-space(), "sara@acme.com")]]`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/settings/mailboxes"),
		chromedp.WaitVisible(chromedp.Search(row)),
		chromedp.Click(chromedp.Search(row+`//button[normalize-space()="Edit"]`)),
		chromedp.WaitVisible(button("Reconnect")),
	))
	list, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ul[aria-label="Mailboxes"]`)))
	require.NoError(t, err)
	require.Contains(t, list, "Needs reconnect")
	require.Contains(t, list, "AADSTS50173")
	browsertest.Screenshot(t, ctx, "reconnect-sara-needs-reconnect")

	// Still signed in at Microsoft and consented: straight back.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(button("Reconnect")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-outcome"]`)),
	))
	banner, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="connect-outcome"]`)))
	require.NoError(t, err)
	require.Contains(t, banner, "sara@acme.com is Connected")
	browsertest.Screenshot(t, ctx, "reconnect-sara-connected")

	again, err := c.client.Mailbox.Get(c.sys, mb.ID)
	require.NoError(t, err)
	require.Equal(t, mailbox.ConnectionStateCONNECTED, again.ConnectionState)
	require.Equal(t, *mb.MicrosoftAccountID, *again.MicrosoftAccountID, "same mailbox, same grant")
}
