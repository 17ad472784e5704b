package config

import (
	"cmp"
	"flag"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"mailbridge/internal/addin"
	"mailbridge/internal/tokencrypt"
)

// Microsoft is how Mailbridge talks to the Microsoft identity platform and
// Microsoft Graph. Production sets it by configuration alone; demo mode
// fills the empty parts from the built-in emulator (internal/demo).
type Microsoft struct {
	// ClientID and ClientSecret are the Entra app registration's.
	ClientID     string
	ClientSecret string
	// Tenant is the authority's tenant segment: "organizations" (any work
	// or school account; the default), a tenant GUID or a verified domain
	// for a single-tenant app. Never "common": Mailbridge serves
	// organizations only.
	Tenant string
	// LoginURL is the identity platform's origin (https://login.microsoftonline.com).
	LoginURL string
	// GraphURL is Microsoft Graph's origin (https://graph.microsoft.com);
	// the SDK's base URL is this plus /v1.0.
	GraphURL string
	// TokenKey is the token vault's key ring (tokencrypt.ParseRing format).
	TokenKey string
	// OutlookAddinMinVersion is the Outlook add-in version a mailbox needs
	// before it moves from EWS to Microsoft Graph (a dotted version such as
	// 1.4.2); connecting warns below it. Empty: no check.
	OutlookAddinMinVersion string
}

// Configured reports whether the Microsoft integration has what it needs
// to run.
func (m Microsoft) Configured() bool {
	return m.ClientID != "" && m.ClientSecret != "" && m.TokenKey != ""
}

// Ring parses the token key ring (validated at start-up).
func (m Microsoft) Ring() (*tokencrypt.Ring, error) { return tokencrypt.ParseRing(m.TokenKey) }

// redacted is the Microsoft part of Config.Redacted.
func (m Microsoft) redacted() []any {
	kids := "unset"
	if r, err := m.Ring(); err == nil {
		kids = r.String()
	}
	return []any{
		"microsoft_client_id", m.ClientID, "microsoft_client_secret", map[bool]string{true: "set", false: "unset"}[m.ClientSecret != ""],
		"microsoft_tenant", m.Tenant, "microsoft_login_url", m.LoginURL, "microsoft_graph_url", m.GraphURL,
		"token_keys", kids, "outlook_addin_min_version", m.OutlookAddinMinVersion,
	}
}

type microsoftFlags struct {
	m Microsoft
}

// addMicrosoftFlags declares the Microsoft settings; secrets come from NAME
// or NAME_FILE.
func addMicrosoftFlags(fs *flag.FlagSet, getenv Getenv, errs *[]error) *microsoftFlags {
	f := &microsoftFlags{}
	secret := func(name string) string {
		v, err := Secret(getenv, name)
		if err != nil {
			*errs = append(*errs, err)
		}
		return v
	}
	fs.StringVar(&f.m.ClientID, "microsoft-client-id", getenv("MICROSOFT_CLIENT_ID"), "Entra app registration's application (client) ID (env MICROSOFT_CLIENT_ID)")
	fs.StringVar(&f.m.ClientSecret, "microsoft-client-secret", secret("MICROSOFT_CLIENT_SECRET"), "the app registration's client secret (env MICROSOFT_CLIENT_SECRET or MICROSOFT_CLIENT_SECRET_FILE)")
	fs.StringVar(&f.m.Tenant, "microsoft-tenant", cmp.Or(getenv("MICROSOFT_TENANT"), "organizations"), "organizations, or a tenant GUID or verified domain for a single-tenant app (env MICROSOFT_TENANT)")
	fs.StringVar(&f.m.LoginURL, "microsoft-login-url", getenv("MICROSOFT_LOGIN_URL"), "identity platform origin; default https://login.microsoftonline.com, the emulator in demo mode (env MICROSOFT_LOGIN_URL)")
	fs.StringVar(&f.m.GraphURL, "microsoft-graph-url", getenv("MICROSOFT_GRAPH_URL"), "Microsoft Graph origin; default https://graph.microsoft.com, the emulator in demo mode (env MICROSOFT_GRAPH_URL)")
	fs.StringVar(&f.m.TokenKey, "token-key", secret("MAILBRIDGE_TOKEN_KEY"), "token vault keys: <kid>:<base64 of 32 bytes>[,<older kid>:<key>…], first encrypts (env MAILBRIDGE_TOKEN_KEY or MAILBRIDGE_TOKEN_KEY_FILE)")
	fs.StringVar(&f.m.OutlookAddinMinVersion, "outlook-addin-min-version", getenv("OUTLOOK_ADDIN_MIN_VERSION"), "minimum Outlook add-in version (such as 1.4.2) for mailboxes on Microsoft Graph; connecting warns below it; empty: no check (env OUTLOOK_ADDIN_MIN_VERSION)")
	return f
}

var tenantPattern = regexp.MustCompile(`^(organizations|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+)$`)

// validate checks the settings. Production needs all of them; demo mode
// leaves the empty ones for the emulator to fill.
func (f *microsoftFlags) validate(mode Mode, errs *[]error) Microsoft {
	m := f.m
	if mode == ModeProduction {
		m.LoginURL = cmp.Or(m.LoginURL, "https://login.microsoftonline.com")
		m.GraphURL = cmp.Or(m.GraphURL, "https://graph.microsoft.com")
		if m.ClientID == "" {
			*errs = append(*errs, fmt.Errorf("production mode needs --microsoft-client-id / MICROSOFT_CLIENT_ID: the Application (client) ID of Mailbridge's app registration in Microsoft Entra"))
		}
		if m.ClientSecret == "" {
			*errs = append(*errs, fmt.Errorf("production mode needs MICROSOFT_CLIENT_SECRET (or MICROSOFT_CLIENT_SECRET_FILE): a client secret of that app registration"))
		}
		if m.TokenKey == "" {
			*errs = append(*errs, fmt.Errorf("production mode needs MAILBRIDGE_TOKEN_KEY (or MAILBRIDGE_TOKEN_KEY_FILE) to encrypt Microsoft tokens; generate one with: echo \"k1:$(openssl rand -base64 32)\""))
		}
	}
	switch {
	case strings.EqualFold(m.Tenant, "common"), strings.EqualFold(m.Tenant, "consumers"):
		*errs = append(*errs, fmt.Errorf("--microsoft-tenant / MICROSOFT_TENANT must be organizations, a tenant GUID or a verified domain, not %q: Mailbridge connects work or school mailboxes only", m.Tenant))
	case !tenantPattern.MatchString(m.Tenant):
		*errs = append(*errs, fmt.Errorf("--microsoft-tenant / MICROSOFT_TENANT must be organizations, a tenant GUID or a verified domain like contoso.onmicrosoft.com, not %q", m.Tenant))
	}
	for _, u := range []struct{ name, value *string }{
		{name: ptr("--microsoft-login-url / MICROSOFT_LOGIN_URL"), value: &m.LoginURL},
		{name: ptr("--microsoft-graph-url / MICROSOFT_GRAPH_URL"), value: &m.GraphURL},
	} {
		if *u.value == "" {
			continue
		}
		p, err := url.Parse(*u.value)
		if err != nil || (p.Scheme != "https" && !(p.Scheme == "http" && isLoopbackURL(*u.value))) || p.Host == "" || (p.Path != "" && p.Path != "/") || p.RawQuery != "" {
			*errs = append(*errs, fmt.Errorf("%s must be an https:// origin (http:// only for loopback) such as https://login.microsoftonline.com, not %q", *u.name, *u.value))
			continue
		}
		*u.value = strings.TrimRight(*u.value, "/")
	}
	if m.TokenKey != "" {
		if _, err := tokencrypt.ParseRing(m.TokenKey); err != nil {
			*errs = append(*errs, fmt.Errorf("MAILBRIDGE_TOKEN_KEY: %w", err))
		}
	}
	if m.OutlookAddinMinVersion != "" {
		if _, err := addin.ParseVersion(m.OutlookAddinMinVersion); err != nil {
			*errs = append(*errs, fmt.Errorf("--outlook-addin-min-version / OUTLOOK_ADDIN_MIN_VERSION: %w", err))
		}
	}
	return m
}

func ptr[T any](v T) *T { return &v }
