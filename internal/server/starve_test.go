package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

// stallingDriver makes every read of sequence_states by one user a long
// read: the statement runs, and then, with its rows still open (so its
// connection stays taken), it waits until release is closed.
type stallingDriver struct {
	dialect.Driver
	user    int
	started chan struct{}
	release chan struct{}
}

func (s *stallingDriver) Query(ctx context.Context, q string, args, v any) error {
	err := s.Driver.Query(ctx, q, args, v)
	if vw := viewer.FromContext(ctx); err == nil && vw != nil && vw.UserID == s.user && strings.Contains(q, "sequence_states") {
		s.started <- struct{}{}
		select {
		case <-s.release:
		case <-ctx.Done():
		}
	}
	return err
}

// TestRequests_LongReadsDoNotStarveOthers sends a query of 40 aliased counts
// whose every read stalls (a stand-in for slow queries) and, while it holds
// its connection, a `{ viewer }` from another user: the second request must
// be answered at once, not wait in the pool's queue behind the first one's
// statements (issue: 330 aliases held SQLite for 15 s and another user's
// viewer waited 14 s). Then the first request completes correctly.
func TestRequests_LongReadsDoNotStarveOthers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		stall := &stallingDriver{Driver: d.Driver(), started: make(chan struct{}, 1000), release: make(chan struct{})}
		e := newEnv(t, d, envOptions{client: d.Client(ent.Driver(stall)), getenv: map[string]string{
			// Raise the request cost limits so the 40 aliased counts run:
			// this test is about starvation, not about those limits.
			"REQUEST_TIMEOUT": "2m", "GRAPHQL_MAX_ALIASES": "40", "GRAPHQL_MAX_DB_QUERIES": "200",
		}})
		org := e.org("Acme")
		heavy := e.user(org, "heavy@acme.com", user.RoleADMIN)
		other := e.user(org, "other@acme.com", user.RoleUSER)
		mb := e.mailbox(heavy, "heavy@acme.com", connected(mailbox.ProviderOFFICE365_OAUTH))
		e.sequenceStates(heavy, mb, 3)
		stall.user = heavy.ID
		heavyTok, otherTok := e.token(heavy), e.token(other)

		var q strings.Builder
		q.WriteString("{")
		for i := range 40 {
			fmt.Fprintf(&q, " a%d: sequenceStates(first: 1, filter: {hasUndeliveredEmails: true}) { totalCount }", i)
		}
		q.WriteString(" }")
		heavyDone := make(chan gqlResponse, 1)
		go func() { heavyDone <- e.gql(heavyTok, q.String(), nil) }()
		select {
		case <-stall.started: // the heavy request now holds a connection
		case r := <-heavyDone:
			t.Fatalf("the heavy request ended before it read anything: %+v", r)
		}

		otherDone := make(chan gqlResponse, 1)
		go func() { otherDone <- e.gql(otherTok, `{ viewer { userID: user { email } } }`, nil) }()
		select {
		case r := <-otherDone:
			r.noErrors(t)
			require.Equal(t, "other@acme.com", r.get(t, "viewer.userID.email"))
		case <-time.After(30 * time.Second):
			close(stall.release)
			t.Fatalf("{ viewer } of another user waited behind the stalled request's statements (read pool: %+v)", d.Read.Stats())
		}
		close(stall.release)
		r := <-heavyDone
		r.noErrors(t)
		require.EqualValues(t, 3, r.get(t, "a39.totalCount"))
	})
}
