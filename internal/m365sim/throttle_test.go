package m365sim

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"github.com/stretchr/testify/require"
)

// Checklist items 37–39 (MICROSOFT.md §7.9): throttling, sending limits, CAE.
// Items 41 and 43 (fidelity_test.go) cover the concurrency limit over HTTP
// and the sending rate and quota.

func TestConformance_37_Throttling(t *testing.T) {
	t.Parallel()

	t.Run("FifthConcurrentRequestIsApplicationThrottled", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withLimits(Limits{RetryAfter: "3"}))
		hold, err := e.srv.HoldRequests(e.alice.ID)
		require.NoError(t, err)
		tok := e.token(e.alice)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil)
			}()
		}
		for range 4 {
			<-hold.Arrived()
		}
		r := e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil)
		requireGraphError(t, r, http.StatusTooManyRequests, "ApplicationThrottled")
		require.Equal(t, "Application is over its MailboxConcurrency limit.", r.json["error"].(map[string]any)["message"])
		require.Equal(t, "3", r.header.Get("Retry-After"))
		// Another app has its own budget against the same mailbox.
		other, err := e.srv.AddApp(App{RedirectURIs: []string{"http://localhost/other"}})
		require.NoError(t, err)
		u := e.alice
		otherTok, _ := e.srv.issueAccessToken(&u, &other, allGraphScopes)
		hold.Release()
		wg.Wait()
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/messages", otherTok, nil).status)
		c := e.srv.ThrottleCounters(e.alice.ID)
		require.Len(t, c, 2)
		mine := c[0]
		if mine.ClientID != e.app.ClientID {
			mine = c[1]
		}
		require.Equal(t, 4, mine.PeakInFlight)
		require.Equal(t, 1, mine.Throttled)
		require.Zero(t, mine.InFlight)
	})
	t.Run("RequestBudgetPerWindowGivesTheDocumentedBody", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withLimits(Limits{RequestsPerWindow: 3, RequestWindow: time.Minute, RetryAfter: "2.128"}))
		tok := e.token(e.alice)
		for range 3 {
			require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil).status)
		}
		r := e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil)
		requireGraphError(t, r, http.StatusTooManyRequests, "TooManyRequests")
		require.Equal(t, "2.128", r.header.Get("Retry-After"))
		inner := r.json["error"].(map[string]any)["innerError"].(map[string]any)
		require.Equal(t, "429", inner["code"])
		require.Equal(t, "Please retry after", inner["message"])
		require.Equal(t, "429", inner["status"])
		e.clock.Advance(61 * time.Second)
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil).status)
	})
	t.Run("UploadBytesPerWindowGivesTheDocumentedBody", func(t *testing.T) {
		t.Parallel()
		// 150 MB per 5 min, scaled down to 10 KiB per minute.
		e := newGraphEnv(t, withLimits(Limits{UploadBytesPerWindow: 10 << 10, UploadWindow: time.Minute, RetryAfter: "7"}))
		tok := e.token(e.alice)
		draft := draftOfSize(t, 4<<10)
		first := e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, draft)
		require.Equal(t, http.StatusCreated, first.status, string(first.body))
		require.Equal(t, http.StatusCreated, e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, draft).status)

		// A third 4 KiB body would make 12 KiB: the documented 429.
		r := e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, draft)
		requireGraphError(t, r, http.StatusTooManyRequests, "TooManyRequests")
		require.Equal(t, "7", r.header.Get("Retry-After"))
		inner := r.json["error"].(map[string]any)["innerError"].(map[string]any)
		require.Equal(t, "429", inner["code"])
		require.Equal(t, "Please retry after", inner["message"])

		// Requests without a body, and bodies that still fit, go through.
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil).status)
		patch := `{"isRead":true}`
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodPatch, "/v1.0/me/messages/"+first.json["id"].(string), tok, patch).status)
		used := int64(2*len(draft) + len(patch))
		c := e.srv.ThrottleCounters(e.alice.ID)
		require.Len(t, c, 1)
		require.Equal(t, used, c[0].UploadBytesInWindow)
		require.Equal(t, used, c[0].UploadBytes)
		require.Equal(t, 4, c[0].Requests)
		require.Equal(t, 1, c[0].Throttled)

		// The window slides: a minute later the same body is admitted.
		e.clock.Advance(61 * time.Second)
		require.Equal(t, http.StatusCreated, e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, draft).status)
		c = e.srv.ThrottleCounters(e.alice.ID)
		require.Equal(t, int64(len(draft)), c[0].UploadBytesInWindow)
		require.Equal(t, used+int64(len(draft)), c[0].UploadBytes)

		// Another app has its own upload budget against the same mailbox.
		other, err := e.srv.AddApp(App{RedirectURIs: []string{"http://localhost/other"}})
		require.NoError(t, err)
		u := e.alice
		otherTok, _ := e.srv.issueAccessToken(&u, &other, allGraphScopes)
		require.Equal(t, http.StatusCreated, e.raw(t, http.MethodPost, "/v1.0/me/messages", otherTok, draft).status)
		require.Equal(t, http.StatusCreated, e.raw(t, http.MethodPost, "/v1.0/me/messages", otherTok, draft).status)

		e.srv.ResetCounters()
		c = e.srv.ThrottleCounters(e.alice.ID)
		require.Zero(t, c[0].UploadBytesInWindow)
		require.Zero(t, c[0].UploadBytes)
	})
	t.Run("ChunkedGzipUploadsCountTheBytesOnTheWire", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withLimits(Limits{UploadBytesPerWindow: 10 << 10, UploadWindow: time.Minute}))
		tok := e.token(e.alice)
		gz := gzipBytes(t, []byte(draftOfSize(t, 64<<10)))
		require.Less(t, len(gz), 10<<10, "the compressed body fits the budget, the plain one would not")
		r := e.raw(t, http.MethodPost, "/v1.0/me/messages", tok, bytes.NewReader(gz), "Content-Encoding", "gzip")
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		reqs := e.srv.Requests()
		require.Equal(t, int64(-1), reqs[len(reqs)-1].ContentLength, "sent chunked")
		c := e.srv.ThrottleCounters(e.alice.ID)
		require.Len(t, c, 1)
		require.Equal(t, int64(len(gz)), c[0].UploadBytesInWindow)
	})
	t.Run("BatchItemBodiesCountEach", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withLimits(Limits{UploadBytesPerWindow: 10 << 10, UploadWindow: time.Minute, RetryAfter: "7"}))
		draft := draftOfSize(t, 4<<10)
		var items []string
		for i := range 3 {
			items = append(items, fmt.Sprintf(`{"id":"%d","method":"POST","url":"/me/messages","headers":{"Content-Type":"application/json"},"body":%s}`, i+1, draft))
		}
		r := e.raw(t, http.MethodPost, "/v1.0/$batch", e.token(e.alice), `{"requests":[`+strings.Join(items, ",")+`]}`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		statuses := map[float64]int{}
		for _, it := range r.json["responses"].([]any) {
			res := it.(map[string]any)
			statuses[res["status"].(float64)]++
			if res["status"].(float64) == http.StatusTooManyRequests {
				require.Equal(t, "7", res["headers"].(map[string]any)["Retry-After"])
			}
		}
		require.Equal(t, map[float64]int{http.StatusCreated: 2, http.StatusTooManyRequests: 1}, statuses)
		c := e.srv.ThrottleCounters(e.alice.ID)
		require.Len(t, c, 1)
		require.Equal(t, int64(2*len(draft)), c[0].UploadBytesInWindow)
	})
	t.Run("SDKRetryHonoursRetryAfterAndSendsRetryAttempt", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withLimits(Limits{RetryAfter: "1"}))
		_, err := e.srv.InjectFault(Fault{Mailbox: e.alice.ID, Kind: FaultThrottle, Count: 1})
		require.NoError(t, err)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		start := time.Now()
		_, err = client.Me().Messages().Get(context.Background(), nil)
		require.NoError(t, err)
		require.GreaterOrEqual(t, time.Since(start), time.Second)
		reqs := e.srv.Requests()
		require.Len(t, reqs, 2)
		require.Equal(t, http.StatusTooManyRequests, reqs[0].Status)
		require.Equal(t, 0, reqs[0].RetryAttempt)
		require.Equal(t, http.StatusOK, reqs[1].Status)
		require.Equal(t, 1, reqs[1].RetryAttempt)
	})
	t.Run("GETsAreRetriedThreeTimesThenFail", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t) // RetryAfter 0.5 truncates to 0 s in the SDK
		_, err := e.srv.InjectFault(Fault{Mailbox: e.alice.ID, Kind: FaultThrottle, Count: -1})
		require.NoError(t, err)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		_, err = client.Me().Messages().Get(context.Background(), nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusTooManyRequests, odErr.ResponseStatusCode)
		require.Equal(t, "0.5", odErr.GetResponseHeaders().Get("Retry-After")[0])
		require.Len(t, e.srv.Requests(), 4)
	})
	t.Run("InjectedServiceErrors", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		tok := e.token(e.alice)
		for _, tc := range []struct {
			f          Fault
			status     int
			code       string
			retryAfter string
		}{
			{Fault{Kind: FaultStatus, Status: 503}, 503, "ServiceUnavailable", ""},
			{Fault{Kind: FaultStatus, Status: 503, RetryAfter: "4"}, 503, "ServiceUnavailable", "4"},
			{Fault{Kind: FaultStatus, Status: 504}, 504, "UnknownError", ""},
			{Fault{Kind: FaultConcurrency503}, 503, "ApplicationThrottled", "0.5"},
		} {
			_, err := e.srv.InjectFault(tc.f)
			require.NoError(t, err)
			r := e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil)
			requireGraphError(t, r, tc.status, tc.code)
			require.Equal(t, tc.retryAfter, r.header.Get("Retry-After"))
		}
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil).status)
	})
}

// draftOfSize is a message-create JSON body of exactly n bytes.
func draftOfSize(t *testing.T, n int) string {
	t.Helper()
	const shell = `{"subject":"upload","body":{"contentType":"text","content":""}}`
	require.GreaterOrEqual(t, n, len(shell))
	return `{"subject":"upload","body":{"contentType":"text","content":"` + strings.Repeat("x", n-len(shell)) + `"}}`
}

func TestConformance_38_SendingLimits(t *testing.T) {
	t.Parallel()
	sendTo := func(t *testing.T, e *graphEnv, n int) rawResp {
		var rs []string
		for i := range n {
			rs = append(rs, `{"emailAddress":{"address":"r`+strings.Repeat("x", i%7)+string(rune('a'+i%26))+`@example.org"}}`)
		}
		return e.raw(t, http.MethodPost, "/v1.0/me/sendMail", e.token(e.alice), `{"message":{"subject":"s","toRecipients":[`+strings.Join(rs, ",")+`]}}`)
	}

	// Over-rate and over-quota submissions are accepted (item 43); the
	// counters show what the client did, for tests of its pacing.
	t.Run("CountersShowTheClientsPace", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withLimits(Limits{SendsPerMinute: 2}))
		require.Equal(t, http.StatusAccepted, sendTo(t, e, 1).status)
		e.clock.Advance(10 * time.Second)
		require.Equal(t, http.StatusAccepted, sendTo(t, e, 2).status)
		require.Equal(t, http.StatusAccepted, sendTo(t, e, 1).status)
		sc, err := e.srv.SendCounters(e.alice.ID)
		require.NoError(t, err)
		require.Equal(t, SendCounters{Mailbox: e.alice.ID, SentLastMinute: 3, RecipientsLastDay: 4, PeakSentPerMinute: 3, PeakRecipientsPerDay: 4, MaxRecipientsPerMessage: 2, Sent: 3, Recipients: 4, Deferred: 1}, sc)
		e.clock.Advance(61 * time.Second)
		require.Equal(t, http.StatusAccepted, sendTo(t, e, 1).status)
		sc, _ = e.srv.SendCounters(e.alice.ID)
		require.Equal(t, 1, sc.SentLastMinute)
		require.Equal(t, 3, sc.PeakSentPerMinute)
		e.clock.Advance(24*time.Hour + time.Second)
		sc, _ = e.srv.SendCounters(e.alice.ID)
		require.Zero(t, sc.RecipientsLastDay)
		require.Equal(t, 5, sc.PeakRecipientsPerDay)
	})
	t.Run("AtMost500RecipientsPerMessage", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		requireGraphError(t, sendTo(t, e, 501), http.StatusBadRequest, "ErrorTooManyRecipients")
		require.Equal(t, http.StatusAccepted, sendTo(t, e, 500).status)
		sc, _ := e.srv.SendCounters(e.alice.ID)
		require.Equal(t, 500, sc.MaxRecipientsPerMessage)
	})
}

func TestConformance_39_CAEChallenge(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	require.NoError(t, e.srv.RevokeGrant(e.alice.ID, true))
	client, _, p := e.sdk(t, e.alice, sdkOpts{})
	_, err := client.Me().Get(context.Background(), nil)
	var odErr *odataerrors.ODataError
	require.ErrorAs(t, err, &odErr)
	require.Equal(t, http.StatusUnauthorized, odErr.ResponseStatusCode)
	require.Equal(t, "InvalidAuthenticationToken", *odErr.GetErrorEscaped().GetCode())
	// The SDK re-authenticated exactly once, passing the claims.
	require.Equal(t, int32(2), p.calls.Load())
	require.Len(t, p.claims, 1)
	require.Len(t, e.srv.Requests(), 2)
	hdr := odErr.GetResponseHeaders().Get("WWW-Authenticate")
	require.NotEmpty(t, hdr)
	require.Contains(t, hdr[0], `error="insufficient_claims"`)

	// A token issued after the revocation works.
	e.clock.Advance(2 * time.Second)
	fresh := e.token(e.alice)
	client, _, _ = e.sdk(t, e.alice, sdkOpts{token: func() string { return fresh }})
	_, err = client.Me().Get(context.Background(), nil)
	require.NoError(t, err)
}

func TestFaults_RevokedGrantWithoutCAE(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	tok := e.token(e.alice)
	require.NoError(t, e.srv.RevokeGrant(e.alice.ID, false))
	r := e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil)
	requireGraphError(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken")
	require.NotContains(t, r.header.Get("WWW-Authenticate"), "claims=")
	require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/messages", e.token(e.bob), nil).status)
	require.NoError(t, e.srv.RestoreGrant(e.alice.ID))
	require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil).status)
}

func TestFaults_DelayDropAndCounts(t *testing.T) {
	t.Parallel()
	e := newGraphEnv(t)
	tok := e.token(e.alice)

	t.Run("DroppedConnection", func(t *testing.T) {
		t.Parallel()
		env := newGraphEnv(t)
		_, err := env.srv.InjectFault(Fault{Kind: FaultDrop, PathContains: "/messages"})
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodGet, env.srv.GraphURL()+"/me/messages", nil)
		req.Header.Set("Authorization", "Bearer "+env.token(env.alice))
		_, err = http.DefaultClient.Do(req)
		require.Error(t, err)
		require.Empty(t, env.srv.Faults())
	})
	t.Run("SlowResponseOccupiesASlot", func(t *testing.T) {
		t.Parallel()
		// A delay fault holds each request inside its concurrency slot
		// (issue #6 item 11, issue #7 item 2): four slow requests fill the
		// mailbox's four slots and the fifth is throttled.
		env := newGraphEnv(t, withLimits(Limits{RetryAfter: "3"}))
		_, err := env.srv.InjectFault(Fault{Mailbox: env.alice.ID, Kind: FaultDelay, Delay: time.Minute, Count: 4})
		require.NoError(t, err)
		wait := startConcurrent(t, env, 4)
		client, _, _ := env.sdk(t, env.alice, sdkOpts{})
		_, err = client.Me().Messages().Get(context.Background(), &users.ItemMessagesRequestBuilderGetRequestConfiguration{Options: []abstractions.RequestOption{noRetry()}})
		od := odataErr(t, err, http.StatusTooManyRequests, "ApplicationThrottled")
		require.Equal(t, "Application is over its MailboxConcurrency limit.", od.Error())
		require.Equal(t, []string{"3"}, od.GetResponseHeaders().Get("Retry-After"))
		c, err := env.srv.MailboxConcurrency(env.alice.ID)
		require.NoError(t, err)
		require.Equal(t, 4, c.PeakInFlight)
		require.Equal(t, 1, c.Throttled)
		// ClearFaults releases the delayed requests without waiting them out.
		env.srv.ClearFaults()
		require.Equal(t, []int{200, 200, 200, 200}, wait())
		tc := env.srv.ThrottleCounters(env.alice.ID)
		require.Len(t, tc, 1)
		require.Equal(t, 4, tc[0].PeakInFlight)
		require.Zero(t, tc[0].InFlight)
	})
	t.Run("MailboxScopedFaultsSpareOtherMailboxesAndCountDown", func(t *testing.T) {
		t.Parallel()
		f, err := e.srv.InjectFault(Fault{Mailbox: "alice@contoso.example", Kind: FaultStatus, Status: 503, Count: 2, PathContains: "mailFolders"})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/mailFolders", e.token(e.bob), nil).status)
		require.Equal(t, 503, e.raw(t, http.MethodGet, "/v1.0/me/mailFolders", tok, nil).status)
		require.Equal(t, 503, e.raw(t, http.MethodGet, "/v1.0/me/mailFolders", tok, nil).status)
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/mailFolders", tok, nil).status)
		require.Error(t, e.srv.RemoveFault(f.ID))
	})
	t.Run("UnknownKindIsRefused", func(t *testing.T) {
		t.Parallel()
		_, err := e.srv.InjectFault(Fault{Kind: "meteor"})
		require.Error(t, err)
	})
}
