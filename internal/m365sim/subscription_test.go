package m365sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/stretchr/testify/require"
)

// Checklist items 35–36 (MICROSOFT.md §7.8): subscriptions and the notifier.

// webhook is a receiver like the product's: it answers validation
// handshakes and hands every notification body to a channel.
type webhook struct {
	srv      *httptest.Server
	bodies   chan map[string]any
	failNext atomic.Int32 // answer this many notifications with 500
	badEcho  bool
}

func newWebhook(t *testing.T) *webhook {
	t.Helper()
	wh := &webhook{bodies: make(chan map[string]any, 64)}
	wh.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			w.Header().Set("Content-Type", "text/plain")
			if wh.badEcho {
				tok = "wrong"
			}
			_, _ = io.WriteString(w, tok)
			return
		}
		if wh.failNext.Load() > 0 {
			wh.failNext.Add(-1)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		wh.bodies <- body
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(wh.srv.Close)
	return wh
}

func newSubscription(resource, notify, lifecycle string, exp time.Time) models.Subscriptionable {
	s := models.NewSubscription()
	s.SetChangeType(ptr("created,updated,deleted"))
	s.SetNotificationUrl(ptr(notify))
	if lifecycle != "" {
		s.SetLifecycleNotificationUrl(ptr(lifecycle))
	}
	s.SetResource(ptr(resource))
	s.SetExpirationDateTime(&exp)
	s.SetClientState(ptr("s3cret"))
	return s
}

func TestConformance_35_SubscriptionLifecycle(t *testing.T) {
	t.Parallel()

	t.Run("CreateRenewReauthorizeDelete", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		wh, life := newWebhook(t), newWebhook(t)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		now := e.clock.Now()
		sub, err := client.Subscriptions().Post(context.Background(), newSubscription("me/mailFolders('inbox')/messages", wh.srv.URL, life.srv.URL, now.Add(30*24*time.Hour)), nil)
		require.NoError(t, err)
		require.Equal(t, e.app.ClientID, *sub.GetApplicationId())
		require.Equal(t, e.alice.ID, *sub.GetCreatorId())
		require.Equal(t, "s3cret", *sub.GetClientState())
		require.True(t, sub.GetExpirationDateTime().Equal(now.Add(10080*time.Minute)), "capped at 10,080 minutes: %v", sub.GetExpirationDateTime())

		renew := models.NewSubscription()
		renew.SetExpirationDateTime(ptr(now.Add(10 * time.Minute)))
		got, err := client.Subscriptions().BySubscriptionId(*sub.GetId()).Patch(context.Background(), renew, nil)
		require.NoError(t, err)
		require.True(t, got.GetExpirationDateTime().Equal(now.Add(45*time.Minute)), "raised to 45 minutes")

		change := models.NewSubscription()
		change.SetLifecycleNotificationUrl(ptr(wh.srv.URL + "/other"))
		_, err = client.Subscriptions().BySubscriptionId(*sub.GetId()).Patch(context.Background(), change, nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusBadRequest, odErr.ResponseStatusCode)

		require.NoError(t, client.Subscriptions().BySubscriptionId(*sub.GetId()).Reauthorize().Post(context.Background(), nil))
		require.NoError(t, client.Subscriptions().BySubscriptionId(*sub.GetId()).Delete(context.Background(), nil))
		require.Empty(t, e.srv.Subscriptions(e.alice.ID))
	})
	t.Run("FailedValidationIs400", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		wh := newWebhook(t)
		wh.badEcho = true
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		_, err := client.Subscriptions().Post(context.Background(), newSubscription("me/messages", wh.srv.URL, "", e.clock.Now().Add(time.Hour)), nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusBadRequest, odErr.ResponseStatusCode)
		require.Equal(t, "InvalidRequest", *odErr.GetErrorEscaped().GetCode())
		require.Contains(t, odErr.Error(), "Subscription validation request failed")
	})
	t.Run("ResourceDataCapsAt1440Minutes", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		wh := newWebhook(t)
		r := e.raw(t, http.MethodPost, "/v1.0/subscriptions", e.token(e.alice), map[string]any{
			"changeType": "created", "notificationUrl": wh.srv.URL, "resource": "me/messages", "includeResourceData": true,
			"expirationDateTime": e.clock.Now().Add(72 * time.Hour).Format(time.RFC3339),
		})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		require.Equal(t, e.clock.Now().Add(1440*time.Minute).UTC().Format("2006-01-02T15:04:05.0000000Z"), r.json["expirationDateTime"])
	})
}

func TestConformance_36_Notifier(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	e.srv.SetNotifierOptions(NotifierOptions{RetryBackoff: time.Millisecond, Timeout: time.Second})
	t.Cleanup(e.srv.StopNotifications)
	wh, life := newWebhook(t), newWebhook(t)
	r := e.raw(t, http.MethodPost, "/v1.0/subscriptions", e.token(e.alice), map[string]any{
		"changeType": "created", "notificationUrl": wh.srv.URL, "lifecycleNotificationUrl": life.srv.URL,
		"resource": "me/mailFolders('inbox')/messages", "clientState": "s3cret",
		"expirationDateTime": e.clock.Now().Add(24 * time.Hour).Format(time.RFC3339),
	}, "Prefer", `IdType="ImmutableId"`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	subID := r.json["id"].(string)

	// A message arriving in the Inbox is notified, with the clientState and
	// the immutable id; the first attempt fails with 500 and is retried.
	wh.failNext.Store(1)
	m := deliverN(t, e, 1, "")[0]
	deliverN(t, e, 1, "sentitems") // another folder: not notified
	body := <-wh.bodies
	v := body["value"].([]any)[0].(map[string]any)
	require.Equal(t, subID, v["subscriptionId"])
	require.Equal(t, "s3cret", v["clientState"])
	require.Equal(t, "created", v["changeType"])
	require.Equal(t, m.ID, v["resourceData"].(map[string]any)["id"])
	require.Equal(t, e.tenant.ID, v["tenantId"])
	ns := e.srv.Notifications()
	for !ns[0].Delivered {
		<-e.srv.NotificationAttempts()
		ns = e.srv.Notifications()
	}
	require.Len(t, ns, 1)
	require.Equal(t, 2, ns[0].Attempts)
	require.True(t, ns[0].Delivered)

	// Lifecycle events go to the lifecycle URL; subscriptionRemoved ends it.
	require.NoError(t, e.srv.SendLifecycleEvent(subID, LifecycleMissed))
	require.Equal(t, "missed", (<-life.bodies)["value"].([]any)[0].(map[string]any)["lifecycleEvent"])
	require.NoError(t, e.srv.SendLifecycleEvent(subID, LifecycleSubscriptionRemoved))
	require.Equal(t, "subscriptionRemoved", (<-life.bodies)["value"].([]any)[0].(map[string]any)["lifecycleEvent"])
	require.Empty(t, e.srv.Subscriptions(e.alice.ID))
	require.Empty(t, wh.bodies)
}
