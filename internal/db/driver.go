package db

import (
	"context"
	"database/sql"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Interface guards: ent's generated client type-asserts BeginTx (for
// Client.BeginTx) and ExecContext/QueryContext (the sql/execquery feature).
var (
	_ dialect.Driver = (*routeDriver)(nil)
	_ interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
		ExecContext(context.Context, string, ...any) (sql.Result, error)
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	} = (*routeDriver)(nil)
	_ dialect.Driver = (*sqlTxDriver)(nil)
)

// routeDriver is the SQLite ent driver: plain reads go to the query_only
// read pool, everything else to the single-connection writer. ent issues
// INSERT … RETURNING through Query (sqlgraph's insertLastID), so routing by
// method would send inserts to the read pool; routing is by statement text.
type routeDriver struct {
	w, r *entsql.Driver
}

// Exec implements dialect.ExecQuerier; every Exec may write.
func (d *routeDriver) Exec(ctx context.Context, query string, args, v any) error {
	return limitedExec(ctx, sqliteStatementsPerRequest, d.w, query, args, v)
}

// Query implements dialect.ExecQuerier.
func (d *routeDriver) Query(ctx context.Context, query string, args, v any) error {
	if isReadQuery(query) {
		return limitedQuery(ctx, sqliteStatementsPerRequest, d.r, query, args, v)
	}
	return limitedQuery(ctx, sqliteStatementsPerRequest, d.w, query, args, v)
}

// ExecContext serves ent's generated Client.ExecContext.
func (d *routeDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.w.ExecContext(ctx, query, args...)
}

// QueryContext serves ent's generated Client.QueryContext.
func (d *routeDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if isReadQuery(query) {
		return d.r.QueryContext(ctx, query, args...)
	}
	return d.w.QueryContext(ctx, query, args...)
}

// Tx begins a transaction on the writer: with _txlock=immediate it takes
// the write lock up front, so it cannot fail later with SQLITE_BUSY.
func (d *routeDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.w.Tx(ctx) }

// BeginTx is Tx with options.
func (d *routeDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	return d.w.BeginTx(ctx, opts)
}

// Close is a no-op: DB.Close owns the pools.
func (d *routeDriver) Close() error { return nil }

// Dialect implements dialect.Driver.
func (d *routeDriver) Dialect() string { return dialect.SQLite }

// sharedDriver is the PostgreSQL ent driver: one pool for everything,
// shared fairly between requests (WithRequestLimit).
type sharedDriver struct{ *entsql.Driver }

// Exec implements dialect.ExecQuerier.
func (d sharedDriver) Exec(ctx context.Context, query string, args, v any) error {
	return limitedExec(ctx, postgresStatementsPerRequest, d.Driver, query, args, v)
}

// Query implements dialect.ExecQuerier.
func (d sharedDriver) Query(ctx context.Context, query string, args, v any) error {
	return limitedQuery(ctx, postgresStatementsPerRequest, d.Driver, query, args, v)
}

// Close is a no-op: DB.Close owns the pool.
func (sharedDriver) Close() error { return nil }

// sqlTxDriver is the driver of DB.TxClient: all statements run on a
// caller-owned *sql.Tx, and "beginning" a transaction joins it.
type sqlTxDriver struct{ *entsql.Driver }

// Tx joins the caller's transaction; see DB.TxClient.
func (d *sqlTxDriver) Tx(context.Context) (dialect.Tx, error) { return dialect.NopTx(d), nil }

// BeginTx joins the caller's transaction; the options were fixed when it began.
func (d *sqlTxDriver) BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error) {
	return dialect.NopTx(d), nil
}

// Close is a no-op: the caller owns the transaction.
func (d *sqlTxDriver) Close() error { return nil }

// isReadQuery reports whether a statement only reads, so it may run on the
// query_only pool: it starts with SELECT, or with WITH and contains no
// INSERT, UPDATE, DELETE or REPLACE outside quotes (SQLite allows a CTE in
// front of a write). Leading whitespace, comments and parentheses are
// skipped. When unsure it answers false: a read on the writer is merely
// slower, a write on the reader fails.
func isReadQuery(q string) bool {
	kw, rest := firstWord(q)
	switch kw {
	case "SELECT":
		return true
	case "WITH":
		return !hasWriteKeyword(rest)
	default:
		return false
	}
}

// firstWord returns the first keyword of q, upper-cased, and the text after it.
func firstWord(q string) (string, string) {
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(':
			i++
		case strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return "", ""
			}
			i += j + 1
		case strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return "", ""
			}
			i += j + 4
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			return strings.ToUpper(q[i:j]), q[j:]
		default:
			return "", ""
		}
	}
	return "", ""
}

// hasWriteKeyword scans q for a data-changing keyword outside string
// literals, quoted identifiers and comments.
func hasWriteKeyword(q string) bool {
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := c
			if c == '[' {
				end = ']'
			}
			j := strings.IndexByte(q[i+1:], end)
			if j < 0 {
				return true // unbalanced: be conservative
			}
			i += j + 2
		case strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return false
			}
			i += j + 1
		case strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return true
			}
			i += j + 4
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			switch strings.ToUpper(q[i:j]) {
			case "INSERT", "UPDATE", "DELETE", "REPLACE":
				return true
			}
			i = j
		default:
			i++
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
