package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"mailbridge/internal/browsertest"
)

// app is one running mailbridge binary in demo mode.
type app struct {
	url     string
	dataDir string
}

// start runs the built binary in demo mode on free loopback ports with its
// own data directory, and waits until it is ready. consent is the demo
// tenant's consent mode (user, admin or workflow).
func start(t *testing.T, consent string) *app {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	port, err := freePort()
	require.NoError(t, err)
	simPort, err := freePort()
	require.NoError(t, err)
	a := &app{url: fmt.Sprintf("http://127.0.0.1:%d", port), dataDir: t.TempDir()}
	var logs bytes.Buffer
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(),
		"MAILBRIDGE_MODE=demo",
		fmt.Sprintf("LISTEN_ADDR=127.0.0.1:%d", port),
		"PUBLIC_URL="+a.url,
		"DATA_DIR="+a.dataDir,
		"DATABASE_URL=",
		fmt.Sprintf("M365SIM_LISTEN=127.0.0.1:%d", simPort),
		"M365SIM_DEMO_CONSENT="+consent,
		"RATE_LIMIT_PER_MINUTE=0",
		"LOG_LEVEL=warn",
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("mailbridge output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(a.url + "/readyz")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return a
			}
		}
		select {
		case <-done:
			t.Fatalf("mailbridge exited before it was ready:\n%s", logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailbridge not ready within 30s:\n%s", logs.String())
		}
	}
}

// tab opens a fresh browser context (its own cookies) on the shared browser.
func tab(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Tab(t, browser, 90*time.Second)
}

// do runs steps, failing the test with what the page showed.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("%v\npage text:\n%s", err, text)
	}
}

// text is the visible text of the page's main region (or the whole page).
func text(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main') || document.body).innerText`))
	require.NoError(t, err)
	return strings.Join(strings.Fields(s), " ")
}

// waitText waits until the page's main region contains want.
func waitText(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	w, _ := json.Marshal(want)
	poll := chromedp.Poll[bool](`(document.querySelector('main') || document.body).innerText.replace(/\s+/g, ' ').includes(`+string(w)+`)`, chromedp.WithPollingTimeout(30*time.Second))
	do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := poll(ctx, tg)
		return err
	}))
}

// screenshot saves the page as name.png under $TEST_ARTIFACTS (or the
// system's temporary directory) and checks it with axe-core.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.Axe(t, ctx, name)
	dir := os.Getenv("TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "mailbridge-e2e")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	require.NoError(t, err)
	path := filepath.Join(dir, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

var (
	role   = browsertest.ByRole
	roleIn = browsertest.ByRoleIn
)

// mailbox scopes a selector to one mailbox row of Settings > You > Mailboxes.
func mailbox(address string) string { return browsertest.ArticleNamed(address) }

// signIn signs in from the demo sign-in page.
func (a *app) signIn(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(a.url+"/sign-in"),
		chromedp.Click(role("button", "Sign in as "+name)),
		chromedp.WaitVisible(role("navigation", "Settings")),
	)
}

// openMailbox goes to Settings > You > Mailboxes and clicks Edit or Set up
// account on the mailbox.
func (a *app) openMailbox(t *testing.T, ctx context.Context, address string) {
	t.Helper()
	do(t, ctx,
		chromedp.Click(role("link", "Mailboxes")),
		chromedp.WaitVisible(chromedp.JSPath(mailbox(address))),
	)
	buttons, err := chromedp.Run(ctx, chromedp.Evaluate[int](string(roleIn(mailbox(address), "button", "Edit"))+".length"))
	require.NoError(t, err)
	label := "Set up account"
	if buttons > 0 {
		label = "Edit"
	}
	do(t, ctx,
		chromedp.Click(roleIn(mailbox(address), "button", label)),
		chromedp.WaitVisible(roleIn(mailbox(address), "combobox", "Email Provider")),
	)
}

// connect walks "Connect with Office 365" for the open mailbox: Office 365
// OAuth (recommended) in the Email Provider drop-down, Microsoft's sign-in
// with the demo password, then finish(ctx) on Microsoft's pages (e.g. click
// Accept).
func (a *app) connect(t *testing.T, ctx context.Context, address string, finish ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	do(t, ctx,
		browsertest.SelectOption(roleIn(mailbox(address), "combobox", "Email Provider"), "Office 365 OAuth (recommended)"),
		chromedp.Click(roleIn(mailbox(address), "button", "Connect with Office 365")),
		chromedp.WaitVisible(chromedp.ID("i0118")),
		chromedp.SendKeys(chromedp.ID("i0118"), "demo"),
		chromedp.Click(role("button", "Sign in")),
	)
	do(t, ctx, finish...)
}

// accept clicks Accept on Microsoft's consent page and waits for Mailbridge.
var accept = chromedp.Steps(
	chromedp.Click(role("button", "Accept")),
	chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-outcome"]`)),
)

// toggles sets Syncing and Sending of the open mailbox and saves.
func (a *app) toggles(t *testing.T, ctx context.Context, address string, sync, send bool) {
	t.Helper()
	set := func(name string, on bool) chromedp.Action[chromedp.Void] {
		sel := roleIn(mailbox(address), "switch", name)
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			checked, err := chromedp.Evaluate[bool](`(`+string(sel)+`)[0].checked`)(ctx, tg)
			if err != nil || checked == on {
				return err
			}
			_, err = chromedp.Click(sel)(ctx, tg)
			return err
		})
	}
	do(t, ctx, set("Syncing", sync), set("Sending", send))
	// Save is enabled only when something changed.
	changed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!(`+string(roleIn(mailbox(address), "button", "Save"))+`)[0].disabled`))
	require.NoError(t, err)
	if changed {
		do(t, ctx,
			chromedp.Click(roleIn(mailbox(address), "button", "Save")),
			chromedp.WaitVisible(roleIn(mailbox(address), "status", "Mailbox settings saved.")),
		)
	}
}

// graphql posts a query with an API token and returns data.
func (a *app) graphql(t *testing.T, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, a.url+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	require.Empty(t, out.Errors)
	return out.Data
}
