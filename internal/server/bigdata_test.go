package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
)

// bigOrg is a mid-size organization built by seedBig.
type bigOrg struct {
	org       *ent.Organization
	admin     *ent.User
	users     []*ent.User
	mailboxes []*ent.Mailbox
}

// bigMailboxes is how many users (one mailbox each) seedBig spreads the
// sequence states over.
const bigMailboxes = 20

// seedBig builds an organization with `states` sequence states spread over
// bigMailboxes users and mailboxes, three scheduled emails per state (about
// 40% of states have undelivered ones), plus a small second organization so
// that every query has to filter by org_id. Users and mailboxes go through
// ent; the bulk rows are inserted with one INSERT … SELECT each, valid on
// both SQLite and PostgreSQL, so 100,000 states take seconds, not minutes.
// It runs ANALYZE afterwards, as the server does after migrating.
func seedBig(tb testing.TB, d *db.DB, e *env, states int) bigOrg {
	tb.Helper()
	var b bigOrg
	b.org = e.org("Big")
	b.admin = e.user(b.org, "admin@big.example", user.RoleADMIN)
	for i := range bigMailboxes {
		u := e.user(b.org, fmt.Sprintf("u%d@big.example", i), user.RoleUSER)
		provider := mailbox.ProviderOFFICE365_OAUTH
		if i%4 == 0 {
			provider = mailbox.ProviderEXCHANGE_EWS
		}
		b.users = append(b.users, u)
		b.mailboxes = append(b.mailboxes, e.mailbox(u, fmt.Sprintf("u%d@big.example", i), connected(provider), isDefault, enabled))
	}
	seq, err := e.client.Sequence.Create().SetOrgID(b.org.ID).SetUserID(b.users[0].ID).SetName("Outreach").SetStepCount(3).Save(e.sys)
	require.NoError(tb, err)
	ctx := context.Background()
	// byMailbox spreads prospects over the mailboxes by id, without a join.
	byMailbox := func(id func(i int) int) string {
		var sb strings.Builder
		fmt.Fprintf(&sb, "CASE p.id %% %d", bigMailboxes)
		for i := range bigMailboxes {
			fmt.Fprintf(&sb, " WHEN %d THEN %d", i, id(i))
		}
		return sb.String() + " END"
	}
	const ts = "'2026-11-29 10:00:00+00:00'"
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
INSERT INTO prospects (created_at, updated_at, email, first_name, last_name, company, org_id)
SELECT %s, %s, 'prospect' || i || '@client' || (i %% 97) || '.example', 'P', 'Q', 'Client', %d FROM n`,
			states, ts, ts, b.org.ID),
		fmt.Sprintf(`INSERT INTO sequence_states (created_at, updated_at, state, current_step, org_id, sequence_id, prospect_id, user_id, mailbox_id)
SELECT %s, %s, CASE WHEN p.id %% 10 = 0 THEN 'FINISHED' ELSE 'ACTIVE' END, 1, %d, %d, p.id, %s, %s
FROM prospects p WHERE p.org_id = %d`, ts, ts, b.org.ID, seq.ID, byMailbox(func(i int) int { return b.users[i].ID }),
			byMailbox(func(i int) int { return b.mailboxes[i].ID }), b.org.ID),
		// Step 1 delivered; steps 2 and 3 delivered for 60% of the states
		// (s.id % 5 < 3), scheduled for the rest.
		fmt.Sprintf(`INSERT INTO scheduled_emails (created_at, updated_at, step, state, to_address, subject, body, send_at, org_id, sequence_state_id, mailbox_id)
SELECT %s, %s, k.step,
  CASE WHEN k.step = 1 OR s.id %% 5 < 3 THEN 'DELIVERED' ELSE 'SCHEDULED' END,
  'prospect@client.example', 'Hello', 'Body', %s, %d, s.id, s.mailbox_id
FROM sequence_states s CROSS JOIN (SELECT 1 AS step UNION ALL SELECT 2 UNION ALL SELECT 3) k
WHERE s.org_id = %d`, ts, ts, ts, b.org.ID, b.org.ID),
	}
	conn, err := d.Write.Conn(ctx)
	require.NoError(tb, err)
	if d.Dialect == dialect.Postgres {
		// 300,000 rows in one statement outlast the production timeout
		// on a busy machine.
		_, err := conn.ExecContext(ctx, "SET statement_timeout = 0")
		require.NoError(tb, err)
	}
	for _, s := range stmts {
		_, err := conn.ExecContext(ctx, s)
		require.NoError(tb, err, "%s", s)
		// Statistics between the steps: PostgreSQL would otherwise check
		// each row's foreign keys with plans made for empty tables.
		if d.Dialect == dialect.Postgres {
			require.NoError(tb, d.Optimize(ctx))
		}
	}
	if d.Dialect == dialect.Postgres {
		_, err := conn.ExecContext(ctx, "RESET statement_timeout")
		require.NoError(tb, err)
	}
	require.NoError(tb, conn.Close())
	other := e.org("Other")
	ou := e.user(other, "x@other.example", user.RoleUSER)
	omb := e.mailbox(ou, "x@other.example", connected(mailbox.ProviderOFFICE365_OAUTH))
	e.sequenceStates(ou, omb, 20)
	require.NoError(tb, d.Optimize(ctx))
	if d.Dialect == dialect.Postgres {
		// As autovacuum would have by now: the visibility map lets counts
		// use index-only scans.
		_, err := d.Write.ExecContext(ctx, "VACUUM prospects, sequence_states, scheduled_emails")
		require.NoError(tb, err)
	}
	return b
}
