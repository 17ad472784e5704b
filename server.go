// Command mailbridge runs the Mailbridge service: the GraphQL API and the
// embedded web app over embedded SQLite (default) or PostgreSQL, and in demo
// mode the built-in Microsoft 365 emulator with seeded data.
//
//	mailbridge [serve] [flags]        run the service (flags: mailbridge serve -h)
//	mailbridge migrate [flags]        apply database migrations and exit
//	mailbridge token create --org … --user … [--name …]
//	                                  create an API token (printed once)
//	mailbridge m365sim [flags]        run the Microsoft 365 emulator on its own
//	mailbridge keys rotate [flags]    re-encrypt Microsoft tokens under the first MAILBRIDGE_TOKEN_KEY
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"mailbridge/ent"
	"mailbridge/ent/organization"
	"mailbridge/ent/user"
	"mailbridge/internal/auth"
	"mailbridge/internal/config"
	"mailbridge/internal/db"
	"mailbridge/internal/demo"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/server"
	"mailbridge/internal/viewer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mailbridge:", err)
		}
		os.Exit(2)
	}
}

// run dispatches the subcommand.
func run(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stderr)
	case "migrate":
		return migrateCmd(ctx, args, getenv, stderr)
	case "token":
		return tokenCmd(ctx, args, getenv, stdout, stderr)
	case "m365sim":
		return m365simCmd(ctx, args, getenv, stderr)
	case "keys":
		return keysCmd(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, "usage: mailbridge [serve|migrate|token create|keys rotate|m365sim] [flags]; add -h for a command's flags")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate, token create, keys rotate, m365sim)", cmd)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens and migrates the configured database.
func openDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*db.DB, error) {
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func serve(ctx context.Context, args []string, getenv config.Getenv, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)
	log.Info("mailbridge: starting", cfg.Redacted()...)

	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	client := d.Client()

	if cfg.Mode == config.ModeDemo {
		var stopSim func()
		cfg, stopSim, err = startDemo(ctx, cfg, client, log)
		if err != nil {
			return err
		}
		defer stopSim()
	}

	h, err := server.New(server.Deps{
		Config:  cfg,
		Client:  client,
		Dialect: d.Dialect,
		Logger:  log,
		Ready: func(ctx context.Context) error {
			if err := d.Ping(ctx); err != nil {
				return err
			}
			pending, err := d.PendingMigrations(ctx)
			if err == nil && len(pending) > 0 {
				err = fmt.Errorf("%d migrations pending", len(pending))
			}
			return err
		},
		Now: time.Now,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Listen,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 15*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go purgeSessions(ctx, client, cfg, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("mailbridge: listening", "addr", cfg.Listen, "url", cfg.PublicURL)
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("mailbridge: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http server shutdown: %w", err)
	}
	return nil
}

// purgeSessions deletes ended sessions now and every 15 minutes, so the
// table holds only live ones.
func purgeSessions(ctx context.Context, client *ent.Client, cfg config.Config, log *slog.Logger) {
	authn := auth.NewService(client, auth.Options{
		IdleTimeout: cfg.SessionIdleTimeout, AbsoluteTimeout: cfg.SessionAbsoluteTimeout, Logger: log,
	})
	tick := time.NewTicker(15 * time.Minute)
	defer tick.Stop()
	for {
		if n, err := authn.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("mailbridge: purge sessions", "error", err)
		} else if n > 0 {
			log.Info("mailbridge: purged ended sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// startDemo seeds the demo data on an empty database and starts the
// built-in Microsoft 365 emulator (state kept in DATA_DIR/m365sim.json).
func startDemo(ctx context.Context, cfg config.Config, client *ent.Client, log *slog.Logger) (config.Config, func(), error) {
	seeded, err := demo.Seed(ctx, client, demo.Options{})
	if err != nil {
		return cfg, nil, err
	}
	if seeded {
		log.Info("mailbridge: seeded demo data", "organization", "Acme", "users", len(demo.People))
	}
	sim, err := m365sim.Listen(cfg.M365SimListen, m365sim.Config{
		StatePath: filepath.Join(cfg.DataDir, "m365sim.json"),
		Logger:    log,
	})
	if err != nil {
		return cfg, nil, fmt.Errorf("demo: start the Microsoft 365 emulator on %s (set M365SIM_LISTEN to another port): %w", cfg.M365SimListen, err)
	}
	if err := demo.SetupEmulator(sim.Sim, cfg.PublicURL); err != nil {
		sim.Close()
		return cfg, nil, err
	}
	if err := demo.FillEmulatorMailboxes(ctx, client, sim.Sim); err != nil {
		sim.Close()
		return cfg, nil, err
	}
	// The Microsoft settings left empty point at the emulator.
	if cfg.Microsoft, err = demo.Microsoft(cfg.Microsoft, sim.URL, cfg.DataDir); err != nil {
		sim.Close()
		return cfg, nil, err
	}
	log.Info("mailbridge: Microsoft 365 emulator running", "url", sim.URL,
		"authority", sim.Authority(demo.Domain), "graph", sim.GraphURL(), "password", demo.EmulatorPassword)
	return cfg, func() {
		if err := sim.Close(); err != nil {
			log.Warn("demo: stop emulator", "error", err)
		}
	}, nil
}

func migrateCmd(ctx context.Context, args []string, getenv config.Getenv, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("mailbridge: migrations applied", "count", len(applied), "versions", applied)
	return nil
}

// tokenCmd implements "mailbridge token create": an operator creates an API
// token for a user of an organization; the secret is printed once.
func tokenCmd(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(`usage: mailbridge token create --org <name or ID> --user <email or ID> [--name <what it is for>]`)
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	orgRef := fs.String("org", "", "organization name or ID (required)")
	userRef := fs.String("user", "", "email or ID of the user the token acts as (required)")
	name := fs.String("name", "API token", "what the token is for")
	dbURL := fs.String("database-url", "", "PostgreSQL URL (default: env DATABASE_URL, else SQLite in --data-dir)")
	dataDir := fs.String("data-dir", "", "data directory (default: env DATA_DIR, else ./data)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *orgRef == "" || *userRef == "" {
		return errors.New("--org and --user are required")
	}
	var cfgArgs []string
	if *dbURL != "" {
		cfgArgs = append(cfgArgs, "--database-url", *dbURL)
	}
	if *dataDir != "" {
		cfgArgs = append(cfgArgs, "--data-dir", *dataDir)
	}
	cfg, err := config.Parse(cfgArgs, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	client := d.Client()
	sys := viewer.SystemContext(ctx)

	orgQ := client.Organization.Query()
	if id, err := strconv.Atoi(*orgRef); err == nil {
		orgQ.Where(organization.ID(id))
	} else {
		orgQ.Where(organization.NameEqualFold(*orgRef))
	}
	org, err := orgQ.Only(sys)
	if err != nil {
		return fmt.Errorf("organization %q: %w", *orgRef, notFoundHint(err))
	}
	userQ := client.User.Query().Where(user.OrgID(org.ID))
	if id, err := strconv.Atoi(*userRef); err == nil {
		userQ.Where(user.ID(id))
	} else {
		userQ.Where(user.EmailEqualFold(*userRef))
	}
	u, err := userQ.Only(sys)
	if err != nil {
		return fmt.Errorf("user %q in %s: %w", *userRef, org.Name, notFoundHint(err))
	}
	authn := auth.NewService(client, auth.Options{Logger: log})
	secret, tok, err := authn.CreateAPIToken(sys, auth.NewAPIToken{UserID: u.ID, Name: *name})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Created API token %q (%s) acting as %s in %s. It is shown once; store it now:\n", tok.Name, tok.Prefix, u.Email, org.Name)
	fmt.Fprintln(stdout, secret)
	return nil
}

func notFoundHint(err error) error {
	if ent.IsNotFound(err) {
		return errors.New("not found")
	}
	return err
}

// m365simCmd runs the Microsoft 365 emulator on its own, e.g. to point a
// development build of Mailbridge (or any Graph client) at it.
func m365simCmd(ctx context.Context, args []string, getenv config.Getenv, stderr io.Writer) error {
	fs := flag.NewFlagSet("m365sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9365", "address to listen on")
	state := fs.String("state", "", "JSON file to keep the emulator's state in across restarts")
	withDemo := fs.Bool("demo", true, "create the demo tenant acme.com, its users and the Mailbridge app registration")
	publicURL := fs.String("mailbridge-url", "http://localhost:8080", "with --demo: Mailbridge's origin, for the app's redirect URI")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	sim, err := m365sim.Listen(*listen, m365sim.Config{StatePath: *state, Logger: log})
	if err != nil {
		return err
	}
	defer sim.Close()
	if *withDemo {
		if err := demo.SetupEmulator(sim.Sim, *publicURL); err != nil {
			return err
		}
	}
	log.Info("m365sim: listening", "url", sim.URL, "authority", sim.Authority("organizations"), "graph", sim.GraphURL(),
		"control", sim.URL+"/_m365sim/")
	<-ctx.Done()
	return nil
}
