package m365sim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/stretchr/testify/require"
)

// Checklist item 34 (MICROSOFT.md §7.7): $batch.

func batchOf(items ...map[string]any) map[string]any { return map[string]any{"requests": items} }

func getItem(id, u string) map[string]any {
	return map[string]any{"id": id, "method": "GET", "url": u}
}

func responsesByID(t *testing.T, r rawResp) map[string]map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	out := map[string]map[string]any{}
	for _, v := range r.json["responses"].([]any) {
		o := v.(map[string]any)
		out[o["id"].(string)] = o
	}
	return out
}

func TestConformance_34_Batch(t *testing.T) {
	t.Parallel()

	t.Run("SDKBatchRequestRoundTrip", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		msgs := deliverN(t, e, 3, "")
		client, adapter, _ := e.sdk(t, e.alice, sdkOpts{})
		batch := msgraphgocore.NewBatchRequest(adapter)
		var ids []string
		for _, m := range msgs {
			ri, err := client.Me().Messages().ByMessageId(m.RestID).ToGetRequestInformation(context.Background(), nil)
			require.NoError(t, err)
			item, err := batch.AddBatchRequestStep(*ri)
			require.NoError(t, err)
			ids = append(ids, *item.GetId())
		}
		ri, err := client.Me().Messages().ByMessageId("AAMkADmissing=").ToGetRequestInformation(context.Background(), nil)
		require.NoError(t, err)
		missing, err := batch.AddBatchRequestStep(*ri)
		require.NoError(t, err)
		resp, err := batch.Send(context.Background(), adapter)
		require.NoError(t, err)
		for i, id := range ids {
			require.Equal(t, int32(http.StatusOK), *resp.GetResponseById(id).GetStatus())
			m, err := msgraphgocore.GetBatchResponseById[models.Messageable](resp, id, models.CreateMessageFromDiscriminatorValue)
			require.NoError(t, err)
			require.Equal(t, msgs[i].Subject, *m.GetSubject())
		}
		require.Equal(t, int32(http.StatusNotFound), *resp.GetResponseById(*missing.GetId()).GetStatus())
		for _, rec := range e.srv.Requests() {
			if rec.Batch {
				require.Equal(t, e.alice.ID, rec.Mailbox)
			}
		}
	})
	t.Run("ItemHeadersUseExactContentTypeKey", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		deliverN(t, e, 1, "")
		r := e.raw(t, http.MethodPost, "/v1.0/$batch", e.token(e.alice), batchOf(getItem("1", "/me/messages?$top=1")))
		res := responsesByID(t, r)["1"]
		hdr := res["headers"].(map[string]any)
		require.Contains(t, hdr, "Content-Type")
		require.True(t, strings.HasPrefix(hdr["Content-Type"].(string), "application/json"))
		require.Len(t, res["body"].(map[string]any)["value"], 1)
	})
	t.Run("MoreThan20Is400", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		var items []map[string]any
		for i := range 21 {
			items = append(items, getItem(fmt.Sprint(i), "/me"))
		}
		r := e.raw(t, http.MethodPost, "/v1.0/$batch", e.token(e.alice), batchOf(items...))
		requireGraphError(t, r, http.StatusBadRequest, "BadRequest")
	})
	t.Run("DuplicateIDsCaseInsensitiveAre400", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		r := e.raw(t, http.MethodPost, "/v1.0/$batch", e.token(e.alice), batchOf(getItem("a", "/me"), getItem("A", "/me")))
		requireGraphError(t, r, http.StatusBadRequest, "BadRequest")
	})
	t.Run("BodyNeedsContentTypeAndLowercaseHeaderNamesCount", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		send := map[string]any{"id": "1", "method": "POST", "url": "/me/sendMail",
			"body": map[string]any{"message": map[string]any{"subject": "b", "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "p@example.org"}}}}}}
		r := e.raw(t, http.MethodPost, "/v1.0/$batch", e.token(e.alice), batchOf(send))
		requireGraphError(t, r, http.StatusBadRequest, "BadRequest")
		send["headers"] = map[string]any{"content-type": "application/json"}
		r = e.raw(t, http.MethodPost, "/v1.0/$batch", e.token(e.alice), batchOf(send))
		require.Equal(t, float64(http.StatusAccepted), responsesByID(t, r)["1"]["status"])
		recs, _ := e.srv.Sent(e.alice.ID)
		require.Len(t, recs, 1)
	})
	t.Run("DependsOnPatternsAnd424", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		tok := e.token(e.alice)
		dep := func(item map[string]any, on string) map[string]any {
			item["dependsOn"] = []string{on}
			return item
		}
		// Sequential, with the head failing: the rest get 424.
		r := e.raw(t, http.MethodPost, "/v1.0/$batch", tok, batchOf(
			getItem("1", "/me/messages/AAMkADmissing="), dep(getItem("2", "/me"), "1"), dep(getItem("3", "/me"), "2")))
		res := responsesByID(t, r)
		require.Equal(t, float64(404), res["1"]["status"])
		require.Equal(t, float64(424), res["2"]["status"])
		require.Equal(t, float64(424), res["3"]["status"])
		// All on one, succeeding.
		r = e.raw(t, http.MethodPost, "/v1.0/$batch", tok, batchOf(getItem("1", "/me"), dep(getItem("2", "/me/mailFolders"), "1"), dep(getItem("3", "/me/messages"), "1")))
		for _, v := range responsesByID(t, r) {
			require.Equal(t, float64(200), v["status"])
		}
		// A fourth pattern is refused.
		r = e.raw(t, http.MethodPost, "/v1.0/$batch", tok, batchOf(getItem("1", "/me"), getItem("2", "/me"), dep(getItem("3", "/me"), "1")))
		requireGraphError(t, r, http.StatusBadRequest, "BadRequest")
	})
	t.Run("ThrottledItemCarriesRetryAfterInItsHeaders", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withLimits(Limits{RequestsPerWindow: 2, RetryAfter: "7"}))
		r := e.raw(t, http.MethodPost, "/v1.0/$batch", e.token(e.alice), batchOf(
			getItem("1", "/me/messages"), getItem("2", "/me/messages"), getItem("3", "/me/messages")))
		var throttled int
		for _, v := range responsesByID(t, r) {
			if v["status"] == float64(http.StatusTooManyRequests) {
				throttled++
				require.Equal(t, "7", v["headers"].(map[string]any)["Retry-After"])
				require.Equal(t, "TooManyRequests", v["body"].(map[string]any)["error"].(map[string]any)["code"])
			}
		}
		require.Equal(t, 1, throttled)
	})
	t.Run("AtMostFourItemsRunAtOnceAndEachCounts", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t, withLimits(Limits{MaxConcurrent: 10}))
		hold, err := e.srv.HoldRequests(e.alice.ID)
		require.NoError(t, err)
		var items []map[string]any
		for i := range 10 {
			items = append(items, getItem(fmt.Sprint(i), "/me/messages"))
		}
		done := make(chan rawResp)
		go func() { done <- e.raw(t, http.MethodPost, "/v1.0/$batch", e.token(e.alice), batchOf(items...)) }()
		for range 4 {
			<-hold.Arrived()
		}
		c := e.srv.ThrottleCounters(e.alice.ID)
		require.Len(t, c, 1)
		require.Equal(t, 4, c[0].InFlight)
		hold.Release()
		res := responsesByID(t, <-done)
		require.Len(t, res, 10)
		c = e.srv.ThrottleCounters(e.alice.ID)
		require.Equal(t, 4, c[0].PeakInFlight)
		require.Equal(t, 10, c[0].Requests)
	})
}
