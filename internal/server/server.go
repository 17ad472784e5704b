// Package server assembles Mailbridge's HTTP handler: the GraphQL API, the
// sign-in endpoints, health checks and the embedded web app, behind
// cross-origin protection, security headers, panic recovery and request
// logging; the API authenticates each request (session cookie or API
// token). Tests build the same handler in-process.
package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"entgo.io/ent/dialect"

	"mailbridge/ent"
	"mailbridge/frontend"
	"mailbridge/graph"
	"mailbridge/internal/auth"
	"mailbridge/internal/config"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/microsoft"
)

// Deps are what the handler is built from.
type Deps struct {
	Config  config.Config
	Client  *ent.Client
	Dialect string // dialect.SQLite or dialect.Postgres
	Logger  *slog.Logger
	// Ready reports whether the service can take traffic (database
	// reachable, migrations applied); /readyz calls it.
	Ready func(context.Context) error
	Now   func() time.Time
	// MicrosoftHTTPClient talks to Microsoft (default: a client with a
	// 30 s timeout).
	MicrosoftHTTPClient *http.Client
}

// New returns the complete handler.
func New(d Deps) (http.Handler, error) {
	cfg, log := d.Config, d.Logger
	authn := auth.NewService(d.Client, auth.Options{
		IdleTimeout:     cfg.SessionIdleTimeout,
		AbsoluteTimeout: cfg.SessionAbsoluteTimeout,
		SecureCookies:   cfg.SecureCookies(),
		Now:             d.Now,
		Logger:          log,
	})
	spa, err := frontend.NewHandler(frontend.Config{
		Mode:        string(cfg.Mode),
		GraphQLPath: "/graphql",
		CSRFHeader:  graph.CSRFHeader,
		DemoSignIn:  cfg.Mode == config.ModeDemo,
	}, log)
	if err != nil {
		return nil, err
	}
	ms, err := newMicrosoft(d, authn)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// Only the API authenticates; static files and health checks never
	// touch the session store.
	mux.Handle("/graphql", authn.Middleware(graph.NewHandler(graph.Deps{
		Client:    d.Client,
		Mailboxes: mailbox.NewService(d.Client, d.Dialect == dialect.Postgres),
		Auth:      authn,
		Office365: ms,
		Logger:    log,
	}, graph.Options{
		Dev:             cfg.Dev(),
		ComplexityLimit: cfg.ComplexityLimit,
		ParserTokens:    cfg.ParserTokens,
		MaxBodyBytes:    cfg.MaxBodyBytes,
		Timeout:         cfg.RequestTimeout,
	})))
	authn.Routes(mux, cfg.Mode == config.ModeDemo)
	if ms != nil {
		// The callback works without a session (partners hand the URL to
		// the user); with one, it must be the user who started the flow.
		mux.Handle("GET "+microsoft.CallbackPath, authn.Middleware(http.HandlerFunc(ms.Callback)))
		mux.HandleFunc("GET "+microsoft.SignInPath, ms.StartSignIn)
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
	mux.Handle("/", spa)

	cop := http.NewCrossOriginProtection()
	var h http.Handler = mux
	h = cop.Handler(h)
	h = securityHeaders(h)
	h = recoverPanics(log, h)
	h = logRequests(log, h)
	return h, nil
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
// loads only its own scripts and styles and may not be framed.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
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
				http.Error(w, "Internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs one line per request (never headers or bodies, which
// carry cookies and tokens).
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	})
}
