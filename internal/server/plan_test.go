package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

// planStates is the size of the organization TestListPlans_UseIndexes
// builds: large enough that the planners' choices are those of a real
// organization, small enough to build in seconds.
const planStates = 20_000

// TestListPlans_UseIndexes builds an organization of 20,000 sequence states
// and 60,000 scheduled emails, sends every list request of the web app with
// each of its filters through the API, and asks the database for the plan
// of every SELECT the request issued (EXPLAIN QUERY PLAN on SQLite, EXPLAIN
// on PostgreSQL). No plan may read scheduled_emails in full, nor scan a
// table once per row of another (a scan inside a correlated subquery or on
// the inner side of a nested loop): those plans grow quadratically with the
// organization.
func TestListPlans_UseIndexes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a large data set")
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		log := &sqlLog{Driver: d.Driver()}
		e := newEnv(t, d, envOptions{client: d.Client(ent.Driver(log))})
		big := seedBig(t, d, e, planStates)
		tok := e.token(big.admin)
		checkPlans(t, d, e, log, tok, big)
		if d.Dialect == dialect.SQLite {
			// Again without statistics, as on a database that grew since
			// they were last gathered: the indexes alone must lead SQLite's
			// heuristics to the same kind of plan.
			_, err := d.Write.ExecContext(t.Context(), "DROP TABLE sqlite_stat1")
			require.NoError(t, err)
			_, err = d.Write.ExecContext(t.Context(), "DROP TABLE IF EXISTS sqlite_stat4")
			require.NoError(t, err)
			checkPlans(t, d, e, log, tok, big)
		}
	})
}

// checkPlans sends every list case and checks the plan of each SELECT.
func checkPlans(t *testing.T, d *db.DB, e *env, log *sqlLog, tok bearer, big bigOrg) {
	t.Helper()
	{
		for _, c := range bigListCases(big) {
			body, err := json.Marshal(map[string]any{"query": c.query})
			require.NoError(t, err)
			var rec *httptest.ResponseRecorder
			stmts := log.capture(func() { rec = e.serve(tok, string(body)) })
			for _, s := range stmts {
				if s.exec || !strings.HasPrefix(strings.TrimSpace(s.query), "SELECT") {
					continue
				}
				var problems []string
				if d.Dialect == dialect.SQLite {
					problems = sqlitePlanProblems(t, d, s)
				} else {
					problems = postgresPlanProblems(t, d, s)
				}
				require.Empty(t, problems, "%s: %s", c.name, s.query)
			}
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.NotContains(t, rec.Body.String(), `"errors"`, c.name)
		}
	}
}

// eqpRow is one row of SQLite's EXPLAIN QUERY PLAN.
type eqpRow struct {
	id, parent int
	detail     string
}

// sqlitePlanProblems explains s on SQLite and returns what is wrong with the
// plan. A SCAN (a full pass over a table or index) is allowed only as the
// outermost loop of a query or of an uncorrelated subquery that runs once,
// and never over scheduled_emails, which must be searched by sequence state
// or mailbox wherever it is searched once per row (by state alone, each
// search reads every undelivered email of the organization).
func sqlitePlanProblems(t *testing.T, d *db.DB, s stmt) []string {
	t.Helper()
	rows, err := d.Read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+s.query, s.args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []eqpRow
	for rows.Next() {
		var r eqpRow
		var unused int
		require.NoError(t, rows.Scan(&r.id, &r.parent, &unused, &r.detail))
		plan = append(plan, r)
	}
	require.NoError(t, rows.Err())
	byID := map[int]eqpRow{}
	for _, r := range plan {
		byID[r.id] = r
	}
	var text []string
	for _, r := range plan {
		text = append(text, fmt.Sprintf("%d/%d %s", r.id, r.parent, r.detail))
	}
	t.Logf("%s\n  %s", s.query, strings.Join(text, "\n  "))
	var problems []string
	seenLoop := map[int]bool{} // parent → a loop was already opened at that level
	for _, r := range plan {
		isScan := strings.HasPrefix(r.detail, "SCAN ")
		isLoop := isScan || strings.HasPrefix(r.detail, "SEARCH ")
		for _, big := range []string{"prospects", "sequence_states", "scheduled_emails"} {
			// Rows loaded by id (a page's edges) must be looked up by id,
			// not found by reading the organization through another index.
			if strings.Contains(s.query, "WHERE `"+big+"`.`id` IN (") && strings.HasPrefix(r.detail, "SEARCH "+big+" ") &&
				!strings.Contains(r.detail, "rowid=") {
				problems = append(problems, "rows of "+big+" loaded by id without an id lookup: "+r.detail)
			}
		}
		perRow := seenLoop[r.parent] || underCorrelated(byID, r)
		if perRow && strings.HasPrefix(r.detail, "SEARCH scheduled_emails") &&
			!strings.Contains(r.detail, "(sequence_state_id=") && !strings.Contains(r.detail, "(mailbox_id=") {
			problems = append(problems, "scheduled_emails searched once per row by neither sequence state nor mailbox: "+r.detail)
		}
		if isScan {
			switch {
			case strings.HasPrefix(r.detail, "SCAN scheduled_emails"):
				problems = append(problems, "full scan of scheduled_emails: "+r.detail)
			case seenLoop[r.parent]:
				problems = append(problems, "scan as an inner loop (once per outer row): "+r.detail)
			case underCorrelated(byID, r):
				problems = append(problems, "scan inside a correlated subquery (once per row): "+r.detail)
			}
		}
		if isLoop {
			seenLoop[r.parent] = true
		}
	}
	return problems
}

// underCorrelated reports whether r sits inside a correlated subquery.
func underCorrelated(byID map[int]eqpRow, r eqpRow) bool {
	for p, ok := byID[r.parent]; ok; p, ok = byID[p.parent] {
		if strings.Contains(p.detail, "CORRELATED") {
			return true
		}
	}
	return false
}

// pgNode is a node of PostgreSQL's EXPLAIN (FORMAT JSON).
type pgNode struct {
	NodeType     string   `json:"Node Type"`
	RelationName string   `json:"Relation Name"`
	ParentRel    string   `json:"Parent Relationship"`
	SubplanName  string   `json:"Subplan Name"`
	IndexName    string   `json:"Index Name"`
	IndexCond    string   `json:"Index Cond"`
	Plans        []pgNode `json:"Plans"`
}

// postgresPlanProblems explains s on PostgreSQL and returns what is wrong:
// a sequential scan of scheduled_emails, or, once per row (the inner side
// of a nested loop, or a correlated SubPlan), any sequential scan or an
// index search of scheduled_emails by neither sequence state nor mailbox.
// Reading the undelivered emails once into a hash is fine.
func postgresPlanProblems(t *testing.T, d *db.DB, s stmt) []string {
	t.Helper()
	var raw string
	require.NoError(t, d.Read.QueryRowContext(context.Background(), "EXPLAIN (FORMAT JSON) "+s.query, s.args...).Scan(&raw))
	var out []struct {
		Plan pgNode `json:"Plan"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &out))
	require.Len(t, out, 1)
	t.Logf("%s\n%s", s.query, pgPlanText(out[0].Plan, "  "))
	var problems []string
	var walk func(n pgNode, perRow bool)
	walk = func(n pgNode, perRow bool) {
		if n.NodeType == "Seq Scan" {
			switch {
			case n.RelationName == "scheduled_emails":
				problems = append(problems, "sequential scan of scheduled_emails")
			case perRow:
				problems = append(problems, "sequential scan of "+n.RelationName+" once per row")
			}
		}
		if perRow && strings.HasPrefix(n.IndexName, "scheduledemail_") &&
			!strings.Contains(n.IndexCond, "sequence_state_id") && !strings.Contains(n.IndexCond, "mailbox_id") {
			problems = append(problems, "scheduled_emails searched once per row by neither sequence state nor mailbox: "+n.IndexName+" "+n.IndexCond)
		}
		for i, c := range n.Plans {
			inner := perRow ||
				(n.NodeType == "Nested Loop" && i > 0) ||
				(c.ParentRel == "SubPlan" && !strings.HasPrefix(c.SubplanName, "InitPlan"))
			walk(c, inner)
		}
	}
	walk(out[0].Plan, false)
	return problems
}

func pgPlanText(n pgNode, indent string) string {
	s := indent + n.NodeType
	if n.RelationName != "" {
		s += " on " + n.RelationName
	}
	if n.ParentRel != "" {
		s += " (" + n.ParentRel + ")"
	}
	for _, c := range n.Plans {
		s += "\n" + pgPlanText(c, indent+"  ")
	}
	return s
}
