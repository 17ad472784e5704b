package m365sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Subscription is a Graph change-notification subscription (MICROSOFT.md §3.8).
type Subscription struct {
	ID                        string
	Resource                  string // as given, e.g. "me/mailFolders('inbox')/messages"
	ChangeType                string // comma-separated: created,updated,deleted
	NotificationURL           string
	LifecycleNotificationURL  string `json:",omitempty"`
	ClientState               string `json:",omitempty"`
	ExpirationDateTime        time.Time
	ApplicationID             string
	CreatorID                 string
	LatestSupportedTLSVersion string
	IncludeResourceData       bool `json:",omitempty"`
	// Immutable is fixed at creation by Prefer: IdType="ImmutableId".
	Immutable bool `json:",omitempty"`
	// Mailbox is the user ID whose changes are reported; Folder the folder
	// ID ("" for every folder, "calendar" for events).
	Mailbox string
	Folder  string `json:",omitempty"`
	Events  bool   `json:",omitempty"`
}

// maxSubscriptionsPerMailbox is Outlook's cap across apps.
const maxSubscriptionsPerMailbox = 1000

// Notification is a change or lifecycle notification the emulator
// delivered (or tried to), for tests.
type Notification struct {
	SubscriptionID string
	URL            string
	Body           json.RawMessage
	Attempts       int
	Status         int // last HTTP status; 0 on a transport error or timeout
	Delivered      bool
	Time           time.Time
}

// NotifierOptions compress Graph's delivery schedule for tests.
type NotifierOptions struct {
	// Timeout is how long the receiver has to answer (Graph: 3 s).
	Timeout time.Duration
	// RetryBackoff is the first retry delay, doubled per attempt (default 1 min).
	RetryBackoff time.Duration
	// RetryWindow bounds retries (Graph: 4 hours).
	RetryWindow time.Duration
}

// notifier delivers notifications in the background.
type notifier struct {
	opts NotifierOptions
	mu   sync.Mutex
	log  []Notification
	wg   sync.WaitGroup
	// delivered is signalled after every attempt, for tests.
	delivered chan struct{}
	stop      chan struct{} // closed by StopNotifications
	stopOnce  sync.Once
}

func (s *Sim) notifierLocked() *notifier {
	if s.rt.mail.notifier == nil {
		s.rt.mail.notifier = &notifier{
			opts:      NotifierOptions{Timeout: 3 * time.Second, RetryBackoff: time.Minute, RetryWindow: 4 * time.Hour},
			delivered: make(chan struct{}, 1024),
			stop:      make(chan struct{}),
		}
	}
	return s.rt.mail.notifier
}

// SetNotifierOptions changes the notifier's timeout and retry schedule;
// zero fields keep Graph's values.
func (s *Sim) SetNotifierOptions(o NotifierOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notifierLocked()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.opts.Timeout = cmpOr(o.Timeout, n.opts.Timeout)
	n.opts.RetryBackoff = cmpOr(o.RetryBackoff, n.opts.RetryBackoff)
	n.opts.RetryWindow = cmpOr(o.RetryWindow, n.opts.RetryWindow)
}

// StopNotifications abandons pending notification retries and waits for
// in-flight deliveries to end, so that nothing outlives a test or a demo
// shutdown. Later notifications are still attempted once each.
func (s *Sim) StopNotifications() {
	s.mu.Lock()
	n := s.notifierLocked()
	s.mu.Unlock()
	n.stopOnce.Do(func() { close(n.stop) })
	n.wg.Wait()
}

// Notifications lists the notifications sent so far (latest state of each).
func (s *Sim) Notifications() []Notification {
	s.mu.Lock()
	n := s.notifierLocked()
	s.mu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.log)
}

// NotificationAttempts receives a value after every delivery attempt, so
// tests can wait for deliveries without sleeping.
func (s *Sim) NotificationAttempts() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notifierLocked().delivered
}

// Subscriptions lists the active subscriptions of a mailbox ("" for all).
func (s *Sim) Subscriptions(mailbox string) []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Subscription
	for _, sub := range s.st.Mail.Subscriptions {
		if mailbox == "" || sub.Mailbox == mailbox || s.userLocked(mailbox) != nil && s.userLocked(mailbox).ID == sub.Mailbox {
			out = append(out, *sub)
		}
	}
	slices.SortFunc(out, func(a, b Subscription) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// LifecycleEvent is a lifecycle notification kind.
type LifecycleEvent string

const (
	// LifecycleReauthorizationRequired asks the app to reauthorize.
	LifecycleReauthorizationRequired LifecycleEvent = "reauthorizationRequired"
	// LifecycleSubscriptionRemoved tells the app the subscription is gone
	// (the emulator deletes it).
	LifecycleSubscriptionRemoved LifecycleEvent = "subscriptionRemoved"
	// LifecycleMissed tells the app notifications were missed.
	LifecycleMissed LifecycleEvent = "missed"
)

// SendLifecycleEvent delivers a lifecycle notification for a subscription
// to its lifecycleNotificationUrl; subscriptionRemoved also deletes it.
func (s *Sim) SendLifecycleEvent(subscriptionID string, ev LifecycleEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.st.Mail.Subscriptions[subscriptionID]
	if sub == nil {
		return ErrNotFound
	}
	if sub.LifecycleNotificationURL == "" {
		return fmt.Errorf("m365sim: subscription %s has no lifecycleNotificationUrl", subscriptionID)
	}
	u, _ := s.st.Users[sub.Mailbox]
	tid := ""
	if u != nil {
		tid = u.TenantID
	}
	body, _ := json.Marshal(map[string]any{"value": []any{map[string]any{
		"subscriptionId": sub.ID, "subscriptionExpirationDateTime": sub.ExpirationDateTime.UTC().Format(time.RFC3339Nano),
		"tenantId": tid, "clientState": sub.ClientState, "lifecycleEvent": string(ev),
	}}})
	s.deliverLocked(sub.ID, sub.LifecycleNotificationURL, body)
	if ev == LifecycleSubscriptionRemoved {
		delete(s.st.Mail.Subscriptions, sub.ID)
	}
	return nil
}

// notifyChangeLocked queues change notifications for a change to an item
// of mailbox mb. folderID is the item's folder ("calendar" for events).
func (s *Sim) notifyChangeLocked(mb *Mailbox, changeType, folderID, id, restID string) {
	if len(s.st.Mail.Subscriptions) == 0 {
		return
	}
	now := s.now()
	for _, sub := range s.st.Mail.Subscriptions {
		if sub.Mailbox != mb.UserID || !now.Before(sub.ExpirationDateTime) {
			continue
		}
		isEvent := folderID == "calendar"
		if sub.Events != isEvent || !isEvent && sub.Folder != "" && sub.Folder != folderID {
			continue
		}
		if !slices.Contains(strings.Split(strings.ToLower(sub.ChangeType), ","), changeType) {
			continue
		}
		u := s.st.Users[mb.UserID]
		itemID := restID
		if sub.Immutable || itemID == "" {
			itemID = id
		}
		kind, typ := "Messages", "#Microsoft.Graph.Message"
		if isEvent {
			kind, typ = "Events", "#Microsoft.Graph.Event"
		}
		res := "Users/" + mb.UserID + "/" + kind + "/" + itemID
		body, _ := json.Marshal(map[string]any{"value": []any{map[string]any{
			"id": randomToken(8), "subscriptionId": sub.ID,
			"subscriptionExpirationDateTime": sub.ExpirationDateTime.UTC().Format(time.RFC3339Nano),
			"clientState":                    sub.ClientState, "changeType": changeType, "resource": res, "tenantId": u.TenantID,
			"resourceData": map[string]string{"@odata.type": typ, "@odata.id": res, "id": itemID},
		}}})
		s.deliverLocked(sub.ID, sub.NotificationURL, body)
	}
}

// deliverLocked POSTs a notification in the background: the receiver has
// Timeout to answer 2xx; on 5xx or timeout it is retried with backoff
// within RetryWindow.
func (s *Sim) deliverLocked(subID, target string, body []byte) {
	n := s.notifierLocked()
	client := s.rt.mail.graphHTTP
	n.mu.Lock()
	idx := len(n.log)
	n.log = append(n.log, Notification{SubscriptionID: subID, URL: target, Body: body, Time: s.now()})
	opts := n.opts
	n.mu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		start := time.Now()
		backoff := opts.RetryBackoff
		for attempt := 1; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
			status := 0
			resp, err := client.Do(req)
			if err == nil {
				status = resp.StatusCode
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			cancel()
			ok := status >= 200 && status < 300
			n.mu.Lock()
			n.log[idx].Attempts, n.log[idx].Status, n.log[idx].Delivered = attempt, status, ok
			n.mu.Unlock()
			select {
			case n.delivered <- struct{}{}:
			default:
			}
			if ok || (status >= 400 && status < 500) || time.Since(start)+backoff > opts.RetryWindow {
				return
			}
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-n.stop:
				t.Stop()
				return
			}
			backoff *= 2
		}
	}()
}

// ---- HTTP ----

type subscriptionIn struct {
	ChangeType                string
	NotificationURL           string  `json:"notificationUrl"`
	LifecycleNotificationURL  *string `json:"lifecycleNotificationUrl"`
	Resource                  string
	ExpirationDateTime        string
	ClientState               string
	LatestSupportedTLSVersion string `json:"latestSupportedTlsVersion"`
	IncludeResourceData       bool
}

func (s *Sim) serveSubscriptions(g *gctx) {
	g.target = g.caller
	rest, m := g.rest, g.r.Method
	switch {
	case len(rest) == 0 && m == http.MethodPost:
		s.createSubscription(g)
	case len(rest) == 0 && m == http.MethodGet:
		var vals []any
		for _, sub := range s.Subscriptions(g.caller.ID) {
			if sub.ApplicationID == g.claims.ClientID {
				vals = append(vals, subscriptionJSON(s, g, &sub))
			}
		}
		if vals == nil {
			vals = []any{}
		}
		g.writeJSON(http.StatusOK, map[string]any{"@odata.context": s.baseURL(g.r) + "/v1.0/$metadata#subscriptions", "value": vals})
	case len(rest) >= 1:
		s.subscriptionByID(g, rest[0], rest[1:])
	default:
		g.fail(errMethodNotAllowed())
	}
}

func subscriptionJSON(s *Sim, g *gctx, sub *Subscription) *jsonObj {
	o := newObj(14)
	o.set("@odata.context", s.baseURL(g.r)+"/v1.0/$metadata#subscriptions/$entity")
	o.set("id", sub.ID)
	o.set("resource", sub.Resource)
	o.set("applicationId", sub.ApplicationID)
	o.set("changeType", sub.ChangeType)
	o.set("clientState", nullable(sub.ClientState))
	o.set("notificationUrl", sub.NotificationURL)
	o.set("lifecycleNotificationUrl", nullable(sub.LifecycleNotificationURL))
	o.set("expirationDateTime", sub.ExpirationDateTime.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	o.set("creatorId", sub.CreatorID)
	o.set("includeResourceData", sub.IncludeResourceData)
	o.set("latestSupportedTlsVersion", cmpOr(sub.LatestSupportedTLSVersion, "v1_2"))
	o.set("notificationContentType", "application/json")
	return o
}

// parseSubscriptionResource maps a resource path to (folder, events).
func (s *Sim) parseSubscriptionResource(g *gctx, resource string) (folder string, events bool, ge *graphError) {
	segs, err := splitGraphPath(resource)
	bad := gerr(http.StatusBadRequest, "ExtensionError", "Operation: Create; Exception: [Status Code: BadRequest; Reason: The resource '"+resource+"' is not supported.]")
	if err != nil || len(segs) < 2 {
		return "", false, bad
	}
	switch segs[0] {
	case "me":
		segs = segs[1:]
	case "users":
		if len(segs) < 3 {
			return "", false, bad
		}
		s.mu.Lock()
		u := s.userLocked(segs[1])
		s.mu.Unlock()
		if u == nil || u.ID != g.caller.ID {
			return "", false, errAccessDenied()
		}
		segs = segs[2:]
	default:
		return "", false, bad
	}
	switch {
	case len(segs) == 1 && segs[0] == "messages":
		return "", false, nil
	case len(segs) == 1 && segs[0] == "events":
		return "calendar", true, nil
	case len(segs) == 3 && segs[0] == "mailfolders" && segs[2] == "messages":
		s.mu.Lock()
		f := s.mailboxLocked(g.caller.ID).folder(segs[1])
		s.mu.Unlock()
		if f == nil {
			return "", false, errItemNotFound()
		}
		return f.ID, false, nil
	}
	return "", false, bad
}

// validateEndpoint performs Graph's validation handshake (MICROSOFT.md §3.8).
func (s *Sim) validateEndpoint(ctx context.Context, target string) bool {
	token := "Validation: Testing client application reachability for subscription Request-Id: " + newID()
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	q := u.Query()
	q.Set("validationToken", token)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := s.rt.mail.graphHTTP.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	return resp.StatusCode == http.StatusOK && strings.HasPrefix(ct, "text/plain") && string(b) == token
}

// clampExpiration applies Outlook's bounds: at most 10,080 minutes (1,440
// with resource data), at least 45 minutes.
func clampExpiration(now, want time.Time, richData bool) time.Time {
	maxD := 10080 * time.Minute
	if richData {
		maxD = 1440 * time.Minute
	}
	if want.After(now.Add(maxD)) {
		want = now.Add(maxD)
	}
	if want.Before(now.Add(45 * time.Minute)) {
		want = now.Add(45 * time.Minute)
	}
	return want
}

func (s *Sim) createSubscription(g *gctx) {
	var in subscriptionIn
	if ge := g.decodeBody(&in); ge != nil {
		g.fail(ge)
		return
	}
	if in.NotificationURL == "" || in.Resource == "" || in.ChangeType == "" || in.ExpirationDateTime == "" {
		g.fail(gerr(http.StatusBadRequest, "InvalidRequest", "changeType, notificationUrl, resource and expirationDateTime are required."))
		return
	}
	if len(in.ClientState) > 128 {
		g.fail(gerr(http.StatusBadRequest, "InvalidRequest", "clientState must be at most 128 characters."))
		return
	}
	for _, ct := range strings.Split(in.ChangeType, ",") {
		switch strings.TrimSpace(strings.ToLower(ct)) {
		case "created", "updated", "deleted":
		default:
			g.fail(gerr(http.StatusBadRequest, "InvalidRequest", "Invalid changeType '"+ct+"'."))
			return
		}
	}
	folder, events, ge := s.parseSubscriptionResource(g, in.Resource)
	if ge != nil {
		g.fail(ge)
		return
	}
	if events && !g.requireScope(calendarReadScopes...) || !events && !g.requireScope("Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic") {
		return
	}
	exp, err := time.Parse(time.RFC3339Nano, in.ExpirationDateTime)
	if err != nil {
		g.fail(gerr(http.StatusBadRequest, "InvalidRequest", "expirationDateTime is not a valid DateTimeOffset."))
		return
	}
	urls := []string{in.NotificationURL}
	if in.LifecycleNotificationURL != nil && *in.LifecycleNotificationURL != "" {
		urls = append(urls, *in.LifecycleNotificationURL)
	}
	for _, u := range urls {
		if !s.validateEndpoint(g.r.Context(), u) {
			g.fail(gerr(http.StatusBadRequest, "InvalidRequest", "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request."))
			return
		}
	}
	sub := &Subscription{
		ID: newID(), Resource: in.Resource, ChangeType: strings.ToLower(strings.ReplaceAll(in.ChangeType, " ", "")),
		NotificationURL: in.NotificationURL, ClientState: in.ClientState, ApplicationID: g.claims.ClientID,
		CreatorID: g.caller.ID, LatestSupportedTLSVersion: cmpOr(in.LatestSupportedTLSVersion, "v1_2"),
		IncludeResourceData: in.IncludeResourceData, Immutable: g.prefer.immutableID,
		Mailbox: g.caller.ID, Folder: folder, Events: events,
		ExpirationDateTime: clampExpiration(s.now(), exp, in.IncludeResourceData),
	}
	if in.LifecycleNotificationURL != nil {
		sub.LifecycleNotificationURL = *in.LifecycleNotificationURL
	}
	s.mu.Lock()
	n := 0
	for _, x := range s.st.Mail.Subscriptions {
		if x.Mailbox == sub.Mailbox && s.now().Before(x.ExpirationDateTime) {
			n++
		}
	}
	if n >= maxSubscriptionsPerMailbox {
		s.mu.Unlock()
		g.fail(gerr(http.StatusForbidden, "ExtensionError", "Operation: Create; Exception: [Status Code: Forbidden; Reason: The mailbox has reached its limit of 1000 subscriptions.]"))
		return
	}
	s.st.Mail.Subscriptions[sub.ID] = sub
	s.mu.Unlock()
	g.writeJSON(http.StatusCreated, subscriptionJSON(s, g, sub))
}

func (s *Sim) subscriptionByID(g *gctx, id string, rest []string) {
	s.mu.Lock()
	sub := s.st.Mail.Subscriptions[id]
	s.mu.Unlock()
	if sub == nil || sub.ApplicationID != g.claims.ClientID {
		g.fail(gerr(http.StatusNotFound, "ResourceNotFound", "The object was not found."))
		return
	}
	m := g.r.Method
	switch {
	case len(rest) == 0 && m == http.MethodGet:
		g.writeJSON(http.StatusOK, subscriptionJSON(s, g, sub))
	case len(rest) == 0 && m == http.MethodDelete:
		s.mu.Lock()
		delete(s.st.Mail.Subscriptions, id)
		s.mu.Unlock()
		g.noContent(http.StatusNoContent)
	case len(rest) == 0 && m == http.MethodPatch:
		var in subscriptionIn
		if ge := g.decodeBody(&in); ge != nil {
			g.fail(ge)
			return
		}
		if in.LifecycleNotificationURL != nil && *in.LifecycleNotificationURL != sub.LifecycleNotificationURL {
			g.fail(gerr(http.StatusBadRequest, "InvalidRequest", "lifecycleNotificationUrl cannot be added or changed by PATCH; delete and recreate the subscription."))
			return
		}
		s.mu.Lock()
		if in.ExpirationDateTime != "" {
			if exp, err := time.Parse(time.RFC3339Nano, in.ExpirationDateTime); err == nil {
				sub.ExpirationDateTime = clampExpiration(s.now(), exp, sub.IncludeResourceData)
			}
		}
		if in.NotificationURL != "" {
			sub.NotificationURL = in.NotificationURL
		}
		cp := *sub
		s.mu.Unlock()
		g.writeJSON(http.StatusOK, subscriptionJSON(s, g, &cp))
	case len(rest) == 1 && rest[0] == "reauthorize" && m == http.MethodPost:
		g.noContent(http.StatusNoContent)
	default:
		g.fail(errMethodNotAllowed())
	}
}
