package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/syncedmessage"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

// syncedMailbox is a connected mailbox of u whose account has n synced
// messages with prospect p, one a minute, the newest last.
func (e *env) syncedMailbox(u *ent.User, address string, p *ent.Prospect, n int) *ent.Mailbox {
	e.t.Helper()
	acct, err := e.client.MicrosoftAccount.Create().SetOrgID(u.OrgID).SetUserID(u.ID).SetTenantID("t").
		SetObjectID(address).SetUserPrincipalName(address).Save(e.sys)
	require.NoError(e.t, err)
	mb := e.mailbox(u, address, connected(mailbox.ProviderOFFICE365_OAUTH), enabled)
	mb, err = mb.Update().SetMicrosoftAccountID(acct.ID).SetSyncStage(mailbox.SyncStageINITIAL_SYNC).
		SetSyncProgressDone(1200).SetSyncProgressTotal(5000).Save(e.sys)
	require.NoError(e.t, err)
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		require.NoError(e.t, e.client.SyncedMessage.Create().SetOrgID(u.OrgID).SetUserID(u.ID).SetMicrosoftAccountID(acct.ID).
			SetGraphID(fmt.Sprintf("%s-%d", address, i)).SetFolder(syncedmessage.FolderINBOX).SetSubject(fmt.Sprintf("%s #%d", address, i)).
			SetFromAddress(p.Email).SetReceivedAt(base.Add(time.Duration(i)*time.Minute)).AddProspects(p).Exec(e.sys))
	}
	return mb
}

const mailboxMessages = `{ viewer { mailboxes { address syncStage syncProgressDone syncProgressTotal
  syncedMessages(first: 2) { edges { node { subject fromAddress prospects { email } } } pageInfo { hasNextPage endCursor } } } } }`

const prospectMessages = `query($id: ID!, $after: Cursor) { node(id: $id) { ... on Prospect { email
  syncedMessages(first: 2, after: $after) { edges { node { subject } } pageInfo { hasNextPage endCursor } } } } }`

// Synced messages read per mailbox and per prospect, newest first, page by
// page; other users (non-admins) and other organizations see none of them.
func TestGraphQL_SyncedMessages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		acme := e.org("Acme")
		ann := e.user(acme, "ann@acme.com", user.RoleUSER)
		bob := e.user(acme, "bob@acme.com", user.RoleUSER)
		pat, err := e.client.Prospect.Create().SetOrgID(acme.ID).SetEmail("pat@customer.example").Save(e.sys)
		require.NoError(t, err)
		e.syncedMailbox(ann, "ann@acme.com", pat, 3)
		e.syncedMailbox(bob, "bob@acme.com", pat, 1)

		res := e.gql(e.token(ann), mailboxMessages, nil).noErrors(t)
		require.Equal(t, "INITIAL_SYNC", res.get(t, "viewer.mailboxes.0.syncStage"))
		require.EqualValues(t, 1200, res.get(t, "viewer.mailboxes.0.syncProgressDone"))
		require.EqualValues(t, 5000, res.get(t, "viewer.mailboxes.0.syncProgressTotal"))
		require.Equal(t, "ann@acme.com #2", res.get(t, "viewer.mailboxes.0.syncedMessages.edges.0.node.subject"))
		require.Equal(t, "ann@acme.com #1", res.get(t, "viewer.mailboxes.0.syncedMessages.edges.1.node.subject"))
		require.Equal(t, "pat@customer.example", res.get(t, "viewer.mailboxes.0.syncedMessages.edges.0.node.prospects.0.email"))
		require.Equal(t, true, res.get(t, "viewer.mailboxes.0.syncedMessages.pageInfo.hasNextPage"))

		// Per prospect, as Ann: only Ann's messages, newest first, two pages.
		res = e.gql(e.token(ann), prospectMessages, map[string]any{"id": id(pat.ID)}).noErrors(t)
		require.Equal(t, "ann@acme.com #2", res.get(t, "node.syncedMessages.edges.0.node.subject"))
		require.Equal(t, "ann@acme.com #1", res.get(t, "node.syncedMessages.edges.1.node.subject"))
		res = e.gql(e.token(ann), prospectMessages, map[string]any{"id": id(pat.ID), "after": res.get(t, "node.syncedMessages.pageInfo.endCursor")}).noErrors(t)
		require.Len(t, res.get(t, "node.syncedMessages.edges"), 1)
		require.Equal(t, "ann@acme.com #0", res.get(t, "node.syncedMessages.edges.0.node.subject"))
		require.Equal(t, false, res.get(t, "node.syncedMessages.pageInfo.hasNextPage"))

		// An admin sees everyone's; another organization nothing.
		admin := e.user(acme, "admin@acme.com", user.RoleADMIN)
		res = e.gql(e.token(admin), prospectMessages, map[string]any{"id": id(pat.ID)}).noErrors(t)
		require.Equal(t, "ann@acme.com #2", res.get(t, "node.syncedMessages.edges.0.node.subject"))
		other := e.user(e.org("Globex"), "eve@globex.com", user.RoleADMIN)
		res = e.gql(e.token(other), prospectMessages, map[string]any{"id": id(pat.ID)})
		require.Equal(t, "NOT_FOUND", res.code(t))
	})
}

// Only admins change the headers-only setting; turning it on drops the
// snippets already stored.
func TestGraphQL_SetSyncHeadersOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), envOptions{})
	acme := e.org("Acme")
	ann := e.user(acme, "ann@acme.com", user.RoleUSER)
	admin := e.user(acme, "admin@acme.com", user.RoleADMIN)
	pat, err := e.client.Prospect.Create().SetOrgID(acme.ID).SetEmail("pat@customer.example").Save(e.sys)
	require.NoError(t, err)
	e.syncedMailbox(ann, "ann@acme.com", pat, 1)
	_, err = e.client.SyncedMessage.Update().SetSnippet("secret").Save(e.sys)
	require.NoError(t, err)

	const set = `mutation($on: Boolean!) { setSyncHeadersOnly(input: {enabled: $on}) { organization { syncHeadersOnly } } }`
	require.Equal(t, "FORBIDDEN", e.gql(e.token(ann), set, map[string]any{"on": true}).code(t))
	res := e.gql(e.token(admin), set, map[string]any{"on": true}).noErrors(t)
	require.Equal(t, true, res.get(t, "setSyncHeadersOnly.organization.syncHeadersOnly"))
	n, err := e.client.SyncedMessage.Query().Where(syncedmessage.SnippetNotNil()).Count(e.sys)
	require.NoError(t, err)
	require.Zero(t, n)
}
