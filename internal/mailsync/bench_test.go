package mailsync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/mailsync"
)

// BenchmarkInitialSync imports a 100,000-message mailbox (every message
// with a prospect, so every one is stored) into SQLite, and measures in the
// same run how fast the emulator alone serves the same delta pages to a
// plain HTTP client that discards them. It reports messages per second,
// Graph requests per 1,000 messages, peak heap, and the ratio of the two
// rates (aim ≥ 0.8).
//
//	go test ./internal/mailsync -run '^$' -bench InitialSync -benchtime 1x
func BenchmarkInitialSync(b *testing.B) {
	const messages = 100_000
	for range b.N {
		b.StopTimer()
		e := newEnv(b, dbtest.SQLite(b), func(o *mailsync.Options) { o.PageSize = 0 }) // the default page size
		bx := e.connected("ann@contoso.com")
		var prospects []string
		var creates []*ent.ProspectCreate
		for i := range 200 {
			a := fmt.Sprintf("prospect%d@customer%d.example", i, i%20)
			prospects = append(prospects, a)
			creates = append(creates, e.client.Prospect.Create().SetOrgID(e.org.ID).SetEmail(a))
		}
		require.NoError(b, e.client.Prospect.CreateBulk(creates...).Exec(e.sys))
		now := e.clock.Now()
		res, err := e.sim.Generate(bx.address, m365sim.GenerateOptions{Seed: 1, Messages: messages, Prospects: prospects, From: now.Add(-80 * 24 * time.Hour), To: now})
		require.NoError(b, err)

		baseline := serveRate(b, e, bx)

		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		peak := sampleHeap()
		e.graphRequests.Store(0)
		b.StartTimer()
		start := time.Now()
		require.NoError(b, e.syncer.Sync(context.Background(), bx.account))
		elapsed := time.Since(start)
		b.StopTimer()
		heap := peak()

		stored, err := e.client.SyncedMessage.Query().Count(e.sys)
		require.NoError(b, err)
		require.Equal(b, res.Messages-res.Bounces, stored, "every message but the unmatched NDRs stored, once")
		rate := float64(res.Messages) / elapsed.Seconds()
		b.ReportMetric(rate, "msgs/s")
		b.ReportMetric(float64(e.graphRequests.Load())*1000/float64(res.Messages), "requests/1000msgs")
		b.ReportMetric(float64(heap-before.HeapInuse)/(1<<20), "peak-heap-MB")
		b.ReportMetric(baseline, "emulator-msgs/s")
		b.ReportMetric(rate/baseline, "ratio")
	}
}

// serveRate reads the Inbox and Sent Items deltas as Mailbridge does (same
// $select, page size and folders side by side) with a plain HTTP client
// that discards the bodies, and returns messages per second.
func serveRate(b *testing.B, e *env, bx box) float64 {
	tok, err := e.svc.Token(context.Background(), bx.account)
	require.NoError(b, err)
	start := time.Now()
	var wg sync.WaitGroup
	for _, folder := range []string{"inbox", "sentitems"} {
		wg.Go(func() {
			link := e.sim.URL + "/v1.0/me/mailFolders/" + folder + "/messages/delta?$select=subject,from,toRecipients,ccRecipients,bccRecipients,receivedDateTime,sentDateTime,conversationId,internetMessageId,bodyPreview,internetMessageHeaders"
			for link != "" {
				req, _ := http.NewRequest(http.MethodGet, link, nil)
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				req.Header.Add("Prefer", "odata.maxpagesize=500")
				req.Header.Add("Prefer", `IdType="ImmutableId"`)
				resp, err := http.DefaultClient.Do(req)
				require.NoError(b, err)
				var page struct {
					Next string `json:"@odata.nextLink"`
				}
				require.NoError(b, json.NewDecoder(resp.Body).Decode(&page))
				resp.Body.Close()
				require.Equal(b, http.StatusOK, resp.StatusCode)
				link = page.Next
			}
		})
	}
	wg.Wait()
	n, err := e.sim.Messages(bx.address, "inbox")
	require.NoError(b, err)
	m, err := e.sim.Messages(bx.address, "sentitems")
	require.NoError(b, err)
	return float64(len(n)+len(m)) / time.Since(start).Seconds()
}

// sampleHeap samples HeapInuse until the returned func is called, which
// returns the peak.
func sampleHeap() func() uint64 {
	var mu sync.Mutex
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak
	}
}
