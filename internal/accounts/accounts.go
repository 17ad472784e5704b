// Package accounts finds and creates organizations and users for operators
// (the mailbridge command line). It runs with viewer.SystemContext: the
// caller is whoever can reach the database, so there is no viewer to check.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"mailbridge/ent"
	"mailbridge/ent/organization"
	"mailbridge/ent/user"
	"mailbridge/internal/viewer"
)

// ErrNotFound is returned (wrapped) when a reference matches nothing.
var ErrNotFound = errors.New("not found")

// FindOrganization resolves ref: an organization ID, or its name (exact
// first, then case-insensitive). A case-insensitive name that matches
// several organizations is refused with their IDs, so the caller can pick.
func FindOrganization(ctx context.Context, client *ent.Client, ref string) (*ent.Organization, error) {
	ctx = viewer.SystemContext(ctx)
	if id, err := strconv.Atoi(ref); err == nil {
		return one(client.Organization.Query().Where(organization.ID(id)).Only(ctx))
	}
	if o, err := client.Organization.Query().Where(organization.Name(ref)).Only(ctx); !ent.IsNotFound(err) {
		return o, err
	}
	orgs, err := client.Organization.Query().Where(organization.NameEqualFold(ref)).Limit(10).All(ctx)
	switch {
	case err != nil:
		return nil, err
	case len(orgs) == 0:
		return nil, ErrNotFound
	case len(orgs) > 1:
		ids := make([]string, len(orgs))
		for i, o := range orgs {
			ids[i] = fmt.Sprintf("%d (%s)", o.ID, o.Name)
		}
		return nil, fmt.Errorf("several organizations match; give the exact name or one of the IDs: %s", strings.Join(ids, ", "))
	}
	return orgs[0], nil
}

// FindUser resolves ref, a user ID or an email address (case-insensitive),
// among the users of org.
func FindUser(ctx context.Context, client *ent.Client, org *ent.Organization, ref string) (*ent.User, error) {
	ctx = viewer.SystemContext(ctx)
	q := client.User.Query().Where(user.OrgID(org.ID))
	if id, err := strconv.Atoi(ref); err == nil {
		q.Where(user.ID(id))
	} else {
		q.Where(user.EmailEqualFold(ref))
	}
	return one(q.Only(ctx))
}

func one[T any](v T, err error) (T, error) {
	if ent.IsNotFound(err) {
		return v, ErrNotFound
	}
	return v, err
}

// CreateOrganization creates an organization. Names are unique.
func CreateOrganization(ctx context.Context, client *ent.Client, name string) (*ent.Organization, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, errors.New("the organization name must be 1 to 200 characters")
	}
	o, err := client.Organization.Create().SetName(name).Save(viewer.SystemContext(ctx))
	if ent.IsConstraintError(err) {
		return nil, fmt.Errorf("an organization named %q already exists", name)
	}
	return o, err
}

// NewUser describes a user to create.
type NewUser struct {
	Email, Name string
	Admin       bool
	TimeZone    string // IANA zone; empty means UTC
}

// CreateUser creates a user in org.
func CreateUser(ctx context.Context, client *ent.Client, org *ent.Organization, in NewUser) (*ent.User, error) {
	addr, err := mail.ParseAddress(in.Email)
	if err != nil || addr.Address != strings.TrimSpace(in.Email) {
		return nil, fmt.Errorf("%q is not an email address", in.Email)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, errors.New("the user's name must be 1 to 200 characters")
	}
	tz := in.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return nil, fmt.Errorf("%q is not an IANA time zone such as Europe/London", tz)
	}
	role := user.RoleUSER
	if in.Admin {
		role = user.RoleADMIN
	}
	ctx = viewer.SystemContext(ctx)
	exists, err := client.User.Query().Where(user.OrgID(org.ID), user.EmailEqualFold(addr.Address)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, fmt.Errorf("%s already has a user %s", org.Name, addr.Address)
	}
	u, err := client.User.Create().SetOrgID(org.ID).SetEmail(addr.Address).SetName(name).
		SetRole(role).SetTimeZone(tz).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, fmt.Errorf("%s already has a user %s", org.Name, addr.Address)
	}
	return u, err
}
