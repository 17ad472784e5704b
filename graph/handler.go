package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"mailbridge/ent"
	"mailbridge/graph/model"
	"mailbridge/internal/apperr"
	"mailbridge/internal/auth"
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
	Timeout         time.Duration
}

// NewHandler returns the /graphql endpoint: authentication required, CSRF
// header for cookie sessions, body and time limits, then gqlgen with POST and
// GET transports only, a query cache, a complexity limit, per-request
// loaders and mutations wrapped in one database transaction.
func NewHandler(d Deps, o Options) http.Handler {
	r := &Resolver{client: d.Client, mailboxes: d.Mailboxes, auth: d.Auth, office365: d.Office365, log: d.Logger}
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
	if o.Dev {
		srv.Use(extension.Introspection{})
	}
	srv.Use(entgql.Transactioner{TxOpener: d.Client})
	srv.SetErrorPresenter(errorPresenter(d.Logger))
	srv.SetRecoverFunc(recoverFunc(d.Logger))
	return guard(d.Logger, o, withLoaders(d.Client, srv))
}

// guard applies the HTTP-level rules before gqlgen sees the request, so that
// each refusal is a GraphQL-shaped error with a stable code.
func guard(log *slog.Logger, o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, problem := auth.Require(r.Context()); problem != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mailbridge"`)
			writeError(w, http.StatusUnauthorized, problem)
			return
		}
		if r.Method == http.MethodPost {
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
			if !json.Valid(body) {
				writeError(w, http.StatusBadRequest, apperr.Validation("request.invalidJSON", "",
					"The request body is not valid JSON. Send {\"query\": \"…\", \"variables\": {…}}."))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		ctx, cancel := context.WithTimeout(r.Context(), o.Timeout)
		defer cancel()
		cw := &codeWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r.WithContext(ctx))
		cw.flush()
	})
}

// codeWriter makes sure transport-level refusals written by gqlgen itself
// (which bypass the error presenter, e.g. a JSON body of the wrong shape)
// also carry extensions.code: it holds back any response with status >= 400
// and adds VALIDATION_FAILED to errors that have no code.
type codeWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *codeWriter) WriteHeader(status int) {
	c.status = status
	if status < http.StatusBadRequest {
		c.ResponseWriter.WriteHeader(status)
	}
}

func (c *codeWriter) Write(b []byte) (int, error) {
	if c.status >= http.StatusBadRequest {
		return c.buf.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (c *codeWriter) flush() {
	if c.status < http.StatusBadRequest {
		return
	}
	var resp map[string]any
	if err := json.Unmarshal(c.buf.Bytes(), &resp); err == nil {
		errs, _ := resp["errors"].([]any)
		for _, e := range errs {
			if em, ok := e.(map[string]any); ok {
				ext, _ := em["extensions"].(map[string]any)
				if ext == nil {
					ext = map[string]any{}
					em["extensions"] = ext
				}
				if _, ok := ext["code"]; !ok {
					ext["code"], ext["id"] = string(apperr.KindValidation), "request.invalid"
				}
			}
		}
		if b, err := json.Marshal(resp); err == nil {
			c.buf.Reset()
			c.buf.Write(b)
		}
	}
	c.ResponseWriter.Header().Del("Content-Length")
	c.ResponseWriter.WriteHeader(c.status)
	_, _ = c.ResponseWriter.Write(c.buf.Bytes())
}

// writeError writes a GraphQL response holding one error.
func writeError(w http.ResponseWriter, status int, e *apperr.Error) {
	ext := map[string]any{"code": string(e.Kind), "id": e.ID}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": e.Message, "extensions": ext}},
	})
}

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
}
