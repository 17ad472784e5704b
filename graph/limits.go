package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"mailbridge/ent"
	"mailbridge/internal/apperr"
)

// Codes of gqlgen's own refusals that stop a request before it runs. They are
// registered as protocol errors so that every refusal of that kind gets the
// same HTTP status as a parse or validation error (see codeWriter).
const (
	codeComplexity     = "COMPLEXITY_LIMIT_EXCEEDED"
	codeQueryTooCostly = string(apperr.KindQueryTooCostly)
)

func init() {
	errcode.RegisterErrorType(codeComplexity, errcode.KindProtocol)
	errcode.RegisterErrorType(codeQueryTooCostly, errcode.KindProtocol)
}

// maxFilterLength caps every string of a filter (e.g. addressContains), in
// characters: longer patterns are never useful and make LIKE expensive.
const maxFilterLength = 200

// costLimit refuses, before anything runs, operations whose estimated number
// of database queries or whose number of aliases is above the limits.
// Complexity bounds how many objects a request can reach; this bounds how
// many round trips it makes: a totalCount-only list is cheap in objects but
// is still one COUNT query, and 330 aliases of it are 330 queries.
type costLimit struct {
	maxQueries int
	maxAliases int
	schema     *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &costLimit{}

func (c *costLimit) ExtensionName() string { return "QueryCostLimit" }

func (c *costLimit) Validate(es graphql.ExecutableSchema) error {
	c.schema = es.Schema()
	return nil
}

func (c *costLimit) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Operation
	if op == nil {
		return nil
	}
	w := &costWalker{schema: c.schema}
	w.walk(op.SelectionSet, 0)
	switch {
	case w.aliases > c.maxAliases:
		return tooCostly("graphql.tooManyAliases", fmt.Sprintf(
			"This request uses %d aliases; the limit is %d. Send fewer fields under different names, or split the request.",
			w.aliases, c.maxAliases))
	case w.queries > c.maxQueries:
		return tooCostly("graphql.tooManyQueries", fmt.Sprintf(
			"This request would run about %d database queries; the limit is %d. Each list, each nested list and each "+
				"totalCount or undeliveredEmailCount is a query: ask for fewer of them, or split the request.",
			w.queries, c.maxQueries))
	}
	return nil
}

// tooCostly is a pre-execution refusal carrying a public error.
func tooCostly(id, msg string) *gqlerror.Error {
	return &gqlerror.Error{
		Err:        apperr.QueryTooCostly(id, msg),
		Message:    msg,
		Extensions: map[string]any{"code": codeQueryTooCostly},
	}
}

// costWalker estimates the database queries of a selection set: every root
// field (but viewer, which comes from the request), every object or list
// field of a stored object (an eager load or a lookup), every totalCount and
// every undeliveredEmailCount count as one. Connection, edge, page-info and
// payload wrappers cost nothing: their contents are already loaded.
// Fragments are counted where they are spread, and @skip/@include are
// ignored, so the estimate errs high.
type costWalker struct {
	schema  *ast.Schema
	queries int
	aliases int
}

// maxDepth stops the walk on absurd nesting (validation already refuses
// fragment cycles; this guards the walk itself).
const maxDepth = 64

func (w *costWalker) walk(set ast.SelectionSet, depth int) {
	if depth > maxDepth {
		w.queries += 1000
		return
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			w.queries += w.fieldCost(s)
			w.walk(s.SelectionSet, depth+1)
		case *ast.InlineFragment:
			w.walk(s.SelectionSet, depth+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				w.walk(s.Definition.SelectionSet, depth+1)
			}
		}
	}
}

func (w *costWalker) fieldCost(f *ast.Field) int {
	if f.Name == "totalCount" || f.Name == "undeliveredEmailCount" {
		return 1
	}
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 1
	}
	t := w.schema.Types[f.Definition.Type.Name()]
	if t == nil || (t.Kind != ast.Object && t.Kind != ast.Interface && t.Kind != ast.Union) {
		return 0
	}
	parent := f.ObjectDefinition.Name
	switch {
	case parent == "Query":
		if f.Name == "viewer" {
			return 0
		}
		return 1
	case parent == "Mutation":
		return 1
	case parent == "PageInfo", strings.HasSuffix(parent, "Connection"), strings.HasSuffix(parent, "Edge"),
		strings.HasSuffix(parent, "Payload"):
		return 0
	}
	return 1
}

// queryBudget counts the database queries of one request; the interceptor
// refuses queries beyond the limit. It is the backstop behind the estimate:
// whatever a request manages to trigger, it cannot run more than max queries.
type queryBudget struct {
	owner *queryCounter
	max   int64
	used  atomic.Int64
}

type budgetKey struct{}

// queryCounter is an ent interceptor that charges every query run with a
// request's context to that request's budget.
type queryCounter struct {
	_ byte // not zero-sized: each counter needs its own address
}

// withBudget gives ctx a budget of max queries charged by c.
func (c *queryCounter) withBudget(ctx context.Context, max int) context.Context {
	return context.WithValue(ctx, budgetKey{}, &queryBudget{owner: c, max: int64(max)})
}

// install adds the counter to client. Requests whose budget belongs to
// another counter (another handler on the same client) are not charged
// twice.
func (c *queryCounter) install(client *ent.Client) {
	client.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			if b, ok := ctx.Value(budgetKey{}).(*queryBudget); ok && b.owner == c {
				if n := b.used.Add(1); n > b.max {
					return nil, apperr.QueryTooCostly("graphql.tooManyQueries", fmt.Sprintf(
						"This request ran more than %d database queries and was stopped. Ask for fewer lists or counts, or split the request.",
						b.max))
				}
			}
			return next.Query(ctx, q)
		})
	}))
}

// checkArguments is a field middleware that refuses argument values no
// database should see: strings with a NUL character or invalid UTF-8
// (PostgreSQL rejects them; SQLite truncates the pattern at the NUL), and
// filter strings longer than maxFilterLength.
func checkArguments(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc != nil && len(fc.Args) > 0 {
		for name, v := range fc.Args {
			if err := checkValue(reflect.ValueOf(v), name, name == "filter"); err != nil {
				return nil, err
			}
		}
	}
	return next(ctx)
}

func checkValue(v reflect.Value, path string, filter bool) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkValue(v.Elem(), path, filter)
	case reflect.String:
		s := v.String()
		switch {
		case strings.ContainsRune(s, 0) || !utf8.ValidString(s):
			return apperr.Validation("input.invalidCharacters", path,
				"The value of "+path+" contains a NUL character or invalid UTF-8; send plain text.")
		case filter && utf8.RuneCountInString(s) > maxFilterLength:
			return apperr.Validation("filter.tooLong", path,
				fmt.Sprintf("The value of %s is longer than %d characters; search for a shorter part.", path, maxFilterLength))
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				name = t.Field(i).Name
			}
			if err := checkValue(v.Field(i), path+"."+name, filter); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := checkValue(v.Index(i), path, filter); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if err := checkValue(iter.Value(), path+"."+fmt.Sprint(iter.Key()), filter); err != nil {
				return err
			}
		}
	}
	return nil
}
