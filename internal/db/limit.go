package db

import (
	"context"
	"sync"

	entsql "entgo.io/ent/dialect/sql"
)

// A request's statements share a small number of connections, so that one
// request cannot take the whole pool: a GraphQL query with hundreds of
// aliases resolves its root fields concurrently, and each would otherwise
// hold a connection, leaving every other request (even a `{ viewer }`)
// queued behind it until its deadline. With SQLite's 4 read connections a
// request gets 1, so three other requests always find one free; on
// PostgreSQL a request gets 4 of the 20.
const (
	sqliteStatementsPerRequest   = 1
	postgresStatementsPerRequest = 4
)

type requestKey struct{}

// requestSlots is the statement semaphore of one request, sized by the
// driver that first uses it.
type requestSlots struct {
	once sync.Once
	sem  chan struct{}
}

// WithRequestLimit marks ctx as the scope of one API request: the
// statements sent with it through a DB's driver, outside transactions, run
// at most a few at a time (sqliteStatementsPerRequest,
// postgresStatementsPerRequest), each holding its slot until its rows are
// closed. Waiting for a slot ends with ctx.
func WithRequestLimit(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestKey{}, &requestSlots{})
}

// acquire takes a slot of ctx's request, if ctx has one, and returns the
// function that gives it back (once).
func acquire(ctx context.Context, size int) (release func(), err error) {
	s, _ := ctx.Value(requestKey{}).(*requestSlots)
	if s == nil {
		return func() {}, nil
	}
	s.once.Do(func() { s.sem = make(chan struct{}, size) })
	select {
	case s.sem <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-s.sem }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// limitedQuery runs a Query of drv under ctx's request limit. ent reads the
// rows after Query returns, so the slot is released when they are closed
// (or at once when the query fails). Outside a request nothing is wrapped:
// ent's migration code type-asserts the rows it gets back.
func limitedQuery(ctx context.Context, size int, drv *entsql.Driver, query string, args, v any) error {
	if ctx.Value(requestKey{}) == nil {
		return drv.Query(ctx, query, args, v)
	}
	release, err := acquire(ctx, size)
	if err != nil {
		return err
	}
	if err := drv.Query(ctx, query, args, v); err != nil {
		release()
		return err
	}
	if rows, ok := v.(*entsql.Rows); ok && rows.ColumnScanner != nil {
		rows.ColumnScanner = releasingRows{ColumnScanner: rows.ColumnScanner, release: release}
	} else {
		release()
	}
	return nil
}

// limitedExec runs an Exec of drv under ctx's request limit.
func limitedExec(ctx context.Context, size int, drv *entsql.Driver, query string, args, v any) error {
	release, err := acquire(ctx, size)
	if err != nil {
		return err
	}
	defer release()
	return drv.Exec(ctx, query, args, v)
}

// releasingRows gives the request slot back when the rows are closed.
type releasingRows struct {
	entsql.ColumnScanner
	release func()
}

func (r releasingRows) Close() error {
	defer r.release()
	return r.ColumnScanner.Close()
}
