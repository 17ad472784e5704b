package server_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

// BenchmarkGraphQL_Lists measures the two list screens through the whole
// handler (auth, gqlgen, privacy, loaders) on SQLite and reports each as a
// ratio to a baseline measured in the same run: the same rows read with
// plain ent (eager-loaded edges) and encoded with encoding/json. The ratio
// is the cost of the API layer over the data access it cannot avoid.
func BenchmarkGraphQL_Lists(b *testing.B) {
	d := dbtest.SQLite(b)
	e := newEnv(b, d, envOptions{})
	org := e.org("Acme")
	admin := e.user(org, "admin@acme.com", user.RoleADMIN)
	tok := e.token(admin)
	for i := range 20 {
		u := e.user(org, fmt.Sprintf("u%d@acme.com", i), user.RoleUSER)
		mb := e.mailbox(u, fmt.Sprintf("u%d@acme.com", i), connected(mailbox.ProviderOFFICE365_OAUTH), isDefault, enabled)
		e.sequenceStates(u, mb, 5)
	}
	ctx := viewer.NewContext(b.Context(), &viewer.Viewer{UserID: admin.ID, OrgID: org.ID, Admin: true})

	cases := []struct {
		name     string
		query    string
		baseline func() any
	}{
		{
			name:  "SequenceStatesPage100",
			query: `{ sequenceStates(first: 100) { totalCount edges { node { id state currentStep prospect { email } sequence { name } mailbox { address } user { name } } } } }`,
			baseline: func() any {
				n, err := e.client.SequenceState.Query().Count(ctx)
				require.NoError(b, err)
				rows, err := e.client.SequenceState.Query().Limit(100).
					WithProspect().WithSequence().WithMailbox().WithUser().All(ctx)
				require.NoError(b, err)
				return map[string]any{"n": n, "rows": rows}
			},
		},
		{
			name:  "MailboxesPage20",
			query: `{ mailboxes(first: 20) { totalCount edges { node { id address connectionState syncEnabled sendEnabled isDefault undeliveredEmailCount user { email } } } } }`,
			baseline: func() any {
				n, err := e.client.Mailbox.Query().Count(ctx)
				require.NoError(b, err)
				rows, err := e.client.Mailbox.Query().Limit(20).WithUser().All(ctx)
				require.NoError(b, err)
				var counts []struct {
					MailboxID int `json:"mailbox_id"`
					Count     int `json:"count"`
				}
				err = e.client.ScheduledEmail.Query().GroupBy("mailbox_id").Aggregate(ent.Count()).Scan(ctx, &counts)
				require.NoError(b, err)
				return map[string]any{"n": n, "rows": rows, "counts": counts}
			},
		},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			const baseRuns = 50
			start := time.Now()
			for range baseRuns {
				_, err := json.Marshal(c.baseline())
				require.NoError(b, err)
			}
			base := time.Since(start) / baseRuns
			start, runs := time.Now(), 0
			for b.Loop() {
				e.gql(tok, c.query, nil).noErrors(b)
				runs++
			}
			per := time.Since(start) / time.Duration(runs)
			b.ReportMetric(float64(base.Microseconds()), "baseline_µs")
			b.ReportMetric(float64(per)/float64(base), "x_of_ent+json")
		})
	}
}
