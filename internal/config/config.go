// Package config reads Mailbridge's configuration once at start-up: command
// line flags whose defaults come from the environment, secrets also from
// *_FILE variables. The result is validated into an immutable Config that is
// passed down; there is no package-level mutable configuration.
package config

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"mailbridge/internal/dburl"
)

// Mode selects demo behaviour (seeded data, the built-in Microsoft 365
// emulator, GraphQL introspection, demo sign-in) or production.
type Mode string

// The modes.
const (
	ModeDemo       Mode = "demo"
	ModeProduction Mode = "production"
)

// Config is the validated configuration.
type Config struct {
	Mode      Mode
	Listen    string // host:port the HTTP server listens on
	PublicURL string // origin users reach Mailbridge on, e.g. https://mailbridge.example.com
	// DemoAllowRemote lets demo mode listen on a non-loopback address.
	// Demo sign-in is passwordless, so demo mode listens on loopback unless
	// this is set; serve logs a warning when it is used.
	DemoAllowRemote bool
	// DatabaseURL is empty for embedded SQLite under DataDir, sqlite:PATH
	// for another SQLite file, or a postgres:// URL (see internal/dburl).
	DatabaseURL string
	DataDir     string

	LogLevel  slog.Level
	LogFormat string // "text" or "json"

	SessionIdleTimeout     time.Duration
	SessionAbsoluteTimeout time.Duration

	// FrontendDevServer, in demo mode, is the origin of a running Vite dev
	// server (make dev): index.html then loads the web app from it.
	FrontendDevServer string

	// M365SimListen is where demo mode starts the built-in Microsoft 365
	// emulator (loopback).
	M365SimListen string

	// GraphQL limits.
	MaxBodyBytes    int64
	ComplexityLimit int
	ParserTokens    int
	RequestTimeout  time.Duration

	// Request cost and rate limits (GraphQL edge).
	MaxDBQueries       int // database queries one GraphQL request may run
	MaxAliases         int // aliased fields one GraphQL operation may use
	RateLimitPerMinute int // requests a minute per caller (token, session or IP); 0: no limit
	RateLimitBurst     int // requests a caller may send at once
	// AssignBackgroundThreshold: assignMailbox selections larger than this
	// run as a background job (chunks of 1,000 states).
	AssignBackgroundThreshold int
	// Mail and calendar sync: how often every synced mailbox is polled
	// (change notifications, when PUBLIC_URL allows them, start rounds
	// sooner) and how far back a mailbox's first import reaches.
	SyncPollInterval  time.Duration
	SyncInitialWindow time.Duration
	// SendLease is how long a claimed scheduled email and a mailbox's
	// delivery stay reserved without renewal: after a crash, delivery
	// resumes that much later.
	SendLease time.Duration
	// Microsoft is the identity platform and Graph configuration.
	Microsoft Microsoft
}

// Dev reports whether development conveniences (GraphQL introspection) are on.
func (c Config) Dev() bool { return c.Mode == ModeDemo }

// SecureCookies reports whether cookies must be Secure (and may use the
// __Host- prefix): whenever Mailbridge is served over HTTPS.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// Redacted returns the configuration as log attributes, secrets hidden.
func (c Config) Redacted() []any {
	return append([]any{
		"mode", c.Mode, "listen", c.Listen, "public_url", c.PublicURL,
		"database", redactURL(c.DatabaseURL), "data_dir", c.DataDir,
		"session_idle_timeout", c.SessionIdleTimeout, "session_absolute_timeout", c.SessionAbsoluteTimeout,
	}, c.Microsoft.redacted()...)
}

func redactURL(raw string) string {
	if raw == "" {
		return "sqlite (embedded)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		}
	}
	return u.String()
}

// Getenv looks up an environment variable; tests pass a map-backed one.
type Getenv func(string) string

// Parse reads flags (args excludes the program and subcommand name) with
// defaults from env, then validates. The error lists every problem, each with
// the flag and variable to fix.
func Parse(args []string, getenv Getenv, out io.Writer) (Config, error) {
	var (
		c                               Config
		mode, logLevel, dataDir         string
		idle, absolute, reqTimout       string
		syncPoll, syncWindow, sendLease string
		errs                            []error
	)
	env := func(name, def string) string { return cmp.Or(getenv(name), def) }
	fs := flag.NewFlagSet("mailbridge", flag.ContinueOnError)
	fs.SetOutput(out)
	port := env("PORT", "8080")
	fs.StringVar(&mode, "mode", env("MAILBRIDGE_MODE", string(ModeDemo)), "demo or production (env MAILBRIDGE_MODE)")
	fs.StringVar(&c.Listen, "listen", getenv("LISTEN_ADDR"), "address to listen on (env LISTEN_ADDR); default 127.0.0.1:$PORT in demo mode, :$PORT in production")
	fs.BoolVar(&c.DemoAllowRemote, "demo-allow-remote", getenv("DEMO_ALLOW_REMOTE") == "true", "demo mode: allow --listen on a non-loopback address; anyone who reaches it can sign in as a demo user (env DEMO_ALLOW_REMOTE=true)")
	fs.StringVar(&c.PublicURL, "public-url", env("PUBLIC_URL", "http://localhost:"+port), "origin users reach Mailbridge on (env PUBLIC_URL)")
	dbURL, err := Secret(getenv, "DATABASE_URL")
	if err != nil {
		errs = append(errs, err)
	}
	fs.StringVar(&c.DatabaseURL, "database-url", dbURL, "postgres:// URL, or sqlite:PATH; empty selects embedded SQLite in the data directory (env DATABASE_URL or DATABASE_URL_FILE)")
	fs.StringVar(&dataDir, "data-dir", env("DATA_DIR", "data"), "directory for the SQLite database and demo state (env DATA_DIR)")
	fs.StringVar(&logLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", ""), "text or json; default text in demo, json in production (env LOG_FORMAT)")
	fs.StringVar(&idle, "session-idle-timeout", env("SESSION_IDLE_TIMEOUT", "20m"), "sign-out after this much inactivity (env SESSION_IDLE_TIMEOUT)")
	fs.StringVar(&absolute, "session-absolute-timeout", env("SESSION_ABSOLUTE_TIMEOUT", "8h"), "sign-out after this long whatever the activity (env SESSION_ABSOLUTE_TIMEOUT)")
	fs.StringVar(&c.M365SimListen, "m365sim-listen", env("M365SIM_LISTEN", "127.0.0.1:9365"), "demo mode: where the built-in Microsoft 365 emulator listens (env M365SIM_LISTEN)")
	fs.StringVar(&c.FrontendDevServer, "frontend-dev-server", getenv("FRONTEND_DEV_SERVER"), "demo mode, web app development: origin of the Vite dev server to load the app from, e.g. http://localhost:5173 (env FRONTEND_DEV_SERVER; make dev sets it)")
	fs.StringVar(&reqTimout, "request-timeout", env("REQUEST_TIMEOUT", "15s"), "deadline of one API request (env REQUEST_TIMEOUT)")
	maxBody := fs.Int("max-body-bytes", envInt(getenv, "MAX_BODY_BYTES", 1<<20, &errs), "largest accepted GraphQL request body (env MAX_BODY_BYTES)")
	complexity := fs.Int("complexity-limit", envInt(getenv, "GRAPHQL_COMPLEXITY_LIMIT", 1000, &errs), "largest accepted GraphQL query cost (env GRAPHQL_COMPLEXITY_LIMIT)")
	tokens := fs.Int("parser-token-limit", envInt(getenv, "GRAPHQL_TOKEN_LIMIT", 5000, &errs), "largest accepted number of GraphQL tokens (env GRAPHQL_TOKEN_LIMIT)")
	// Request cost and rate limits (GraphQL edge).
	fs.IntVar(&c.MaxDBQueries, "graphql-max-db-queries", envInt(getenv, "GRAPHQL_MAX_DB_QUERIES", 50, &errs), "largest number of database queries one GraphQL request may run (env GRAPHQL_MAX_DB_QUERIES)")
	fs.IntVar(&c.MaxAliases, "graphql-max-aliases", envInt(getenv, "GRAPHQL_MAX_ALIASES", 30, &errs), "largest number of aliased fields in one GraphQL operation (env GRAPHQL_MAX_ALIASES)")
	fs.IntVar(&c.RateLimitPerMinute, "rate-limit-per-minute", envInt(getenv, "RATE_LIMIT_PER_MINUTE", 600, &errs), "API requests a minute per API token, session or (unauthenticated) IP address; 0 turns the limit off (env RATE_LIMIT_PER_MINUTE)")
	fs.IntVar(&c.RateLimitBurst, "rate-limit-burst", envInt(getenv, "RATE_LIMIT_BURST", 60, &errs), "API requests a caller may send at once before the per-minute rate applies (env RATE_LIMIT_BURST)")

	fs.IntVar(&c.AssignBackgroundThreshold, "assign-background-threshold", envInt(getenv, "ASSIGN_BACKGROUND_THRESHOLD", 5000, &errs), "assignMailbox runs selections larger than this in the background (env ASSIGN_BACKGROUND_THRESHOLD)")
	fs.StringVar(&syncPoll, "sync-poll-interval", env("SYNC_POLL_INTERVAL", "2m"), "how often synced mailboxes are polled for changes (env SYNC_POLL_INTERVAL)")
	fs.StringVar(&syncWindow, "sync-initial-window", env("SYNC_INITIAL_WINDOW", "2160h"), "how far back a mailbox's first sync imports mail, default 90 days (env SYNC_INITIAL_WINDOW)")
	fs.StringVar(&sendLease, "send-lease", env("SEND_LEASE", "2m"), "how long a scheduled email being sent stays reserved without renewal; after a crash its delivery resumes that much later (env SEND_LEASE)")
	ms := addMicrosoftFlags(fs, getenv, &errs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	c.MaxBodyBytes, c.ComplexityLimit, c.ParserTokens = int64(*maxBody), *complexity, *tokens
	c.DataDir = dataDir

	switch Mode(mode) {
	case ModeDemo, ModeProduction:
		c.Mode = Mode(mode)
	default:
		errs = append(errs, fmt.Errorf("--mode / MAILBRIDGE_MODE must be demo or production, not %q", mode))
	}
	if c.Listen == "" {
		c.Listen = ":" + port
		if c.Mode == ModeDemo {
			c.Listen = "127.0.0.1:" + port
		}
	}
	if c.Mode == ModeDemo && !c.DemoAllowRemote && !IsLoopbackListen(c.Listen) {
		errs = append(errs, fmt.Errorf("demo mode signs anyone in without a password, so it listens on loopback only: --listen / LISTEN_ADDR %q is not a loopback address (set --demo-allow-remote / DEMO_ALLOW_REMOTE=true to expose it anyway)", c.Listen))
	}
	if c.FrontendDevServer != "" && c.Mode != ModeDemo {
		errs = append(errs, errors.New("--frontend-dev-server / FRONTEND_DEV_SERVER is for web app development in demo mode only"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level / LOG_LEVEL must be debug, info, warn or error, not %q", logLevel))
	}
	c.LogFormat = cmp.Or(c.LogFormat, map[Mode]string{ModeDemo: "text", ModeProduction: "json"}[c.Mode])
	// With an invalid mode there is no default format; the mode's own error
	// says what to fix.
	if c.Mode != "" && c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format / LOG_FORMAT must be text or json, not %q", c.LogFormat))
	}
	c.SessionIdleTimeout = duration(idle, "--session-idle-timeout / SESSION_IDLE_TIMEOUT", &errs)
	c.SessionAbsoluteTimeout = duration(absolute, "--session-absolute-timeout / SESSION_ABSOLUTE_TIMEOUT", &errs)
	c.RequestTimeout = duration(reqTimout, "--request-timeout / REQUEST_TIMEOUT", &errs)
	c.SyncPollInterval = duration(syncPoll, "--sync-poll-interval / SYNC_POLL_INTERVAL", &errs)
	c.SyncInitialWindow = duration(syncWindow, "--sync-initial-window / SYNC_INITIAL_WINDOW", &errs)
	c.SendLease = duration(sendLease, "--send-lease / SEND_LEASE", &errs)
	if c.SessionAbsoluteTimeout < c.SessionIdleTimeout {
		errs = append(errs, errors.New("--session-absolute-timeout must not be shorter than --session-idle-timeout"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		errs = append(errs, fmt.Errorf("--public-url / PUBLIC_URL must be an origin like https://mailbridge.example.com, not %q", c.PublicURL))
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Mode == ModeProduction && !c.SecureCookies() && !isLoopbackURL(c.PublicURL) {
		errs = append(errs, fmt.Errorf("production mode needs an https:// PUBLIC_URL (sessions are Secure cookies), not %q", c.PublicURL))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir / DATA_DIR must not be empty"))
	} else if _, err := dburl.Parse(c.DatabaseURL, c.DataDir); err != nil {
		errs = append(errs, err)
	}
	if c.MaxBodyBytes < 1024 || c.ComplexityLimit < 10 || c.ParserTokens < 100 {
		errs = append(errs, errors.New("GraphQL limits are too small: MAX_BODY_BYTES ≥ 1024, GRAPHQL_COMPLEXITY_LIMIT ≥ 10, GRAPHQL_TOKEN_LIMIT ≥ 100"))
	}
	// Request cost and rate limits (GraphQL edge).
	if c.MaxDBQueries < 5 || c.MaxAliases < 0 || c.RateLimitPerMinute < 0 || c.RateLimitBurst < 1 {
		errs = append(errs, errors.New("request limits out of range: GRAPHQL_MAX_DB_QUERIES ≥ 5, GRAPHQL_MAX_ALIASES ≥ 0, RATE_LIMIT_PER_MINUTE ≥ 0 (0: off), RATE_LIMIT_BURST ≥ 1"))
	}

	if c.AssignBackgroundThreshold < 1 {
		errs = append(errs, errors.New("--assign-background-threshold / ASSIGN_BACKGROUND_THRESHOLD must be at least 1"))
	}
	c.Microsoft = ms.validate(c.Mode, &errs)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// Secret reads a secret from NAME, or from the file named by NAME_FILE
// (trailing newline trimmed). Setting both is an error.
func Secret(getenv Getenv, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return v, nil
}

// IsLoopbackListen reports whether a listen address (host:port) binds only
// loopback interfaces. An empty host (":8080") binds every interface.
func IsLoopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

func duration(s, name string, errs *[]error) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		*errs = append(*errs, fmt.Errorf("%s must be a positive duration like 20m, not %q", name, s))
	}
	return d
}

func envInt(getenv Getenv, name string, def int, errs *[]error) int {
	s := getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s must be a whole number, not %q", name, s))
		return def
	}
	return n
}
