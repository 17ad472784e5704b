package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// logLines is an io.Writer for a command's log output: lines written are
// sent to the channel, in order, until the test ends (once 1024 are
// waiting unread, later ones are dropped rather than block the command).
type logLines struct {
	w *io.PipeWriter
	c chan string
}

func newLogLines(t *testing.T) *logLines {
	t.Helper()
	r, w := io.Pipe()
	l := &logLines{w: w, c: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case l.c <- sc.Text():
			default: // nobody is waiting for more: never block the command
			}
		}
		close(l.c)
	}()
	t.Cleanup(func() { _ = w.Close() })
	return l
}

func (l *logLines) Write(p []byte) (int, error) { return l.w.Write(p) }

// await returns the first line containing want, failing after timeout (or
// when the output ends first). seen collects every line read on the way.
func (l *logLines) await(t *testing.T, timeout time.Duration, want string, seen *[]string) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-l.c:
			if !ok {
				t.Fatalf("the output ended before %q; it was:\n%s", want, strings.Join(*seen, "\n"))
			}
			*seen = append(*seen, line)
			if strings.Contains(line, want) {
				return line
			}
		case <-deadline.C:
			t.Fatalf("no %q within %s; output so far:\n%s", want, timeout, strings.Join(*seen, "\n"))
		}
	}
}

// jsonField reads one field of a JSON log line.
func jsonField(t *testing.T, line, field string) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &m), line)
	v, _ := m[field].(string)
	require.NotEmpty(t, v, "field %s in %s", field, line)
	return v
}

// get answers a GET, or nil when nothing answers.
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
// Both servers listen on port 0 and the test reads the bound addresses from
// the log, which serve writes only once the port is bound.
func TestIntegrationRun_DemoServeAndTokenCLI(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the server and the emulator on loopback ports")
	}
	dataDir := t.TempDir()
	vars := map[string]string{
		"DATA_DIR": dataDir, "LISTEN_ADDR": "127.0.0.1:0", "PUBLIC_URL": "http://localhost:8080",
		"M365SIM_LISTEN": "127.0.0.1:0", "LOG_FORMAT": "json",
	}
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := newLogLines(t)
	go func() { done <- run(ctx, []string{"serve"}, getenv, io.Discard, logs) }()
	var seen []string
	simURL := jsonField(t, logs.await(t, 90*time.Second, `"mailbridge: Microsoft 365 emulator running"`, &seen), "url")
	base := "http://" + jsonField(t, logs.await(t, 30*time.Second, `"mailbridge: listening"`, &seen), "addr")
	// Logged after binding: the port answers at once, without polling.
	res, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	// The emulator answers OIDC discovery for the demo tenant.
	res, err = http.Get(simURL + "/acme.com/v2.0/.well-known/openid-configuration")
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

	// token list shows it, used just now.
	stdout.Reset()
	require.NoError(t, run(context.Background(), []string{"token", "list", "--org", "Acme", "--user", "john@acme.com"}, getenv, &stdout, &stderr))
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 2, stdout.String())
	require.Contains(t, lines[0], "LAST USED")
	fields := strings.Fields(lines[1])
	require.Equal(t, secret[:12], fields[0])
	require.NotEqual(t, "-", fields[len(fields)-3], "last used is recorded: %s", lines[1])

	dbFile := filepath.Join(dataDir, "mailbridge.db")
	err = run(context.Background(), []string{"token", "create", "--org", "Acme", "--user", "nobody@acme.com"}, getenv, &stdout, &stderr)
	require.ErrorContains(t, err, `user "nobody@acme.com" in Acme (`+dbFile+`): not found`)
	err = run(context.Background(), []string{"token", "create", "--org", "Initech", "--user", "john@acme.com"}, getenv, &stdout, &stderr)
	require.ErrorContains(t, err, `organization "Initech" in `+dbFile+`: not found`)

	// Graceful shutdown.
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// TestRun_AdminBootstrapCLI: on a production database, migrate creates it,
// then an operator creates an organization, its first admin and a token
// that expires; commands other than serve and migrate never create a
// database and name the one they opened.
func TestRun_AdminBootstrapCLI(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	vars := map[string]string{"DATA_DIR": dataDir, "MAILBRIDGE_MODE": "production", "PUBLIC_URL": "https://mb.example.com", "LOG_LEVEL": "warn",
		// Production needs a Microsoft app registration and a token key.
		"MICROSOFT_CLIENT_ID": "00000000-0000-0000-0000-000000000000", "MICROSOFT_CLIENT_SECRET": "test-secret",
		"MAILBRIDGE_TOKEN_KEY": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	getenv := func(k string) string { return vars[k] }
	ctx := context.Background()
	cmd := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, args, getenv, &stdout, &stderr)
		if err != nil {
			return stderr.String(), err
		}
		return strings.TrimSpace(stdout.String()), nil
	}

	// A mistyped data directory: no database is created or migrated.
	typo := filepath.Join(dataDir, "dta")
	_, err := cmd("token", "create", "--data-dir", typo, "--org", "Acme", "--user", "a@acme.com")
	require.ErrorContains(t, err, "no SQLite database at "+filepath.Join(typo, "mailbridge.db"))
	require.NoDirExists(t, typo)
	for _, args := range [][]string{{"org", "create", "--name", "Acme"}, {"user", "create", "--org", "Acme", "--email", "a@acme.com", "--name", "A"}, {"token", "list", "--org", "Acme", "--user", "a@acme.com"}} {
		_, err = cmd(args...)
		require.ErrorContains(t, err, "no SQLite database at "+filepath.Join(dataDir, "mailbridge.db"), args)
	}
	require.NoFileExists(t, filepath.Join(dataDir, "mailbridge.db"))
	// A database that exists but was never migrated is not migrated by them.
	emptyDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(emptyDir, "mailbridge.db"), nil, 0o600))
	_, err = cmd("org", "create", "--data-dir", emptyDir, "--name", "Acme")
	require.ErrorContains(t, err, "database "+filepath.Join(emptyDir, "mailbridge.db")+": ")
	require.ErrorContains(t, err, `migrations are not applied: run "mailbridge migrate"`)

	_, err = cmd("migrate")
	require.NoError(t, err)
	orgID, err := cmd("org", "create", "--name", "Acme")
	require.NoError(t, err)
	_, err = cmd("org", "create", "--name", "Acme")
	require.ErrorContains(t, err, `an organization named "Acme" already exists`)
	adminID, err := cmd("user", "create", "--org", orgID, "--email", "alex@acme.com", "--name", "Alex Morgan", "--admin", "--time-zone", "America/Chicago")
	require.NoError(t, err)
	require.NotEmpty(t, adminID)
	_, err = cmd("user", "create", "--org", "acme", "--email", "ALEX@acme.com", "--name", "Alex again")
	require.ErrorContains(t, err, "already has a user")
	_, err = cmd("user", "create", "--org", "Acme", "--email", "not an address", "--name", "X")
	require.ErrorContains(t, err, "not an email address")

	secret, err := cmd("token", "create", "--org", "Acme", "--user", "alex@acme.com", "--name", "bootstrap", "--expires-in", "24h")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(secret, "mbt_"))
	list, err := cmd("token", "list", "--org", "Acme", "--user", adminID)
	require.NoError(t, err)
	row := strings.Fields(strings.Split(list, "\n")[1])
	require.Equal(t, secret[:12], row[0])
	require.Equal(t, "-", row[len(row)-3], "never used yet")
	exp, err := time.Parse(time.RFC3339, row[len(row)-2])
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(24*time.Hour), exp, time.Hour)
}

// TestIntegrationRun_DemoOnAllInterfacesWarns: demo mode on a non-loopback
// address needs DEMO_ALLOW_REMOTE and then logs a warning before listening.
func TestIntegrationRun_DemoOnAllInterfacesWarns(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the server on an ephemeral port of every interface")
	}
	vars := map[string]string{
		"DATA_DIR": t.TempDir(), "LISTEN_ADDR": "0.0.0.0:0", "M365SIM_LISTEN": "127.0.0.1:0", "LOG_FORMAT": "json",
	}
	getenv := func(k string) string { return vars[k] }
	err := run(context.Background(), []string{"serve"}, getenv, io.Discard, io.Discard)
	require.ErrorContains(t, err, "DEMO_ALLOW_REMOTE")

	vars["DEMO_ALLOW_REMOTE"] = "true"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := newLogLines(t)
	go func() { done <- run(ctx, []string{"serve"}, getenv, io.Discard, logs) }()
	var seen []string
	warning := logs.await(t, 90*time.Second, "demo mode is reachable from other hosts", &seen)
	require.Equal(t, "WARN", jsonField(t, warning, "level"))
	logs.await(t, 30*time.Second, `"mailbridge: listening"`, &seen)
	cancel()
	require.NoError(t, <-done)
}

func TestRun_ServeRefusesABoundPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	vars := map[string]string{"DATA_DIR": t.TempDir(), "MAILBRIDGE_MODE": "production", "LISTEN_ADDR": ln.Addr().String(), "LOG_FORMAT": "json",
		// Production needs a Microsoft app registration and a token key.
		"MICROSOFT_CLIENT_ID": "00000000-0000-0000-0000-000000000000", "MICROSOFT_CLIENT_SECRET": "test-secret",
		"MAILBRIDGE_TOKEN_KEY": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	var logs bytes.Buffer
	err = run(context.Background(), []string{"serve"}, func(k string) string { return vars[k] }, io.Discard, &logs)
	require.ErrorContains(t, err, "listen on "+ln.Addr().String())
	require.ErrorContains(t, err, "address already in use")
	require.NotContains(t, logs.String(), "listening", "nothing claims to listen when the bind failed")
}

func TestRun_RejectsBadCommandsAndConfig(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	err := run(context.Background(), []string{"frobnicate"}, none, io.Discard, io.Discard)
	require.ErrorContains(t, err, `unknown command "frobnicate"`)
	err = run(context.Background(), []string{"serve", "--mode", "staging"}, none, io.Discard, io.Discard)
	require.ErrorContains(t, err, "must be demo or production")
	require.NotContains(t, err.Error(), "LOG_FORMAT", "an invalid mode is reported alone")
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
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		logs := newLogLines(t)
		// The second run does not create the demo tenant: it must come from
		// the state file the first run saved.
		args := []string{"m365sim", "--listen", "127.0.0.1:0", "--state", state, "--demo=" + strconv.FormatBool(round == 0)}
		go func() { done <- run(ctx, args, none, io.Discard, logs) }()
		var seen []string
		line := logs.await(t, 30*time.Second, `msg="m365sim: listening"`, &seen)
		m := regexp.MustCompile(` url=(\S+)`).FindStringSubmatch(line)
		require.NotNil(t, m, line)
		base := m[1]
		res := get(base + "/acme.com/v2.0/.well-known/openid-configuration")
		require.NotNil(t, res, "the emulator answers once it logged")
		var doc struct {
			Issuer                string `json:"issuer"`
			AuthorizationEndpoint string `json:"authorization_endpoint"`
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&doc))
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, doc.AuthorizationEndpoint, base+"/")
		cancel()
		require.NoError(t, <-done)
		require.FileExists(t, state, "the state is saved on shutdown")
	}
}
