package mailsync

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"mailbridge/ent"
	"mailbridge/ent/graphsubscription"
	"mailbridge/internal/jobs"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// Webhook paths under NotificationURL.
const (
	NotificationsPath = "/webhooks/microsoft/notifications"
	LifecyclePath     = "/webhooks/microsoft/lifecycle"
)

// subscriptionResource is what each synced account subscribes to: every
// message of the mailbox (created, updated, deleted).
const subscriptionResource = "me/messages"

// NotificationURLFor returns the origin Graph delivers change
// notifications to: publicURL when Microsoft can reach it (https, not a
// loopback host), else "" (subscriptions off; polling only).
func NotificationURLFor(publicURL string) string {
	u, err := url.Parse(strings.TrimRight(publicURL, "/"))
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return ""
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return ""
	}
	if ip := net.ParseIP(h); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// subscription keeps the account's change-notification subscription:
// created when missing, renewed when a third of its lifetime is left (or
// Graph asked for reauthorization). Failing here does not fail the round:
// polling remains the safety net.
func (r *round) subscription(ctx context.Context) error {
	if r.s.o.NotificationURL == "" {
		return nil
	}
	subs, err := r.s.client.GraphSubscription.Query().Where(graphsubscription.MicrosoftAccountID(r.acct.ID)).All(ctx)
	if err != nil {
		return err
	}
	now := r.s.now()
	expiry := now.Add(r.s.o.SubscriptionLifetime)
	for _, sub := range subs {
		if sub.ExpiresAt.Sub(now) > r.s.o.SubscriptionLifetime/3 {
			return nil
		}
		patch := models.NewSubscription()
		patch.SetExpirationDateTime(&expiry)
		if _, err := r.gc.Subscriptions().BySubscriptionId(sub.SubscriptionID).Patch(ctx, patch, nil); err == nil {
			return sub.Update().SetExpiresAt(expiry).Exec(ctx)
		} else if f := microsoft.ClassifyGraphError(err); f.Status != http.StatusNotFound {
			r.s.log.Warn("mailsync: renew subscription", "account", r.acct.ID, "error", err)
			return nil
		}
		// Gone at Microsoft: create a new one below.
		if err := r.s.client.GraphSubscription.DeleteOne(sub).Exec(ctx); err != nil {
			return err
		}
	}
	state := make([]byte, 32)
	_, _ = rand.Read(state)
	clientState := hex.EncodeToString(state)
	sub := models.NewSubscription()
	changeType, resource := "created,updated,deleted", subscriptionResource
	notify, lifecycle := r.s.o.NotificationURL+NotificationsPath, r.s.o.NotificationURL+LifecyclePath
	sub.SetChangeType(&changeType)
	sub.SetResource(&resource)
	sub.SetNotificationUrl(&notify)
	sub.SetLifecycleNotificationUrl(&lifecycle)
	sub.SetClientState(&clientState)
	sub.SetExpirationDateTime(&expiry)
	created, err := r.gc.Subscriptions().Post(ctx, sub, nil)
	if err != nil {
		r.s.log.Warn("mailsync: subscribe to change notifications; polling carries on", "account", r.acct.ID, "error", err)
		return nil
	}
	if e := created.GetExpirationDateTime(); e != nil {
		expiry = e.UTC()
	}
	return r.s.client.GraphSubscription.Create().SetOrgID(r.acct.OrgID).SetMicrosoftAccountID(r.acct.ID).
		SetSubscriptionID(deref(created.GetId(), "")).SetResource(resource).SetClientState(clientState).
		SetExpiresAt(expiry).Exec(ctx)
}

// notification is one change or lifecycle notification.
type notification struct {
	SubscriptionID string `json:"subscriptionId"`
	ClientState    string `json:"clientState"`
	ChangeType     string `json:"changeType"`
	LifecycleEvent string `json:"lifecycleEvent"`
}

// Webhook serves NotificationsPath and LifecyclePath: the validation
// handshake, then notifications whose clientState matches a stored
// subscription, each of which starts a sync round of its account at once.
func (s *Syncer) Webhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if tok, ok := r.URL.Query()["validationToken"]; ok {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, strings.Join(tok, ""))
			return
		}
		var body struct {
			Value []notification `json:"value"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
			http.Error(w, "malformed notification", http.StatusBadRequest)
			return
		}
		if err := s.notified(r.Context(), body.Value); err != nil {
			s.log.Error("mailsync: notification", "error", err)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

func (s *Syncer) notified(ctx context.Context, ns []notification) error {
	ctx = viewer.SystemContext(ctx)
	accounts := map[int]bool{}
	for _, n := range ns {
		sub, err := s.client.GraphSubscription.Query().Where(graphsubscription.SubscriptionID(n.SubscriptionID)).Only(ctx)
		if ent.IsNotFound(err) {
			s.log.Warn("mailsync: notification for an unknown subscription", "subscription", n.SubscriptionID)
			continue
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(n.ClientState), []byte(sub.ClientState)) != 1 {
			s.log.Warn("mailsync: notification with a wrong clientState ignored", "subscription", n.SubscriptionID)
			continue
		}
		// Every valid notification touches the row (updated_at): a round
		// that is running when it arrives then runs once more, since the
		// round it would have started is already taken.
		u := sub.Update()
		switch n.LifecycleEvent {
		case "reauthorizationRequired":
			// The round renews it (a due expiry forces the PATCH).
			u.SetExpiresAt(s.now())
		case "subscriptionRemoved":
			// The round's renewal finds it gone and subscribes anew, then
			// catches up through delta.
			u.SetExpiresAt(time.Unix(0, 0).UTC())
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		accounts[sub.MicrosoftAccountID] = true
	}
	for id := range accounts {
		if err := s.Enqueue(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue starts a sync round of the account soon (at most one is queued
// or running per account).
func (s *Syncer) Enqueue(ctx context.Context, accountID int) error {
	return txn.RunSQL(ctx, s.o.DB, func(ctx context.Context, _ *ent.Client, tx *sql.Tx) error {
		_, err := s.o.Inserter.InsertTx(ctx, tx, jobs.SyncAccountArgs{AccountID: accountID}, nil)
		return err
	})
}
