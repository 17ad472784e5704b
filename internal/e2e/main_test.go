// Package e2e walks the help article end to end: each test starts the real
// mailbridge binary in demo mode (with its built-in Microsoft 365 emulator)
// and follows one procedure of the article in headless Chromium, selecting
// by role and accessible name with the article's own words, checking each
// screen with axe-core and saving a screenshot of the last one.
//
// The binary is built once (TestMain) and the tests share one Chromium,
// each in its own browser context, with its own server and data directory,
// in parallel.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"mailbridge/frontend"
	"mailbridge/internal/browsertest"
)

var (
	// binary is the mailbridge binary built for this run ("" when skipped).
	binary string
	// skipReason says why the browser tests cannot run here.
	skipReason string
	// browser is the shared Chromium.
	browser context.Context
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	ctx := context.Background()
	switch {
	case testing.Short():
		skipReason = "browser tests: skipped with -short"
	case !frontend.Built():
		skipReason = "the web app is not built: run `make frontend` (make test does) to run the article's browser tests"
	}
	if _, err := os.Stat(browsertest.ChromiumPath); err != nil && skipReason == "" {
		fmt.Fprintf(os.Stderr, "e2e: browser tests need Chromium at %s (scripts/test-deps.sh installs it)\n", browsertest.ChromiumPath)
		return 1
	}
	if skipReason != "" {
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "mailbridge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binary = filepath.Join(tmp, "mailbridge")
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build mailbridge: %v\n%s", err, out)
		return 1
	}
	b, stop, err := browsertest.Start(filepath.Join(tmp, "chromium"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start Chromium:", err)
		return 1
	}
	defer stop()
	browser = b
	return m.Run()
}

// freePort returns a loopback port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
