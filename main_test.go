package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// waitFor polls probe every 20 ms until it reports true, failing the test
// after timeout (the server starts in another goroutine; nothing signals it).
func waitFor(t *testing.T, timeout time.Duration, what string, probe func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !probe() {
		select {
		case <-deadline.C:
			t.Fatalf("%s never happened", what)
		case <-tick.C:
		}
	}
}

// get answers a GET, or nil while the server is not listening yet.
func get(url string) *http.Response {
	res, err := http.Get(url)
	if err != nil {
		return nil
	}
	return res
}

// TestIntegrationRun_DemoServeAndTokenCLI runs the real command: serve in
// demo mode on SQLite (seeded data, built-in emulator), sign in as John,
// read his two mailboxes; then create an API token with the CLI and use it.
func TestIntegrationRun_DemoServeAndTokenCLI(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the server and the emulator on loopback ports")
	}
	dataDir := t.TempDir()
	addr, simAddr := freeAddr(t), freeAddr(t)
	base := "http://" + addr
	vars := map[string]string{
		"DATA_DIR": dataDir, "LISTEN_ADDR": addr, "PUBLIC_URL": base, "M365SIM_LISTEN": simAddr, "LOG_LEVEL": "warn",
	}
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, getenv, io.Discard, io.Discard) }()
	waitFor(t, 60*time.Second, "serve answering /readyz", func() bool {
		res := get(base + "/readyz")
		if res == nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})

	// The emulator answers OIDC discovery for the demo tenant.
	res, err := http.Get("http://" + simAddr + "/acme.com/v2.0/.well-known/openid-configuration")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	// Demo sign-in lists the seeded users; sign in as John.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	res, err = hc.Get(base + "/auth/demo/users")
	require.NoError(t, err)
	var users []struct{ ID, Email string }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&users))
	res.Body.Close()
	var johnID string
	for _, u := range users {
		if u.Email == "john@acme.com" {
			johnID = u.ID
		}
	}
	require.NotEmpty(t, johnID)
	res, err = hc.Post(base+"/auth/demo/signin", "application/json", strings.NewReader(`{"userID":"`+johnID+`"}`))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNoContent, res.StatusCode)

	query := func(h http.Header) []string {
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(`{"query":"{ viewer { mailboxes { address } } }"}`))
		req.Header = h
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out struct {
			Data struct {
				Viewer struct{ Mailboxes []struct{ Address string } }
			}
		}
		body, _ := io.ReadAll(res.Body)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
		require.NoError(t, json.Unmarshal(body, &out))
		var addrs []string
		for _, m := range out.Data.Viewer.Mailboxes {
			addrs = append(addrs, m.Address)
		}
		return addrs
	}
	require.Equal(t, []string{"john@acme.com", "john.work@acme.com"}, query(http.Header{"X-Mailbridge-CSRF": {"1"}}))

	// The token CLI, against the same database while the server runs.
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"token", "create", "--org", "acme", "--user", "John@Acme.com", "--name", "CRM sync"},
		getenv, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	secret := strings.TrimSpace(stdout.String())
	require.True(t, strings.HasPrefix(secret, "mbt_"), secret)
	require.Contains(t, stderr.String(), "shown once")
	hc.Jar = nil
	require.Equal(t, []string{"john@acme.com", "john.work@acme.com"}, query(http.Header{"Authorization": {"Bearer " + secret}}))

	err = run(context.Background(), []string{"token", "create", "--org", "Acme", "--user", "nobody@acme.com"}, getenv, &stdout, &stderr)
	require.ErrorContains(t, err, `user "nobody@acme.com" in Acme: not found`)
	err = run(context.Background(), []string{"token", "create", "--org", "Initech", "--user", "john@acme.com"}, getenv, &stdout, &stderr)
	require.ErrorContains(t, err, `organization "Initech": not found`)

	// Graceful shutdown.
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func TestRun_RejectsBadCommandsAndConfig(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	err := run(context.Background(), []string{"frobnicate"}, none, io.Discard, io.Discard)
	require.ErrorContains(t, err, `unknown command "frobnicate"`)
	err = run(context.Background(), []string{"serve", "--mode", "staging"}, none, io.Discard, io.Discard)
	require.ErrorContains(t, err, "must be demo or production")
	err = run(context.Background(), []string{"token"}, none, io.Discard, io.Discard)
	require.ErrorContains(t, err, "usage: mailbridge token create")
}

// TestIntegrationRun_M365SimStandalone runs the emulator on its own, as the
// README documents, and checks it keeps its demo tenant across a restart.
func TestIntegrationRun_M365SimStandalone(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the emulator on a loopback port")
	}
	state := t.TempDir() + "/m365sim.json"
	none := func(string) string { return "" }
	for round := range 2 {
		addr := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		// The second run does not create the demo tenant: it must come from
		// the state file the first run saved.
		args := []string{"m365sim", "--listen", addr, "--state", state, "--demo=" + strconv.FormatBool(round == 0)}
		go func() { done <- run(ctx, args, none, io.Discard, io.Discard) }()
		var res *http.Response
		waitFor(t, 30*time.Second, "the emulator answering discovery", func() bool {
			res = get("http://" + addr + "/acme.com/v2.0/.well-known/openid-configuration")
			return res != nil
		})
		var doc struct {
			Issuer                string `json:"issuer"`
			AuthorizationEndpoint string `json:"authorization_endpoint"`
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&doc))
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, doc.AuthorizationEndpoint, "http://"+addr+"/")
		cancel()
		require.NoError(t, <-done)
		require.FileExists(t, state, "the state is saved on shutdown")
	}
}
