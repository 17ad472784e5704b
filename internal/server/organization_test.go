package server_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/migration"
)

const migrationQuery = `query($step: MigrationStep) { migration {
  usersOnEWS usersToMigrate mailboxesOnEWS heldEmailCount earliestHeldDueAt
  progress { day usersToMigrate }
  users(first: 10, step: $step) { totalCount nodes { user { email } nextStep heldEmailCount notifiedAt graphMailbox { address } ewsMailboxes { address } } }
} }`

// TestOrganization_Migration: the dashboard counts users and mailboxes on
// EWS and the held emails, gives each user their next step in the
// article's order, reminds those who still have to act (a banner on their
// next visit, recorded once), and is for admins only, per organization.
func TestOrganization_Migration(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		org := e.org("Acme")
		admin := e.user(org, "admin@acme.com", user.RoleADMIN)
		ews := mailbox.ProviderEXCHANGE_EWS
		graph := mailbox.ProviderOFFICE365_OAUTH
		// john: EWS primary in use, secondary not connected: connect first.
		john := e.user(org, "john@acme.com", user.RoleUSER)
		johnOld := e.mailbox(john, "john@acme.com", connected(ews), isDefault, enabled)
		e.mailbox(john, "john.work@acme.com")
		e.sequenceStates(john, johnOld, 3)
		// kim: Graph mailbox on and default, old one off but holding emails.
		kim := e.user(org, "kim@acme.com", user.RoleUSER)
		kimOld := e.mailbox(kim, "kim.old@acme.com", connected(ews))
		e.mailbox(kim, "kim@acme.com", connected(graph), isDefault, enabled)
		e.sequenceStates(kim, kimOld, 2)
		// lee: Graph mailbox on, not default yet, old one off.
		lee := e.user(org, "lee@acme.com", user.RoleUSER)
		e.mailbox(lee, "lee.old@acme.com", connected(ews), isDefault)
		e.mailbox(lee, "lee@acme.com", connected(graph), enabled)
		// done: an EWS mailbox left over, nothing on it.
		done := e.user(org, "done@acme.com", user.RoleUSER)
		e.mailbox(done, "done.old@acme.com", connected(ews))
		e.mailbox(done, "done@acme.com", connected(graph), isDefault, enabled)
		// Another organization's EWS users never show.
		other := e.org("Other")
		ou := e.user(other, "x@other.com", user.RoleUSER)
		e.mailbox(ou, "x@other.com", connected(ews), isDefault, enabled)

		as := e.session(admin)
		res := e.gql(as, migrationQuery, nil).noErrors(t)
		require.EqualValues(t, 4, res.get(t, "migration.usersOnEWS"))
		require.EqualValues(t, 3, res.get(t, "migration.usersToMigrate"))
		require.EqualValues(t, 4, res.get(t, "migration.mailboxesOnEWS"))
		require.EqualValues(t, 5, res.get(t, "migration.heldEmailCount"))
		require.NotNil(t, res.get(t, "migration.earliestHeldDueAt"))
		steps := map[string]string{}
		for _, n := range res.get(t, "migration.users.nodes").([]any) {
			m := n.(map[string]any)
			steps[m["user"].(map[string]any)["email"].(string)] = m["nextStep"].(string)
		}
		require.Equal(t, map[string]string{
			"john@acme.com": string(migration.StepConnect),
			"lee@acme.com":  string(migration.StepMakeDefault),
			"kim@acme.com":  string(migration.StepAssign),
			"done@acme.com": string(migration.StepDone),
		}, steps)
		require.Equal(t, "john@acme.com", res.get(t, "migration.users.nodes.0.user.email"), "earliest step first")
		one := e.gql(as, migrationQuery, map[string]any{"step": "ASSIGN_SEQUENCE_STATES"}).noErrors(t)
		require.EqualValues(t, 1, one.get(t, "migration.users.totalCount"))
		require.Equal(t, "kim@acme.com", one.get(t, "migration.users.nodes.0.graphMailbox.address"))
		require.EqualValues(t, 2, one.get(t, "migration.users.nodes.0.heldEmailCount"))

		// Users are refused, with the stable code.
		js := e.session(john)
		require.Equal(t, "FORBIDDEN", e.gql(js, `{ migration { usersOnEWS } }`, nil).code(t))
		require.Equal(t, "FORBIDDEN", e.gql(js, `{ microsoftTenant { adminConsentGranted } }`, nil).code(t))
		require.Equal(t, "FORBIDDEN", e.gql(js, `mutation { notifyMigrationUsers(input: {}) { notified } }`, nil).code(t))

		// Notify: the two whose next step is theirs (john, lee; kim's is
		// the admin's too), once.
		n := e.gql(as, `mutation { notifyMigrationUsers(input: {}) { notified } }`, nil).noErrors(t)
		require.EqualValues(t, 2, n.get(t, "notifyMigrationUsers.notified"))
		again := e.gql(as, `mutation { notifyMigrationUsers(input: {}) { notified } }`, nil).noErrors(t)
		require.EqualValues(t, 0, again.get(t, "notifyMigrationUsers.notified"), "an open reminder is not sent twice")
		require.NotNil(t, e.gql(as, migrationQuery, nil).noErrors(t).get(t, "migration.users.nodes.0.notifiedAt"))

		banner := e.gql(js, `{ viewer { notifications { id kind message seenAt } } }`, nil).noErrors(t)
		require.Equal(t, "MIGRATION", banner.get(t, "viewer.notifications.0.kind"))
		require.Contains(t, banner.get(t, "viewer.notifications.0.message"), "Connect with Office 365")
		seen := e.gql(js, `{ viewer { notifications { seenAt } } }`, nil).noErrors(t)
		require.NotNil(t, seen.get(t, "viewer.notifications.0.seenAt"), "seeing the banner is recorded")
		require.Empty(t, e.gql(e.session(done), `{ viewer { notifications { id } } }`, nil).noErrors(t).get(t, "viewer.notifications"))
		require.Empty(t, e.gql(e.session(kim), `{ viewer { notifications { id } } }`, nil).noErrors(t).get(t, "viewer.notifications"), "kim's next step is the admin's")
		nid := banner.get(t, "viewer.notifications.0.id")
		// Another user cannot dismiss John's banner.
		require.Equal(t, "NOT_FOUND", e.gql(e.session(kim), `mutation($id: ID!) { dismissNotification(input: {notificationID: $id}) { notification { id } } }`,
			map[string]any{"id": nid}).code(t))
		e.gql(js, `mutation($id: ID!) { dismissNotification(input: {notificationID: $id}) { notification { dismissedAt } } }`,
			map[string]any{"id": nid}).noErrors(t)
		require.Empty(t, e.gql(js, `{ viewer { notifications { id } } }`, nil).noErrors(t).get(t, "viewer.notifications"))

		// The reminder is in the audit log, with who did it.
		audit := e.gql(as, `{ auditEvents(first: 5, filter: {action: "migration.notifyUsers"}) { edges { node { actor { email } targetLabel changes { field to } } } } }`, nil).noErrors(t)
		require.Equal(t, "admin@acme.com", audit.get(t, "auditEvents.edges.0.node.actor.email"))
		require.Equal(t, "Acme", audit.get(t, "auditEvents.edges.0.node.targetLabel"))
		require.Equal(t, "0", audit.get(t, "auditEvents.edges.0.node.changes.0.to"), "newest first: the second reminder reached nobody")
		require.Equal(t, "2", audit.get(t, "auditEvents.edges.1.node.changes.0.to"))

		// Snapshots: recorded by the server, one per organization and day.
		svc := migration.NewService(e.client, nil)
		require.NoError(t, svc.RecordSnapshots(t.Context()))
		require.NoError(t, svc.RecordSnapshots(t.Context()))
		prog := e.gql(as, migrationQuery, nil).noErrors(t).get(t, "migration.progress").([]any)
		require.Len(t, prog, 1)
		require.EqualValues(t, 3, prog[0].(map[string]any)["usersToMigrate"])
	})
}

// TestOrganization_MailboxFiltersAndTenant: the organization's mailbox
// list filters in error and owners without a default; the tenant view
// counts pending approvals.
func TestOrganization_MailboxFiltersAndTenant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		org := e.org("Acme")
		admin := e.user(org, "admin@acme.com", user.RoleADMIN)
		a := e.user(org, "a@acme.com", user.RoleUSER)
		e.mailbox(a, "a@acme.com", connected(mailbox.ProviderOFFICE365_OAUTH), isDefault)
		b := e.user(org, "b@acme.com", user.RoleUSER)
		bad := e.mailbox(b, "b@acme.com", connected(mailbox.ProviderOFFICE365_OAUTH))
		require.NoError(t, e.client.Mailbox.UpdateOne(bad).SetLastSyncError("Microsoft Graph answered 500.").Exec(e.sys))
		c := e.user(org, "c@acme.com", user.RoleUSER)
		pending := e.mailbox(c, "c@acme.com", isDefault)
		require.NoError(t, e.client.Mailbox.UpdateOne(pending).SetConnectionState(mailbox.ConnectionStatePENDING_ADMIN_APPROVAL).Exec(e.sys))

		as := e.session(admin)
		list := func(filter string) []string {
			res := e.gql(as, `{ mailboxes(first: 50, filter: `+filter+`, orderBy: {field: ADDRESS}) { edges { node { address } } } }`, nil).noErrors(t)
			var out []string
			for _, ed := range res.get(t, "mailboxes.edges").([]any) {
				out = append(out, ed.(map[string]any)["node"].(map[string]any)["address"].(string))
			}
			return out
		}
		require.Equal(t, []string{"b@acme.com"}, list(`{hasError: true}`))
		require.Equal(t, []string{"b@acme.com"}, list(`{ownerHasNoDefault: true}`))
		require.Equal(t, []string{"a@acme.com", "c@acme.com"}, list(`{ownerHasNoDefault: false}`))
		require.Equal(t, []string{"c@acme.com"}, list(`{connectionStates: [PENDING_ADMIN_APPROVAL]}`))
		sorted := e.gql(as, `{ mailboxes(first: 50, orderBy: {field: CONNECTION_STATE, direction: DESC}) { edges { node { address } } } }`, nil).noErrors(t)
		require.Len(t, sorted.get(t, "mailboxes.edges").([]any), 3)

		tn := e.gql(as, `{ microsoftTenant { adminConsentGranted pendingApprovalCount tenantIDs } }`, nil).noErrors(t)
		require.Equal(t, false, tn.get(t, "microsoftTenant.adminConsentGranted"))
		require.EqualValues(t, 1, tn.get(t, "microsoftTenant.pendingApprovalCount"))
	})
}
