package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"mailbridge/ent"
	"mailbridge/graph/model"
	"mailbridge/internal/addin"
	"mailbridge/internal/apperr"
	"mailbridge/internal/auth"
	"mailbridge/internal/migration"
	"mailbridge/internal/ratelimit"
	"mailbridge/internal/viewer"
)

// CSRFHeader must accompany every POST made with a session cookie. Browsers
// cannot add it to cross-site form posts without a CORS preflight, which
// Mailbridge never grants.
const CSRFHeader = "X-Mailbridge-CSRF"

// Options are the API's limits.
type Options struct {
	Dev             bool // GraphQL introspection on
	ComplexityLimit int
	ParserTokens    int
	MaxBodyBytes    int64
	// MaxDBQueries bounds the database queries of one request: estimated
	// from the operation before it runs, and counted while it runs.
	MaxDBQueries int
	// MaxAliases bounds the aliased fields of one operation.
	MaxAliases int
	// RateLimit limits requests per caller; nil means no limit.
	RateLimit *ratelimit.Limiter
}

// NewHandler returns the /graphql endpoint: authentication required, a rate
// limit per caller, CSRF header for cookie sessions, body checks, then gqlgen
// with POST and GET transports only, a query cache, complexity, database
// query and alias limits, argument checks, per-request loaders and mutations
// wrapped in one database transaction. The caller applies the request
// deadline and authentication (auth.Middleware) around it.
//
// NewHandler installs an ent interceptor on d.Client that charges the
// queries of each request to that request's budget.
func NewHandler(d Deps, o Options) http.Handler {
	if d.OutlookAddin == nil {
		d.OutlookAddin, _ = addin.NewService(d.Client, "", nil) // no minimum: cannot fail
	}
	if d.Migration == nil {
		d.Migration = migration.NewService(d.Client, nil)
	}
	r := &Resolver{client: d.Client, mailboxes: d.Mailboxes, assigner: d.Assigner, auth: d.Auth, office365: d.Office365, addin: d.OutlookAddin, migration: d.Migration, log: d.Logger}
	cfg := Config{Resolvers: r}
	setComplexity(&cfg.Complexity)
	srv := handler.New(NewExecutableSchema(cfg))
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(o.ParserTokens)
	srv.SetDisableSuggestion(true)
	// Scalars cost nothing, objects one each, lists their page size times
	// their items (setComplexity): the limit bounds the objects a request
	// can reach, whatever aliases it uses.
	srv.Use(extension.FixedComplexityLimit(o.ComplexityLimit, complexity.WithFixedScalarValue(0)))
	srv.Use(&costLimit{maxQueries: o.MaxDBQueries, maxAliases: o.MaxAliases})
	if o.Dev {
		srv.Use(extension.Introspection{})
	}
	srv.AroundFields(checkArguments)
	var opener entgql.TxOpener = d.Client
	if d.TxOpener != nil {
		opener = d.TxOpener
	}
	srv.Use(transactioner{entgql.Transactioner{TxOpener: opener}, d.Logger})
	srv.SetErrorPresenter(errorPresenter(d.Logger))
	srv.SetRecoverFunc(recoverFunc(d.Logger))
	counter := &queryCounter{}
	counter.install(d.Client)
	return guard(d.Logger, o, counter, withLoaders(d.Client, srv))
}

// guard applies the HTTP-level rules before gqlgen sees the request, so that
// each refusal is a GraphQL-shaped error with a stable code, and makes sure
// gqlgen's own answers carry codes and consistent statuses (codeWriter).
func guard(log *slog.Logger, o Options, counter *queryCounter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := o.RateLimit.Allow(callerKey(r)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfterSeconds(wait)))
			log.InfoContext(r.Context(), "graphql: rate limited", "retry_after_ms", wait.Milliseconds())
			writeError(w, http.StatusTooManyRequests, &apperr.Error{Kind: apperr.KindRateLimited, ID: "request.rateLimited",
				Message: fmt.Sprintf("Too many requests. Wait %d seconds (see Retry-After) and try again.", ratelimit.RetryAfterSeconds(wait))})
			return
		}
		if _, problem := auth.Require(r.Context()); problem != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mailbridge"`)
			writeError(w, http.StatusUnauthorized, problem)
			return
		}
		switch r.Method {
		case http.MethodPost:
			if auth.RequestMethod(r.Context()) == auth.MethodSession && r.Header.Get(CSRFHeader) == "" {
				writeError(w, http.StatusForbidden, apperr.Forbidden("request.csrfHeaderMissing",
					"Requests signed in with a browser session must carry the "+CSRFHeader+" header."))
				return
			}
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, apperr.Validation("request.contentType", "",
					"Send the GraphQL request as JSON (Content-Type: application/json)."))
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, o.MaxBodyBytes+1))
			if err != nil {
				writeError(w, http.StatusBadRequest, apperr.Validation("request.unreadable", "", "The request body could not be read."))
				return
			}
			if int64(len(body)) > o.MaxBodyBytes {
				writeError(w, http.StatusRequestEntityTooLarge, apperr.Validation("request.tooLarge", "",
					"The request body is larger than the limit; send a smaller query or fewer variables."))
				return
			}
			if problem := checkBody(body); problem != nil {
				writeError(w, http.StatusBadRequest, problem)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		case http.MethodGet:
			if problem := checkQueryString(r); problem != nil {
				writeError(w, http.StatusBadRequest, problem)
				return
			}
		}
		ctx := counter.withBudget(r.Context(), o.MaxDBQueries)
		cw := &codeWriter{ResponseWriter: w, ctx: ctx}
		next.ServeHTTP(cw, r.WithContext(ctx))
		cw.flush()
	})
}

// callerKey names whom a request is charged to for rate limiting: its API
// token or session, or its IP address when it has neither.
func callerKey(r *http.Request) string {
	if v := viewer.FromContext(r.Context()); v != nil {
		switch {
		case v.APITokenID != 0:
			return "token:" + strconv.Itoa(v.APITokenID)
		case v.SessionID != 0:
			return "session:" + strconv.Itoa(v.SessionID)
		}
		return "user:" + strconv.Itoa(v.UserID)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// errBody is the answer to a request body that is not one GraphQL request.
func errBody(field, msg string) *apperr.Error {
	return apperr.Validation("request.invalidBody", field, msg)
}

// checkBody requires a POST body to be one JSON object with a string query
// and, if present, a string operationName and object variables and
// extensions. Batches (arrays) are not supported. The body is never echoed
// back or logged: it may hold secrets.
func checkBody(body []byte) *apperr.Error {
	const shape = `Send one JSON object: {"query": "…", "operationName": "…", "variables": {…}}.`
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		if !json.Valid(body) {
			return errBody("", "The request body is not valid JSON. "+shape)
		}
		return errBody("", "The request body must be a JSON object (batches are not supported). "+shape)
	}
	var query string
	if raw, ok := req["query"]; !ok || json.Unmarshal(raw, &query) != nil || strings.TrimSpace(query) == "" {
		return errBody("query", "The request has no query: \"query\" must be a non-empty string holding the GraphQL document.")
	}
	if raw, ok := req["operationName"]; ok && !isJSON(raw, '"') {
		return errBody("operationName", "\"operationName\" must be a string (or left out).")
	}
	for _, name := range []string{"variables", "extensions"} {
		if raw, ok := req[name]; ok && !isJSON(raw, '{') {
			return errBody(name, `"`+name+`" must be a JSON object (or left out).`)
		}
	}
	return nil
}

// checkQueryString applies checkBody's rules to a GET request's parameters.
func checkQueryString(r *http.Request) *apperr.Error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errBody("", "The query string could not be parsed; URL-encode the query and variables parameters.")
	}
	if strings.TrimSpace(q.Get("query")) == "" {
		return errBody("query", "The request has no query: pass the GraphQL document in the query parameter.")
	}
	for _, name := range []string{"variables", "extensions"} {
		if v := q.Get(name); v != "" && !isJSON(json.RawMessage(v), '{') {
			return errBody(name, "The "+name+" parameter must be a JSON object.")
		}
	}
	return nil
}

// isJSON reports whether raw is JSON null or a JSON value starting with
// first ('{' for an object, '"' for a string) that parses.
func isJSON(raw json.RawMessage, first byte) bool {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return true
	}
	if len(raw) == 0 || raw[0] != first {
		return false
	}
	var v any
	return json.Unmarshal(raw, &v) == nil
}

// codeWriter makes gqlgen's own answers follow the API's rules: it holds
// back any response with status >= 400 (and any response written after the
// request's deadline passed), adds VALIDATION_FAILED to errors that have no
// code, answers 400 for every refusal made before execution (gqlgen says 422
// for parse and validation errors), 405 for a mutation sent with GET (gqlgen
// says 406), and 503 UNAVAILABLE when the deadline stopped the request.
type codeWriter struct {
	http.ResponseWriter
	ctx    context.Context
	status int
	held   bool
	buf    bytes.Buffer
}

func (c *codeWriter) hold(status int) {
	if c.status != 0 {
		return
	}
	c.status = status
	if errors.Is(c.ctx.Err(), context.DeadlineExceeded) {
		c.status = http.StatusServiceUnavailable
	}
	switch c.status {
	case http.StatusUnprocessableEntity:
		c.status = http.StatusBadRequest
	case http.StatusNotAcceptable: // gqlgen's answer to a mutation sent with GET
		c.status = http.StatusMethodNotAllowed
		c.ResponseWriter.Header().Set("Allow", "POST")
	}
	c.held = c.status >= http.StatusBadRequest
	if !c.held {
		c.ResponseWriter.WriteHeader(c.status)
	}
}

func (c *codeWriter) WriteHeader(status int) { c.hold(status) }

func (c *codeWriter) Write(b []byte) (int, error) {
	c.hold(http.StatusOK)
	if c.held {
		return c.buf.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (c *codeWriter) flush() {
	if !c.held {
		return
	}
	var resp map[string]any
	if err := json.Unmarshal(c.buf.Bytes(), &resp); err == nil {
		errs, _ := resp["errors"].([]any)
		if c.status == http.StatusServiceUnavailable {
			errs = []any{map[string]any{"message": errTimeout.Message,
				"extensions": map[string]any{"code": string(errTimeout.Kind), "id": errTimeout.ID}}}
			resp = map[string]any{"errors": errs}
		}
		for _, e := range errs {
			if em, ok := e.(map[string]any); ok {
				ext, _ := em["extensions"].(map[string]any)
				if ext == nil {
					ext = map[string]any{}
					em["extensions"] = ext
				}
				if _, ok := ext["code"]; !ok {
					ext["code"], ext["id"] = string(apperr.KindValidation), "request.invalid"
					if c.status == http.StatusMethodNotAllowed {
						ext["id"], em["message"] = "request.mutationNeedsPost", "Send mutations with POST; GET runs queries only."
					}
				}
			}
		}
		if b, err := json.Marshal(resp); err == nil {
			c.buf.Reset()
			c.buf.Write(b)
		}
	}
	c.ResponseWriter.Header().Del("Content-Length")
	c.ResponseWriter.Header().Set("Content-Type", "application/json")
	c.ResponseWriter.WriteHeader(c.status)
	_, _ = c.ResponseWriter.Write(c.buf.Bytes())
}

// errTimeout answers a request stopped by its deadline.
var errTimeout = apperr.Unavailable("request.timeout",
	"Mailbridge did not finish this request in time (its database may be busy or unreachable). Try again in a moment, or ask for less data.")

// writeError writes a GraphQL response holding one error.
func writeError(w http.ResponseWriter, status int, e *apperr.Error) {
	apperr.WriteGraphQL(w, status, e)
}

// WriteError writes a GraphQL-shaped response holding one error, for the
// layers around the handler (routing, cross-origin checks, method checks).
func WriteError(w http.ResponseWriter, status int, e *apperr.Error) { writeError(w, status, e) }

// setComplexity makes lists cost their page size times their items, so the
// complexity limit bounds how many objects one request can reach.
func setComplexity(c *ComplexityRoot) {
	c.Query.Mailboxes = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *model.MailboxFilterInput, _ *ent.MailboxOrder) int {
		return 1 + child*pageCost(first, last)
	}
	c.Query.SequenceStates = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *model.SequenceStateFilterInput, _ *ent.SequenceStateOrder) int {
		return 1 + child*pageCost(first, last)
	}
	c.Query.Users = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.UserOrder) int {
		return 1 + child*pageCost(first, last)
	}
	c.Query.AuditEvents = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *model.AuditEventFilterInput, _ *ent.AuditEventOrder) int {
		return 1 + child*pageCost(first, last)
	}
	c.Query.Nodes = func(child int, ids []int) int { return 1 + child*len(ids) }
	c.Query.APITokens = func(child int) int { return 1 + child*20 }
	// Plain lists of a few items each.
	c.Viewer.Mailboxes = func(child int) int { return 1 + child*10 }
	c.User.Mailboxes = func(child int) int { return 1 + child*10 }
	c.MicrosoftAccount.Mailboxes = func(child int) int { return 1 + child*10 }
	c.SequenceState.ScheduledEmails = func(child int) int { return 1 + child*10 }
	// Mail sync (graph/sync.graphqls).
	c.Mailbox.SyncedMessages = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int) int {
		return 1 + child*pageCost(first, last)
	}
	c.Prospect.SyncedMessages = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int) int {
		return 1 + child*pageCost(first, last)
	}
	c.SyncedMessage.Prospects = func(child int) int { return 1 + child*5 }
}

// transactioner is entgql's Transactioner (mutations in one transaction)
// made safe for gqlgen's early refusals, which run response interceptors
// without an operation context, and with its own errors (a transaction that
// cannot begin or commit) given a code instead of the driver's text.
type transactioner struct {
	entgql.Transactioner
	log *slog.Logger
}

func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	resp := t.Transactioner.InterceptResponse(ctx, next)
	for _, e := range resp.Errors {
		if _, ok := e.Extensions["code"]; ok {
			continue
		}
		pub := errTimeout
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.log.ErrorContext(ctx, "graphql: transaction failed", "error", e.Message)
			pub = errInternal
		}
		e.Message = pub.Message
		e.Extensions = map[string]any{"code": string(pub.Kind), "id": pub.ID}
	}
	return resp
}
