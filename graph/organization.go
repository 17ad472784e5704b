package graph

import (
	"context"
	"slices"

	"mailbridge/ent"
	"mailbridge/ent/apitoken"
	"mailbridge/ent/assignment"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/organization"
	"mailbridge/ent/user"
	"mailbridge/graph/model"
	"mailbridge/internal/apperr"
	"mailbridge/internal/migration"
	"mailbridge/internal/txn"
)

// usersByID loads users for the audit log's subjectUser (users the viewer
// may not see are left out and resolve to null).
func usersByID(ctx context.Context, fallback *ent.Client, ids []int) (map[int]*ent.User, error) {
	us, err := txn.Client(ctx, fallback).User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*ent.User, len(us))
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// auditTarget is what an audit event is about.
type auditTarget struct {
	typ string
	id  int
}

// auditTargetLabels names audit targets in words, one query per target
// type: a mailbox by its address, an API token by its name, an assignment
// by the mailbox it assigned to, the organization by its name.
func auditTargetLabels(ctx context.Context, fallback *ent.Client, ts []auditTarget) (map[auditTarget]string, error) {
	c := txn.Client(ctx, fallback)
	ids := map[string][]int{}
	for _, t := range ts {
		ids[t.typ] = append(ids[t.typ], t.id)
	}
	out := map[auditTarget]string{}
	// An assignment is named by the mailbox it assigned to.
	var as []*ent.Assignment
	if len(ids["Assignment"]) > 0 {
		var err error
		as, err = c.Assignment.Query().Where(assignment.IDIn(ids["Assignment"]...)).
			Select(assignment.FieldID, assignment.FieldMailboxID).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			ids["Mailbox"] = append(ids["Mailbox"], a.MailboxID)
		}
	}
	if len(ids["Mailbox"]) > 0 {
		mbs, err := c.Mailbox.Query().Where(entmailbox.IDIn(slices.Compact(slices.Sorted(slices.Values(ids["Mailbox"])))...)).
			Select(entmailbox.FieldID, entmailbox.FieldAddress).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range mbs {
			out[auditTarget{"Mailbox", m.ID}] = m.Address
		}
		for _, a := range as {
			if l, ok := out[auditTarget{"Mailbox", a.MailboxID}]; ok {
				out[auditTarget{"Assignment", a.ID}] = "to " + l
			}
		}
	}
	if len(ids["APIToken"]) > 0 {
		toks, err := c.APIToken.Query().Where(apitoken.IDIn(ids["APIToken"]...)).
			Select(apitoken.FieldID, apitoken.FieldName).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range toks {
			out[auditTarget{"APIToken", t.ID}] = t.Name
		}
	}
	if len(ids["Organization"]) > 0 {
		orgs, err := c.Organization.Query().Where(organization.IDIn(ids["Organization"]...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			out[auditTarget{"Organization", o.ID}] = o.Name
		}
	}
	return out, nil
}

// migrationUsersPage is one page of the migration's users.
func migrationUsersPage(o *migration.Overview, first int, offset *int, step *model.MigrationStep) (*model.MigrationUserPage, error) {
	if first < 1 || first > maxPageSize {
		return nil, apperr.Validation("pagination.outOfRange", "first", "`first` must be between 1 and 100.")
	}
	start := 0
	if offset != nil {
		if *offset < 0 {
			return nil, apperr.Validation("pagination.outOfRange", "offset", "`offset` must be 0 or more.")
		}
		start = *offset
	}
	var match []migration.UserProgress
	for _, p := range o.Users {
		if step == nil || string(*step) == string(p.Step) {
			match = append(match, p)
		}
	}
	page := &model.MigrationUserPage{TotalCount: len(match), Nodes: []*model.MigrationUser{}}
	for _, p := range match[min(start, len(match)):min(start+first, len(match))] {
		page.Nodes = append(page.Nodes, &model.MigrationUser{
			User: p.User, NextStep: model.MigrationStep(p.Step), EwsMailboxes: p.EWSMailboxes,
			GraphMailbox: p.GraphMailbox, HeldEmailCount: p.HeldEmails, NotifiedAt: p.NotifiedAt,
		})
	}
	return page, nil
}
