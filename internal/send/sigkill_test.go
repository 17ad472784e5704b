package send_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/scheduledemail"
	"mailbridge/internal/db"
)

// The real binary, killed with SIGKILL right after Exchange accepted a
// send and before the answer reached it, then restarted: the email is
// found in the mailbox and recorded, not sent again — one copy of every
// email, none lost.
func TestSend_SIGKILLMidSendThenRestart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the mailbridge binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mailbridge")
	build := exec.Command("go", "build", "-o", bin, "mailbridge")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	path := filepath.Join(dir, "mailbridge.db")
	d, err := db.Open(context.Background(), db.Options{URL: "sqlite:" + path})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	_, err = d.Migrate(context.Background())
	require.NoError(t, err)
	e := newEnv(t, d, envOptions{})
	mb := e.connected("adele@contoso.com")[0]
	emails := e.schedule(mb, 5)

	// Graph goes through a proxy that kills the process once the second
	// /send has been accepted by Exchange, before Mailbridge hears of it.
	var (
		mu    sync.Mutex
		proc  *os.Process
		sends int
		armed = true
	)
	upstream, err := url.Parse(e.sim.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method != http.MethodPost || !strings.HasSuffix(r.Request.URL.Path, "/send") {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		sends++
		if armed && sends == 2 {
			armed = false
			require.Equal(t, http.StatusAccepted, r.StatusCode)
			_ = proc.Signal(os.Kill)
			_, _ = proc.Wait()
		}
		return nil
	}
	graph := httptest.NewServer(proxy)
	t.Cleanup(graph.Close)

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(),
			"MAILBRIDGE_MODE=production", "DATABASE_URL=sqlite:"+path, "LISTEN_ADDR=127.0.0.1:0",
			"PUBLIC_URL="+publicURL, "LOG_LEVEL=warn", "SEND_LEASE=2s",
			"MICROSOFT_CLIENT_ID="+e.cfg.ClientID, "MICROSOFT_CLIENT_SECRET="+e.cfg.ClientSecret,
			"MICROSOFT_TENANT=organizations", "MICROSOFT_LOGIN_URL="+e.sim.URL,
			"MICROSOFT_GRAPH_URL="+graph.URL, "MAILBRIDGE_TOKEN_KEY="+e.cfg.TokenKey,
		)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		return cmd
	}
	mu.Lock()
	cmd := start()
	proc = cmd.Process
	mu.Unlock()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the second send never happened")
	}
	require.Len(t, e.sent(mb.Address), 2, "two went out before the kill")
	require.Equal(t, 1, e.count(scheduledemail.StateDELIVERED), "the second was never recorded")
	require.Equal(t, 1, e.count(scheduledemail.StateDELIVERING))

	cmd = start()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	waitFor(t, 90*time.Second, "all delivered after the restart", func() bool {
		return e.count(scheduledemail.StateDELIVERED) == len(emails)
	})
	e.requireOnce(mb.Address, emails)
}
