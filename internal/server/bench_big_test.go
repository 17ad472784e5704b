package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

// listCase is one list request of the size benchmark and the EXPLAIN test.
type listCase struct {
	name  string
	query string
}

// bigListCases are the list screens with each of their filters: first
// page of 20 with totalCount, as the web app asks for them.
func bigListCases(b bigOrg) []listCase {
	const states = `totalCount edges { node { id state currentStep prospect { email } mailbox { address } user { name } } }`
	const mbs = `totalCount edges { node { id address connectionState needsMigration undeliveredEmailCount user { email } } }`
	mb, u := b.mailboxes[3].ID, b.users[5].ID
	return []listCase{
		{"sequenceStates", `{ sequenceStates(first: 20) { ` + states + ` } }`},
		{"sequenceStates/hasUndelivered=true", `{ sequenceStates(first: 20, filter: {hasUndeliveredEmails: true}) { ` + states + ` } }`},
		{"sequenceStates/hasUndelivered=false", `{ sequenceStates(first: 20, filter: {hasUndeliveredEmails: false}) { ` + states + ` } }`},
		{"sequenceStates/prospectEmailContains", `{ sequenceStates(first: 20, filter: {prospectEmailContains: "T1234@CLIENT"}) { ` + states + ` } }`},
		{"sequenceStates/mailboxID", fmt.Sprintf(`{ sequenceStates(first: 20, filter: {mailboxID: %d}) { %s } }`, mb, states)},
		{"sequenceStates/userID+states", fmt.Sprintf(`{ sequenceStates(first: 20, filter: {userID: %d, states: [ACTIVE, PAUSED]}) { %s } }`, u, states)},
		{"sequenceStates/mailboxID+hasUndelivered=true", fmt.Sprintf(`{ sequenceStates(first: 20, filter: {mailboxID: %d, hasUndeliveredEmails: true}) { %s } }`, mb, states)},
		{"sequenceStates/orderBy=STATE", `{ sequenceStates(first: 20, orderBy: {field: STATE, direction: DESC}) { ` + states + ` } }`},
		{"sequenceStates/totalCountOnly", `{ sequenceStates(first: 1, filter: {hasUndeliveredEmails: false}) { totalCount } }`},
		{"mailboxes", `{ mailboxes(first: 20) { ` + mbs + ` } }`},
		{"mailboxes/needsMigration=true", `{ mailboxes(first: 20, filter: {needsMigration: true}) { ` + mbs + ` } }`},
		{"mailboxes/needsMigration=false", `{ mailboxes(first: 20, filter: {needsMigration: false}) { ` + mbs + ` } }`},
		{"mailboxes/addressContains", `{ mailboxes(first: 20, filter: {addressContains: "U1"}) { ` + mbs + ` } }`},
		{"viewer.mailboxes", `{ viewer { mailboxes { address undeliveredEmailCount } } }`},
	}
}

// BenchmarkLists_100k measures every list filter on a mid-size organization
// (100,000 sequence states, 300,000 scheduled emails; BENCH_STATES
// overrides the size) through the whole handler, on SQLite and PostgreSQL,
// and reports each against a baseline run in the same benchmark: the very
// statements the request issued, replayed with database/sql. ms_api is
// what a client waits for (QUALITY aim: under 50 ms), ms_sql the database
// work, x_of_sql the API's overhead factor. BENCH_VERBOSE=1 also logs the
// time of each statement.
func BenchmarkLists_100k(b *testing.B) {
	states := 100_000
	if s := os.Getenv("BENCH_STATES"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err)
		states = n
	}
	for _, dc := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"SQLite", dbtest.SQLite}, {"Postgres", dbtest.Postgres}} {
		b.Run(dc.name, func(b *testing.B) {
			d := dc.open(b)
			log := &sqlLog{Driver: d.Driver()}
			e := newEnv(b, d, envOptions{client: d.Client(ent.Driver(log))})
			big := seedBig(b, d, e, states)
			tok := e.token(big.admin)
			for _, c := range bigListCases(big) {
				b.Run(c.name, func(b *testing.B) {
					body, err := json.Marshal(map[string]any{"query": c.query})
					require.NoError(b, err)
					var stmts []stmt
					stmts = log.capture(func() {
						rec := e.serve(tok, string(body))
						require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
						require.NotContains(b, rec.Body.String(), `"errors"`)
					})
					api, base := pairTimes(b,
						func() { e.serve(tok, string(body)) },
						func() { replay(b, d, stmts) })
					b.ReportMetric(float64(api.Microseconds())/1000, "ms_api")
					b.ReportMetric(float64(base.Microseconds())/1000, "ms_sql")
					b.ReportMetric(float64(api)/float64(base), "x_of_sql")
					b.ReportMetric(float64(len(stmts)), "stmts")
					if os.Getenv("BENCH_VERBOSE") != "" {
						for _, s := range stmts {
							start := time.Now()
							for range 5 {
								replay(b, d, []stmt{s})
							}
							b.Logf("%7.2f ms  %.160s", float64(time.Since(start).Microseconds())/5000, s.query)
						}
					}
				})
			}
		})
	}
}
