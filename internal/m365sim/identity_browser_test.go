package m365sim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"mailbridge/internal/browsertest"
)

// appCallback is the app's redirect URI for browser tests: it records what
// the identity platform sent back (query or form_post body).
type appCallback struct {
	url string
	got chan url.Values
}

func newAppCallback(t *testing.T) *appCallback {
	t.Helper()
	cb := &appCallback{got: make(chan url.Values, 4)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		cb.got <- r.Form
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><body><h1 id="appDone">Mailbridge callback</h1></body></html>`)
	}))
	t.Cleanup(srv.Close)
	cb.url = srv.URL + "/oauth/callback"
	return cb
}

// wait returns the next callback, failing the test after the context ends.
func (cb *appCallback) wait(t *testing.T, ctx context.Context) url.Values {
	t.Helper()
	select {
	case v := <-cb.got:
		return v
	case <-ctx.Done():
		require.FailNow(t, "the app callback was never called")
		return nil
	}
}

// browserEnv is an emulator whose app redirects to a live callback server.
func browserEnv(t *testing.T, mode ConsentMode) (*idEnv, *appCallback, *oauth2.Config) {
	t.Helper()
	e := newIDEnv(t, withConsentMode(mode))
	cb := newAppCallback(t)
	require.NoError(t, e.srv.UpdateApp(e.app.ClientID, func(a *App) { a.RedirectURIs = append(a.RedirectURIs, cb.url) }))
	cfg := e.oauthConfig(e.tenant.ID, oauth2.AuthStyleInParams, mailScopes...)
	cfg.RedirectURL = cb.url
	return e, cb, cfg
}

// typeCredentials fills the username and password pages.
func typeCredentials(upn, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.ID("i0116")),
		chromedp.SendKeys(chromedp.ID("i0116"), upn),
		chromedp.Click(chromedp.ID("idSIButton9")),
		chromedp.WaitVisible(chromedp.ID("i0118")),
		chromedp.SendKeys(chromedp.ID("i0118"), password),
		chromedp.Click(chromedp.ID("idSIButton9")),
	)
}

func TestIntegrationBrowser_SignInAndConsentPages(t *testing.T) {
	t.Parallel()
	browserCtx := browsertest.Chromium(t)

	t.Run("WrongPasswordThenAccept", func(t *testing.T) {
		t.Parallel()
		e, cb, cfg := browserEnv(t, ConsentUser)
		ctx := browsertest.Tab(t, browserCtx, 25*time.Second)
		verifier := oauth2.GenerateVerifier()
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(cfg.AuthCodeURL("b-1", oauth2.S256ChallengeOption(verifier))),
			typeCredentials(e.user.UserPrincipalName, "not-the-password"),
			chromedp.WaitVisible(chromedp.ID("passwordError")),
		))
		msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("passwordError")))
		require.NoError(t, err)
		require.Contains(t, msg, "Your account or password is incorrect.")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("i0118"), userPassword),
			chromedp.Click(chromedp.ID("idSIButton9")),
			chromedp.WaitVisible(chromedp.ID("idBtn_Accept")),
		))
		scopes, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("ul.scopes")))
		require.NoError(t, err)
		require.Contains(t, scopes, "Read and write access to your mail")
		require.Contains(t, scopes, "Send mail as you")
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("idBtn_Accept"))))
		got := cb.wait(t, ctx)
		require.Equal(t, "b-1", got.Get("state"))
		require.NotEmpty(t, got.Get("session_state"))
		tok, err := cfg.Exchange(exchangeCtx(t), got.Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		require.NotEmpty(t, tok.RefreshToken)

		// Same browser, second sign-in: the session cookie skips the
		// password and consent exists, so the code comes straight back.
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(cfg.AuthCodeURL("b-2"))))
		require.Equal(t, "b-2", cb.wait(t, ctx).Get("state"))
	})
	t.Run("FormPostAutoSubmits", func(t *testing.T) {
		t.Parallel()
		e, cb, cfg := browserEnv(t, ConsentUser)
		ctx := browsertest.Tab(t, browserCtx, 25*time.Second)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(cfg.AuthCodeURL("fp", oauth2.SetAuthURLParam("response_mode", "form_post"))),
			typeCredentials(e.user.UserPrincipalName, userPassword),
			chromedp.WaitVisible(chromedp.ID("idBtn_Accept")),
			chromedp.Click(chromedp.ID("idBtn_Accept")),
		))
		got := cb.wait(t, ctx)
		require.Equal(t, "fp", got.Get("state"))
		_, err := cfg.Exchange(exchangeCtx(t), got.Get("code"))
		require.NoError(t, err)
	})
	t.Run("Decline", func(t *testing.T) {
		t.Parallel()
		e, cb, cfg := browserEnv(t, ConsentUser)
		ctx := browsertest.Tab(t, browserCtx, 25*time.Second)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(cfg.AuthCodeURL("d-1")),
			typeCredentials(e.user.UserPrincipalName, userPassword),
			chromedp.WaitVisible(chromedp.ID("declineLink")),
			chromedp.Click(chromedp.ID("declineLink")),
		))
		got := cb.wait(t, ctx)
		require.Equal(t, "access_denied", got.Get("error"))
		require.True(t, strings.HasPrefix(got.Get("error_description"), "AADSTS65004: "), got.Get("error_description"))
		require.Equal(t, "d-1", got.Get("state"))
		require.Empty(t, got.Get("code"))
	})
	t.Run("AdminRequiredReturnToApp", func(t *testing.T) {
		t.Parallel()
		e, cb, cfg := browserEnv(t, ConsentAdminRequired)
		ctx := browsertest.Tab(t, browserCtx, 25*time.Second)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(cfg.AuthCodeURL("a-1")),
			typeCredentials(e.user.UserPrincipalName, userPassword),
			chromedp.WaitVisible(chromedp.ID("adminRequiredText")),
		))
		heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		require.NoError(t, err)
		require.Equal(t, "Need admin approval", heading)
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("returnToApp"))))
		got := cb.wait(t, ctx)
		require.Equal(t, url.Values{"error": {"access_denied"}, "error_subcode": {"cancel"}, "state": {"a-1"}}, got)
	})
	t.Run("RequestApprovalThenApproved", func(t *testing.T) {
		t.Parallel()
		e, cb, cfg := browserEnv(t, ConsentAdminWorkflow)
		ctx := browsertest.Tab(t, browserCtx, 25*time.Second)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(cfg.AuthCodeURL("w-1")),
			typeCredentials(e.user.UserPrincipalName, userPassword),
			chromedp.WaitVisible(chromedp.ID("justification")),
			chromedp.SendKeys(chromedp.ID("justification"), "Needed for the sales sequences"),
			chromedp.Click(chromedp.ID("requestApproval")),
			chromedp.WaitVisible(chromedp.ID("requestSentText")),
		))
		loc, err := chromedp.Run(ctx, chromedp.Location())
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(loc, e.srv.URL), "the flow ends on the emulator's page, at %s", loc)
		require.Empty(t, cb.got, "a submitted request never redirects to the app")

		reqs := e.srv.ConsentRequests(e.tenant.ID)
		require.Len(t, reqs, 1)
		require.Equal(t, "Needed for the sales sequences", reqs[0].Requesters[0].Justification)
		require.NoError(t, e.srv.ApproveConsentRequest(reqs[0].ID, e.admin.UserPrincipalName))

		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(cfg.AuthCodeURL("w-2"))))
		got := cb.wait(t, ctx)
		require.Equal(t, "w-2", got.Get("state"))
		require.NotEmpty(t, got.Get("code"))
	})
}
