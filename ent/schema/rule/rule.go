// Package rule holds the ent privacy rules. They are the one central place
// where organization isolation and per-user visibility are enforced: every
// query (including Relay node lookups) and every mutation of an org-scoped
// entity passes through them, whatever resolver, job or CLI issued it.
//
// Rules read the viewer from the context (internal/viewer). Trusted system
// code (authentication lookups, seeding, the CLI) runs with
// viewer.SystemContext, which bypasses the policies explicitly.
package rule

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/entql"

	"mailbridge/ent/privacy"
	"mailbridge/internal/viewer"
)

// requireViewer returns the viewer of ctx, or a denial for requests that
// carry no authenticated viewer.
func requireViewer(ctx context.Context) (*viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, privacy.Denyf("rule: no viewer in context")
	}
	return v, nil
}

// OrgPolicy confines every query and mutation of an org-scoped entity to the
// viewer's organization: queries and updates are filtered by org_id, and
// creations must name the viewer's org (or get it set).
func OrgPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{filterOrg()},
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(privacy.MutationRuleFunc(createInOwnOrg), ent.OpCreate),
			filterOrg(),
		},
	}
}

func filterOrg() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, err := requireViewer(ctx)
		if err != nil {
			return err
		}
		f.Where(entql.FieldEQ("org_id", v.OrgID))
		return privacy.Skip
	})
}

// createInOwnOrg sets org_id on creation, or denies a foreign one.
func createInOwnOrg(ctx context.Context, m ent.Mutation) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	om, ok := m.(interface {
		OrgID() (int, bool)
		SetOrgID(int)
	})
	if !ok {
		return privacy.Denyf("rule: %s has no org_id", m.Type())
	}
	if id, set := om.OrgID(); set && id != v.OrgID {
		return privacy.Denyf("rule: %s belongs to another organization", m.Type())
	}
	om.SetOrgID(v.OrgID)
	return privacy.Skip
}

// OwnerPolicy limits non-admin viewers to the rows whose ownerField is their
// own user ID, for queries and mutations alike; admins see the whole
// organization (OrgPolicy still applies).
func OwnerPolicy(ownerField string) ent.Policy {
	return OwnerPolicyVia(ownerField)
}

// OwnerPolicyVia is OwnerPolicy for entities owned through an edge, e.g.
// OwnerPolicyVia("user_id", "sequence_state") for scheduled emails. The last
// argument names the owner field; preceding ones are the edge path to it.
func OwnerPolicyVia(path ...string) ent.Policy {
	field, edges := path[len(path)-1], path[:len(path)-1]
	pred := func(userID int) entql.P {
		p := entql.FieldEQ(field, userID)
		for i := len(edges) - 1; i >= 0; i-- {
			p = entql.HasEdgeWith(edges[i], p)
		}
		return p
	}
	r := privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, err := requireViewer(ctx)
		if err != nil {
			return err
		}
		if !v.Admin {
			f.Where(pred(v.UserID))
		}
		return privacy.Skip
	})
	onCreate := privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v, err := requireViewer(ctx)
		if err != nil {
			return err
		}
		if v.Admin || len(edges) > 0 {
			return privacy.Skip
		}
		if id, ok := m.Field(field); ok && id != v.UserID {
			return privacy.Denyf("rule: %s belongs to another user", m.Type())
		}
		return privacy.Skip
	})
	return privacy.Policy{
		Query:    privacy.QueryPolicy{r},
		Mutation: privacy.MutationPolicy{privacy.OnMutationOperation(onCreate, ent.OpCreate), r},
	}
}

// SelfMutationPolicy lets non-admins change only their own user row.
func SelfMutationPolicy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(adminOnly(), ent.OpCreate|ent.OpDelete|ent.OpDeleteOne),
			privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
				v, err := requireViewer(ctx)
				if err != nil {
					return err
				}
				if !v.Admin {
					f.Where(entql.FieldEQ("id", v.UserID))
				}
				return privacy.Skip
			}),
		},
	}
}

// OrganizationPolicy lets a viewer read only their own organization, and
// only its admins change it. Organizations are created by system code.
func OrganizationPolicy() ent.Policy {
	own := privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, err := requireViewer(ctx)
		if err != nil {
			return err
		}
		f.Where(entql.FieldEQ("id", v.OrgID))
		return privacy.Skip
	})
	return privacy.Policy{
		Query: privacy.QueryPolicy{own},
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(privacy.AlwaysDenyRule(), ent.OpCreate),
			adminOnly(),
			own,
		},
	}
}

// APITokenPolicy: admins manage the organization's tokens; other users
// list, create and revoke only the tokens that act as them.
func APITokenPolicy() ent.Policy { return OwnerPolicy("user_id") }

// AdminReadPolicy lets admins read their organization's rows; only trusted
// system code (viewer.SystemContext) writes them.
func AdminReadPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
			v, err := requireViewer(ctx)
			if err != nil {
				return err
			}
			if !v.Admin {
				return privacy.Denyf("rule: admin role required")
			}
			return privacy.Skip
		})},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// SystemOnlyPolicy denies everything to viewers: only trusted system code
// (viewer.SystemContext) reads or writes these rows.
func SystemOnlyPolicy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

func adminOnly() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
		v, err := requireViewer(ctx)
		if err != nil {
			return err
		}
		if !v.Admin {
			return privacy.Denyf("rule: admin role required")
		}
		return privacy.Skip
	})
}
