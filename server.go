// Command mailbridge runs the Mailbridge service: the GraphQL API and the
// embedded web app over embedded SQLite (default) or PostgreSQL, and in demo
// mode the built-in Microsoft 365 emulator with seeded data.
//
//	mailbridge [serve] [flags]        run the service (flags: mailbridge serve -h)
//	mailbridge migrate [flags]        create or migrate the database and exit
//	mailbridge org create --name …    create an organization
//	mailbridge user create --org … --email … --name … [--admin]
//	                                  create a user (e.g. the first admin)
//	mailbridge token create --org … --user … [--name …] [--expires-in …]
//	                                  create an API token (printed once)
//	mailbridge token list --org … --user …
//	                                  list a user's API tokens and their last use
//	mailbridge m365sim [flags]        run the Microsoft 365 emulator on its own
//	mailbridge keys rotate [flags]    re-encrypt Microsoft tokens under the first MAILBRIDGE_TOKEN_KEY
//
// Only serve and migrate create a database; the other commands need an
// existing, migrated one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/riverqueue/river"

	"mailbridge/ent"
	"mailbridge/ent/apitoken"
	"mailbridge/internal/accounts"
	"mailbridge/internal/auth"
	"mailbridge/internal/config"
	"mailbridge/internal/db"
	"mailbridge/internal/demo"
	"mailbridge/internal/jobs"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/mailbox"
	"mailbridge/internal/mailsync"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/migration"
	"mailbridge/internal/send"
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
	case "org":
		return orgCmd(ctx, args, getenv, stdout, stderr)
	case "user":
		return userCmd(ctx, args, getenv, stdout, stderr)
	case "m365sim":
		return m365simCmd(ctx, args, getenv, stderr)
	case "keys":
		return keysCmd(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, "usage: mailbridge [serve|migrate|org create|user create|token create|token list|keys rotate|m365sim] [flags]; add -h for a command's flags")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate, org create, user create, token create, token list, keys rotate, m365sim)", cmd)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		opts.ReplaceAttr = server.LogDurationsInMilliseconds
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens the configured database, creating and migrating it when
// needed. Only serve and migrate call it.
func openDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*db.DB, error) {
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("migrating %s: %w", d.Location(), err), d.Close())
	}
	return d, nil
}

// openExistingDB opens the configured database for the other commands: it
// must exist and be migrated, so a mistyped DATA_DIR or DATABASE_URL is an
// error naming what was opened, not a new empty database.
func openExistingDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*db.DB, error) {
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log, MustExist: true})
	if err != nil {
		return nil, err
	}
	pending, err := d.PendingMigrations(ctx)
	if err == nil && len(pending) > 0 {
		err = fmt.Errorf("%d of its migrations are not applied: run \"mailbridge migrate\" (or start \"mailbridge serve\") on it first", len(pending))
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("database %s: %w", d.Location(), err), d.Close())
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
	authn := auth.NewService(client, auth.ConfigOptions(cfg, demo.OrganizationName, log))

	if cfg.Mode == config.ModeDemo {
		var stopSim func()
		cfg, stopSim, err = startDemo(ctx, cfg, d, log)
		if err != nil {
			return err
		}
		// Runs after the background work below has stopped and before the
		// database closes.
		defer stopSim()
	}

	// Refuse to start when stored tokens need a key that was removed.
	if cfg.Microsoft.Configured() {
		ring, err := cfg.Microsoft.Ring()
		if err != nil {
			return err
		}
		if err := microsoft.CheckKeys(ctx, client, ring); err != nil {
			return err
		}
	}

	deps := server.Deps{
		Config:  cfg,
		Client:  client,
		Dialect: d.Dialect,
		Logger:  log,
		Auth:    authn,
		Ready:   d.Ready,
		DB:      d,
	}
	if deps.Microsoft, err = server.NewMicrosoft(deps); err != nil {
		return err
	}
	assigner, syncer, stopJobs, err := startJobs(ctx, cfg, d, deps.Microsoft, log)
	if err != nil {
		return err
	}
	defer stopJobs()
	deps.Assigner = assigner
	if syncer != nil {
		deps.SyncWebhook = syncer.Webhook()
	}
	h, err := server.New(deps)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 15*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (set --listen / LISTEN_ADDR or PORT): %w", cfg.Listen, err)
	}
	if cfg.Mode == config.ModeDemo && !config.IsLoopbackListen(cfg.Listen) {
		log.Warn("mailbridge: demo mode is reachable from other hosts; anyone who reaches it can sign in as a demo user without a password",
			"addr", ln.Addr().String())
	}
	log.Info("mailbridge: listening", "addr", ln.Addr().String(), "url", cfg.PublicURL)

	// Background work stops, and is waited for, before the deferred
	// emulator stop and database close run.
	bg, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		stopBG()
		wg.Wait()
	}()
	wg.Go(func() { authn.PurgeSessionsEvery(bg, 15*time.Minute) })
	// The migration dashboard's progress chart: one snapshot a day.
	wg.Go(func() { migration.NewService(client, nil).RecordSnapshotsEvery(bg, time.Hour, log) })

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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

// startJobs starts River with the background workers and returns the
// assignMailbox service that enqueues their jobs. The returned stop drains
// in-flight jobs (a background assignment finishes its current chunk and
// the rest resumes at the next start) within 20 seconds, then cancels them.
func startJobs(ctx context.Context, cfg config.Config, d *db.DB, ms *microsoft.Service, log *slog.Logger) (*mailbox.Assigner, *mailsync.Syncer, func(), error) {
	ins, err := jobs.NewInserter(d, log)
	if err != nil {
		return nil, nil, nil, err
	}
	assigner := mailbox.NewAssigner(d, ins, mailbox.AssignOptions{BackgroundThreshold: cfg.AssignBackgroundThreshold})
	workers := river.NewWorkers()
	river.AddWorker(workers, mailbox.NewAssignWorker(assigner))
	var periodic []*river.PeriodicJob
	var syncer *mailsync.Syncer
	if ms != nil {
		// Mail and calendar sync (internal/mailsync).
		syncer = mailsync.New(mailsync.Options{
			DB: d, Microsoft: ms, Inserter: ins, Logger: log,
			InitialWindow: cfg.SyncInitialWindow, NotificationURL: mailsync.NotificationURLFor(cfg.PublicURL),
		})
		river.AddWorker(workers, mailsync.NewSyncWorker(syncer))
		river.AddWorker(workers, mailsync.NewPollWorker(syncer))
		periodic = append(periodic, mailsync.PeriodicPoll(cfg.SyncPollInterval))
		// Delivery of scheduled emails (internal/send).
		sender := send.New(d, ms, send.Options{Lease: cfg.SendLease, Logger: log})
		sender.AddWorkers(workers)
		periodic = append(periodic, sender.PeriodicJobs()...)
	}
	rc, err := jobs.NewClient(d, workers, jobs.Options{Logger: log, PeriodicJobs: periodic})
	if err != nil {
		return nil, nil, nil, err
	}
	// Not ctx: a signal must not hard-stop running jobs; stop drains them.
	if err := rc.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, nil, nil, fmt.Errorf("jobs: start: %w", err)
	}
	return assigner, syncer, func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := rc.Stop(stopCtx); err != nil {
			log.Warn("mailbridge: background jobs did not drain in time; cancelling them (they resume at the next start)", "error", err)
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer ccancel()
			_ = rc.StopAndCancel(cctx)
		}
	}, nil
}

// startDemo seeds the demo data on an empty database and starts the
// built-in Microsoft 365 emulator (state kept in DATA_DIR/m365sim.json).
// The returned config has the Microsoft settings left empty pointed at the
// emulator. The returned stop ends the emulator's notification retries, then
// saves its state and closes it.
func startDemo(ctx context.Context, cfg config.Config, d *db.DB, log *slog.Logger) (config.Config, func(), error) {
	seeded, err := demo.Seed(ctx, d, demo.Options{})
	if err != nil {
		return cfg, nil, err
	}
	if seeded {
		log.Info("mailbridge: seeded demo data", "organization", demo.OrganizationName, "users", len(demo.People))
	}
	sim, err := m365sim.Listen(cfg.M365SimListen, m365sim.Config{
		StatePath: filepath.Join(cfg.DataDir, "m365sim.json"),
		Logger:    log,
	})
	if err != nil {
		return cfg, nil, fmt.Errorf("demo: start the Microsoft 365 emulator on %s (set M365SIM_LISTEN to another port): %w", cfg.M365SimListen, err)
	}
	stop := func() {
		sim.StopNotifications()
		if err := sim.Close(); err != nil {
			log.Warn("demo: stop emulator", "error", err)
		}
	}
	if err := demo.SetupEmulator(sim.Sim, cfg.PublicURL); err != nil {
		stop()
		return cfg, nil, err
	}
	if err := demo.FillEmulatorMailboxes(ctx, d.Client(), sim.Sim); err != nil {
		stop()
		return cfg, nil, err
	}
	// The Microsoft settings left empty point at the emulator.
	if cfg.Microsoft, err = demo.Microsoft(cfg.Microsoft, sim.URL, cfg.DataDir); err != nil {
		stop()
		return cfg, nil, err
	}
	log.Info("mailbridge: Microsoft 365 emulator running", "url", sim.URL,
		"authority", sim.Authority(demo.Domain), "graph", sim.GraphURL(), "password", demo.EmulatorPassword)
	return cfg, stop, nil
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
		return fmt.Errorf("migrating %s: %w", d.Location(), err)
	}
	log.Info("mailbridge: migrations applied", "database", d.Location(), "count", len(applied), "versions", applied)
	return nil
}

// dbFlags adds --database-url and --data-dir to a command's flags; open
// then opens that existing, migrated database (defaults from the
// environment, as for serve).
func dbFlags(fs *flag.FlagSet, getenv config.Getenv, stderr io.Writer) (open func(context.Context) (*db.DB, error)) {
	dbURL := fs.String("database-url", "", "postgres:// URL or sqlite:PATH (default: env DATABASE_URL, else SQLite in --data-dir)")
	dataDir := fs.String("data-dir", "", "data directory of the SQLite database (default: env DATA_DIR, else ./data)")
	return func(ctx context.Context) (*db.DB, error) {
		var cfgArgs []string
		if *dbURL != "" {
			cfgArgs = append(cfgArgs, "--database-url", *dbURL)
		}
		if *dataDir != "" {
			cfgArgs = append(cfgArgs, "--data-dir", *dataDir)
		}
		cfg, err := config.Parse(cfgArgs, getenv, stderr)
		if err != nil {
			return nil, err
		}
		return openExistingDB(ctx, cfg, newLogger(cfg, stderr))
	}
}

// orgCmd implements "mailbridge org create": an operator creates an
// organization (production bootstrap; demo mode seeds its own).
func orgCmd(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	const usage = `usage: mailbridge org create --name <organization name>`
	if len(args) == 0 || args[0] != "create" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("org create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the organization's name (required, unique)")
	open := dbFlags(fs, getenv, stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" || fs.NArg() > 0 {
		return errors.New(usage)
	}
	d, err := open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	org, err := accounts.CreateOrganization(ctx, d.Client(), *name)
	if err != nil {
		return fmt.Errorf("create organization in %s: %w", d.Location(), err)
	}
	fmt.Fprintf(stderr, "Created organization %q.\n", org.Name)
	fmt.Fprintln(stdout, org.ID)
	return nil
}

// userCmd implements "mailbridge user create": an operator adds a user to
// an organization, e.g. its first admin.
func userCmd(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	const usage = `usage: mailbridge user create --org <name or ID> --email <address> --name <full name> [--admin] [--time-zone <IANA zone>]`
	if len(args) == 0 || args[0] != "create" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	orgRef := fs.String("org", "", "organization name or ID (required)")
	email := fs.String("email", "", "the user's email address (required)")
	name := fs.String("name", "", "the user's full name (required)")
	admin := fs.Bool("admin", false, "make the user an admin of the organization")
	tz := fs.String("time-zone", "UTC", "the user's IANA time zone, e.g. Europe/London")
	open := dbFlags(fs, getenv, stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *orgRef == "" || *email == "" || *name == "" || fs.NArg() > 0 {
		return errors.New(usage)
	}
	d, err := open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	client := d.Client()
	org, err := accounts.FindOrganization(ctx, client, *orgRef)
	if err != nil {
		return fmt.Errorf("organization %q in %s: %w", *orgRef, d.Location(), err)
	}
	u, err := accounts.CreateUser(ctx, client, org, accounts.NewUser{Email: *email, Name: *name, Admin: *admin, TimeZone: *tz})
	if err != nil {
		return fmt.Errorf("create user in %s: %w", d.Location(), err)
	}
	fmt.Fprintf(stderr, "Created %s user %s in %s.\n", u.Role, u.Email, org.Name)
	fmt.Fprintln(stdout, u.ID)
	return nil
}

// tokenCmd implements "mailbridge token create" (an operator creates an API
// token for a user of an organization; the secret is printed once) and
// "mailbridge token list" (a user's tokens with when each was last used).
func tokenCmd(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	const usage = `usage: mailbridge token create --org <name or ID> --user <email or ID> [--name <what it is for>] [--expires-in <duration>]
       mailbridge token list --org <name or ID> --user <email or ID>`
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		return errors.New(usage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	orgRef := fs.String("org", "", "organization name or ID (required)")
	userRef := fs.String("user", "", "email or ID of the user the token acts as (required)")
	name, expiresIn := new(string), new(time.Duration)
	if sub == "create" {
		fs.StringVar(name, "name", "API token", "what the token is for")
		fs.DurationVar(expiresIn, "expires-in", 0, "the token stops working this long from now, e.g. 720h (default: until revoked)")
	}
	open := dbFlags(fs, getenv, stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *orgRef == "" || *userRef == "" || fs.NArg() > 0 {
		return errors.New("--org and --user are required\n" + usage)
	}
	if *expiresIn < 0 {
		return errors.New("--expires-in must be a positive duration, e.g. 720h")
	}
	d, err := open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	client := d.Client()
	org, err := accounts.FindOrganization(ctx, client, *orgRef)
	if err != nil {
		return fmt.Errorf("organization %q in %s: %w", *orgRef, d.Location(), err)
	}
	u, err := accounts.FindUser(ctx, client, org, *userRef)
	if err != nil {
		return fmt.Errorf("user %q in %s (%s): %w", *userRef, org.Name, d.Location(), err)
	}
	authn := auth.NewService(client, auth.Options{Logger: newLogger(config.Config{LogLevel: slog.LevelWarn}, stderr)})
	sys := viewer.SystemContext(ctx)
	if sub == "list" {
		return listTokens(sys, client, u, stdout)
	}
	in := auth.NewAPIToken{UserID: u.ID, Name: *name}
	if *expiresIn > 0 {
		at := time.Now().UTC().Add(*expiresIn)
		in.ExpiresAt = &at
	}
	secret, tok, err := authn.CreateAPIToken(sys, in)
	if err != nil {
		return err
	}
	expiry := "it works until revoked"
	if tok.ExpiresAt != nil {
		expiry = "it expires " + tok.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "Created API token %q (%s) acting as %s in %s; %s. It is shown once; store it now:\n", tok.Name, tok.Prefix, u.Email, org.Name, expiry)
	fmt.Fprintln(stdout, secret)
	return nil
}

// listTokens prints u's API tokens, newest first, one per line: prefix,
// name, created, last used, expires and revoked (UTC, "-" for never).
func listTokens(ctx context.Context, client *ent.Client, u *ent.User, stdout io.Writer) error {
	toks, err := client.APIToken.Query().Where(apitoken.UserID(u.ID)).
		Order(apitoken.ByCreatedAt(entsql.OrderDesc())).All(ctx)
	if err != nil {
		return err
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tNAME\tCREATED\tLAST USED\tEXPIRES\tREVOKED")
	for _, t := range toks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Prefix, t.Name, ts(&t.CreatedAt), ts(t.LastUsedAt), ts(t.ExpiresAt), ts(t.RevokedAt))
	}
	return tw.Flush()
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
