package server_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/auth"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	mbsvc "mailbridge/internal/mailbox"
	"mailbridge/internal/viewer"
)

// TestIsolation_EveryOperationAcrossOrganizations signs in as the admin of
// one organization and aims every query and mutation at the other's objects:
// nothing is returned, nothing changes, and foreign IDs answer NOT_FOUND
// exactly like unknown ones.
func TestIsolation_EveryOperationAcrossOrganizations(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d) // organization A: Acme
		seqState := f.client.SequenceState.Query().FirstX(f.sys)
		email := f.client.ScheduledEmail.Query().FirstX(f.sys)
		_, aTok, err := f.authn.CreateAPIToken(f.sys, auth.NewAPIToken{UserID: f.john.ID, Name: "a"})
		require.NoError(t, err)
		// An audit event in A.
		f.gql(f.token(f.john), setSync, map[string]any{"id": id(f.primary.ID), "on": false}).noErrors(t)
		auditA := f.client.AuditEvent.Query().FirstX(f.sys)

		orgB := f.org("Globex")
		bAdmin := f.user(orgB, "boss@globex.com", user.RoleADMIN)
		bMbx := f.mailbox(bAdmin, "boss@globex.com", connected(mailbox.ProviderOFFICE365_OAUTH), isDefault)
		b := f.token(bAdmin)

		foreign := map[string]int{
			"organization": f.acme.ID, "user": f.john.ID, "mailbox": f.primary.ID,
			"sequenceState": seqState.ID, "sequence": seqState.SequenceID, "prospect": seqState.ProspectID,
			"scheduledEmail": email.ID, "auditEvent": auditA.ID, "apiToken": aTok.ID,
		}
		for name, fid := range foreign {
			res := f.gql(b, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id(fid)})
			require.Equal(t, "NOT_FOUND", res.code(t), name)
			require.Nil(t, res.get(t, "node"), name)
		}
		// An ID that exists nowhere answers the same.
		res := f.gql(b, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id(f.primary.ID + 1000)})
		require.Equal(t, "NOT_FOUND", res.code(t))

		res = f.gql(b, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{id(f.primary.ID), id(bMbx.ID)}})
		require.Len(t, res.Errors, 1)
		require.Equal(t, "NOT_FOUND", res.Errors[0].Extensions.Code)
		require.Nil(t, res.get(t, "nodes.0"))
		require.Equal(t, id(bMbx.ID), res.get(t, "nodes.1.id"))

		lists := map[string]string{
			"mailboxes":      `query($u: ID) { r: mailboxes(first: 100, filter: {userID: $u}) { totalCount } }`,
			"sequenceStates": `query($u: ID) { r: sequenceStates(first: 100, filter: {userID: $u}) { totalCount } }`,
			"auditEvents":    `query($u: ID) { r: auditEvents(first: 100, filter: {actorID: $u}) { totalCount } }`,
		}
		for name, q := range lists {
			res := f.gql(b, q, map[string]any{"u": id(f.john.ID)}).noErrors(t)
			require.EqualValues(t, 0, res.get(t, "r.totalCount"), name)
		}
		res = f.gql(b, `{ users(first: 100) { edges { node { email } } } apiTokens { name }
		  viewer { organization { name } mailboxes { address } } mailboxes(first: 100) { totalCount } }`, nil).noErrors(t)
		require.Len(t, res.get(t, "users.edges").([]any), 1)
		require.Equal(t, "boss@globex.com", res.get(t, "users.edges.0.node.email"))
		require.Len(t, res.get(t, "apiTokens").([]any), 1, "only B's own token")
		require.Equal(t, "Globex", res.get(t, "viewer.organization.name"))
		require.EqualValues(t, 1, res.get(t, "mailboxes.totalCount"))

		mutations := map[string]struct {
			q    string
			vars map[string]any
		}{
			"setSync":        {setSync, map[string]any{"id": id(f.primary.ID), "on": false}},
			"setSend":        {setSend, map[string]any{"id": id(f.primary.ID), "on": false}},
			"makeDefault":    {makeDefault, map[string]any{"id": id(f.workMbx.ID)}},
			"createAPIToken": {`mutation($u: ID) { createAPIToken(input: {userID: $u, name: "x"}) { token } }`, map[string]any{"u": id(f.john.ID)}},
			"revokeAPIToken": {`mutation($t: ID!) { revokeAPIToken(input: {apiTokenID: $t}) { apiToken { id } } }`, map[string]any{"t": id(aTok.ID)}},
		}
		for name, m := range mutations {
			res := f.gql(b, m.q, m.vars)
			require.Equal(t, "NOT_FOUND", res.code(t), name)
		}
		// Nothing in A changed.
		p := f.client.Mailbox.GetX(f.sys, f.primary.ID)
		require.True(t, p.IsDefault)
		require.True(t, p.SendEnabled)
		require.Nil(t, f.client.APIToken.GetX(f.sys, aTok.ID).RevokedAt)
		require.Equal(t, 3, f.client.APIToken.Query().CountX(f.sys), "A's two tokens and B's one")

		// The service layer itself refuses too, without GraphQL in the way.
		bCtx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: bAdmin.ID, OrgID: orgB.ID, Admin: true})
		_, err = mbsvc.NewService(f.client, d.Dialect == "postgres").Set(bCtx, f.primary.ID, mbsvc.Send, false)
		require.Error(t, err)
		require.True(t, f.client.Mailbox.GetX(f.sys, f.primary.ID).SendEnabled)
	})
}
