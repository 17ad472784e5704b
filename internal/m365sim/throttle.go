package m365sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// throttleKey is what Exchange Online throttles on: app ID × mailbox.
type throttleKey struct{ app, mailbox string }

// throttleState is one app × mailbox pair's counters.
type throttleState struct {
	inFlight  int
	peak      int
	window    []time.Time // admitted requests within Limits.RequestWindow
	total     int
	throttled int
	// uploads are the admitted request bodies within Limits.UploadWindow,
	// oldest first; uploadBytes is their sum.
	uploads     []upload
	uploadBytes int64
	uploadTotal int64
}

// upload is one admitted request body.
type upload struct {
	at    time.Time
	bytes int64
}

// throttleAcquire admits a request for app × mailbox, whose body is
// bodyBytes long, or answers it with Exchange's 429s (MICROSOFT.md
// §4.1–§4.2): over MaxConcurrent in flight, ApplicationThrottled
// "…MailboxConcurrency limit."; over RequestsPerWindow per RequestWindow,
// or over UploadBytesPerWindow per UploadWindow, the documented
// TooManyRequests body. The returned release must be called when the
// request finishes.
func (s *Sim) throttleAcquire(g *gctx, app, mailbox string, bodyBytes int64) (func(), *graphError) {
	lim := s.cfg.Limits
	now := s.now()
	k := throttleKey{app, mailbox}
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.rt.mail.throttle[k]
	if ts == nil {
		ts = &throttleState{}
		s.rt.mail.throttle[k] = ts
	}
	ts.pruneWindows(now, lim)
	g.wake = s.rt.mail.wake // a latency change from now on releases it
	mf := s.rt.mail.flight[mailbox]
	if mf == nil {
		mf = &mailboxFlight{}
		s.rt.mail.flight[mailbox] = mf
	}
	if ts.inFlight >= lim.MaxConcurrent {
		ts.throttled++
		mf.throttled++
		return nil, errMailboxConcurrency(http.StatusTooManyRequests, lim.RetryAfter)
	}
	if len(ts.window) >= lim.RequestsPerWindow {
		ts.throttled++
		return nil, errTooManyRequests(lim.RetryAfter)
	}
	if bodyBytes > 0 && ts.uploadBytes+bodyBytes > lim.UploadBytesPerWindow {
		ts.throttled++
		return nil, errTooManyRequests(lim.RetryAfter)
	}
	ts.inFlight++
	ts.peak = max(ts.peak, ts.inFlight)
	mf.inFlight++
	mf.peak = max(mf.peak, mf.inFlight)
	ts.window = append(ts.window, now)
	ts.total++
	if bodyBytes > 0 {
		ts.uploads = append(ts.uploads, upload{now, bodyBytes})
		ts.uploadBytes += bodyBytes
		ts.uploadTotal += bodyBytes
	}
	var done bool
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !done {
			done = true
			ts.inFlight--
			mf.inFlight--
		}
	}, nil
}

// pruneWindows drops the requests and uploads that have left their
// sliding windows.
func (ts *throttleState) pruneWindows(now time.Time, lim Limits) {
	cut := now.Add(-lim.RequestWindow)
	i := 0
	for i < len(ts.window) && !ts.window[i].After(cut) {
		i++
	}
	if i > 0 {
		ts.window = append(ts.window[:0], ts.window[i:]...)
	}
	cut = now.Add(-lim.UploadWindow)
	i = 0
	for i < len(ts.uploads) && !ts.uploads[i].at.After(cut) {
		ts.uploadBytes -= ts.uploads[i].bytes
		i++
	}
	if i > 0 {
		ts.uploads = append(ts.uploads[:0], ts.uploads[i:]...)
	}
}

func errMailboxConcurrency(status int, retryAfter string) *graphError {
	e := gerr(status, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
	e.retryAfter = retryAfter
	return e
}

// errTooManyRequests is the documented 429 body (throttling.md).
func errTooManyRequests(retryAfter string) *graphError {
	e := gerr(http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.")
	e.retryAfter = retryAfter
	e.inner = map[string]string{"code": "429", "message": "Please retry after", "status": "429"}
	return e
}

// ThrottleCounters are one app × mailbox pair's request counters against
// Outlook's limits, for tests of the product's per-mailbox limiter.
type ThrottleCounters struct {
	ClientID string
	Mailbox  string // user ID
	// InFlight is the number of requests being served now; PeakInFlight
	// the most ever served at once.
	InFlight     int
	PeakInFlight int
	// RequestsInWindow counts admitted requests within Limits.RequestWindow.
	RequestsInWindow int
	Requests         int // admitted requests in total
	// UploadBytesInWindow sums the admitted PATCH, POST and PUT bodies
	// within Limits.UploadWindow; UploadBytes sums them all.
	UploadBytesInWindow int64
	UploadBytes         int64
	Throttled           int // requests answered 429 by the limits
}

// ThrottleCounters returns the counters of every app × mailbox pair that
// has made a request, optionally only for one mailbox (user ID or address;
// "" for all), sorted by mailbox then client ID.
func (s *Sim) ThrottleCounters(mailbox string) []ThrottleCounters {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.optionalUserIDLocked(mailbox)
	if !ok {
		return nil
	}
	now := s.now()
	var out []ThrottleCounters
	for k, ts := range s.rt.mail.throttle {
		if id != "" && k.mailbox != id {
			continue
		}
		ts.pruneWindows(now, s.cfg.Limits)
		out = append(out, ThrottleCounters{
			ClientID: k.app, Mailbox: k.mailbox, InFlight: ts.inFlight, PeakInFlight: ts.peak,
			RequestsInWindow: len(ts.window), Requests: ts.total,
			UploadBytesInWindow: ts.uploadBytes, UploadBytes: ts.uploadTotal, Throttled: ts.throttled,
		})
	}
	slices.SortFunc(out, func(a, b ThrottleCounters) int {
		if c := strings.Compare(a.Mailbox, b.Mailbox); c != 0 {
			return c
		}
		return strings.Compare(a.ClientID, b.ClientID)
	})
	return out
}

// ResetCounters zeroes the throttling, concurrency and sending counters
// (not the in-flight counts, which belong to running requests) and lifts
// send blocks left by an over-quota submission.
func (s *Sim) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ts := range s.rt.mail.throttle {
		ts.peak, ts.window, ts.total, ts.throttled = ts.inFlight, nil, 0, 0
		ts.uploads, ts.uploadBytes, ts.uploadTotal = nil, 0, 0
	}
	for _, mf := range s.rt.mail.flight {
		mf.peak, mf.throttled = mf.inFlight, 0
	}
	s.rt.mail.sends = map[string]*sendState{}
}

// mailboxFlight counts one mailbox's requests in flight across every app.
type mailboxFlight struct {
	inFlight  int
	peak      int
	throttled int // answered 429 ApplicationThrottled (MailboxConcurrency)
}

// MailboxConcurrency is one mailbox's concurrency counters, across apps,
// for tests of the product's per-mailbox limiter: a product that never has
// more than 4 requests in flight to a mailbox keeps PeakInFlight <= 4 and
// Throttled at 0.
type MailboxConcurrency struct {
	Mailbox      string // user ID
	InFlight     int    // requests being served now (holding a slot)
	PeakInFlight int    // the most ever served at once since the last ResetCounters
	// Throttled counts the requests answered 429 ApplicationThrottled
	// ("…MailboxConcurrency limit.").
	Throttled int
	// Latency is the mailbox's effective latency knob (SetLatency).
	Latency time.Duration
}

// MailboxConcurrency returns a mailbox's concurrency counters (user ID or
// address).
func (s *Sim) MailboxConcurrency(mailbox string) (MailboxConcurrency, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return MailboxConcurrency{}, ErrNotFound
	}
	out := MailboxConcurrency{Mailbox: u.ID, Latency: s.latencyLocked(u.ID)}
	if mf := s.rt.mail.flight[u.ID]; mf != nil {
		out.InFlight, out.PeakInFlight, out.Throttled = mf.inFlight, mf.peak, mf.throttled
	}
	return out, nil
}

// SetLatency makes every Graph request to a mailbox (user ID or address;
// "" sets the default for mailboxes without their own) take at least d
// before it is served, while it holds its concurrency slot: a slow mailbox,
// so that concurrent clients reach Outlook's limit of 4 requests in flight
// as they would against a loaded Exchange server. It is real time, not the
// emulator's clock. Zero removes the knob. Changing a latency (or
// ClearFaults) releases the requests waiting at that moment.
func (s *Sim) SetLatency(mailbox string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("m365sim: negative latency %s", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.optionalUserIDLocked(mailbox)
	if !ok {
		return ErrNotFound
	}
	if d == 0 {
		delete(s.rt.mail.latency, key)
	} else {
		s.rt.mail.latency[key] = d
	}
	s.wakeDelayedLocked()
	return nil
}

// Latency returns the latency knob in effect for a mailbox ("" for the
// default).
func (s *Sim) Latency(mailbox string) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.optionalUserIDLocked(mailbox)
	if !ok {
		return 0, ErrNotFound
	}
	return s.latencyLocked(key), nil
}

func (s *Sim) latencyLocked(userID string) time.Duration {
	if d, ok := s.rt.mail.latency[userID]; ok {
		return d
	}
	return s.rt.mail.latency[""]
}

// wakeDelayedLocked releases every request waiting out a latency or a
// delay fault. s.mu must be held.
func (s *Sim) wakeDelayedLocked() {
	close(s.rt.mail.wake)
	s.rt.mail.wake = make(chan struct{})
}

// waitLatency holds an admitted request for its delay fault plus its
// mailbox's latency, in real time. It reports false when the client went
// away meanwhile.
func (s *Sim) waitLatency(g *gctx) bool { return s.waitDelay(g, true) }

// waitDelay holds the request for its delay fault, plus its mailbox's
// latency when withLatency (Outlook resources; the directory profile has
// no mailbox latency).
func (s *Sim) waitDelay(g *gctx, withLatency bool) bool {
	s.mu.Lock()
	d := g.delay
	if withLatency {
		d += s.latencyLocked(g.target.ID)
	}
	wake := g.wake
	if wake == nil {
		wake = s.rt.mail.wake
	}
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-g.r.Context().Done():
		return false
	}
	return true
}
