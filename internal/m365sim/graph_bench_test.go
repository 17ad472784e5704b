package m365sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkDeltaPages measures how many messages per second the emulator
// serves through message delta pages over HTTP (a full initial round of a
// 20,000-message Inbox), so sync benchmarks can be compared against the
// emulator's own ceiling.
//
// Each case first measures, in the same run, a plain net/http server that
// serves the very same pages pre-encoded (same messages, same page sizes,
// absolute nextLinks; no auth, no delta bookkeeping): the HTTP+JSON floor
// on this machine. The emulator's case reports msgs/s and x_of_static, its
// msgs/s divided by the floor's, which is comparable across machines.
func BenchmarkDeltaPages(b *testing.B) {
	srv := startTestSim(b, nil, Config{Limits: Limits{RequestsPerWindow: 1 << 30}})
	tn, err := srv.AddTenant(Tenant{Domains: []string{"bench.example"}})
	require.NoError(b, err)
	app, err := srv.AddApp(App{RedirectURIs: []string{"http://localhost/cb"}})
	require.NoError(b, err)
	u, err := srv.AddUser(User{TenantID: tn.ID, UserPrincipalName: "bench@bench.example", Mail: "bench@bench.example"})
	require.NoError(b, err)
	res, err := srv.Generate(u.ID, GenerateOptions{Seed: 1, Messages: 20_000, OutboundRatio: 0.01, ReplyRatio: 0.01, BounceRatio: 0.001})
	require.NoError(b, err)
	tok, _ := srv.issueAccessToken(&u, &app, allGraphScopes)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

	get := func(b *testing.B, link, pageSize string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, link, nil)
		require.NoError(b, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Prefer", "odata.maxpagesize="+pageSize+`, IdType="ImmutableId"`)
		resp, err := client.Do(req)
		require.NoError(b, err)
		require.Equal(b, http.StatusOK, resp.StatusCode)
		return resp
	}
	// round follows nextLinks from first and counts the messages; the
	// client does the same work against either server.
	round := func(b *testing.B, first, pageSize string) int {
		next, n := first, 0
		for next != "" {
			resp := get(b, next, pageSize)
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

	// The static floor: one emulator round per case, recorded page by page
	// with each nextLink pointed at the static server.
	pages := map[string][][]byte{} // by case name
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.URL.Query().Get("page"))
		ps := pages[r.URL.Query().Get("case")]
		if err != nil || i < 0 || i >= len(ps) {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(ps[i])))
		_, _ = w.Write(ps[i])
	}))
	b.Cleanup(static.Close)
	staticLink := func(name string, page int) string {
		return static.URL + "/v1.0/me/mailFolders/inbox/messages/delta?case=" + name + "&page=" + strconv.Itoa(page)
	}
	record := func(b *testing.B, name, first, pageSize string) {
		for next := first; next != ""; {
			resp := get(b, next, pageSize)
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(b, err)
			var page map[string]json.RawMessage
			require.NoError(b, json.Unmarshal(raw, &page))
			next = ""
			oldLink, hasNext := page["@odata.nextLink"]
			if hasNext {
				require.NoError(b, json.Unmarshal(oldLink, &next))
				page["@odata.nextLink"], _ = json.Marshal(staticLink(name, len(pages[name])+1))
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep the emulator's bytes
			require.NoError(b, enc.Encode(page))
			out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
			// The page is the emulator's, byte for byte, but for the link.
			require.Equal(b, len(raw)-len(oldLink), len(out)-len(page["@odata.nextLink"]))
			pages[name] = append(pages[name], out)
		}
	}

	// measure runs rounds from first and reports msgs/s, which it returns.
	measure := func(b *testing.B, first, pageSize string) float64 {
		total := 0
		for b.Loop() {
			n := round(b, first, pageSize)
			require.Equal(b, res.Inbox, n)
			total += n
		}
		rate := float64(total) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "msgs/s")
		return rate
	}
	for _, bc := range []struct{ name, query, size string }{
		{"SelectID", "?$select=id", "999"},
		{"FullMessages", "", "100"},
	} {
		first := srv.GraphURL() + "/me/mailFolders/inbox/messages/delta" + bc.query
		record(b, bc.name, first, bc.size)
		b.Run(bc.name, func(b *testing.B) {
			var floor float64
			b.Run("Static", func(b *testing.B) {
				floor = measure(b, staticLink(bc.name, 0), bc.size)
			})
			b.Run("Emulator", func(b *testing.B) {
				rate := measure(b, first, bc.size)
				if floor == 0 {
					b.Log("no x_of_static: the -bench pattern left out the Static baseline")
					return
				}
				b.ReportMetric(rate/floor, "x_of_static")
			})
		})
	}
}
