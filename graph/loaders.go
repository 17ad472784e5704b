package graph

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"mailbridge/ent"
	"mailbridge/internal/db"
	"mailbridge/internal/mailbox"
)

// loaders batch per-object lookups that are outside the ent graph (counts),
// one set per request, so lists cost one query per field instead of one per
// row. client is the fallback: the loads read through the transaction of
// their context when there is one (mutations), see
// mailbox.UndeliveredCounts.
type loaders struct {
	client      *ent.Client
	undelivered *dataloadgen.Loader[int, int]
	// users and labels serve the audit log's subjectUser and targetLabel.
	users  *dataloadgen.Loader[int, *ent.User]
	labels *dataloadgen.Loader[auditTarget, string]
}

type loadersKey struct{}

// withLoaders installs a fresh set of loaders for each request, and marks
// the request's scope for the database's per-request statement limit.
func withLoaders(client *ent.Client, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &loaders{
			client: client,
			undelivered: dataloadgen.NewMappedLoader(func(ctx context.Context, mailboxIDs []int) (map[int]int, error) {
				return mailbox.UndeliveredCounts(ctx, client, mailboxIDs)
			}, dataloadgen.WithWait(time.Millisecond), dataloadgen.WithBatchCapacity(maxPageSize)),
			users: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int) (map[int]*ent.User, error) {
				return usersByID(ctx, client, ids)
			}, dataloadgen.WithWait(time.Millisecond), dataloadgen.WithBatchCapacity(maxPageSize)),
			labels: dataloadgen.NewMappedLoader(func(ctx context.Context, ts []auditTarget) (map[auditTarget]string, error) {
				return auditTargetLabels(ctx, client, ts)
			}, dataloadgen.WithWait(time.Millisecond), dataloadgen.WithBatchCapacity(maxPageSize)),
		}
		// One request's statements share a few connections (db.WithRequestLimit),
		// so that a query of many aliases cannot starve other requests.
		ctx := db.WithRequestLimit(context.WithValue(r.Context(), loadersKey{}, l))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func loadersFrom(ctx context.Context) *loaders { return ctx.Value(loadersKey{}).(*loaders) }

// preloadUndelivered counts the undelivered emails of a whole list of
// mailboxes in one query when the request asks for them (at the selection
// path below the current field) and primes the loader, so the per-row loads
// that follow hit the cache instead of waiting for a batching window.
func preloadUndelivered(ctx context.Context, mbs []*ent.Mailbox, path ...string) error {
	if len(mbs) == 0 || !requested(ctx, append(path, "undeliveredEmailCount")...) {
		return nil
	}
	ids := make([]int, 0, len(mbs))
	for _, m := range mbs {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	l := loadersFrom(ctx)
	counts, err := mailbox.UndeliveredCounts(ctx, l.client, slices.Compact(ids))
	if err != nil {
		return err
	}
	for id, n := range counts {
		l.undelivered.Prime(id, n)
	}
	return nil
}

// requested reports whether the selection of the current field reaches the
// field path (e.g. "edges", "node", "undeliveredEmailCount").
func requested(ctx context.Context, path ...string) bool {
	oc := graphql.GetOperationContext(ctx)
	fields := graphql.CollectFieldsCtx(ctx, nil)
	for i, name := range path {
		var next *graphql.CollectedField
		for j := range fields {
			if fields[j].Name == name {
				next = &fields[j]
				break
			}
		}
		if next == nil {
			return false
		}
		if i == len(path)-1 {
			return true
		}
		fields = graphql.CollectFields(oc, next.Selections, nil)
	}
	return false
}
