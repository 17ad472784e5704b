package demo

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"mailbridge/ent"
	"mailbridge/ent/prospect"
	"mailbridge/ent/sequencestate"
	"mailbridge/ent/user"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/viewer"
)

// Demo app registration in the emulated tenant. These are not secrets: they
// exist only inside the local emulator.
const (
	EmulatorClientID     = "6d0a6a8e-5b1f-4c1e-9a57-3e9a5f0c0d01"
	EmulatorClientSecret = "demo-client-secret"
	EmulatorPassword     = "demo"
)

// ConsentEnv is the environment variable that sets how the demo tenant
// treats a user's consent: "user" (the default) lets every demo user
// consent to Mail.ReadWrite themselves, so "Connect with Office 365"
// succeeds with Accept; "admin" blocks user consent for Mail.ReadWrite,
// Calendars.ReadWrite and MailboxSettings.Read as Microsoft's default
// policy does since late 2025 (the AADSTS90094 "Need admin approval" page
// until admin@acme.com grants consent for the organization); "workflow" is
// "admin" with the admin consent workflow on (the AADSTS90095 "Request
// approval" page).
const ConsentEnv = "M365SIM_DEMO_CONSENT"

// EmulatorOptions tune the demo tenant.
type EmulatorOptions struct {
	// Consent is the demo tenant's consent mode; empty means
	// m365sim.ConsentUser.
	Consent m365sim.ConsentMode
}

// EmulatorOptionsFromEnv reads ConsentEnv.
func EmulatorOptionsFromEnv(getenv func(string) string) (EmulatorOptions, error) {
	switch v := m365sim.ConsentMode(strings.ToLower(strings.TrimSpace(getenv(ConsentEnv)))); v {
	case "", m365sim.ConsentUser, m365sim.ConsentAdminRequired, m365sim.ConsentAdminWorkflow:
		return EmulatorOptions{Consent: v}, nil
	default:
		return EmulatorOptions{}, fmt.Errorf("demo: %s=%q: want user, admin or workflow", ConsentEnv, v)
	}
}

// SetupEmulator is SetupEmulatorWith with the options from the
// environment (ConsentEnv).
func SetupEmulator(sim *m365sim.Sim, publicURL string) error {
	opts, err := EmulatorOptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	return SetupEmulatorWith(sim, publicURL, opts)
}

// SetupEmulatorWith makes the demo tenant (acme.com), its users — the same
// People as in Mailbridge, John with john.work@acme.com as an alias of his
// Microsoft account — and Mailbridge's app registration, whose redirect URI
// is publicURL's OAuth callback. It is idempotent, so a persisted emulator
// keeps its state across restarts; the tenant's consent mode is set from
// opts on every start.
func SetupEmulatorWith(sim *m365sim.Sim, publicURL string, opts EmulatorOptions) error {
	mode := cmpOrConsent(opts.Consent)
	if _, ok := sim.Tenant(Domain); !ok {
		if _, err := sim.AddTenant(m365sim.Tenant{
			DisplayName: "Acme",
			Domains:     []string{Domain},
			ConsentMode: mode,
		}); err != nil {
			return fmt.Errorf("demo: emulator tenant: %w", err)
		}
	} else if err := sim.UpdateTenant(Domain, func(t *m365sim.Tenant) { t.ConsentMode = mode }); err != nil {
		return fmt.Errorf("demo: emulator tenant: %w", err)
	}
	for _, p := range People {
		if _, ok := sim.User(p.Email); ok {
			continue
		}
		given, family, _ := strings.Cut(p.Name, " ")
		proxies := []string{"SMTP:" + p.Email}
		for _, a := range p.Aliases {
			proxies = append(proxies, "smtp:"+a)
		}
		if _, err := sim.AddUser(m365sim.User{
			TenantID:          Domain,
			UserPrincipalName: p.Email,
			Mail:              p.Email,
			DisplayName:       p.Name,
			GivenName:         given,
			Surname:           family,
			ProxyAddresses:    proxies,
			Password:          EmulatorPassword,
			IsAdmin:           p.Role == "ADMIN",
		}); err != nil {
			return fmt.Errorf("demo: emulator user %s: %w", p.Email, err)
		}
	}
	redirect := strings.TrimRight(publicURL, "/") + "/auth/microsoft/callback"
	if app, ok := sim.App(EmulatorClientID); ok {
		if !slices.Contains(app.RedirectURIs, redirect) {
			return sim.UpdateApp(EmulatorClientID, func(a *m365sim.App) { a.RedirectURIs = append(a.RedirectURIs, redirect) })
		}
		return nil
	}
	_, err := sim.AddApp(m365sim.App{
		ClientID:     EmulatorClientID,
		DisplayName:  "Mailbridge",
		Secrets:      []m365sim.AppSecret{{Value: EmulatorClientSecret}},
		RedirectURIs: []string{redirect},
	})
	if err != nil {
		return fmt.Errorf("demo: emulator app: %w", err)
	}
	return nil
}

// FillEmulatorMailboxes gives the demo users who own sequence states a
// mailbox history in the emulator — threads with their own prospects,
// replies, a few bounces, calendar events — so sync has realistic data to
// bring in. Mailboxes that already hold mail are left alone.
func FillEmulatorMailboxes(ctx context.Context, client *ent.Client, sim *m365sim.Sim) error {
	ctx = viewer.SystemContext(ctx)
	for i, p := range People {
		if msgs, err := sim.Messages(p.Email, "inbox"); err != nil || len(msgs) > 0 {
			continue
		}
		prospects, err := client.SequenceState.Query().
			Where(sequencestate.HasUserWith(user.Email(p.Email))).
			QueryProspect().
			Order(prospect.ByID()).
			Limit(50).
			Select(prospect.FieldEmail).
			Strings(ctx)
		if err != nil {
			return fmt.Errorf("demo: prospects of %s: %w", p.Email, err)
		}
		if len(prospects) == 0 {
			continue
		}
		if _, err := sim.Generate(p.Email, m365sim.GenerateOptions{
			Seed: uint64(i + 1), Messages: 1500, Events: 25, Prospects: prospects,
		}); err != nil {
			return fmt.Errorf("demo: fill the emulated mailbox of %s: %w", p.Email, err)
		}
	}
	return nil
}

// cmpOrConsent is the demo's default consent mode: users may consent
// themselves, so the demo's "Connect with Office 365" succeeds with Accept.
func cmpOrConsent(m m365sim.ConsentMode) m365sim.ConsentMode {
	if m == "" {
		return m365sim.ConsentUser
	}
	return m
}
