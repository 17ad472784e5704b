package mailbox_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/txn"
	"mailbridge/internal/viewer"
)

// rulesFixture is one organization with mailboxes of every provider and
// sequence states whose emails are in every state.
type rulesFixture struct {
	client    *ent.Client
	ctx       context.Context
	mailboxes []*ent.Mailbox
	states    []*ent.SequenceState
	emails    []*ent.ScheduledEmail
}

func newRulesFixture(t *testing.T, d *db.DB) rulesFixture {
	t.Helper()
	c := d.Client()
	ctx := viewer.SystemContext(t.Context())
	f := rulesFixture{client: c, ctx: ctx}
	o, err := c.Organization.Create().SetName("Acme").Save(ctx)
	require.NoError(t, err)
	u, err := c.User.Create().SetOrgID(o.ID).SetEmail("u@acme.example").SetName("U").Save(ctx)
	require.NoError(t, err)
	providers := []*entmailbox.Provider{nil, ptr(entmailbox.ProviderOFFICE365_OAUTH), ptr(entmailbox.ProviderEXCHANGE_EWS)}
	for i, p := range providers {
		mb, err := c.Mailbox.Create().SetOrgID(o.ID).SetUserID(u.ID).SetAddress(fmt.Sprintf("m%d@acme.example", i)).
			SetNillableProvider(p).Save(ctx)
		require.NoError(t, err)
		f.mailboxes = append(f.mailboxes, mb)
	}
	seq, err := c.Sequence.Create().SetOrgID(o.ID).SetUserID(u.ID).SetName("S").SetStepCount(6).Save(ctx)
	require.NoError(t, err)
	states := []scheduledemail.State{
		scheduledemail.StateDRAFTED, scheduledemail.StateSCHEDULED, scheduledemail.StateDELIVERING,
		scheduledemail.StateDELIVERED, scheduledemail.StateFAILED, scheduledemail.StateBOUNCED,
	}
	// State i has emails in the states states[i:], on mailbox i%3: the
	// last state has one email, and one more state has none at all.
	for i := range len(states) + 1 {
		p, err := c.Prospect.Create().SetOrgID(o.ID).SetEmail(fmt.Sprintf("p%d@x.example", i)).Save(ctx)
		require.NoError(t, err)
		mb := f.mailboxes[i%len(f.mailboxes)]
		s, err := c.SequenceState.Create().SetOrgID(o.ID).SetSequenceID(seq.ID).SetProspectID(p.ID).
			SetUserID(u.ID).SetMailboxID(mb.ID).Save(ctx)
		require.NoError(t, err)
		f.states = append(f.states, s)
		for step, st := range states[min(i, len(states)):] {
			e, err := c.ScheduledEmail.Create().SetOrgID(o.ID).SetSequenceStateID(s.ID).SetStep(step + 1).
				SetMailboxID(mb.ID).SetState(st).SetToAddress(p.Email).SetSubject("s").SetBody("b").Save(ctx)
			require.NoError(t, err)
			f.emails = append(f.emails, e)
		}
	}
	return f
}

func ptr[T any](v T) *T { return &v }

// TestRules_NeedsMigrationAgrees checks that the needsMigration field
// (NeedsMigration) and filter (WhereNeedsMigration) select the same
// mailboxes, for every provider including none.
func TestRules_NeedsMigrationAgrees(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newRulesFixture(t, d)
		for _, want := range []bool{true, false} {
			ids, err := f.client.Mailbox.Query().Where(mailbox.WhereNeedsMigration(want)).IDs(f.ctx)
			require.NoError(t, err)
			var inMemory []int
			for _, m := range f.mailboxes {
				if mailbox.NeedsMigration(m) == want {
					inMemory = append(inMemory, m.ID)
				}
			}
			require.ElementsMatch(t, inMemory, ids, "needsMigration=%v", want)
			require.NotEmpty(t, ids)
		}
	})
}

// TestRules_UndeliveredAgrees checks that Undelivered, its SQL form, the
// hasUndeliveredEmails filter and the per-mailbox counts agree for emails
// in every state.
func TestRules_UndeliveredAgrees(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newRulesFixture(t, d)
		ids, err := f.client.ScheduledEmail.Query().Where(mailbox.WhereUndelivered()).IDs(f.ctx)
		require.NoError(t, err)
		var undelivered []int
		perState, perMailbox := map[int]bool{}, map[int]int{}
		for _, e := range f.emails {
			if mailbox.Undelivered(e) {
				undelivered = append(undelivered, e.ID)
				perState[e.SequenceStateID] = true
				perMailbox[e.MailboxID]++
			}
		}
		require.ElementsMatch(t, undelivered, ids)
		require.NotEmpty(t, ids)
		require.Less(t, len(ids), len(f.emails))

		for _, want := range []bool{true, false} {
			got, err := f.client.SequenceState.Query().Where(mailbox.WhereHasUndelivered(want)).IDs(f.ctx)
			require.NoError(t, err)
			var expect []int
			for _, s := range f.states {
				if perState[s.ID] == want {
					expect = append(expect, s.ID)
				}
			}
			require.ElementsMatch(t, expect, got, "hasUndelivered=%v", want)
			require.NotEmpty(t, got)
		}

		var mbIDs []int
		for _, m := range f.mailboxes {
			mbIDs = append(mbIDs, m.ID)
		}
		mbIDs = append(mbIDs, 1) // no such mailbox: counted as 0
		counts, err := mailbox.UndeliveredCounts(f.ctx, f.client, mbIDs)
		require.NoError(t, err)
		require.Len(t, counts, len(mbIDs))
		for _, id := range mbIDs {
			require.Equal(t, perMailbox[id], counts[id], "mailbox %d", id)
		}
	})
}

// TestRules_UndeliveredCountsReadThroughTheTransaction checks that the count
// loader sees the request's own uncommitted writes: on SQLite a plain read
// would go to the read pool (the committed snapshot), on PostgreSQL to
// another connection.
func TestRules_UndeliveredCountsReadThroughTheTransaction(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newRulesFixture(t, d)
		mb := f.mailboxes[0]
		before, err := mailbox.UndeliveredCounts(f.ctx, f.client, []int{mb.ID})
		require.NoError(t, err)
		s := f.states[len(f.states)-1]
		err = txn.Run(f.ctx, f.client, func(ctx context.Context, c *ent.Client) error {
			_, err := c.SequenceState.Update().Where(sequencestate.ID(s.ID)).SetMailboxID(mb.ID).Save(ctx)
			require.NoError(t, err)
			require.NoError(t, c.ScheduledEmail.Create().SetOrgID(s.OrgID).SetSequenceStateID(s.ID).SetStep(50).
				SetMailboxID(mb.ID).SetToAddress("x@x.example").SetSubject("s").SetBody("b").Exec(ctx))
			inTx, err := mailbox.UndeliveredCounts(ctx, f.client, []int{mb.ID})
			require.NoError(t, err)
			require.Equal(t, before[mb.ID]+1, inTx[mb.ID], "the count inside the transaction misses its own write")
			return fmt.Errorf("roll back")
		})
		require.EqualError(t, err, "roll back")
		after, err := mailbox.UndeliveredCounts(f.ctx, f.client, []int{mb.ID})
		require.NoError(t, err)
		require.Equal(t, before, after)
	})
}
