package m365sim

import (
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
func (s *Sim) throttleAcquire(app, mailbox string, bodyBytes int64) (func(), *graphError) {
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
	if ts.inFlight >= lim.MaxConcurrent {
		ts.throttled++
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

// ResetCounters zeroes the throttling and sending counters (not the
// in-flight counts, which belong to running requests).
func (s *Sim) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ts := range s.rt.mail.throttle {
		ts.peak, ts.window, ts.total, ts.throttled = ts.inFlight, nil, 0, 0
		ts.uploads, ts.uploadBytes, ts.uploadTotal = nil, 0, 0
	}
	s.rt.mail.sends = map[string]*sendState{}
}
