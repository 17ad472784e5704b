package demo_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"mailbridge/internal/demo"
	"mailbridge/internal/m365sim"
)

// signInForMail drives the demo's "Connect with Office 365" through the
// emulator as john@acme.com, asking for Mail.ReadWrite with x/oauth2's
// AuthCodeURL, and returns the page or redirect that follows the password.
func signInForMail(t *testing.T, srv *m365sim.Server) (status int, location, body string) {
	t.Helper()
	cfg := oauth2.Config{
		ClientID: demo.EmulatorClientID, ClientSecret: demo.EmulatorClientSecret,
		RedirectURL: "http://localhost:8080/auth/microsoft/callback",
		Scopes:      []string{"openid", "profile", "email", "offline_access", "User.Read", "Mail.ReadWrite", "Mail.Send"},
		Endpoint:    oauth2.Endpoint{AuthURL: srv.Authority(demo.Domain) + "/oauth2/v2.0/authorize", TokenURL: srv.Authority(demo.Domain) + "/oauth2/v2.0/token"},
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("login_hint", "john@acme.com")))
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="ctx" value="([^"]+)"`).FindStringSubmatch(string(page))
	require.NotNil(t, m, "expected the password page:\n%s", page)
	resp, err = c.PostForm(srv.Authority(demo.Domain)+"/login", url.Values{"ctx": {m[1]}, "step": {"password"}, "passwd": {demo.EmulatorPassword}})
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func startDemoEmulator(t *testing.T, opts demo.EmulatorOptions) *m365sim.Server {
	t.Helper()
	srv, err := m365sim.Listen("127.0.0.1:0", m365sim.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	require.NoError(t, demo.SetupEmulatorWith(srv.Sim, "http://localhost:8080", opts))
	return srv
}

func TestSetupEmulator_UsersMayConsentByDefault(t *testing.T) {
	t.Parallel()
	opts, err := demo.EmulatorOptionsFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	srv := startDemoEmulator(t, opts)
	status, _, body := signInForMail(t, srv)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Permissions requested")
	require.Contains(t, body, "Mail.ReadWrite")
}

func TestSetupEmulator_AdminConsentRequiredIsOneSwitchAway(t *testing.T) {
	t.Parallel()
	opts, err := demo.EmulatorOptionsFromEnv(func(k string) string {
		require.Equal(t, demo.ConsentEnv, k)
		return "admin"
	})
	require.NoError(t, err)
	srv := startDemoEmulator(t, opts)
	status, location, body := signInForMail(t, srv)
	require.Empty(t, location, "AADSTS90094 is a page, not a redirect")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "90094")
	require.True(t, strings.Contains(body, "only an admin can grant"), body)

	// The switch also applies to a tenant persisted by an earlier run.
	require.NoError(t, demo.SetupEmulatorWith(srv.Sim, "http://localhost:8080", demo.EmulatorOptions{}))
	tenant, _ := srv.Tenant(demo.Domain)
	require.Equal(t, m365sim.ConsentUser, tenant.ConsentMode)

	_, err = demo.EmulatorOptionsFromEnv(func(string) string { return "sometimes" })
	require.Error(t, err)
}
