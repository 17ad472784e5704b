package microsoft

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// MaxConcurrentPerMailbox is Exchange Online's limit of concurrent requests
// per app and mailbox (MICROSOFT.md; a fifth concurrent request is answered
// 429). Background work shares it out statically so that the sum holds
// across every worker and instance: each kind of work runs as at most one
// job per Microsoft account at a time and takes its own share.
const MaxConcurrentPerMailbox = 4

// Shares of MaxConcurrentPerMailbox per kind of background work.
const (
	SyncConcurrency = 3
	SendConcurrency = 1
)

// AccountGraph returns a Graph client acting for the Microsoft account
// accountID (one Exchange mailbox, whatever alias is used) that never has
// more than maxInFlight requests in flight. A request waiting for a
// Retry-After to pass does not hold a slot: the limit sits below the SDK's
// retry handler, on the wire.
func (s *Service) AccountGraph(ctx context.Context, accountID, maxInFlight int) (*msgraphsdk.GraphServiceClient, error) {
	if maxInFlight < 1 || maxInFlight > MaxConcurrentPerMailbox {
		maxInFlight = 1
	}
	return s.graph(s.TokenSource(ctx, accountID), &limitTransport{slots: make(chan struct{}, maxInFlight)})
}

// limitTransport lets at most cap(slots) requests through at a time.
type limitTransport struct {
	slots  chan struct{}
	parent http.RoundTripper
}

func (t *limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case t.slots <- struct{}{}:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	resp, err := t.parent.RoundTrip(r)
	if err != nil || resp.Body == nil {
		<-t.slots
		return resp, err
	}
	if resp.StatusCode >= 400 {
		// Error answers are small: read them now and free the slot, so that
		// a middleware re-sending the request before closing this answer
		// (the SDK's continuous-access-evaluation retry after a 401) does
		// not wait for its own slot.
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		<-t.slots
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, rerr
	}
	// The slot is held until the body is read and closed: Exchange counts
	// a request until its response is complete.
	resp.Body = &releaseOnClose{ReadCloser: resp.Body, free: func() { <-t.slots }}
	return resp, nil
}

type releaseOnClose struct {
	io.ReadCloser
	release sync.Once
	free    func()
}

func (b *releaseOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.release.Do(b.free)
	return err
}

// NoRetry is a request option that turns the SDK's automatic retry off for
// one call — for calls that must not be repeated blindly, such as sending a
// draft, whose outcome after a 5xx or a timeout has to be looked up first.
func NoRetry() abs.RequestOption {
	return &khttp.RetryHandlerOptions{
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false },
	}
}

// GraphFailure is what background work needs to know about a failed Graph
// call: its HTTP status (0 when none arrived), Graph's error code, its
// message, how long Graph asked us to wait, and how to treat it.
type GraphFailure struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
	Kind       FailureKind
}

// FailureKind sorts failures by what the caller should do next.
type FailureKind int

const (
	// Transient: try again later with backoff (network errors, 5xx).
	Transient FailureKind = iota
	// Throttled: wait RetryAfter (429, 503 with Retry-After) and do not
	// send anything to this mailbox meanwhile.
	Throttled
	// Reconnect: the grant is gone (ErrNeedsReconnect, 401); the mailbox
	// needs its owner.
	Reconnect
	// Permanent: the request itself is refused (4xx); retrying it as is
	// cannot succeed.
	Permanent
	// Unknown: the request may or may not have taken effect (a timeout or a
	// 5xx after the request was sent); look before repeating it.
	Unknown
)

// ClassifyGraphError describes err, returned by a Graph call or by the
// token source.
func ClassifyGraphError(err error) GraphFailure {
	if errors.Is(err, ErrNeedsReconnect) {
		return GraphFailure{Code: "needsReconnect", Message: ErrNeedsReconnect.Error(), Kind: Reconnect}
	}
	var oe *odataerrors.ODataError
	var ae *abs.ApiError
	var f GraphFailure
	switch {
	case errors.As(err, &oe):
		f.Status = oe.ResponseStatusCode
		if me := oe.GetErrorEscaped(); me != nil {
			f.Code, f.Message = deref(me.GetCode()), deref(me.GetMessage())
		}
		f.RetryAfter = retryAfter(oe.GetResponseHeaders())
	case errors.As(err, &ae):
		f.Status = ae.ResponseStatusCode
		f.Message = ae.Message
		f.RetryAfter = retryAfter(ae.GetResponseHeaders())
	default:
		f.Message = err.Error()
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			f.Kind = Unknown
		}
		return f
	}
	if f.Message == "" {
		f.Message = http.StatusText(f.Status)
	}
	switch {
	case f.Status == http.StatusTooManyRequests || (f.Status == http.StatusServiceUnavailable && f.RetryAfter > 0):
		f.Kind = Throttled
		if f.RetryAfter <= 0 {
			f.RetryAfter = 30 * time.Second
		}
	case f.Status == http.StatusUnauthorized:
		f.Kind = Reconnect
	case f.Status >= 500:
		f.Kind = Unknown
	case f.Status >= 400:
		f.Kind = Permanent
	}
	return f
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(h *abs.ResponseHeaders) time.Duration {
	if h == nil {
		return 0
	}
	for _, k := range []string{"Retry-After", "retry-after"} {
		for _, v := range h.Get(k) {
			v = strings.TrimSpace(v)
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return time.Duration(n) * time.Second
			}
			if t, err := http.ParseTime(v); err == nil {
				return max(time.Until(t), 0)
			}
		}
	}
	return 0
}
