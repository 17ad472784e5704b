package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

// BenchmarkVsHandwritten compares the GraphQL API with a small hand-written
// Go handler serving the same two requests: the user's mailboxes with their
// undelivered counts, and an admin's first page of 100 sequence states with
// totalCount. Both sides are real HTTP servers on loopback and
// authenticate the same API token with the same middleware; the
// hand-written handler runs the very SQL statements the API ran for the
// request (recorded from ent's driver), scans the columns it needs and
// writes JSON byte-for-byte equal to the API's answer (checked before
// timing). Each round runs a fixed number of requests on each side, in
// alternating order, with 1, 8 and 32 concurrent clients; the reported
// x_cN is the API's throughput divided by the hand-written one's (medians
// over the rounds; 0.5 means half as fast). rss_MB is the process's
// resident memory after the runs. BENCH_STATES sets the organization's
// size (default 10,000 sequence states), BENCH_ROUNDS the rounds (7).
func BenchmarkVsHandwritten(b *testing.B) {
	states := envInt(b, "BENCH_STATES", 10_000)
	rounds := envInt(b, "BENCH_ROUNDS", 7)
	for _, dc := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"SQLite", dbtest.SQLite}, {"Postgres", dbtest.Postgres}} {
		b.Run(dc.name, func(b *testing.B) {
			d := dc.open(b)
			log := &sqlLog{Driver: d.Driver()}
			e := newEnv(b, d, envOptions{client: d.Client(ent.Driver(log))})
			big := seedBig(b, d, e, states)
			api := httptest.NewServer(e.h)
			b.Cleanup(api.Close)
			for _, c := range []struct {
				name  string
				as    bearer
				query string
				write func(rows [][]map[string]string) any
			}{
				{"viewer.mailboxes", e.token(big.users[3]),
					`{ viewer { mailboxes { id address connectionState syncEnabled sendEnabled isDefault undeliveredEmailCount } } }`,
					handwrittenMailboxes},
				{"sequenceStates100", e.token(big.admin),
					`{ sequenceStates(first: 100) { totalCount edges { node { id state mailbox { address } } } } }`,
					handwrittenStates},
			} {
				b.Run(c.name, func(b *testing.B) {
					body, err := json.Marshal(map[string]any{"query": c.query})
					require.NoError(b, err)
					var want []byte
					e.serve(c.as, string(body)) // the token's last use is recorded once
					stmts := log.capture(func() {
						rec := e.serve(c.as, string(body))
						require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
						want = rec.Body.Bytes()
					})
					// The first statements authenticate (the token and its
					// user); the hand-written side runs the same middleware.
					for len(stmts) > 0 && (strings.Contains(stmts[0].query, "api_tokens") || strings.Contains(stmts[0].query, "users")) {
						stmts = stmts[1:]
					}
					hand := httptest.NewServer(e.authn.Middleware(handwritten(d, stmts, c.write)))
					b.Cleanup(hand.Close)
					client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
					post := func(url string) []byte {
						req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
						require.NoError(b, err)
						req.Header.Set("Content-Type", "application/json")
						c.as.apply(req)
						res, err := client.Do(req)
						require.NoError(b, err)
						out, err := io.ReadAll(res.Body)
						require.NoError(b, err)
						require.NoError(b, res.Body.Close())
						require.Equal(b, http.StatusOK, res.StatusCode, string(out))
						return out
					}
					require.Equal(b, string(want), string(post(api.URL+"/graphql")), "the API over HTTP")
					require.Equal(b, string(want), string(post(hand.URL)), "the hand-written handler must answer the same bytes")
					for b.Loop() {
						post(api.URL + "/graphql")
					}
					for _, conc := range []int{1, 8, 32} {
						perClient := max(64/conc, 4)
						run := func(url string) time.Duration {
							start := time.Now()
							var wg sync.WaitGroup
							for range conc {
								wg.Go(func() {
									for range perClient {
										post(url)
									}
								})
							}
							wg.Wait()
							return time.Since(start)
						}
						var apiT, handT []time.Duration
						for r := range rounds {
							if r%2 == 0 {
								apiT, handT = append(apiT, run(api.URL+"/graphql")), append(handT, run(hand.URL))
							} else {
								handT, apiT = append(handT, run(hand.URL)), append(apiT, run(api.URL+"/graphql"))
							}
						}
						n := float64(conc * perClient)
						b.ReportMetric(n/median(apiT).Seconds(), fmt.Sprintf("api_rps_c%d", conc))
						b.ReportMetric(n/median(handT).Seconds(), fmt.Sprintf("hand_rps_c%d", conc))
						b.ReportMetric(float64(median(handT))/float64(median(apiT)), fmt.Sprintf("x_c%d", conc))
					}
					b.ReportMetric(float64(rssBytes(b))/(1<<20), "rss_MB")
				})
			}
		})
	}
}

// handwritten serves one recorded request the way a hand-written handler
// would: for the authenticated viewer, run the statements, scan them and
// encode the answer with write.
func handwritten(d *db.DB, stmts []stmt, write func(rows [][]map[string]string) any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if viewer.FromContext(r.Context()) == nil {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		var all [][]map[string]string
		for _, s := range stmts {
			rows, err := queryRows(r.Context(), d.Read, s)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			all = append(all, rows)
		}
		out, err := json.Marshal(write(all))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
}

func queryRows(ctx context.Context, q *sql.DB, s stmt) ([]map[string]string, error) {
	rows, err := q.QueryContext(ctx, s.query, s.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []map[string]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]string, len(cols))
		for i, c := range cols {
			m[c] = vals[i].String
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func truthy(s string) bool { return s == "1" || s == "true" || s == "t" }

// handwrittenMailboxes answers the viewer.mailboxes request from its two
// statements: the mailboxes, then the undelivered counts per mailbox.
func handwrittenMailboxes(rows [][]map[string]string) any {
	type mb struct {
		ID                    int    `json:"id,string"`
		Address               string `json:"address"`
		ConnectionState       string `json:"connectionState"`
		SyncEnabled           bool   `json:"syncEnabled"`
		SendEnabled           bool   `json:"sendEnabled"`
		IsDefault             bool   `json:"isDefault"`
		UndeliveredEmailCount int    `json:"undeliveredEmailCount"`
	}
	counts := map[int]int{}
	for _, r := range rows[len(rows)-1] {
		for k, v := range r { // mailbox_id and the count
			if k != "mailbox_id" {
				counts[atoi(r["mailbox_id"])] = atoi(v)
			}
		}
	}
	out := []mb{}
	for _, r := range rows[len(rows)-2] {
		id := atoi(r["id"])
		out = append(out, mb{id, r["address"], r["connection_state"], truthy(r["sync_enabled"]), truthy(r["send_enabled"]), truthy(r["is_default"]), counts[id]})
	}
	type viewer struct {
		Mailboxes []mb `json:"mailboxes"`
	}
	type data struct {
		Viewer viewer `json:"viewer"`
	}
	return struct {
		Data data `json:"data"`
	}{data{viewer{out}}}
}

// handwrittenStates answers the sequenceStates page from its three
// statements: the count, the page (one row more than asked for) and the
// page's mailboxes.
func handwrittenStates(rows [][]map[string]string) any {
	type mailbox struct {
		Address string `json:"address"`
	}
	type node struct {
		ID      int     `json:"id,string"`
		State   string  `json:"state"`
		Mailbox mailbox `json:"mailbox"`
	}
	type edge struct {
		Node node `json:"node"`
	}
	addr := map[string]string{}
	for _, r := range rows[2] {
		addr[r["id"]] = r["address"]
	}
	page := rows[1]
	if len(page) > 100 {
		page = page[:100]
	}
	edges := make([]edge, 0, len(page))
	for _, r := range page {
		edges = append(edges, edge{node{atoi(r["id"]), r["state"], mailbox{addr[r["mailbox_id"]]}}})
	}
	type conn struct {
		TotalCount int    `json:"totalCount"`
		Edges      []edge `json:"edges"`
	}
	type data struct {
		SequenceStates conn `json:"sequenceStates"`
	}
	total := 0
	for _, v := range rows[0][0] { // the one column of SELECT COUNT(*)
		total = atoi(v)
	}
	return struct {
		Data data `json:"data"`
	}{data{conn{total, edges}}}
}

func envInt(b *testing.B, name string, def int) int {
	if s := os.Getenv(name); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err, name)
		return n
	}
	return def
}

// rssBytes is the process's resident set size (Linux).
func rssBytes(b *testing.B) int64 {
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(b, err)
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(b, err)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
