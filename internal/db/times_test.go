package db_test

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/stretchr/testify/require"

	"mailbridge/ent"
	"mailbridge/ent/migrate/migrations"
	"mailbridge/ent/session"
	"mailbridge/internal/auth"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/viewer"
)

// The helper process of TestTimes_AcrossZones: TIMES_PHASE says what to do,
// TIMES_DB_URL which database to open; its result is one JSON line on stdout.
const (
	timesPhaseEnv  = "MAILBRIDGE_TIMES_PHASE"
	timesDBEnv     = "MAILBRIDGE_TIMES_DB_URL"
	timesCutoffEnv = "MAILBRIDGE_TIMES_CUTOFF"
	timesMarker    = "TIMES_RESULT "
)

// timesWritten is what the writing process stored.
type timesWritten struct {
	Zone     string        `json:"zone"`
	Instants map[int]int64 `json:"instants"` // session id → expires_at, Unix ns
	Fresh    int           `json:"fresh"`    // the session signed in 8 s ago
	Order    []int         `json:"order"`    // ids by expires_at, computed in Go
	Index    map[int]int   `json:"index"`    // id → order of creation, comparable across databases
}

// timesRead is what a reading process saw.
type timesRead struct {
	Zone    string        `json:"zone"`
	Order   []int         `json:"order"`   // ORDER BY expires_at
	Before  []int         `json:"before"`  // expires_at < cutoff
	AtLeast []int         `json:"atLeast"` // expires_at >= cutoff
	Times   map[int]int64 `json:"times"`   // as read back, Unix ns
	Purged  int           `json:"purged"`  // PurgeExpiredSessions
}

// TestTimes_AcrossZones writes sessions from a process running in
// America/New_York and reads, orders, range-queries and purges them from
// processes in UTC and Asia/Kolkata (TZ is read once per process, so each
// zone is its own process: a re-run of this test binary). Every zone must
// see the same instants, the same order and the same ranges, on SQLite and
// on PostgreSQL alike; the session signed in 8 s before must survive the
// purge; and SQLite must hold every time as UTC text in one layout.
func TestTimes_AcrossZones(t *testing.T) {
	t.Parallel()
	if phase := os.Getenv(timesPhaseEnv); phase != "" {
		timesHelper(t, phase)
		return
	}
	if testing.Short() {
		t.Skip("starts helper processes")
	}
	type target struct {
		name, url string
		d         *db.DB
	}
	dir := t.TempDir()
	sq, err := db.Open(t.Context(), db.Options{DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sq.Close()) })
	_, err = sq.Migrate(t.Context())
	require.NoError(t, err)
	targets := []target{{"SQLite", "sqlite:" + filepath.Join(dir, "mailbridge.db"), sq}}
	if base := os.Getenv("TEST_DATABASE_URL"); base != "" {
		pg := dbtest.Postgres(t)
		var schema string
		require.NoError(t, pg.Read.QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema))
		u, err := url.Parse(base)
		require.NoError(t, err)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		targets = append(targets, target{"Postgres", u.String(), pg})
	} else {
		t.Log(dbtest.SkipMessage)
	}

	// Ids differ between the databases; results compare creation indexes.
	results := map[string][][]int{}
	for _, tg := range targets {
		var w timesWritten
		runHelper(t, "write", "America/New_York", tg.url, "", &w)
		require.Equal(t, "EST", w.Zone, "the writer must really run in New York")
		cutoff := w.Instants[w.Order[len(w.Order)/2]]
		for _, zone := range []string{"UTC", "Asia/Kolkata"} {
			var r timesRead
			runHelper(t, "read", zone, tg.url, strconv.FormatInt(cutoff, 10), &r)
			require.Equal(t, 0, r.Purged, "%s/%s: the purge deleted live sessions", tg.name, zone)
			require.Equal(t, w.Order, r.Order, "%s/%s: ORDER BY expires_at", tg.name, zone)
			var before, atLeast []int
			for _, id := range w.Order {
				if w.Instants[id] < cutoff {
					before = append(before, id)
				} else {
					atLeast = append(atLeast, id)
				}
			}
			require.Equal(t, before, r.Before, "%s/%s: expires_at < cutoff", tg.name, zone)
			require.Equal(t, atLeast, r.AtLeast, "%s/%s: expires_at >= cutoff", tg.name, zone)
			for id, ns := range w.Instants {
				require.Equal(t, ns, r.Times[id], "%s/%s: session %d reads back another instant", tg.name, zone, id)
			}
			require.Contains(t, r.Times, w.Fresh, "%s/%s: the fresh session was purged", tg.name, zone)
			idx := func(ids []int) []int {
				out := make([]int, len(ids))
				for i, id := range ids {
					out[i] = w.Index[id]
				}
				return out
			}
			results[tg.name] = append(results[tg.name], idx(r.Order), idx(r.Before))
		}
		if tg.name == "SQLite" {
			assertUTCText(t, tg.d)
		}
	}
	if pg, ok := results["Postgres"]; ok {
		require.Equal(t, pg, results["SQLite"], "SQLite and PostgreSQL disagree on order or ranges")
	}
}

// sqliteTimeText is the one layout SQLite time columns may hold.
var sqliteTimeText = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})?\+00:00$`)

// assertUTCText checks the stored text of every time column of the sessions
// the helpers wrote: UTC, one layout, no monotonic clock reading.
func assertUTCText(t *testing.T, d *db.DB) {
	t.Helper()
	rows, err := d.Read.QueryContext(t.Context(), "SELECT CAST(created_at AS TEXT), CAST(last_seen_at AS TEXT), CAST(expires_at AS TEXT) FROM sessions")
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var a, b, c string
		require.NoError(t, rows.Scan(&a, &b, &c))
		for _, s := range []string{a, b, c} {
			require.Regexp(t, sqliteTimeText, s)
		}
		n++
	}
	require.NoError(t, rows.Err())
	require.Positive(t, n)
}

// runHelper re-runs this test binary as the helper process in zone.
func runHelper(t *testing.T, phase, zone, dbURL, cutoff string, out any) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestTimes_AcrossZones$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TZ="+zone, timesPhaseEnv+"="+phase, timesDBEnv+"="+dbURL, timesCutoffEnv+"="+cutoff)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "helper %s in %s: %s\n%s", phase, zone, stdout.String(), stderr.String())
	_, res, ok := bytes.Cut(stdout.Bytes(), []byte(timesMarker))
	require.True(t, ok, "helper %s printed no result: %s", phase, stdout.String())
	res, _, _ = bytes.Cut(res, []byte("\n"))
	require.NoError(t, json.Unmarshal(res, out))
}

// timesHelper is the body of a helper process.
func timesHelper(t *testing.T, phase string) {
	ctx := viewer.SystemContext(context.Background())
	d, err := db.Open(ctx, db.Options{URL: os.Getenv(timesDBEnv)})
	require.NoError(t, err)
	defer d.Close()
	client := d.Client()
	zone, _ := time.Now().Zone()
	var res any
	switch phase {
	case "write":
		res = writeTimes(t, ctx, client, zone)
	case "read":
		cutoff, err := strconv.ParseInt(os.Getenv(timesCutoffEnv), 10, 64)
		require.NoError(t, err)
		res = readTimes(t, ctx, client, zone, time.Unix(0, cutoff))
	default:
		t.Fatalf("unknown phase %q", phase)
	}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	fmt.Printf("\n%s%s\n", timesMarker, b)
}

// writeTimes stores, in the local zone and with monotonic clock readings,
// one session signed in 8 s ago and sessions whose expiry times straddle
// the local and UTC dates, with fractions of every length (microsecond
// precision, which PostgreSQL keeps exactly).
func writeTimes(t *testing.T, ctx context.Context, c *ent.Client, zone string) timesWritten {
	o, err := c.Organization.Create().SetName("Zones").Save(ctx)
	require.NoError(t, err)
	u, err := c.User.Create().SetOrgID(o.ID).SetEmail("z@zones.example").SetName("Z").Save(ctx)
	require.NoError(t, err)
	now := time.Now()
	now = now.Add(-time.Duration(now.Nanosecond() % 1000)) // µs precision, monotonic reading kept
	w := timesWritten{Zone: zone, Instants: map[int]int64{}, Index: map[int]int{}}
	mk := func(i int, lastSeen, expires time.Time) int {
		s, err := c.Session.Create().SetTokenHash([]byte(fmt.Sprintf("hash-%d", i))).SetUserID(u.ID).
			SetCreatedAt(lastSeen).SetLastSeenAt(lastSeen).SetExpiresAt(expires).Save(ctx)
		require.NoError(t, err)
		w.Index[s.ID] = i
		return s.ID
	}
	w.Fresh = mk(0, now.Add(-8*time.Second), now.Add(8*time.Hour-8*time.Second))
	w.Instants[w.Fresh] = now.Add(8*time.Hour - 8*time.Second).UnixNano()
	offsets := []time.Duration{
		time.Hour, time.Hour + time.Microsecond, time.Hour + 500*time.Millisecond, time.Hour + 50*time.Millisecond,
		time.Hour + time.Second, 90 * time.Minute, 3 * time.Hour, 5*time.Hour + 123456*time.Microsecond,
		6*time.Hour + 30*time.Minute, 7 * time.Hour, 7*time.Hour + time.Second + 100*time.Millisecond,
	}
	for i, off := range offsets {
		exp := now.Add(off)
		id := mk(i+1, now, exp)
		w.Instants[id] = exp.UnixNano()
	}
	for id := range w.Instants {
		w.Order = append(w.Order, id)
	}
	slices.SortFunc(w.Order, func(a, b int) int { return cmp.Compare(w.Instants[a], w.Instants[b]) })
	return w
}

// readTimes reads the sessions back in the local zone, runs the range
// queries with a cutoff in the local zone, and purges expired sessions.
func readTimes(t *testing.T, ctx context.Context, c *ent.Client, zone string, cutoff time.Time) timesRead {
	r := timesRead{Zone: zone, Times: map[int]int64{}}
	var err error
	r.Purged, err = auth.NewService(c, auth.Options{
		IdleTimeout: 20 * time.Minute, AbsoluteTimeout: 8 * time.Hour, Now: time.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}).PurgeExpiredSessions(ctx)
	require.NoError(t, err)
	ss, err := c.Session.Query().Order(session.ByExpiresAt(), session.ByID()).All(ctx)
	require.NoError(t, err)
	for _, s := range ss {
		r.Order = append(r.Order, s.ID)
		r.Times[s.ID] = s.ExpiresAt.UnixNano()
	}
	r.Before, err = c.Session.Query().Where(session.ExpiresAtLT(cutoff)).Order(session.ByExpiresAt()).IDs(ctx)
	require.NoError(t, err)
	r.AtLeast, err = c.Session.Query().Where(session.ExpiresAtGTE(cutoff)).Order(session.ByExpiresAt()).IDs(ctx)
	require.NoError(t, err)
	return r
}

// utcTimesVersion is the migration that rewrites SQLite's time text.
const utcTimesVersion = "20261129121000"

// TestMigrate_RewritesOldTimeText migrates an SQLite database to just before
// the time rewrite, stores times the way the old driver settings did
// (time.String() in the process's zone, monotonic reading included) and
// checks that the rewrite turns each into the same instant as UTC text in
// the one layout, leaves NULLs and new-format text alone, and covers every
// time column of every table.
func TestMigrate_RewritesOldTimeText(t *testing.T) {
	t.Parallel()
	d := dbtest.EmptySQLite(t)
	ctx := t.Context()
	full, err := migrations.FS(d.Dialect)
	require.NoError(t, err)
	db.SetMigrationsFS(d, migrationsBefore(t, full, utcTimesVersion))
	_, err = d.Migrate(ctx)
	require.NoError(t, err)

	rewrite, err := fs.ReadFile(full, utcTimesVersion+"_utc_times.sql")
	require.NoError(t, err)
	tables, err := d.Read.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
WHERE m.type = 'table' AND p.type = 'datetime' ORDER BY 1, 2`)
	require.NoError(t, err)
	n := 0
	for tables.Next() {
		var table, col string
		require.NoError(t, tables.Scan(&table, &col))
		require.Contains(t, string(rewrite), fmt.Sprintf("UPDATE `%s` SET `%s` = ", table, col), "time column %s.%s is not rewritten", table, col)
		n++
	}
	require.NoError(t, tables.Err())
	require.NoError(t, tables.Close())
	require.Greater(t, n, 30)

	exec := func(q string, args ...any) int64 {
		res, err := d.Write.ExecContext(ctx, q, args...)
		require.NoError(t, err)
		id, err := res.LastInsertId()
		require.NoError(t, err)
		return id
	}
	org := exec(`INSERT INTO organizations (created_at, updated_at, name) VALUES (?, ?, 'Acme')`,
		"2026-11-29 05:32:58.93 -0500 EST m=+8.05", "2026-11-29 10:32:58 +0000 UTC")
	usr := exec(`INSERT INTO users (created_at, updated_at, email, name, org_id, outlook_addin_reported_at) VALUES (?, ?, 'a@acme.example', 'A', ?, ?)`,
		"2026-11-29 16:02:58.123456789 +0530 IST m=+0.000000001", "2026-11-29 10:00:00+00:00", org, nil)
	ses := exec(`INSERT INTO sessions (token_hash, created_at, last_seen_at, expires_at, user_id) VALUES (x'01', ?, ?, ?, ?)`,
		"2026-11-28 23:59:59.999 -0500 EST", "2026-11-29 10:00:00.5 +0000 UTC m=+38.59", "2026-11-29 00:00:00.000001 +0100 CET m=+1.5", usr)

	db.SetMigrationsFS(d, full)
	applied, err := d.Migrate(ctx)
	require.NoError(t, err)
	require.Contains(t, applied, utcTimesVersion+"_utc_times.sql")

	text := func(q string, id int64) []any {
		row := d.Read.QueryRowContext(ctx, q, id)
		var a, b, c sql.NullString
		require.NoError(t, row.Scan(&a, &b, &c))
		return []any{a.String, b.String, c}
	}
	require.Equal(t, []any{"2026-11-29 10:32:58.93+00:00", "2026-11-29 10:32:58+00:00", sql.NullString{}},
		text(`SELECT CAST(created_at AS TEXT), CAST(updated_at AS TEXT), CAST(NULL AS TEXT) FROM organizations WHERE id = ?`, org))
	require.Equal(t, []any{"2026-11-29 10:32:58.123456789+00:00", "2026-11-29 10:00:00+00:00", sql.NullString{}},
		text(`SELECT CAST(created_at AS TEXT), CAST(updated_at AS TEXT), CAST(outlook_addin_reported_at AS TEXT) FROM users WHERE id = ?`, usr))
	require.Equal(t, []any{"2026-11-29 04:59:59.999+00:00", "2026-11-29 10:00:00.5+00:00", sql.NullString{String: "2026-11-28 23:00:00.000001+00:00", Valid: true}},
		text(`SELECT CAST(created_at AS TEXT), CAST(last_seen_at AS TEXT), CAST(expires_at AS TEXT) FROM sessions WHERE id = ?`, ses))

	// ent reads the rewritten text back as the instants that were stored.
	s, err := d.Client().Session.Get(viewer.SystemContext(ctx), int(ses))
	require.NoError(t, err)
	require.True(t, s.CreatedAt.Equal(time.Date(2026, 11, 29, 4, 59, 59, 999_000_000, time.UTC)), "%v", s.CreatedAt)
	require.True(t, s.ExpiresAt.Equal(time.Date(2026, 11, 28, 23, 0, 0, 1000, time.UTC)), "%v", s.ExpiresAt)
	require.Equal(t, time.UTC, s.ExpiresAt.Location())
}

// migrationsBefore returns the migrations of full older than version, with
// atlas.sum recomputed as the generator would.
func migrationsBefore(t *testing.T, full fs.FS, version string) fs.FS {
	t.Helper()
	dir := &atlasmigrate.MemDir{}
	names, err := fs.Glob(full, "*.sql")
	require.NoError(t, err)
	for _, n := range names {
		if n >= version {
			continue
		}
		b, err := fs.ReadFile(full, n)
		require.NoError(t, err)
		require.NoError(t, dir.WriteFile(n, b))
	}
	sum, err := dir.Checksum()
	require.NoError(t, err)
	require.NoError(t, atlasmigrate.WriteSumFile(dir, sum))
	out := fstest.MapFS{}
	for _, n := range append(names, atlasmigrate.HashFileName) {
		if b, err := fs.ReadFile(dir, n); err == nil {
			out[n] = &fstest.MapFile{Data: b}
		}
	}
	return out
}
