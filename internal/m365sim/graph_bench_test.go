package m365sim

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkDeltaPages measures how many messages per second the emulator
// serves through message delta pages over HTTP (a full initial round of a
// 20,000-message Inbox), so sync benchmarks can be compared against the
// emulator's own ceiling.
func BenchmarkDeltaPages(b *testing.B) {
	srv, err := Listen("127.0.0.1:0", Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: Limits{RequestsPerWindow: 1 << 30}})
	require.NoError(b, err)
	b.Cleanup(func() { _ = srv.Close() })
	tn, err := srv.AddTenant(Tenant{Domains: []string{"bench.example"}})
	require.NoError(b, err)
	app, err := srv.AddApp(App{RedirectURIs: []string{"http://localhost/cb"}})
	require.NoError(b, err)
	u, err := srv.AddUser(User{TenantID: tn.ID, UserPrincipalName: "bench@bench.example"})
	require.NoError(b, err)
	res, err := srv.Generate(u.ID, GenerateOptions{Seed: 1, Messages: 20_000, OutboundRatio: 0.01, ReplyRatio: 0.01, BounceRatio: 0.001})
	require.NoError(b, err)
	tok, _ := srv.issueAccessToken(&u, &app, allGraphScopes)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

	round := func(b *testing.B, query string, pageSize string) int {
		next, n := srv.GraphURL()+"/me/mailFolders/inbox/messages/delta"+query, 0
		for next != "" {
			req, _ := http.NewRequest(http.MethodGet, next, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Prefer", "odata.maxpagesize="+pageSize+`, IdType="ImmutableId"`)
			resp, err := client.Do(req)
			require.NoError(b, err)
			var page struct {
				Value []json.RawMessage `json:"value"`
				Next  string            `json:"@odata.nextLink"`
			}
			require.NoError(b, json.NewDecoder(resp.Body).Decode(&page))
			resp.Body.Close()
			n += len(page.Value)
			next = page.Next
		}
		return n
	}
	for _, bc := range []struct{ name, query, size string }{
		{"SelectID", "?$select=id", "999"},
		{"FullMessages", "", "100"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			total := 0
			start := time.Now()
			for b.Loop() {
				n := round(b, bc.query, bc.size)
				require.Equal(b, res.Inbox, n)
				total += n
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
