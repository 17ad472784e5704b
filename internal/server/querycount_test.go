package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

// recorder is an ent driver that records every SQL statement it sends.
type recorder struct {
	dialect.Driver
	mu    sync.Mutex
	stmts []string
}

func (r *recorder) record(q string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmts = append(r.stmts, q)
}

func (r *recorder) Query(ctx context.Context, q string, args, v any) error {
	r.record(q)
	return r.Driver.Query(ctx, q, args, v)
}

func (r *recorder) Exec(ctx context.Context, q string, args, v any) error {
	r.record(q)
	return r.Driver.Exec(ctx, q, args, v)
}

// selects returns the SELECT statements recorded since the last call.
func (r *recorder) selects() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.stmts {
		if strings.HasPrefix(strings.TrimSpace(strings.ToUpper(s)), "SELECT") {
			out = append(out, s)
		}
	}
	r.stmts = nil
	return out
}

// TestQueryCount_ListsAreNotNPlusOne proves the mailbox and sequence-state
// lists issue a fixed number of SQL statements however many rows they show:
// edges are eager-loaded (CollectFields) and counts batched (loaders).
func TestQueryCount_ListsAreNotNPlusOne(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		rec := &recorder{Driver: d.Driver()}
		e := newEnv(t, d, envOptions{client: d.Client(ent.Driver(rec))})
		org := e.org("Acme")
		admin := e.user(org, "admin@acme.com", user.RoleADMIN)
		tok := e.token(admin)

		lists := map[string]string{
			"viewer.mailboxes": `{ viewer { mailboxes { address undeliveredEmailCount user { email } microsoftAccount { userPrincipalName } } } }`,
			"mailboxes": `{ mailboxes(first: 100) { totalCount edges { node { address undeliveredEmailCount needsMigration
			  user { email mailboxes { address } } } } } }`,
			"sequenceStates": `{ sequenceStates(first: 100) { totalCount edges { node { state
			  prospect { email } sequence { name } mailbox { address undeliveredEmailCount } user { name }
			  scheduledEmails { state sendAt } } } } }`,
		}
		counts := map[string][]int{}
		for _, n := range []int{2, 12} {
			for i := range n {
				u := e.user(org, fmt.Sprintf("u%d.%d@acme.com", n, i), user.RoleUSER)
				mb := e.mailbox(u, fmt.Sprintf("u%d.%d@acme.com", n, i), connected(mailbox.ProviderOFFICE365_OAUTH), isDefault)
				e.sequenceStates(u, mb, 2)
				if i == 0 {
					e.mailbox(admin, fmt.Sprintf("admin%d@acme.com", n))
				}
			}
			for name, q := range lists {
				rec.selects()
				e.gql(tok, q, nil).noErrors(t)
				counts[name] = append(counts[name], len(rec.selects()))
			}
		}
		for name, c := range counts {
			require.Equal(t, c[0], c[1], "%s: statements grew with the rows: %v", name, c)
			require.LessOrEqual(t, c[1], 12, "%s: %v", name, c)
		}
	})
}

// TestQueryCount_CountsOnlyForTotalCount proves a list counts its filtered
// set only when totalCount is selected: pageInfo is answered by fetching
// one row more than the page, forwards and backwards, with or without
// edges.
func TestQueryCount_CountsOnlyForTotalCount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		rec := &recorder{Driver: d.Driver()}
		e := newEnv(t, d, envOptions{client: d.Client(ent.Driver(rec))})
		org := e.org("Acme")
		admin := e.user(org, "admin@acme.com", user.RoleADMIN)
		tok := e.token(admin)
		mb := e.mailbox(admin, "admin@acme.com", connected(mailbox.ProviderOFFICE365_OAUTH), isDefault)
		e.sequenceStates(admin, mb, 3)

		counts := func() int {
			n := 0
			for _, s := range rec.selects() {
				if strings.Contains(strings.ToUpper(s), "COUNT(") {
					n++
				}
			}
			return n
		}
		for _, c := range []struct {
			query         string
			next, prev    bool
			count, counts int
		}{
			{`{ sequenceStates(first: 2) { pageInfo { hasNextPage hasPreviousPage } edges { node { id } } } }`, true, false, -1, 0},
			{`{ sequenceStates(first: 3) { pageInfo { hasNextPage hasPreviousPage } edges { node { id } } } }`, false, false, -1, 0},
			{`{ sequenceStates(first: 2) { pageInfo { hasNextPage hasPreviousPage } } }`, true, false, -1, 0},
			{`{ sequenceStates(first: 5) { pageInfo { hasNextPage hasPreviousPage } } }`, false, false, -1, 0},
			{`{ sequenceStates(last: 2) { pageInfo { hasNextPage hasPreviousPage } } }`, false, true, -1, 0},
			{`{ sequenceStates(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage } } }`, true, false, 3, 1},
			{`{ sequenceStates(first: 1) { totalCount } }`, false, false, 3, 1},
		} {
			counts()
			res := e.gql(tok, c.query, nil).noErrors(t)
			require.Equal(t, c.counts, counts(), "COUNT statements of %s", c.query)
			if strings.Contains(c.query, "pageInfo") {
				require.Equal(t, c.next, res.get(t, "sequenceStates.pageInfo.hasNextPage"), c.query)
				require.Equal(t, c.prev, res.get(t, "sequenceStates.pageInfo.hasPreviousPage"), c.query)
			}
			if c.count >= 0 {
				require.EqualValues(t, c.count, res.get(t, "sequenceStates.totalCount"), c.query)
			}
		}
	})
}
