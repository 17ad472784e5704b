package mailbox_test

import (
	"context"
	"database/sql"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/ent/migrate/migrations"
	"mailbridge/ent/scheduledemail"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/mailbox"
)

// TestUndeliveredTriggers_MigrationIsTheRule checks that the newest
// migration defining the undelivered-email triggers is exactly
// UndeliveredTriggerSQL, so the triggers follow the one rule of which
// emails are undelivered: changing the rule without a new migration fails
// here.
func TestUndeliveredTriggers_MigrationIsTheRule(t *testing.T) {
	t.Parallel()
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		dir, err := migrations.FS(d)
		require.NoError(t, err)
		names, err := fs.Glob(dir, "*.sql")
		require.NoError(t, err)
		slices.Sort(names)
		var newest string
		for _, n := range names {
			b, err := fs.ReadFile(dir, n)
			require.NoError(t, err)
			if strings.Contains(string(b), "scheduled_emails_undelivered_insert") {
				newest = string(b)
			}
		}
		require.Equal(t, mailbox.UndeliveredTriggerSQL(d), newest,
			"%s: the newest migration with the undelivered triggers is not UndeliveredTriggerSQL: write its output into a new hand-written migration", d)
	}
}

// TestUndeliveredTriggers_FollowEveryChange checks that each state's
// undelivered count and flag (what the hasUndeliveredEmails filter reads)
// equal the rule applied to its emails after every kind of change to
// scheduled_emails, through ent and through raw SQL: inserts, deletes,
// state changes either way, bulk updates, moving an email to another state,
// and changes of other columns (which leave them alone).
func TestUndeliveredTriggers_FollowEveryChange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newRulesFixture(t, d)
		c, ctx := f.client, f.ctx
		check := func(step string) {
			t.Helper()
			emails, err := c.ScheduledEmail.Query().All(ctx)
			require.NoError(t, err)
			want := map[int]int{}
			for _, e := range emails {
				if mailbox.Undelivered(e) {
					want[e.SequenceStateID]++
				}
			}
			states, err := c.SequenceState.Query().All(ctx)
			require.NoError(t, err)
			for _, s := range states {
				require.Equal(t, want[s.ID], s.UndeliveredEmailCount, "%s: state %d", step, s.ID)
				require.Equal(t, want[s.ID] > 0, s.HasUndeliveredEmails, "%s: state %d", step, s.ID)
			}
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if d.Dialect == dialect.Postgres {
				n := 0
				q = regexp.MustCompile(`\?`).ReplaceAllStringFunc(q, func(string) string { n++; return "$" + string(rune('0'+n)) })
			}
			_, err := d.Write.ExecContext(ctx, q, args...)
			require.NoError(t, err)
		}
		check("fixture")
		s0, s1, last := f.states[0], f.states[1], f.states[len(f.states)-1]
		mb := f.mailboxes[0]

		e, err := c.ScheduledEmail.Create().SetOrgID(last.OrgID).SetSequenceStateID(last.ID).SetStep(10).
			SetMailboxID(mb.ID).SetToAddress("x@x.example").SetSubject("s").SetBody("b").Save(ctx)
		require.NoError(t, err)
		check("ent insert of a SCHEDULED email into a state without emails")
		require.NoError(t, c.ScheduledEmail.UpdateOne(e).SetState(scheduledemail.StateDELIVERING).Exec(ctx))
		check("ent update SCHEDULED → DELIVERING")
		exec(`UPDATE scheduled_emails SET state = 'SCHEDULED' WHERE id = ?`, e.ID)
		check("SQL update DELIVERING → SCHEDULED")
		exec(`UPDATE scheduled_emails SET state = 'SCHEDULED', mailbox_id = ? WHERE id = ?`, f.mailboxes[1].ID, e.ID)
		check("SQL update setting the same state")
		exec(`UPDATE scheduled_emails SET sequence_state_id = ? WHERE id = ?`, s1.ID, e.ID)
		check("SQL move to another sequence state")
		exec(`UPDATE scheduled_emails SET mailbox_id = ?, updated_at = updated_at WHERE sequence_state_id = ?`, mb.ID, s1.ID)
		check("SQL update of mailbox_id (assignMailbox)")
		_, err = c.ScheduledEmail.Update().Where(scheduledemail.SequenceStateID(s1.ID)).SetState(scheduledemail.StateDRAFTED).Save(ctx)
		require.NoError(t, err)
		check("ent bulk update to DRAFTED")
		_, err = c.ScheduledEmail.Update().Where(scheduledemail.SequenceStateID(s1.ID)).SetState(scheduledemail.StateSCHEDULED).Save(ctx)
		require.NoError(t, err)
		check("ent bulk update to SCHEDULED")
		_, err = c.ScheduledEmail.Delete().Where(scheduledemail.SequenceStateID(s0.ID), scheduledemail.StateEQ(scheduledemail.StateSCHEDULED)).Exec(ctx)
		require.NoError(t, err)
		check("ent delete of a SCHEDULED email")
		exec(`DELETE FROM scheduled_emails WHERE sequence_state_id = ?`, s1.ID)
		check("SQL delete of every email of a state")
		exec(`INSERT INTO scheduled_emails (created_at, updated_at, step, state, to_address, subject, body, org_id, sequence_state_id, mailbox_id)
			SELECT created_at, updated_at, id + 100, state, to_address, subject, body, org_id, ?, mailbox_id FROM scheduled_emails WHERE sequence_state_id <> ?`, s1.ID, s1.ID)
		check("SQL bulk insert in every state")
	})
}

// TestUndeliveredTriggers_ConcurrentChanges checks that two transactions
// delivering the two undelivered emails of one state at the same time
// leave it with none (on PostgreSQL, where they really run concurrently).
func TestUndeliveredTriggers_ConcurrentChanges(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t)
	f := newRulesFixture(t, d)
	ctx := context.Background()
	s := f.states[len(f.states)-1]
	for step := range 2 {
		require.NoError(t, f.client.ScheduledEmail.Create().SetOrgID(s.OrgID).SetSequenceStateID(s.ID).SetStep(step+10).
			SetMailboxID(f.mailboxes[0].ID).SetToAddress("x@x.example").SetSubject("s").SetBody("b").Exec(f.ctx))
	}
	deliver := func(tx *sql.Tx, step int) error {
		_, err := tx.ExecContext(ctx, `UPDATE scheduled_emails SET state = 'DELIVERED' WHERE sequence_state_id = $1 AND step = $2`, s.ID, step)
		return err
	}
	tx1, err := d.Write.BeginTx(ctx, nil)
	require.NoError(t, err)
	tx2, err := d.Write.BeginTx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, deliver(tx1, 10))
	done := make(chan error, 1)
	go func() {
		if err := deliver(tx2, 11); err != nil {
			done <- err
			return
		}
		done <- tx2.Commit()
	}()
	require.NoError(t, tx1.Commit())
	require.NoError(t, <-done)
	got, err := f.client.SequenceState.Get(f.ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, 0, got.UndeliveredEmailCount)
	require.False(t, got.HasUndeliveredEmails)
}
