// Package server assembles Mailbridge's HTTP handler: the GraphQL API, the
// sign-in endpoints, health checks and the embedded web app, behind
// cross-origin protection, security headers, panic recovery and request
// logging; the API authenticates each request (session cookie or API
// token). Tests build the same handler in-process.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"mailbridge/ent"
	"mailbridge/frontend"
	"mailbridge/graph"
	"mailbridge/internal/addin"
	"mailbridge/internal/apperr"
	"mailbridge/internal/auth"
	"mailbridge/internal/config"
	"mailbridge/internal/db"
	"mailbridge/internal/jobs"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/mailsync"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/ratelimit"
	"mailbridge/internal/txn"
)

// Deps are what the handler is built from.
type Deps struct {
	Config  config.Config
	Client  *ent.Client
	Dialect string // dialect.SQLite or dialect.Postgres
	Logger  *slog.Logger
	// Auth checks sessions and API tokens and serves the sign-in endpoints;
	// build it with auth.ConfigOptions.
	Auth *auth.Service
	// Ready reports whether the service can take traffic (db.DB.Ready);
	// /readyz calls it.
	Ready func(context.Context) error
	// Now is the rate limiter's clock; nil means time.Now (tests set it).
	Now func() time.Time
	// DB is the database Client runs on: mutations run in a *sql.Tx on
	// it that River's InsertTx shares (txn.Opener).
	DB *db.DB
	// Assigner runs assignMailbox; nil builds one that enqueues its
	// background jobs with an insert-only River client (whoever works
	// them registers mailbox.NewAssignWorker).
	Assigner *mailbox.Assigner
	// Microsoft is the process's Microsoft 365 service (NewMicrosoft);
	// nil builds one from Config.
	Microsoft *microsoft.Service
	// MicrosoftHTTPClient talks to Microsoft (default: a client with a
	// 30 s timeout).
	MicrosoftHTTPClient *http.Client
	// SyncWebhook receives Microsoft Graph change and lifecycle
	// notifications (mailsync.Syncer.Webhook); nil when sync does not run.
	SyncWebhook http.Handler
}

// New returns the complete handler.
func New(d Deps) (http.Handler, error) {
	cfg, log, authn := d.Config, d.Logger, d.Auth
	spa, err := frontend.NewHandler(frontend.Config{
		Mode:        string(cfg.Mode),
		GraphQLPath: "/graphql",
		CSRFHeader:  graph.CSRFHeader,
		DemoSignIn:  authn.DemoSignIn(),
		// Set by make dev only (demo mode): load the app from Vite.
		DevServerURL: cfg.FrontendDevServer,
	}, log)
	if err != nil {
		return nil, err
	}
	if d.DB == nil {
		return nil, errors.New("server: Deps.DB is required")
	}
	assigner := d.Assigner
	if assigner == nil {
		ins, err := jobs.NewInserter(d.DB, log)
		if err != nil {
			return nil, err
		}
		assigner = mailbox.NewAssigner(d.DB, ins, mailbox.AssignOptions{
			BackgroundThreshold: cfg.AssignBackgroundThreshold, Now: d.Now,
		})
	}
	ms := d.Microsoft
	if ms == nil {
		if ms, err = NewMicrosoft(d); err != nil {
			return nil, err
		}
	}
	outlookAddin, err := addin.NewService(d.Client, cfg.Microsoft.OutlookAddinMinVersion, d.Now)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// Only the API authenticates; static files and health checks never
	// touch the session store. The request deadline starts before
	// authentication, so a database that does not answer cannot hold a
	// request longer than REQUEST_TIMEOUT.
	api := authn.Middleware(graph.NewHandler(graph.Deps{
		Client:       d.Client,
		Mailboxes:    mailbox.NewService(d.Client, d.Dialect == dialect.Postgres),
		Assigner:     assigner,
		Auth:         authn,
		Office365:    ms,
		OutlookAddin: outlookAddin,
		Logger:       log,
		TxOpener:     txn.Opener(d.DB),
	}, graph.Options{
		Dev:             cfg.Dev(),
		ComplexityLimit: cfg.ComplexityLimit,
		ParserTokens:    cfg.ParserTokens,
		MaxBodyBytes:    cfg.MaxBodyBytes,
		MaxDBQueries:    cfg.MaxDBQueries,
		MaxAliases:      cfg.MaxAliases,
		RateLimit:       ratelimit.New(cfg.RateLimitPerMinute, cfg.RateLimitBurst, d.Now),
	}))
	mux.Handle("/graphql", compressResponses(apiEdge(cfg.RequestTimeout, api)))
	mux.HandleFunc("/graphql/", func(w http.ResponseWriter, r *http.Request) {
		graph.WriteError(w, http.StatusNotFound, apperr.NotFound("request.noSuchPath",
			"There is nothing at "+r.URL.Path+"; the GraphQL API is at /graphql."))
	})
	authn.Routes(mux)
	if ms != nil {
		// The callback works without a session (partners hand the URL to
		// the user); with one, it must be the user who started the flow.
		mux.Handle("GET "+microsoft.CallbackPath, authn.Middleware(http.HandlerFunc(ms.Callback)))
		mux.HandleFunc("GET "+microsoft.SignInPath, ms.StartSignIn)
	}
	if d.SyncWebhook != nil {
		mux.Handle("POST "+mailsync.NotificationsPath, d.SyncWebhook)
		mux.Handle("POST "+mailsync.LifecyclePath, d.SyncWebhook)
	}
	mux.HandleFunc("/auth/", notFound)
	mux.HandleFunc("/api/", notFound)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.Ready(ctx); err != nil {
			log.WarnContext(ctx, "server: not ready", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "The database is not reachable or not migrated."})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Use GET for " + r.URL.Path + "."})
			return
		}
		spa.ServeHTTP(w, r)
	}))

	// Cross-origin writes are refused. Browsers that send Sec-Fetch-Site
	// are judged by it; older ones by their Origin, which must be
	// PUBLIC_URL's origin (or match Host, when nothing rewrites it).
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(cfg.PublicURL); err != nil {
		return nil, fmt.Errorf("server: PUBLIC_URL as trusted origin: %w", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "server: cross-origin request refused", "path", r.URL.Path)
		if isAPI(r) {
			graph.WriteError(w, http.StatusForbidden, apperr.Forbidden("request.crossOrigin",
				"Cross-origin requests are refused: call the API from "+cfg.PublicURL+", or from a server with an API token."))
			return
		}
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "Cross-origin requests are refused."})
	}))
	var h http.Handler = mux
	h = cop.Handler(h)
	h = securityHeaders(cfg.SecureCookies(), h)
	h = recoverPanics(log, h)
	h = logRequests(log, h)
	return h, nil
}

// isAPI reports whether r is for the GraphQL endpoint (whose every answer is
// GraphQL-shaped).
func isAPI(r *http.Request) bool {
	return r.URL.Path == "/graphql" || strings.HasPrefix(r.URL.Path, "/graphql/")
}

// apiEdge is the outside of the GraphQL endpoint: GET and POST only (405
// with Allow otherwise), never cached, and one deadline for the whole
// request, authentication included.
func apiEdge(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			graph.WriteError(w, http.StatusMethodNotAllowed, apperr.Validation("request.methodNotAllowed", "",
				"The GraphQL API takes POST (queries and mutations) or GET (queries), not "+r.Method+"."))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "There is nothing at " + r.URL.Path + "."})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// securityHeaders sets a strict Content-Security-Policy and friends: the app
// loads only its own scripts and styles and may not be framed. Served over
// HTTPS, browsers are told to use HTTPS only (HSTS). Sign-in answers are
// never cached.
func securityHeaders(https bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if strings.HasPrefix(r.URL.Path, "/auth/") {
			h.Set("Cache-Control", "no-store")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics answers 500 instead of dropping the connection, and logs.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "server: panic", "panic", p, "path", r.URL.Path)
				if isAPI(r) {
					graph.WriteError(w, http.StatusInternalServerError, &apperr.Error{Kind: apperr.KindInternal, ID: "internal",
						Message: "Something went wrong on our side. It has been logged; try again in a moment."})
					return
				}
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Something went wrong on our side. Try again in a moment."})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	written int64
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	s.written += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs one line per request: method, path, status, sizes and
// the duration in milliseconds; never headers, query strings or bodies,
// which carry cookies, tokens and variables.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int64("request_bytes", r.ContentLength),
			slog.Int64("response_bytes", rec.written), slog.Float64("duration_ms", Milliseconds(time.Since(start))))
	})
}

// LogDurationsInMilliseconds is a slog ReplaceAttr for JSON logs: every
// duration attribute "x" becomes a number "x_ms" (slog would write
// nanoseconds).
func LogDurationsInMilliseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key+"_ms", Milliseconds(a.Value.Duration()))
	}
	return a
}

// Milliseconds is d in milliseconds with microsecond precision, the unit of
// durations in Mailbridge's logs.
func Milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
