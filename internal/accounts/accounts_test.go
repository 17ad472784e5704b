package accounts_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/user"
	"mailbridge/internal/accounts"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

// TestOrganizationsAndUsers: names are unique, a reference is never
// ambiguous (exact name first, then a case-insensitive match that must be
// the only one, or an ID), and users are unique per organization.
func TestOrganizationsAndUsers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := d.Client()
		acme, err := accounts.CreateOrganization(ctx, c, " Acme ")
		require.NoError(t, err)
		require.Equal(t, "Acme", acme.Name)
		_, err = accounts.CreateOrganization(ctx, c, "Acme")
		require.ErrorContains(t, err, `an organization named "Acme" already exists`)
		loud, err := accounts.CreateOrganization(ctx, c, "ACME")
		require.NoError(t, err)
		initech, err := accounts.CreateOrganization(ctx, c, "Initech")
		require.NoError(t, err)

		for ref, want := range map[string]int{"Acme": acme.ID, "ACME": loud.ID, "initech": initech.ID, strconv.Itoa(loud.ID): loud.ID} {
			o, err := accounts.FindOrganization(ctx, c, ref)
			require.NoError(t, err, ref)
			require.Equal(t, want, o.ID, ref)
		}
		_, err = accounts.FindOrganization(ctx, c, "acme")
		require.ErrorContains(t, err, "several organizations match")
		require.ErrorContains(t, err, strconv.Itoa(acme.ID))
		require.ErrorContains(t, err, strconv.Itoa(loud.ID))
		_, err = accounts.FindOrganization(ctx, c, "Globex")
		require.ErrorIs(t, err, accounts.ErrNotFound)

		alex, err := accounts.CreateUser(ctx, c, acme, accounts.NewUser{Email: "alex@acme.com", Name: "Alex", Admin: true})
		require.NoError(t, err)
		require.Equal(t, user.RoleADMIN, alex.Role)
		require.Equal(t, "UTC", alex.TimeZone)
		_, err = accounts.CreateUser(ctx, c, acme, accounts.NewUser{Email: "ALEX@acme.com", Name: "Alex again"})
		require.ErrorContains(t, err, "already has a user")
		_, err = accounts.CreateUser(ctx, c, loud, accounts.NewUser{Email: "alex@acme.com", Name: "Alex elsewhere"})
		require.NoError(t, err, "the same address may exist in another organization")
		_, err = accounts.CreateUser(ctx, c, acme, accounts.NewUser{Email: "Alex <a@acme.com>", Name: "A"})
		require.ErrorContains(t, err, "not an email address")
		_, err = accounts.CreateUser(ctx, c, acme, accounts.NewUser{Email: "b@acme.com", Name: "B", TimeZone: "Mars/Olympus"})
		require.ErrorContains(t, err, "IANA time zone")

		u, err := accounts.FindUser(ctx, c, acme, "Alex@Acme.com")
		require.NoError(t, err)
		require.Equal(t, alex.ID, u.ID)
		_, err = accounts.FindUser(ctx, c, initech, strconv.Itoa(alex.ID))
		require.ErrorIs(t, err, accounts.ErrNotFound, "a user of another organization is not found")
	})
}
