package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/dbtest"
)

// BenchmarkGraphQL_Lists measures the two list screens through the whole
// handler (auth, gqlgen, privacy, loaders) on SQLite and reports each as a
// ratio to a baseline measured in the same run: the very SQL statements the
// request issued (recorded from ent's driver), replayed with database/sql
// and every column of every row read. The ratio is the cost of the API
// layer over the data access it cannot avoid; nothing is decoded on either
// side. Each figure is the median of at least 15 alternating runs (see
// pairTimes), so it is stable even with -benchtime 3x.
func BenchmarkGraphQL_Lists(b *testing.B) {
	d := dbtest.SQLite(b)
	log := &sqlLog{Driver: d.Driver()}
	e := newEnv(b, d, envOptions{client: d.Client(ent.Driver(log))})
	org := e.org("Acme")
	admin := e.user(org, "admin@acme.com", user.RoleADMIN)
	tok := e.token(admin)
	for i := range 20 {
		u := e.user(org, fmt.Sprintf("u%d@acme.com", i), user.RoleUSER)
		mb := e.mailbox(u, fmt.Sprintf("u%d@acme.com", i), connected(mailbox.ProviderOFFICE365_OAUTH), isDefault, enabled)
		e.sequenceStates(u, mb, 5)
	}
	cases := []listCase{
		{"SequenceStatesPage100", `{ sequenceStates(first: 100) { totalCount edges { node { id state currentStep prospect { email } sequence { name } mailbox { address } user { name } } } } }`},
		{"MailboxesPage20", `{ mailboxes(first: 20) { totalCount edges { node { id address connectionState syncEnabled sendEnabled isDefault undeliveredEmailCount user { email } } } } }`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body, err := json.Marshal(map[string]any{"query": c.query})
			require.NoError(b, err)
			stmts := log.capture(func() {
				rec := e.serve(tok, string(body))
				require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
				require.NotContains(b, rec.Body.String(), `"errors"`)
			})
			api, base := pairTimes(b,
				func() { e.serve(tok, string(body)) },
				func() { replay(b, d, stmts) })
			b.ReportMetric(float64(base.Microseconds()), "baseline_µs")
			b.ReportMetric(float64(api.Microseconds()), "api_µs")
			b.ReportMetric(float64(api)/float64(base), "x_of_sql")
		})
	}
}
