package server_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"mailbridge/frontend"
	"mailbridge/internal/browsertest"
	"mailbridge/internal/config"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/demo"
)

// button finds a button by its visible text.
func button(text string) chromedp.Search {
	return chromedp.Search(`//button[normalize-space()="` + text + `"]`)
}

// link finds a link by its visible text.
func link(text string) chromedp.Search {
	return chromedp.Search(`//a[normalize-space()="` + text + `"]`)
}

// TestIntegrationBrowser_DemoShell drives the built web app in headless
// Chromium against the real handler in demo mode: a deep link asks to sign
// in, John signs in from the demo list, sees his two mailboxes in the
// article's words, and opens the sequence states.
func TestIntegrationBrowser_DemoShell(t *testing.T) {
	t.Parallel()
	if !frontend.Built() {
		if os.Getenv("CI") != "" {
			t.Fatal("the web app is not built: the test command (make test) builds it first")
		}
		t.Skip("the web app is not built: run `make frontend` (make test does) to run the browser test")
	}
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{mode: config.ModeDemo})
	_, err := demo.Seed(context.Background(), d, demo.Options{SequenceStates: 60})
	require.NoError(t, err)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)

	ctx := browsertest.Tab(t, browsertest.Chromium(t), 45*time.Second)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/settings/mailboxes"),
		chromedp.WaitVisible(button("Sign in as John Smith")),
	))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.Contains(t, loc, "/sign-in")
	browsertest.Screenshot(t, ctx, "signin")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(button("Sign in as John Smith")),
		chromedp.WaitVisible(chromedp.CSS(`ul[aria-label="Mailboxes"] li`)),
	))
	crumbs, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`nav[aria-label="Breadcrumb"]`)))
	require.NoError(t, err)
	require.Equal(t, "Settings > You > Mailboxes", strings.Join(strings.Fields(crumbs), " "))

	list, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ul[aria-label="Mailboxes"]`)))
	require.NoError(t, err)
	require.Contains(t, list, "john@acme.com")
	require.Contains(t, list, "john.work@acme.com")
	require.Contains(t, list, "Default")
	require.Contains(t, list, "Connected")
	require.Contains(t, list, "Not connected")
	require.Contains(t, list, "Set up account")
	require.Contains(t, list, "Edit")
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`ul[aria-label="Mailboxes"] li:first-child h2`)))
	require.NoError(t, err)
	require.Contains(t, first, "john@acme.com", "the default mailbox comes first")
	browsertest.Screenshot(t, ctx, "mailboxes")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(link("Sequences States")),
		chromedp.WaitVisible(chromedp.CSS(`table tbody tr`)),
	))
	page, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
	require.NoError(t, err)
	require.Contains(t, page, "Sequences States")
	require.Contains(t, page, "60")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("table tbody tr").length`))
	require.NoError(t, err)
	require.Equal(t, 50, rows, "one page of 50")
	browsertest.Screenshot(t, ctx, "sequence-states")
}
