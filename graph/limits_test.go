package graph

import (
	"context"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"mailbridge/ent"
	"mailbridge/internal/apperr"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

// counting is a driver that counts the statements it runs.
type counting struct {
	dialect.Driver
	n atomic.Int64
}

func (c *counting) Query(ctx context.Context, q string, args, v any) error {
	c.n.Add(1)
	return c.Driver.Query(ctx, q, args, v)
}

// TestQueryCounter_StopsQueriesBeyondTheBudget: the counted limit is the
// backstop behind the estimate: whatever a request triggers, the queries
// beyond its budget fail with QUERY_TOO_COSTLY without reaching the
// database; other requests are not charged.
func TestQueryCounter_StopsQueriesBeyondTheBudget(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	drv := &counting{Driver: d.Driver()}
	client := d.Client(ent.Driver(drv))
	counter := &queryCounter{}
	counter.install(client)
	sys := viewer.SystemContext(context.Background())

	ctx := counter.withBudget(sys, 3)
	for range 3 {
		_, err := client.Organization.Query().Count(ctx)
		require.NoError(t, err)
	}
	sent := drv.n.Load()
	_, err := client.Organization.Query().All(ctx)
	pub, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindQueryTooCostly, pub.Kind)
	require.Equal(t, "graphql.tooManyQueries", pub.ID)
	require.Equal(t, sent, drv.n.Load(), "the refused query reached the database")

	// Without a budget (not a GraphQL request), or with another handler's
	// budget, nothing is charged.
	other := (&queryCounter{}).withBudget(sys, 1)
	for range 5 {
		_, err := client.Organization.Query().Count(sys)
		require.NoError(t, err)
		_, err = client.Organization.Query().Count(other)
		require.NoError(t, err)
	}
}

// TestCostLimit_Estimate pins the price of typical operations.
func TestCostLimit_Estimate(t *testing.T) {
	t.Parallel()
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	cases := map[string]struct {
		query            string
		queries, aliases int
	}{
		"Viewer":          {`{ viewer { isAdmin user { name } organization { name } } }`, 2, 0},
		"ViewerMailboxes": {`{ viewer { mailboxes { address undeliveredEmailCount user { email } } } }`, 3, 0},
		"CountOnly":       {`{ sequenceStates(first: 1) { totalCount } }`, 2, 0},
		"Aliased":         {`{ a: sequenceStates(first: 1) { totalCount } b: sequenceStates(first: 1) { totalCount } }`, 4, 2},
		"Page": {`{ sequenceStates(first: 10) { totalCount pageInfo { hasNextPage } edges { cursor node { id
		   prospect { email } sequence { name } mailbox { address } user { name } } } } }`, 6, 0},
		"Fragment": {`query { mailboxes(first: 5) { edges { node { ...M } } } } fragment M on Mailbox { user { email } undeliveredEmailCount }`, 3, 0},
		"Typename": {`{ __typename viewer { __typename } }`, 0, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(schema, c.query)
			require.Empty(t, errs)
			w := &costWalker{schema: schema}
			w.walk(doc.Operations[0].SelectionSet, 0)
			require.Equal(t, c.queries, w.queries)
			require.Equal(t, c.aliases, w.aliases)
		})
	}
}
