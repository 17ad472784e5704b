package server_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"mailbridge/internal/db"
)

// stmt is one SQL statement with its arguments, as ent sent it.
type stmt struct {
	query string
	args  []any
	exec  bool
}

// sqlLog is an ent driver that records the statements (and arguments) it
// passes on while on is set.
type sqlLog struct {
	dialect.Driver
	mu    sync.Mutex
	on    bool
	stmts []stmt
}

func (l *sqlLog) add(q string, args any, exec bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on {
		a, _ := args.([]any)
		l.stmts = append(l.stmts, stmt{query: q, args: slices.Clone(a), exec: exec})
	}
}

func (l *sqlLog) Query(ctx context.Context, q string, args, v any) error {
	l.add(q, args, false)
	return l.Driver.Query(ctx, q, args, v)
}

func (l *sqlLog) Exec(ctx context.Context, q string, args, v any) error {
	l.add(q, args, true)
	return l.Driver.Exec(ctx, q, args, v)
}

// capture runs f with recording on and returns what it sent.
func (l *sqlLog) capture(f func()) []stmt {
	l.mu.Lock()
	l.on, l.stmts = true, nil
	l.mu.Unlock()
	f()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.stmts
}

// replay runs the recorded statements with plain database/sql on the pool
// ent would have used (reads on the read pool), reading every column of
// every row: the data access an API request cannot avoid.
func replay(tb testing.TB, d *db.DB, stmts []stmt) {
	ctx := context.Background()
	for _, s := range stmts {
		if s.exec || !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s.query)), "SELECT") {
			_, err := d.Write.ExecContext(ctx, s.query, s.args...)
			require.NoError(tb, err)
			continue
		}
		rows, err := d.Read.QueryContext(ctx, s.query, s.args...)
		require.NoError(tb, err)
		cols, err := rows.Columns()
		require.NoError(tb, err)
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(sql.RawBytes)
		}
		for rows.Next() {
			require.NoError(tb, rows.Scan(vals...))
		}
		require.NoError(tb, rows.Err())
		require.NoError(tb, rows.Close())
	}
}

// serve sends one GraphQL request through the whole handler and returns the
// raw response; nothing is decoded.
func (e *env) serve(c cred, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	c.apply(req)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// pairTimes measures an API request and the plain-SQL replay of the
// statements it issued, alternating the two so drift hits both alike, at
// least minSamples times (more when the benchmark asks for more), and
// returns the median of each.
func pairTimes(b *testing.B, api, base func()) (apiMed, baseMed time.Duration) {
	const minSamples = 15
	var as, bs []time.Duration
	one := func() {
		t0 := time.Now()
		base()
		t1 := time.Now()
		api()
		as, bs = append(as, time.Since(t1)), append(bs, t1.Sub(t0))
	}
	for b.Loop() {
		one()
	}
	for len(as) < minSamples {
		one()
	}
	return median(as), median(bs)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
