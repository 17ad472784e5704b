package m365sim

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a kind of injected failure.
type FaultKind string

const (
	// FaultThrottle answers 429 TooManyRequests (the documented body) with
	// Retry-After: a throttling storm.
	FaultThrottle FaultKind = "throttle"
	// FaultConcurrency503 answers 503 ApplicationThrottled "…MailboxConcurrency
	// limit." with Retry-After, as some clients see it.
	FaultConcurrency503 FaultKind = "concurrency503"
	// FaultStatus answers Status (503 or 504 typically) with Retry-After
	// only when RetryAfter is set.
	FaultStatus FaultKind = "status"
	// FaultAfterAccept applies to sends only (sendMail, /send, /reply): the
	// message is accepted and sent, then the response is Status (default
	// 504) instead of 202 — the duplicate-send trap (MICROSOFT.md §3.3).
	FaultAfterAccept FaultKind = "after-accept"
	// FaultDelay holds the response for Delay (a slow mailbox). The delay
	// runs after the request has taken its concurrency slot, so slow
	// requests hold their slots and the 5th concurrent one is throttled
	// (MICROSOFT.md §0 item 13, issue #7 item 2).
	FaultDelay FaultKind = "delay"
	// FaultDrop hijacks the connection and closes it without a response.
	FaultDrop FaultKind = "drop"
	// FaultMailboxFull answers requests that write to the mailbox (POST,
	// PATCH, PUT, sends included) with 507 ErrorQuotaExceeded: the mailbox
	// is over its storage quota. The code is Outlook's (MICROSOFT.md §3.0,
	// field: alcionai/corso errors.go); the status is Graph's documented
	// "507 Insufficient Storage: The maximum storage quota has been
	// reached" (https://learn.microsoft.com/en-us/graph/errors).
	FaultMailboxFull FaultKind = "mailbox-full"
	// FaultAccessDenied answers 403 ErrorAccessDenied although the access
	// token is valid: the grant no longer covers the mailbox (Full Access
	// or Send As removed, consent narrowed by an admin) while the token
	// lives on (MICROSOFT.md §3.0; https://learn.microsoft.com/en-us/graph/errors).
	FaultAccessDenied FaultKind = "access-denied"
)

// Fault is an injected failure, for a mailbox or for every mailbox.
type Fault struct {
	ID string // assigned by InjectFault
	// Mailbox is a user ID or address; empty applies to every mailbox.
	Mailbox string
	Kind    FaultKind
	// Count is how many matching requests the fault hits; 0 means 1 and a
	// negative value means until removed.
	Count int
	// Status for FaultStatus and FaultAfterAccept (default 503 / 504, or
	// the default of Code). FaultAfterAccept with Status 202 answers an
	// accepted send 202 with Retry-After: the message went out, and a
	// client that "honours" the Retry-After by resending duplicates it.
	Status int
	// Code is the Graph error code of FaultStatus and FaultAfterAccept, for
	// the answers a production send meets after the message went out
	// (issue #7, "Missing behaviours"): ErrorServerBusy (503),
	// ApplicationThrottled (429, "…MailboxConcurrency limit."),
	// UnknownError (500), ServiceUnavailable (503). Empty: by Status.
	Code string
	// RetryAfter is the Retry-After header value. For FaultThrottle and
	// FaultConcurrency503 it defaults to Limits.RetryAfter; FaultStatus and
	// FaultAfterAccept send it only when set.
	RetryAfter string
	// Delay for FaultDelay.
	Delay time.Duration
	// Method and PathContains narrow the requests hit (case-insensitive).
	Method       string
	PathContains string
	// Hits counts the requests the fault has hit so far.
	Hits int
}

// InjectFault adds a fault and returns it with its ID.
func (s *Sim) InjectFault(f Fault) (Fault, error) {
	switch f.Kind {
	case FaultThrottle, FaultConcurrency503, FaultStatus, FaultAfterAccept, FaultDelay, FaultDrop, FaultMailboxFull, FaultAccessDenied:
	default:
		return Fault{}, fmt.Errorf("m365sim: unknown fault kind %q", f.Kind)
	}
	if _, ok := faultCodeStatus[f.Code]; !ok && f.Code != "" {
		return Fault{}, fmt.Errorf("m365sim: unknown fault code %q", f.Code)
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) && !(f.Kind == FaultAfterAccept && f.Status == http.StatusAccepted) {
		return Fault{}, fmt.Errorf("m365sim: fault status %d: want a 4xx or 5xx (or 202 for an after-accept fault)", f.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ok bool
	if f.Mailbox, ok = s.optionalUserIDLocked(f.Mailbox); !ok {
		return Fault{}, ErrNotFound
	}
	if f.Count == 0 {
		f.Count = 1
	}
	s.rt.mail.faultSeq++
	f.ID = "fault-" + strconv.Itoa(s.rt.mail.faultSeq)
	f.Hits = 0
	s.rt.mail.faults = append(s.rt.mail.faults, &f)
	return f, nil
}

// Faults lists the active faults.
func (s *Sim) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.rt.mail.faults))
	for _, f := range s.rt.mail.faults {
		out = append(out, *f)
	}
	return out
}

// RemoveFault removes one fault by ID.
func (s *Sim) RemoveFault(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.rt.mail.faults, func(f *Fault) bool { return f.ID == id })
	if i < 0 {
		return ErrNotFound
	}
	s.rt.mail.faults = slices.Delete(s.rt.mail.faults, i, i+1)
	return nil
}

// ClearFaults removes every fault, releases held requests, restores
// revoked grants and disarms delta replays: the emulator is healthy again.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	holds := s.rt.mail.holds
	s.rt.mail.faults, s.rt.mail.holds = nil, nil
	s.rt.mail.revoked = map[string]revocation{}
	s.rt.mail.replays = map[replayKey]int{}
	s.wakeDelayedLocked()
	s.mu.Unlock()
	for _, h := range holds {
		h.Release()
	}
}

// revocation makes Graph reject a user's access tokens issued at or before at.
type revocation struct {
	at  time.Time
	cae bool
}

// RevokeGrant makes Graph answer 401 InvalidAuthenticationToken to every
// access token of the user issued up to now (a revoked session or grant).
// With cae, the 401 carries a Continuous Access Evaluation challenge
// (WWW-Authenticate: Bearer …, error="insufficient_claims", claims="…").
func (s *Sim) RevokeGrant(user string, cae bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(user)
	if u == nil {
		return ErrNotFound
	}
	s.rt.mail.revoked[u.ID] = revocation{at: s.now(), cae: cae}
	return nil
}

// RestoreGrant undoes RevokeGrant.
func (s *Sim) RestoreGrant(user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(user)
	if u == nil {
		return ErrNotFound
	}
	delete(s.rt.mail.revoked, u.ID)
	return nil
}

// isSendOp reports whether the request submits mail.
func (g *gctx) isSendOp() bool {
	if g.r.Method != http.MethodPost || len(g.rest) == 0 {
		return false
	}
	last := g.rest[len(g.rest)-1]
	return last == "sendmail" || last == "send" || last == "reply" || last == "replyall"
}

func (f *Fault) matches(g *gctx) bool {
	if f.Mailbox != "" && (g.target == nil || g.target.ID != f.Mailbox) {
		return false
	}
	if f.Method != "" && !strings.EqualFold(f.Method, g.r.Method) {
		return false
	}
	if f.PathContains != "" && !strings.Contains(strings.ToLower(g.r.URL.Path), strings.ToLower(f.PathContains)) {
		return false
	}
	switch f.Kind {
	case FaultAfterAccept:
		return g.isSendOp()
	case FaultMailboxFull:
		return g.r.Method == http.MethodPost || g.r.Method == http.MethodPatch || g.r.Method == http.MethodPut
	}
	return true
}

// faultCodeStatus is the default status and the message of each Code a
// fault may answer with, worded as Graph words them.
var faultCodeStatus = map[string]struct {
	status int
	msg    string
}{
	"ErrorServerBusy":      {http.StatusServiceUnavailable, "The server cannot service this request right now. Try again later."},
	"ApplicationThrottled": {http.StatusTooManyRequests, "Application is over its MailboxConcurrency limit."},
	"UnknownError":         {http.StatusInternalServerError, "An internal server error occurred. The operation failed."},
	"ServiceUnavailable":   {http.StatusServiceUnavailable, "The service is temporarily unavailable. Please retry later."},
}

// takeGraphFaultLocked consumes one hit of the first fault matching g, if any.
func (s *Sim) takeGraphFaultLocked(g *gctx) *Fault {
	for i, f := range s.rt.mail.faults {
		if !f.matches(g) {
			continue
		}
		f.Hits++
		cp := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.rt.mail.faults = slices.Delete(s.rt.mail.faults, i, i+1)
			}
		}
		return &cp
	}
	return nil
}

// faultError is the response of a status-type fault.
func faultError(f *Fault, defRetryAfter string) *graphError {
	switch f.Kind {
	case FaultThrottle:
		return errTooManyRequests(cmpOr(f.RetryAfter, defRetryAfter))
	case FaultConcurrency503:
		return errMailboxConcurrency(http.StatusServiceUnavailable, cmpOr(f.RetryAfter, defRetryAfter))
	case FaultMailboxFull:
		return gerr(http.StatusInsufficientStorage, "ErrorQuotaExceeded", "The mailbox has exceeded its storage quota. Delete items or ask an administrator to raise the quota.")
	case FaultAccessDenied:
		return errAccessDenied()
	}
	if c, ok := faultCodeStatus[f.Code]; ok {
		e := gerr(cmpOr(f.Status, c.status), f.Code, c.msg)
		e.retryAfter = f.RetryAfter
		return e
	}
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
		if f.Kind == FaultAfterAccept {
			status = http.StatusGatewayTimeout
		}
	}
	var e *graphError
	switch status {
	case http.StatusGatewayTimeout:
		e = gerr(status, "UnknownError", "The operation has timed out.")
	case http.StatusServiceUnavailable:
		e = gerr(status, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.")
	case http.StatusTooManyRequests:
		e = errTooManyRequests("")
	default:
		e = gerr(status, "UnknownError", http.StatusText(status))
	}
	e.retryAfter = f.RetryAfter
	return e
}

// applyFaults applies the first matching fault to the request. It returns
// false when the request has been answered (or dropped).
func (s *Sim) applyFaults(g *gctx) bool {
	s.mu.Lock()
	f := s.takeGraphFaultLocked(g)
	s.mu.Unlock()
	if f == nil {
		return true
	}
	s.log.Info("graph: fault injected", "kind", f.Kind, "fault", f.ID, "method", g.r.Method, "path", g.r.URL.Path)
	switch f.Kind {
	case FaultAfterAccept:
		g.afterAccept = f
		return true
	case FaultDelay:
		// Served later, once the request holds its concurrency slot (see
		// serveUserScoped and waitLatency).
		g.delay = f.Delay
		return true
	case FaultDrop:
		if !g.batchItem && dropConnection(g.w) {
			g.status = -1
			return false
		}
		g.fail(gerr(http.StatusBadGateway, "BadGateway", "The connection was closed."))
		return false
	}
	g.fail(faultError(f, s.cfg.Limits.RetryAfter))
	return false
}

// Hold parks requests to a mailbox inside the emulator, after they have
// been admitted by the concurrency limiter, until Release. Tests use it to
// build up a known number of in-flight requests without sleeping.
type Hold struct {
	mailbox  string
	arrived  chan struct{}
	released chan struct{}
	once     func()
}

// HoldRequests starts holding every request to mailbox (user ID or address;
// "" for all mailboxes) until the returned Hold is released.
func (s *Sim) HoldRequests(mailbox string) (*Hold, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.optionalUserIDLocked(mailbox)
	if !ok {
		return nil, ErrNotFound
	}
	h := &Hold{mailbox: id, arrived: make(chan struct{}, 1024), released: make(chan struct{})}
	var done bool
	h.once = func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !done {
			done = true
			close(h.released)
			s.rt.mail.holds = slices.DeleteFunc(s.rt.mail.holds, func(x *Hold) bool { return x == h })
		}
	}
	s.rt.mail.holds = append(s.rt.mail.holds, h)
	return h, nil
}

// Arrived receives a value each time a request is parked.
func (h *Hold) Arrived() <-chan struct{} { return h.arrived }

// Release lets every parked request (and later ones) through.
func (h *Hold) Release() { h.once() }

// waitHolds parks the request while a matching Hold is active.
func (s *Sim) waitHolds(g *gctx) bool {
	s.mu.Lock()
	var hs []*Hold
	for _, h := range s.rt.mail.holds {
		if h.mailbox == "" || h.mailbox == g.target.ID {
			hs = append(hs, h)
		}
	}
	s.mu.Unlock()
	for _, h := range hs {
		select {
		case h.arrived <- struct{}{}:
		default:
		}
		if !waitCtx(g.r.Context(), h.released) {
			return false
		}
	}
	return true
}

func waitCtx(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}
