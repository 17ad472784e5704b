package mailbox_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
	"mailbridge/ent/user"
	"mailbridge/internal/apperr"
	"mailbridge/internal/db"
	"mailbridge/internal/jobs"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/viewer"
)

// fixture is one organization with an admin, two users and their
// mailboxes, built directly in the database (no mailbox is connected
// through the UI yet, so connection states are set here).
type fixture struct {
	t      testing.TB
	d      *db.DB
	client *ent.Client
	sys    context.Context
	org    *ent.Organization
	admin  *ent.User
	john   *ent.User
	sara   *ent.User
	// John's mailboxes: legacy EWS primary, OAuth secondary (Connected,
	// Sending on), and one not connected.
	johnEWS, johnOAuth, johnIdle *ent.Mailbox
	// Sara's connected mailbox.
	saraOAuth *ent.Mailbox
	seq       *ent.Sequence
	n         int
}

func newFixture(t testing.TB, d *db.DB, name string) *fixture {
	t.Helper()
	f := &fixture{t: t, d: d, client: d.Client(), sys: viewer.SystemContext(context.Background())}
	var err error
	f.org, err = f.client.Organization.Create().SetName(name).Save(f.sys)
	require.NoError(t, err)
	f.admin = f.user("admin", user.RoleADMIN)
	f.john = f.user("john", user.RoleUSER)
	f.sara = f.user("sara", user.RoleUSER)
	f.johnEWS = f.mailbox(f.john, "john", func(c *ent.MailboxCreate) {
		c.SetProvider(entmailbox.ProviderEXCHANGE_EWS).SetConnectionState(entmailbox.ConnectionStateCONNECTED).
			SetSendEnabled(true).SetSyncEnabled(true).SetIsDefault(true)
	})
	f.johnOAuth = f.mailbox(f.john, "john.work", connectedOAuth)
	f.johnIdle = f.mailbox(f.john, "john.old", func(*ent.MailboxCreate) {})
	f.saraOAuth = f.mailbox(f.sara, "sara", connectedOAuth)
	f.seq, err = f.client.Sequence.Create().SetOrgID(f.org.ID).SetUserID(f.john.ID).SetName("Outreach").SetStepCount(6).Save(f.sys)
	require.NoError(t, err)
	return f
}

func connectedOAuth(c *ent.MailboxCreate) {
	c.SetProvider(entmailbox.ProviderOFFICE365_OAUTH).SetConnectionState(entmailbox.ConnectionStateCONNECTED).
		SetSendEnabled(true).SetSyncEnabled(true)
}

func (f *fixture) user(local string, role user.Role) *ent.User {
	f.t.Helper()
	u, err := f.client.User.Create().SetOrgID(f.org.ID).SetEmail(fmt.Sprintf("%s@%d.example.com", local, f.org.ID)).
		SetName(local).SetRole(role).Save(f.sys)
	require.NoError(f.t, err)
	return u
}

func (f *fixture) mailbox(u *ent.User, local string, opt func(*ent.MailboxCreate)) *ent.Mailbox {
	f.t.Helper()
	c := f.client.Mailbox.Create().SetOrgID(f.org.ID).SetUserID(u.ID).SetAddress(fmt.Sprintf("%s@%d.example.com", local, f.org.ID))
	opt(c)
	mb, err := c.Save(f.sys)
	require.NoError(f.t, err)
	return mb
}

// states enrols n prospects of owner on mb, each with one email per given
// email state (steps 1, 2, …).
func (f *fixture) states(owner *ent.User, mb *ent.Mailbox, n int, st sequencestate.State, emails ...scheduledemail.State) []*ent.SequenceState {
	f.t.Helper()
	ps := make([]*ent.ProspectCreate, n)
	for i := range ps {
		f.n++
		ps[i] = f.client.Prospect.Create().SetOrgID(f.org.ID).SetEmail(fmt.Sprintf("p%d@example.com", f.n))
	}
	prospects, err := f.client.Prospect.CreateBulk(ps...).Save(f.sys)
	require.NoError(f.t, err)
	ss := make([]*ent.SequenceStateCreate, n)
	for i, p := range prospects {
		ss[i] = f.client.SequenceState.Create().SetOrgID(f.org.ID).SetSequenceID(f.seq.ID).SetProspectID(p.ID).
			SetUserID(owner.ID).SetMailboxID(mb.ID).SetState(st)
	}
	states, err := f.client.SequenceState.CreateBulk(ss...).Save(f.sys)
	require.NoError(f.t, err)
	var es []*ent.ScheduledEmailCreate
	for i, s := range states {
		for step, e := range emails {
			es = append(es, f.client.ScheduledEmail.Create().SetOrgID(f.org.ID).SetSequenceStateID(s.ID).SetStep(step+1).
				SetMailboxID(mb.ID).SetState(e).SetToAddress(prospects[i].Email).SetSubject("Hi").SetBody("Hello").
				SetSendAt(time.Now().Add(time.Hour)))
		}
	}
	for chunk := range slices.Chunk(es, 500) {
		require.NoError(f.t, f.client.ScheduledEmail.CreateBulk(chunk...).Exec(f.sys))
	}
	return states
}

func (f *fixture) as(u *ent.User) context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{UserID: u.ID, OrgID: u.OrgID, Admin: u.Role == user.RoleADMIN})
}

// snapshot maps each state of the organization (by prospect) to its
// mailbox address, and each email (by prospect and step) to its mailbox
// address and state: what "the same result" means across two datasets.
func (f *fixture) snapshot() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	states, err := f.client.SequenceState.Query().Where(sequencestate.OrgID(f.org.ID)).
		WithProspect().WithMailbox().WithScheduledEmails(func(q *ent.ScheduledEmailQuery) { q.WithMailbox() }).All(f.sys)
	require.NoError(f.t, err)
	local := func(addr string) string { return addr[:len(addr)-len(fmt.Sprintf("@%d.example.com", f.org.ID))] }
	for _, s := range states {
		key := s.Edges.Prospect.Email
		out[key] = local(s.Edges.Mailbox.Address) + "/" + string(s.State)
		for _, e := range s.Edges.ScheduledEmails {
			out[fmt.Sprintf("%s#%d", key, e.Step)] = local(e.Edges.Mailbox.Address) + "/" + string(e.State)
		}
	}
	return out
}

func ids(states ...[]*ent.SequenceState) []int {
	var out []int
	for _, ss := range states {
		for _, s := range ss {
			out = append(out, s.ID)
		}
	}
	return out
}

// recorder is a jobs.Inserter that really inserts, through a River
// insert-only client, and remembers the assignment IDs.
func newInserter(t testing.TB, d *db.DB) jobs.Inserter {
	t.Helper()
	ins, err := jobs.NewInserter(d, nil)
	require.NoError(t, err)
	return ins
}

func requireAppErr(t testing.TB, err error, kind apperr.Kind, id string) {
	t.Helper()
	require.Error(t, err)
	pub, ok := apperr.As(err)
	require.True(t, ok, "want a public error, got %v", err)
	require.Equal(t, kind, pub.Kind, "error %s: %s", pub.ID, pub.Message)
	require.Equal(t, id, pub.ID, pub.Message)
}

func countRows(t testing.TB, d *db.DB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, d.Write.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

var _ = mailbox.DefaultChunkSize
