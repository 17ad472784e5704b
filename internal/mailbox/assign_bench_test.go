package mailbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/ent/schema/schematype"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/mailbox"
)

// BenchmarkAssign_100k assigns 100,000 sequence states with 300,000
// undelivered emails from a legacy EWS mailbox to a connected one, the
// way a background assignMailbox does (filter selection, chunks of 1,000,
// each chunk one transaction with its cursor), and compares it with the
// same rows updated by hand-written SQL in the same run:
//
//   - sql_chunked: the two UPDATEs per chunk of 1,000 IDs, one
//     transaction per chunk (what any resumable, bind-limit-safe job costs);
//   - sql_single: two UPDATE … WHERE mailbox_id = old statements in one
//     transaction (the floor the database allows).
//
// Run with: go test -run '^$' -bench Assign_100k -benchtime 1x ./internal/mailbox/
// (BENCH_ASSIGN_STATES overrides the size.)
func BenchmarkAssign_100k(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_ASSIGN_STATES")); err == nil && v > 0 {
		n = v
	}
	run := func(b *testing.B, d *db.DB) {
		f := newFixture(b, d, "Bench")
		load(b, d, f, n)
		ctx := context.Background()
		from, to := f.johnEWS.ID, f.johnOAuth.ID
		reset := func() {
			b.Helper()
			tx := bulkTx(b, d)
			_, err := tx.ExecContext(ctx, q(d, `UPDATE sequence_states SET mailbox_id = $1 WHERE org_id = $2`), from, f.org.ID)
			require.NoError(b, err)
			_, err = tx.ExecContext(ctx, q(d, `UPDATE scheduled_emails SET mailbox_id = $1 WHERE org_id = $2`), from, f.org.ID)
			require.NoError(b, err)
			require.NoError(b, tx.Commit())
		}
		var chunked, single, assigned time.Duration
		for range b.N {
			b.StopTimer()
			reset()
			start := time.Now()
			sqlChunked(b, d, f.org.ID, from, to)
			chunked += time.Since(start)
			requireMoved(b, d, f.org.ID, to, n)

			reset()
			start = time.Now()
			sqlSingle(b, d, f.org.ID, from, to)
			single += time.Since(start)
			requireMoved(b, d, f.org.ID, to, n)

			reset()
			a := mailbox.NewAssigner(d, newInserter(b, d), mailbox.AssignOptions{})
			b.StartTimer()
			start = time.Now()
			res, err := a.Assign(f.as(f.admin), mailbox.AssignInput{
				Filter: &schematype.SequenceStateFilter{MailboxID: &from}, MailboxID: to, UpdateUndeliveredEmails: true,
			})
			require.NoError(b, err)
			require.True(b, res.Background)
			require.NoError(b, a.Run(ctx, res.Assignment.ID))
			assigned += time.Since(start)
			b.StopTimer()
			op := f.client.Assignment.GetX(f.sys, res.Assignment.ID)
			require.Equal(b, n, op.StatesAssigned)
			require.Equal(b, 3*n, op.EmailsMoved)
			requireMoved(b, d, f.org.ID, to, n)
		}
		per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
		b.ReportMetric(per(assigned), "assign_s")
		b.ReportMetric(per(chunked), "sql_chunked_s")
		b.ReportMetric(per(single), "sql_single_s")
		b.ReportMetric(assigned.Seconds()/chunked.Seconds(), "x_chunked")
		b.ReportMetric(assigned.Seconds()/single.Seconds(), "x_single")
	}
	b.Run("SQLite", func(b *testing.B) { run(b, dbtest.SQLite(b)) })
	b.Run("Postgres", func(b *testing.B) { run(b, dbtest.Postgres(b)) })
}

var placeholder = regexp.MustCompile(`\$\d+`)

// q adapts $N placeholders to SQLite's ?.
func q(d *db.DB, s string) string {
	if d.Dialect == dialect.SQLite {
		return placeholder.ReplaceAllString(s, "?")
	}
	return s
}

// load inserts n prospects and sequence states on John's EWS mailbox,
// each with three SCHEDULED emails, with set-based SQL, then analyzes.
func load(b *testing.B, d *db.DB, f *fixture, n int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	series := fmt.Sprintf("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) ", n)
	from := "FROM s"
	if d.Dialect == dialect.Postgres {
		series, from = "", fmt.Sprintf("FROM generate_series(1, %d) AS s(i)", n)
	}
	stmts := []struct {
		sql  string
		args []any
	}{
		{series + `INSERT INTO prospects (created_at, updated_at, email, org_id) SELECT $1, $2, 'p' || i || '@bench.example.com', $3 ` + from, []any{now, now, f.org.ID}},
		{`INSERT INTO sequence_states (created_at, updated_at, state, current_step, org_id, sequence_id, prospect_id, user_id, mailbox_id)
			SELECT $1, $2, 'ACTIVE', 1, $3, $4, id, $5, $6 FROM prospects WHERE org_id = $7`, []any{now, now, f.org.ID, f.seq.ID, f.john.ID, f.johnEWS.ID, f.org.ID}},
		{`INSERT INTO scheduled_emails (created_at, updated_at, step, state, to_address, subject, body, org_id, sequence_state_id, mailbox_id)
			SELECT $1, $2, st.step, 'SCHEDULED', 'p@bench.example.com', 'Hi', 'Hello', $3, ss.id, ss.mailbox_id
			FROM sequence_states ss CROSS JOIN (SELECT 1 AS step UNION ALL SELECT 2 UNION ALL SELECT 3) st WHERE ss.org_id = $4`, []any{now, now, f.org.ID, f.org.ID}},
		{`ANALYZE`, nil},
	}
	tx := bulkTx(b, d)
	for _, s := range stmts[:len(stmts)-1] {
		_, err := tx.ExecContext(ctx, q(d, s.sql), s.args...)
		require.NoError(b, err, s.sql)
	}
	require.NoError(b, tx.Commit())
	_, err := d.Write.ExecContext(ctx, "ANALYZE")
	require.NoError(b, err)
}

// bulkTx begins a transaction without PostgreSQL's 30-second statement
// timeout, for set-based statements over 100,000s of rows.
func bulkTx(b *testing.B, d *db.DB) *sql.Tx {
	b.Helper()
	tx, err := d.Write.BeginTx(context.Background(), nil)
	require.NoError(b, err)
	if d.Dialect == dialect.Postgres {
		_, err = tx.ExecContext(context.Background(), "SET LOCAL statement_timeout = 0")
		require.NoError(b, err)
	}
	return tx
}

func sqlChunked(b *testing.B, d *db.DB, orgID, from, to int) {
	b.Helper()
	ctx := context.Background()
	cursor := 0
	for {
		rows, err := d.Write.QueryContext(ctx, q(d, `SELECT id FROM sequence_states WHERE org_id = $1 AND mailbox_id = $2 AND id > $3 ORDER BY id LIMIT 1000`), orgID, from, cursor)
		require.NoError(b, err)
		var ids []any
		for rows.Next() {
			var id int
			require.NoError(b, rows.Scan(&id))
			ids = append(ids, id)
		}
		require.NoError(b, rows.Err())
		require.NoError(b, rows.Close())
		if len(ids) == 0 {
			return
		}
		cursor = ids[len(ids)-1].(int)
		in := inList(d, 3, len(ids))
		now := time.Now().UTC()
		tx, err := d.Write.BeginTx(ctx, nil)
		require.NoError(b, err)
		exec(b, tx, q(d, `UPDATE sequence_states SET mailbox_id = $1, updated_at = $2 WHERE id IN `)+in+` AND state IN ('ACTIVE', 'PAUSED')`, append([]any{to, now}, ids...)...)
		exec(b, tx, q(d, `UPDATE scheduled_emails SET mailbox_id = $1, updated_at = $2 WHERE sequence_state_id IN `)+in+` AND state IN ('DRAFTED', 'SCHEDULED')`, append([]any{to, now}, ids...)...)
		require.NoError(b, tx.Commit())
	}
}

func sqlSingle(b *testing.B, d *db.DB, orgID, from, to int) {
	b.Helper()
	now := time.Now().UTC()
	tx := bulkTx(b, d)
	exec(b, tx, q(d, `UPDATE sequence_states SET mailbox_id = $1, updated_at = $2 WHERE org_id = $3 AND mailbox_id = $4 AND state IN ('ACTIVE', 'PAUSED')`), to, now, orgID, from)
	exec(b, tx, q(d, `UPDATE scheduled_emails SET mailbox_id = $1, updated_at = $2 WHERE org_id = $3 AND mailbox_id = $4 AND state IN ('DRAFTED', 'SCHEDULED')`), to, now, orgID, from)
	require.NoError(b, tx.Commit())
}

func exec(b *testing.B, tx *sql.Tx, s string, args ...any) {
	b.Helper()
	_, err := tx.ExecContext(context.Background(), s, args...)
	require.NoError(b, err)
}

// inList is "($first, …)" for n parameters after the first `after` ones.
func inList(d *db.DB, first, n int) string {
	ps := make([]string, n)
	for i := range ps {
		if d.Dialect == dialect.SQLite {
			ps[i] = "?"
		} else {
			ps[i] = "$" + strconv.Itoa(first+i)
		}
	}
	return "(" + strings.Join(ps, ", ") + ")"
}

func requireMoved(b *testing.B, d *db.DB, orgID, to, n int) {
	b.Helper()
	var states, emails int
	require.NoError(b, d.Write.QueryRowContext(context.Background(), q(d, `SELECT count(*) FROM sequence_states WHERE org_id = $1 AND mailbox_id = $2`), orgID, to).Scan(&states))
	require.NoError(b, d.Write.QueryRowContext(context.Background(), q(d, `SELECT count(*) FROM scheduled_emails WHERE org_id = $1 AND mailbox_id = $2`), orgID, to).Scan(&emails))
	require.Equal(b, n, states)
	require.Equal(b, 3*n, emails)
}
