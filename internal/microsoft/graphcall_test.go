package microsoft_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/stretchr/testify/require"

	"mailbridge/internal/dbtest"
	"mailbridge/internal/microsoft"
)

// AccountGraph keeps the requests in flight to the mailbox at its share:
// eight concurrent reads through a client limited to 3 reach the mailbox at
// most 3 at a time (the emulator counts), and none is throttled.
func TestAccountGraph_LimitsRequestsInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	_, _, acct := connected(t, e, "lynne@contoso.com")
	require.NoError(t, e.sim.SetLatency("lynne@contoso.com", 150*time.Millisecond))
	e.sim.ResetCounters()

	gc, err := e.svc.AccountGraph(context.Background(), acct.ID, microsoft.SyncConcurrency)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := gc.Me().Messages().Get(context.Background(), nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	c, err := e.sim.MailboxConcurrency("lynne@contoso.com")
	require.NoError(t, err)
	require.Equal(t, microsoft.SyncConcurrency, c.PeakInFlight, "requests ran at the share, not beyond and not one by one")
	require.Zero(t, c.Throttled)
}

func TestClassifyGraphError(t *testing.T) {
	t.Parallel()
	odata := func(status int, code string, headers map[string]string) error {
		oe := odataerrors.NewODataError()
		oe.ResponseStatusCode = status
		me := odataerrors.NewMainError()
		me.SetCode(&code)
		msg := code + " happened"
		me.SetMessage(&msg)
		oe.SetErrorEscaped(me)
		for k, v := range headers {
			oe.GetResponseHeaders().Add(k, v)
		}
		return oe
	}
	cases := []struct {
		name string
		err  error
		kind microsoft.FailureKind
		wait time.Duration
	}{
		{"429 with Retry-After", odata(429, "ApplicationThrottled", map[string]string{"Retry-After": "7"}), microsoft.Throttled, 7 * time.Second},
		{"429 without Retry-After", odata(429, "ApplicationThrottled", nil), microsoft.Throttled, 30 * time.Second},
		{"503 with Retry-After", odata(503, "ServiceUnavailable", map[string]string{"Retry-After": "3"}), microsoft.Throttled, 3 * time.Second},
		{"504 after the request went out", odata(504, "UnknownError", nil), microsoft.Unknown, 0},
		{"401", odata(401, "InvalidAuthenticationToken", nil), microsoft.Reconnect, 0},
		{"403 send as denied", odata(403, "ErrorSendAsDenied", nil), microsoft.Permanent, 0},
		{"revoked grant", microsoft.ErrNeedsReconnect, microsoft.Reconnect, 0},
		{"timeout", context.DeadlineExceeded, microsoft.Unknown, 0},
		{"connection refused", errors.New("dial tcp: connection refused"), microsoft.Transient, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := microsoft.ClassifyGraphError(c.err)
			require.Equal(t, c.kind, f.Kind)
			require.Equal(t, c.wait, f.RetryAfter)
			require.NotEmpty(t, f.Message)
		})
	}
	f := microsoft.ClassifyGraphError(odata(http.StatusForbidden, "ErrorSendAsDenied", nil))
	require.Equal(t, "ErrorSendAsDenied", f.Code)
	require.Equal(t, http.StatusForbidden, f.Status)
}
