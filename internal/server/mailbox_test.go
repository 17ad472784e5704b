package server_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/auditevent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

const viewerMailboxes = `{ viewer { isAdmin user { email } organization { name }
  mailboxes { id address provider connectionState syncEnabled sendEnabled isDefault needsMigration undeliveredEmailCount } } }`

// johnFixture is the seed article's situation: John with a legacy EWS
// primary mailbox (sync/send on, default) and a secondary alias that is not
// connected, plus a few scheduled emails on the primary.
type johnFixture struct {
	*env
	acme             *ent.Organization
	john, admin      *ent.User
	primary, workMbx *ent.Mailbox
}

func newJohn(t *testing.T, d *db.DB) johnFixture {
	t.Helper()
	e := newEnv(t, d, envOptions{})
	f := johnFixture{env: e, acme: e.org("Acme")}
	f.john = e.user(f.acme, "john@acme.com", user.RoleUSER)
	f.admin = e.user(f.acme, "admin@acme.com", user.RoleADMIN)
	f.primary = e.mailbox(f.john, "john@acme.com", connected(mailbox.ProviderEXCHANGE_EWS), isDefault, enabled)
	f.workMbx = e.mailbox(f.john, "john.work@acme.com")
	e.sequenceStates(f.john, f.primary, 3)
	return f
}

func TestGraphQL_ViewerMailboxes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		res := f.gql(f.token(f.john), viewerMailboxes, nil).noErrors(t)
		require.Equal(t, false, res.get(t, "viewer.isAdmin"))
		require.Equal(t, "john@acme.com", res.get(t, "viewer.user.email"))
		require.Equal(t, "Acme", res.get(t, "viewer.organization.name"))
		mbs := res.get(t, "viewer.mailboxes").([]any)
		require.Len(t, mbs, 2)
		// The default mailbox comes first.
		require.Equal(t, "john@acme.com", res.get(t, "viewer.mailboxes.0.address"))
		require.Equal(t, true, res.get(t, "viewer.mailboxes.0.isDefault"))
		require.Equal(t, "EXCHANGE_EWS", res.get(t, "viewer.mailboxes.0.provider"))
		require.Equal(t, true, res.get(t, "viewer.mailboxes.0.needsMigration"))
		require.EqualValues(t, 3, res.get(t, "viewer.mailboxes.0.undeliveredEmailCount"))
		require.Equal(t, "john.work@acme.com", res.get(t, "viewer.mailboxes.1.address"))
		require.Nil(t, res.get(t, "viewer.mailboxes.1.provider"))
		require.Equal(t, "NOT_CONNECTED", res.get(t, "viewer.mailboxes.1.connectionState"))
		require.EqualValues(t, 0, res.get(t, "viewer.mailboxes.1.undeliveredEmailCount"))
	})
}

const setSync = `mutation($id: ID!, $on: Boolean!) { setSync(input: {mailboxID: $id, enabled: $on}) { mailbox { id syncEnabled sendEnabled } } }`
const setSend = `mutation($id: ID!, $on: Boolean!) { setSend(input: {mailboxID: $id, enabled: $on}) { mailbox { id syncEnabled sendEnabled } } }`
const makeDefault = `mutation($id: ID!) { makeDefault(input: {mailboxID: $id}) { mailbox { id isDefault } previousDefault { id isDefault } } }`

func TestMutation_SetSyncAndSend(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		tok := f.token(f.john)

		// Seed step: disable Sync on the primary, keep Send on. A legacy
		// EWS connection counts as connected.
		res := f.gql(tok, setSync, map[string]any{"id": id(f.primary.ID), "on": false}).noErrors(t)
		require.Equal(t, false, res.get(t, "setSync.mailbox.syncEnabled"))
		require.Equal(t, true, res.get(t, "setSync.mailbox.sendEnabled"))
		f.gql(tok, setSync, map[string]any{"id": id(f.primary.ID), "on": true}).noErrors(t)

		// Enabling on a mailbox that is not connected is refused and changes nothing.
		for _, q := range []string{setSync, setSend} {
			res = f.gql(tok, q, map[string]any{"id": id(f.workMbx.ID), "on": true})
			require.Equal(t, "CONFLICT", res.code(t))
			require.Equal(t, "mailbox.notConnected", res.Errors[0].Extensions.ID)
			require.Contains(t, res.Errors[0].Message, "john.work@acme.com is not connected")
		}
		work := f.client.Mailbox.GetX(f.sys, f.workMbx.ID)
		require.False(t, work.SyncEnabled)
		require.False(t, work.SendEnabled)
		// Disabling is always allowed (and a no-op here).
		f.gql(tok, setSend, map[string]any{"id": id(f.workMbx.ID), "on": false}).noErrors(t)

		res = f.gql(tok, setSend, map[string]any{"id": id(f.primary.ID), "on": false}).noErrors(t)
		require.Equal(t, false, res.get(t, "setSend.mailbox.sendEnabled"))

		// Every change is audited with from/to; no-ops are not.
		events := f.client.AuditEvent.Query().Where(auditevent.TargetID(f.primary.ID)).Order(auditevent.ByID()).AllX(f.sys)
		require.Len(t, events, 3)
		require.Equal(t, "mailbox.setSync", events[0].Action)
		require.Equal(t, f.john.ID, *events[0].ActorID)
		require.NotNil(t, events[0].APITokenID)
		require.Equal(t, "syncEnabled", events[0].Changes[0].Field)
		require.Equal(t, "true", *events[0].Changes[0].From)
		require.Equal(t, "false", *events[0].Changes[0].To)
		require.Equal(t, "mailbox.setSend", events[2].Action)
		require.Zero(t, f.client.AuditEvent.Query().Where(auditevent.TargetID(f.workMbx.ID)).CountX(f.sys))
	})
}

func TestMutation_MakeDefault(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		tok := f.token(f.john)
		res := f.gql(tok, makeDefault, map[string]any{"id": id(f.workMbx.ID)}).noErrors(t)
		require.Equal(t, true, res.get(t, "makeDefault.mailbox.isDefault"))
		require.Equal(t, id(f.primary.ID), res.get(t, "makeDefault.previousDefault.id"))
		require.Equal(t, false, res.get(t, "makeDefault.previousDefault.isDefault"))

		defaults := f.client.Mailbox.Query().Where(mailbox.UserID(f.john.ID), mailbox.IsDefault(true)).AllX(f.sys)
		require.Len(t, defaults, 1)
		require.Equal(t, f.workMbx.ID, defaults[0].ID)

		// Making the default the default again changes nothing.
		res = f.gql(tok, makeDefault, map[string]any{"id": id(f.workMbx.ID)}).noErrors(t)
		require.Nil(t, res.get(t, "makeDefault.previousDefault"))
		require.Equal(t, 1, f.client.AuditEvent.Query().Where(auditevent.Action("mailbox.makeDefault")).CountX(f.sys))

		// The database itself keeps one default per user.
		err := f.client.Mailbox.UpdateOne(f.primary).SetIsDefault(true).Exec(f.sys)
		require.True(t, ent.IsConstraintError(err), "got %v", err)
	})
}

func TestMutation_AdminReadsButDoesNotChangeOthersMailboxes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		sara := f.user(f.acme, "sara@acme.com", user.RoleUSER)
		f.mailbox(sara, "sara@acme.com", isDefault)
		admin := f.token(f.admin)

		// Admins see every mailbox of the organization, with filters.
		res := f.gql(admin, `{ mailboxes(first: 10, filter: {needsMigration: true}) { totalCount edges { node { address user { email } } } } }`, nil).noErrors(t)
		require.EqualValues(t, 1, res.get(t, "mailboxes.totalCount"))
		require.Equal(t, "john@acme.com", res.get(t, "mailboxes.edges.0.node.address"))
		res = f.gql(admin, `{ mailboxes(first: 10, filter: {connectionStates: [NOT_CONNECTED]}) { totalCount } }`, nil).noErrors(t)
		require.EqualValues(t, 2, res.get(t, "mailboxes.totalCount"))
		res = f.gql(admin, `query($id: ID!) { node(id: $id) { ... on Mailbox { address } } }`, map[string]any{"id": id(f.primary.ID)}).noErrors(t)
		require.Equal(t, "john@acme.com", res.get(t, "node.address"))

		// ...but only the owner changes settings.
		for _, q := range []string{setSync, setSend} {
			res = f.gql(admin, q, map[string]any{"id": id(f.primary.ID), "on": false})
			require.Equal(t, "FORBIDDEN", res.code(t))
		}
		res = f.gql(admin, makeDefault, map[string]any{"id": id(f.workMbx.ID)})
		require.Equal(t, "FORBIDDEN", res.code(t))
		require.True(t, f.client.Mailbox.GetX(f.sys, f.primary.ID).SyncEnabled)

		// A regular user sees only their own mailboxes: others are NOT_FOUND.
		saraTok := f.token(sara)
		res = f.gql(saraTok, `{ mailboxes(first: 10) { totalCount } }`, nil).noErrors(t)
		require.EqualValues(t, 1, res.get(t, "mailboxes.totalCount"))
		res = f.gql(saraTok, setSync, map[string]any{"id": id(f.primary.ID), "on": false})
		require.Equal(t, "NOT_FOUND", res.code(t))
		res = f.gql(saraTok, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id(f.primary.ID)})
		require.Equal(t, "NOT_FOUND", res.code(t))
	})
}

func TestQuery_SequenceStatesFilters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		f.sequenceStates(f.john, f.workMbx, 2)
		q := `query($f: SequenceStateFilterInput) { sequenceStates(first: 100, filter: $f) { totalCount edges { node { mailbox { address } } } } }`
		tok := f.token(f.john)
		res := f.gql(tok, q, nil).noErrors(t)
		require.EqualValues(t, 5, res.get(t, "sequenceStates.totalCount"))
		res = f.gql(tok, q, map[string]any{"f": map[string]any{"mailboxID": id(f.workMbx.ID)}}).noErrors(t)
		require.EqualValues(t, 2, res.get(t, "sequenceStates.totalCount"))
		require.Equal(t, "john.work@acme.com", res.get(t, "sequenceStates.edges.0.node.mailbox.address"))
		res = f.gql(tok, q, map[string]any{"f": map[string]any{"hasUndeliveredEmails": true, "states": []string{"ACTIVE"}}}).noErrors(t)
		require.EqualValues(t, 5, res.get(t, "sequenceStates.totalCount"))
		res = f.gql(tok, q, map[string]any{"f": map[string]any{"prospectEmailContains": "P" + id(f.workMbx.ID) + ".1@"}}).noErrors(t)
		require.EqualValues(t, 1, res.get(t, "sequenceStates.totalCount"))
		// Another user of the organization sees none of John's.
		sara := f.user(f.acme, "sara@acme.com", user.RoleUSER)
		res = f.gql(f.token(sara), q, nil).noErrors(t)
		require.EqualValues(t, 0, res.get(t, "sequenceStates.totalCount"))
		// The admin sees them all.
		res = f.gql(f.token(f.admin), q, nil).noErrors(t)
		require.EqualValues(t, 5, res.get(t, "sequenceStates.totalCount"))
	})
}

// TestMutation_MakeDefaultConcurrently races makeDefault requests: some
// succeed, every loser gets CONFLICT (never an internal error), and exactly
// one default remains. The goroutines only record; assertions run after.
func TestMutation_MakeDefaultConcurrently(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		third := f.mailbox(f.john, "j.smith@acme.com")
		tok := f.token(f.john)
		targets := []int{f.primary.ID, f.workMbx.ID, third.ID}
		const n = 24
		var wg sync.WaitGroup
		results := make([]rawResponse, n)
		for i := range n {
			wg.Go(func() {
				results[i] = f.post(tok, makeDefault, map[string]any{"id": id(targets[i%len(targets)])})
			})
		}
		wg.Wait()
		succeeded := map[string]bool{}
		for _, r := range results {
			res := r.parse(t)
			if len(res.Errors) > 0 {
				require.Equal(t, "CONFLICT", res.code(t), "a lost race is a CONFLICT, never an internal error")
				continue
			}
			require.Equal(t, http.StatusOK, res.Status)
			succeeded[res.get(t, "makeDefault.mailbox.id").(string)] = true
		}
		require.NotEmpty(t, succeeded, "some requests must succeed")
		defaults := f.client.Mailbox.Query().Where(mailbox.UserID(f.john.ID), mailbox.IsDefault(true)).AllX(f.sys)
		require.Len(t, defaults, 1, "exactly one default remains")
		require.True(t, succeeded[id(defaults[0].ID)], "the default is one a request succeeded in making default")
	})
}
