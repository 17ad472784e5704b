package demo_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/demo"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/viewer"
)

func TestSeed_ReproducesTheArticlesSituations(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	client := d.Client()
	ctx := viewer.SystemContext(context.Background())

	seeded, err := demo.Seed(ctx, d, demo.Options{SequenceStates: 120})
	require.NoError(t, err)
	require.True(t, seeded)

	require.Equal(t, 1, client.Organization.Query().CountX(ctx))
	require.Equal(t, len(demo.People), client.User.Query().CountX(ctx))
	require.Equal(t, 1, client.User.Query().Where(user.RoleEQ(user.RoleADMIN)).CountX(ctx))

	john := client.User.Query().Where(user.Email("john@acme.com")).OnlyX(ctx)
	mbs := client.Mailbox.Query().Where(mailbox.UserID(john.ID)).Order(mailbox.ByIsDefault(sql.OrderDesc())).AllX(ctx)
	require.Len(t, mbs, 2)
	primary, work := mbs[0], mbs[1]
	require.Equal(t, "john@acme.com", primary.Address)
	require.Equal(t, mailbox.ProviderEXCHANGE_EWS, *primary.Provider)
	require.Equal(t, mailbox.ConnectionStateCONNECTED, primary.ConnectionState)
	require.True(t, primary.SyncEnabled && primary.SendEnabled && primary.IsDefault)
	require.Equal(t, "john.work@acme.com", work.Address)
	require.Nil(t, work.Provider)
	require.Equal(t, mailbox.ConnectionStateNOT_CONNECTED, work.ConnectionState)
	require.False(t, work.SyncEnabled || work.SendEnabled || work.IsDefault)

	// Every user has exactly one default mailbox.
	for _, u := range client.User.Query().AllX(ctx) {
		require.Equal(t, 1, client.Mailbox.Query().Where(mailbox.UserID(u.ID), mailbox.IsDefault(true)).CountX(ctx), u.Email)
	}
	// The sequence states and their scheduled emails sit on John's primary.
	require.Equal(t, 120, client.SequenceState.Query().Where(sequencestate.MailboxID(primary.ID)).CountX(ctx))
	scheduled := client.ScheduledEmail.Query().Where(scheduledemail.MailboxID(primary.ID), scheduledemail.StateEQ(scheduledemail.StateSCHEDULED)).CountX(ctx)
	require.Greater(t, scheduled, 50)
	require.Equal(t, scheduled, client.SequenceState.Query().
		Where(sequencestate.MailboxID(primary.ID), sequencestate.StateEQ(sequencestate.StateACTIVE)).CountX(ctx),
		"each active state has its current step scheduled")

	// A second run leaves the (possibly changed) demo alone.
	seeded, err = demo.Seed(ctx, d, demo.Options{})
	require.NoError(t, err)
	require.False(t, seeded)
	require.Equal(t, 1, client.Organization.Query().CountX(ctx))
}

// TestSeed_ConcurrentInstancesSeedOnce starts several seeders at once on
// one database, as instances starting together do: exactly one seeds, and
// there is one Acme.
func TestSeed_ConcurrentInstancesSeedOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := viewer.SystemContext(context.Background())
		// Each seeder opens its own pools, like separate processes would.
		instances := []*db.DB{d, reopen(t, d), reopen(t, d)}
		var (
			wg     sync.WaitGroup
			start  = make(chan struct{})
			seeded = make([]bool, len(instances))
			errs   = make([]error, len(instances))
		)
		for i, inst := range instances {
			wg.Go(func() {
				<-start
				seeded[i], errs[i] = demo.Seed(ctx, inst, demo.Options{SequenceStates: 20})
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		n := 0
		for _, s := range seeded {
			if s {
				n++
			}
		}
		require.Equal(t, 1, n, "exactly one instance seeds")
		orgs := d.Client().Organization.Query().AllX(ctx)
		require.Len(t, orgs, 1)
		require.Equal(t, demo.OrganizationName, orgs[0].Name)
		require.Equal(t, len(demo.People), d.Client().User.Query().CountX(ctx))
	})
}

// reopen opens a second handle on d's database.
func reopen(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	o := d.Options()
	d2, err := db.Open(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d2.Close() })
	return d2
}

func TestSetupEmulator_IsIdempotent(t *testing.T) {
	t.Parallel()
	sim, err := m365sim.New(m365sim.Config{})
	require.NoError(t, err)
	require.NoError(t, demo.SetupEmulator(sim, "http://localhost:8080"))
	first, ok := sim.App(demo.EmulatorClientID)
	require.True(t, ok)
	require.Len(t, first.RedirectURIs, 1)
	require.True(t, strings.HasPrefix(first.RedirectURIs[0], "http://localhost:8080/"), first.RedirectURIs[0])
	// Again with the same origin: nothing changes.
	require.NoError(t, demo.SetupEmulator(sim, "http://localhost:8080"))
	again, ok := sim.App(demo.EmulatorClientID)
	require.True(t, ok)
	require.Equal(t, first.RedirectURIs, again.RedirectURIs)
	// Another origin adds its redirect URI (same path) next to the first.
	require.NoError(t, demo.SetupEmulator(sim, "http://127.0.0.1:9999"))
	john, ok := sim.User("john.work@acme.com")
	require.True(t, ok, "john.work@acme.com is an alias of John's Microsoft account")
	require.Equal(t, "john@acme.com", john.UserPrincipalName)
	require.Equal(t, "john@acme.com", john.PrimaryAddress())
	admin, ok := sim.User("admin@acme.com")
	require.True(t, ok)
	require.True(t, admin.IsAdmin)
	app, ok := sim.App(demo.EmulatorClientID)
	require.True(t, ok)
	path := strings.TrimPrefix(first.RedirectURIs[0], "http://localhost:8080")
	require.Equal(t, []string{first.RedirectURIs[0], "http://127.0.0.1:9999" + path}, app.RedirectURIs)
	tenant, ok := sim.Tenant("acme.com")
	require.True(t, ok)
	require.Equal(t, m365sim.ConsentUser, tenant.ConsentMode)
}

func TestFillEmulatorMailboxes_ThreadsWithTheirProspects(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	client := d.Client()
	ctx := viewer.SystemContext(context.Background())
	_, err := demo.Seed(ctx, d, demo.Options{SequenceStates: 30})
	require.NoError(t, err)
	sim, err := m365sim.New(m365sim.Config{})
	require.NoError(t, err)
	require.NoError(t, demo.SetupEmulator(sim, "http://localhost:8080"))
	require.NoError(t, demo.FillEmulatorMailboxes(ctx, client, sim))

	inbox, err := sim.Messages("john@acme.com", "inbox")
	require.NoError(t, err)
	require.NotEmpty(t, inbox)
	prospects := map[string]bool{}
	for _, p := range client.Prospect.Query().AllX(ctx) {
		prospects[p.Email] = true
	}
	fromProspect := 0
	for _, m := range inbox {
		if prospects[m.From.Address] {
			fromProspect++
		}
	}
	require.Positive(t, fromProspect, "replies come from John's own prospects")
	sara, err := sim.Messages("sara@acme.com", "inbox")
	require.NoError(t, err)
	require.Empty(t, sara, "users without sequence states get no generated mail")

	// A second run leaves filled mailboxes alone.
	require.NoError(t, demo.FillEmulatorMailboxes(ctx, client, sim))
	again, err := sim.Messages("john@acme.com", "inbox")
	require.NoError(t, err)
	require.Len(t, again, len(inbox))
}
