package mailsync_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/graphsubscription"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/jobs"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/mailsync"
)

// notifyEnv is an env whose Mailbridge receives Graph's notifications on a
// local server (the emulator delivers to it) and works sync jobs with River,
// without the periodic poll: only notifications start rounds.
func notifyEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	var e *env
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.syncer.Webhook().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	e = newEnv(t, d, func(o *mailsync.Options) { o.NotificationURL = srv.URL })
	e.sim.SetNotifierOptions(m365sim.NotifierOptions{Timeout: 3 * time.Second, RetryBackoff: 200 * time.Millisecond, RetryWindow: 5 * time.Second})
	workers := river.NewWorkers()
	river.AddWorker(workers, mailsync.NewSyncWorker(e.syncer))
	rc, err := jobs.NewClient(d, workers, jobs.Options{FetchPollInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, rc.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rc.StopAndCancel(ctx)
	})
	return e
}

func (e *env) subscription(b box) *ent.GraphSubscription {
	e.t.Helper()
	s, err := e.client.GraphSubscription.Query().Where(graphsubscription.MicrosoftAccountID(b.account)).Only(e.sys)
	require.NoError(e.t, err)
	return s
}

// A round subscribes the mailbox (the emulator validates the handshake);
// a new message's notification starts a round at once; a notification
// with the wrong clientState starts nothing.
func TestNotifications_TriggerImmediateRound(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := notifyEnv(t, d)
		b := e.connected("ann@contoso.com")
		e.prospect("pat@customer.example")
		e.sync(b)
		sub := e.subscription(b)
		subs := e.sim.Subscriptions(b.address)
		require.Len(t, subs, 1)
		require.Equal(t, sub.SubscriptionID, subs[0].ID)
		require.NotEmpty(t, subs[0].LifecycleNotificationURL)

		e.deliver(b, "pat@customer.example", "Ping")
		require.Eventually(t, func() bool { return len(e.messages(b)) == 1 }, 15*time.Second, 50*time.Millisecond,
			"the notification started a round")

		before := e.ins.count(b.account)
		body := `{"value":[{"subscriptionId":"` + sub.SubscriptionID + `","clientState":"forged","changeType":"created"}]}`
		resp, err := http.Post(e.opts.NotificationURL+mailsync.NotificationsPath, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		require.Equal(t, before, e.ins.count(b.account), "a wrong clientState starts no round")
	})
}

// Renewal before expiry, and the lifecycle events: reauthorizationRequired
// renews, subscriptionRemoved subscribes anew, missed runs a round.
func TestNotifications_RenewalAndLifecycle(t *testing.T) {
	t.Parallel()
	e := notifyEnv(t, dbtest.SQLite(t))
	b := e.connected("ann@contoso.com")
	e.sync(b)
	first := e.subscription(b)

	e.clock.Advance(20 * time.Hour)
	e.sync(b)
	require.Equal(t, first.ExpiresAt, e.subscription(b).ExpiresAt, "not renewed while two thirds of its life are left")
	e.clock.Advance(30 * time.Hour)
	e.sync(b)
	renewed := e.subscription(b)
	require.Equal(t, first.SubscriptionID, renewed.SubscriptionID)
	require.True(t, renewed.ExpiresAt.After(first.ExpiresAt.Add(49*time.Hour)), "renewed before expiry")
	require.WithinDuration(t, renewed.ExpiresAt, e.sim.Subscriptions(b.address)[0].ExpirationDateTime, time.Second)

	e.clock.Advance(time.Hour)
	require.NoError(t, e.sim.SendLifecycleEvent(renewed.SubscriptionID, m365sim.LifecycleReauthorizationRequired))
	require.Eventually(t, func() bool { return e.subscription(b).ExpiresAt.After(renewed.ExpiresAt) }, 15*time.Second, 50*time.Millisecond,
		"reauthorizationRequired renews the subscription")

	// A notification that arrives while its account's round is finishing
	// may wait for the next poll (the round's job is taken); here the
	// round is over first.
	e.waitIdle()
	require.NoError(t, e.sim.SendLifecycleEvent(renewed.SubscriptionID, m365sim.LifecycleSubscriptionRemoved))
	require.Eventually(t, func() bool {
		s, err := e.client.GraphSubscription.Query().Where(graphsubscription.MicrosoftAccountID(b.account)).Only(e.sys)
		return err == nil && s.SubscriptionID != renewed.SubscriptionID
	}, 15*time.Second, 50*time.Millisecond, "subscriptionRemoved subscribes anew")
	subs := e.sim.Subscriptions(b.address)
	require.Len(t, subs, 1)

	e.waitIdle()
	before := e.ins.count(b.account)
	require.NoError(t, e.sim.SendLifecycleEvent(subs[0].ID, m365sim.LifecycleMissed))
	require.Eventually(t, func() bool { return e.ins.count(b.account) > before }, 15*time.Second, 50*time.Millisecond, "missed starts a round")
}

// NotificationURLFor turns notifications on only for a PUBLIC_URL Microsoft
// can reach.
func TestNotificationURLFor(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://mailbridge.example.com/": "https://mailbridge.example.com",
		"https://mb.example.com:8443":     "https://mb.example.com:8443",
		"http://mailbridge.example.com":   "",
		"https://localhost:8080":          "",
		"https://127.0.0.1":               "",
		"https://[::1]:8443":              "",
		"":                                "",
	} {
		require.Equal(t, want, mailsync.NotificationURLFor(in), in)
	}
}

// waitIdle waits until no sync round is queued or running.
func (e *env) waitIdle() {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		var n int
		err := e.d.Write.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'mailsync.account' AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&n)
		return err == nil && n == 0
	}, 15*time.Second, 20*time.Millisecond)
}
