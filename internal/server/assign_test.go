package server_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

const assignMailbox = `mutation($input: AssignMailboxInput!) { assignMailbox(input: $input) {
  dryRun background statesSelected statesAssigned emailsMoved emailsDelivering
  skipped { reason count } assignment { id status total done statesAssigned emailsMoved } } }`

func TestGraphQL_AssignMailbox(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newJohn(t, d)
		// John connected his secondary mailbox with Office 365 OAuth and
		// turned Sending on (set directly: the Connect flow is elsewhere).
		f.client.Mailbox.UpdateOne(f.workMbx).SetProvider(mailbox.ProviderOFFICE365_OAUTH).
			SetConnectionState(mailbox.ConnectionStateCONNECTED).SetSendEnabled(true).ExecX(f.sys)
		admin := f.session(f.admin)
		input := map[string]any{
			"filter":                  map[string]any{"mailboxID": id(f.primary.ID)},
			"mailboxID":               id(f.workMbx.ID),
			"updateUndeliveredEmails": true,
		}

		// The dialog's preview, then Assign, through the real handler.
		preview := f.gql(admin, assignMailbox, map[string]any{"input": merge(input, map[string]any{"dryRun": true})}).noErrors(t)
		require.Equal(t, true, preview.get(t, "assignMailbox.dryRun"))
		require.Nil(t, preview.get(t, "assignMailbox.assignment"))
		require.EqualValues(t, 3, preview.get(t, "assignMailbox.statesAssigned"))
		require.EqualValues(t, 3, preview.get(t, "assignMailbox.emailsMoved"))

		res := f.gql(admin, assignMailbox, map[string]any{"input": input}).noErrors(t)
		require.Equal(t, false, res.get(t, "assignMailbox.background"))
		require.Equal(t, "SUCCEEDED", res.get(t, "assignMailbox.assignment.status"))
		for _, field := range []string{"statesAssigned", "emailsMoved", "emailsDelivering"} {
			require.Equal(t, preview.get(t, "assignMailbox."+field), res.get(t, "assignMailbox."+field), field)
		}
		n := f.client.SequenceState.Query().Where(sequencestate.MailboxID(f.workMbx.ID)).CountX(f.sys)
		require.Equal(t, 3, n)
		n = f.client.ScheduledEmail.Query().Where(scheduledemail.MailboxID(f.workMbx.ID)).CountX(f.sys)
		require.Equal(t, 3, n)

		// Progress and result are queryable by the operation's ID.
		opID := res.get(t, "assignMailbox.assignment.id")
		op := f.gql(admin, `query($id: ID!) { assignment(id: $id) { status done total skipped { reason count } mailbox { address } } }`,
			map[string]any{"id": opID}).noErrors(t)
		require.Equal(t, "SUCCEEDED", op.get(t, "assignment.status"))
		require.Equal(t, "john.work@acme.com", op.get(t, "assignment.mailbox.address"))

		// The dialog's From list: eligible first, ineligible with the reason.
		list := f.gql(admin, `{ assignableMailboxes { eligible reason mailbox { address } } }`, nil).noErrors(t)
		require.Equal(t, true, list.get(t, "assignableMailboxes.0.eligible"))
		require.Equal(t, "john.work@acme.com", list.get(t, "assignableMailboxes.0.mailbox.address"))
		require.Equal(t, false, list.get(t, "assignableMailboxes.1.eligible"))
		require.Contains(t, list.get(t, "assignableMailboxes.1.reason"), "legacy Exchange (EWS)")

		// Another organization's states and mailboxes are NOT_FOUND.
		other := f.org("Globex")
		eve := f.user(other, "eve@globex.com", user.RoleADMIN)
		eveMbx := f.mailbox(eve, "eve@globex.com", connected(mailbox.ProviderOFFICE365_OAUTH), enabled)
		states := f.sequenceStates(eve, eveMbx, 1)
		r := f.gql(admin, assignMailbox, map[string]any{"input": map[string]any{
			"stateIDs": []string{id(states[0].ID)}, "mailboxID": id(f.workMbx.ID), "updateUndeliveredEmails": true,
		}})
		require.Equal(t, "NOT_FOUND", r.code(t))
		r = f.gql(admin, assignMailbox, map[string]any{"input": merge(input, map[string]any{"mailboxID": id(eveMbx.ID)})})
		require.Equal(t, "NOT_FOUND", r.code(t))

		// A rule's refusal carries its code, id and field.
		r = f.gql(admin, assignMailbox, map[string]any{"input": merge(input, map[string]any{"mailboxID": id(f.primary.ID)})})
		require.Equal(t, "VALIDATION_FAILED", r.code(t))
		require.Equal(t, "assignment.mailboxLegacyEWS", r.Errors[0].Extensions.ID)
		require.Equal(t, "mailboxID", r.Errors[0].Extensions.Field)

		// The organization setting is admin-only.
		r = f.gql(f.session(f.john), `mutation { setAllowCrossOwnerAssignment(input: {enabled: true}) { organization { allowCrossOwnerAssignment } } }`, nil)
		require.Equal(t, "FORBIDDEN", r.code(t))
		ok := f.gql(admin, `mutation { setAllowCrossOwnerAssignment(input: {enabled: true}) { organization { allowCrossOwnerAssignment } } }`, nil).noErrors(t)
		require.Equal(t, true, ok.get(t, "setAllowCrossOwnerAssignment.organization.allowCrossOwnerAssignment"))
	})
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
