// Package browsertest starts headless Chromium (Debian's chromium package)
// for end-to-end tests, with the flags this sandboxed machine needs.
package browsertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// ChromiumPath is where `apt-get install chromium` (scripts/test-deps.sh)
// puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// Chromium starts one headless Chromium with a fresh profile for the test
// and returns its browser context. Browser tests skip with -short; without
// Chromium they fail, because the test command installs it.
func Chromium(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Fatalf("browser tests need Chromium at %s (scripts/test-deps.sh installs it): %v", ChromiumPath, err)
	}
	browserCtx, stop, err := Start(t.TempDir())
	require.NoError(t, err, "start Chromium")
	t.Cleanup(stop)
	return browserCtx
}

// Start starts one headless Chromium with its profile in dir, for test
// packages that share one browser (from TestMain); stop ends it.
func Start(dir string) (context.Context, func(), error) {
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dir),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	stop := func() {
		cancelBrowser()
		cancelAlloc()
	}
	if err := chromedp.Do(browserCtx); err != nil {
		stop()
		return nil, nil, err
	}
	return browserCtx, stop, nil
}

// Tab opens an isolated browser context (its own cookies) limited to d.
func Tab(t *testing.T, browserCtx context.Context, d time.Duration) context.Context {
	t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tabCtx, d)
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	return ctx
}

// Screenshot saves a full-page PNG into $MAILBRIDGE_SCREENSHOTS (when set),
// for looking at what a test saw.
func Screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("MAILBRIDGE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dir+"/"+name+".png", png, 0o644))
}
