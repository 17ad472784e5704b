package m365sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ConsentMode is how a tenant treats a user's consent to an app's delegated
// permissions (MICROSOFT.md §1.8, "Consent modes the emulator models").
type ConsentMode string

const (
	// ConsentUser lets users consent to every requested scope (mode a).
	ConsentUser ConsentMode = "user"
	// ConsentAdminRequired blocks user consent for the tenant's AdminOnlyScopes
	// with the admin consent workflow off: the AADSTS90094 page (mode b).
	// It is the default, as for Microsoft-managed tenants since late 2025.
	ConsentAdminRequired ConsentMode = "admin"
	// ConsentAdminWorkflow is ConsentAdminRequired with the admin consent
	// workflow on: the AADSTS90095 page with "Request approval" (mode c).
	ConsentAdminWorkflow ConsentMode = "workflow"
)

// SendFromAlias is the tenant's Exchange SendFromAliasEnabled behaviour for a
// user sending from one of their own proxy addresses (MICROSOFT.md §3.2).
type SendFromAlias string

const (
	// AliasRewrite silently rewrites an alias in From to the primary address
	// (SendFromAliasEnabled=false, Exchange's default).
	AliasRewrite SendFromAlias = "rewrite"
	// AliasPreserve keeps the alias (SendFromAliasEnabled=true).
	AliasPreserve SendFromAlias = "preserve"
)

// DefaultAdminOnlyScopes are the Graph delegated permissions the
// Microsoft-managed consent policy (microsoft-user-default-recommended)
// excludes from user consent, among those Mailbridge may request (MICROSOFT.md §2).
var DefaultAdminOnlyScopes = []string{
	"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic", "Mail.Read.Shared", "Mail.ReadWrite.Shared",
	"Calendars.Read", "Calendars.ReadBasic", "Calendars.ReadWrite", "Calendars.Read.Shared", "Calendars.ReadWrite.Shared",
	"MailboxSettings.Read", "MailboxSettings.ReadWrite", "Contacts.ReadWrite",
}

// ConsumerTenantID is the tenant GUID personal Microsoft accounts carry.
const ConsumerTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// Tenant is an Entra ID directory.
type Tenant struct {
	ID          string   // GUID; generated when empty
	DisplayName string   //
	Domains     []string // verified domains; the first is the default domain
	ConsentMode ConsentMode
	// AdminOnlyScopes need admin consent unless ConsentMode is ConsentUser.
	// Nil means DefaultAdminOnlyScopes.
	AdminOnlyScopes []string
	SendFromAlias   SendFromAlias
}

// AppSecret is one client secret of an app registration.
type AppSecret struct {
	Value     string
	ExpiresAt time.Time // zero: never
}

// App is an app registration (a client of the identity platform).
type App struct {
	ClientID     string // GUID; generated when empty
	DisplayName  string
	Secrets      []AppSecret // empty for public clients
	RedirectURIs []string    // exact-match list
	PublicClient bool
	// HomeTenantID makes the app single-tenant: only that tenant's users may
	// sign in, and /common answers AADSTS50194. Empty: multi-tenant.
	HomeTenantID string
}

// User is a work or school account with an Exchange Online mailbox.
type User struct {
	ID                string // object ID (GUID); generated when empty
	TenantID          string
	UserPrincipalName string
	DisplayName       string
	GivenName         string
	Surname           string
	// Mail is the primary SMTP address; may be empty (unlicensed users).
	Mail string
	// ProxyAddresses as Graph returns them: "SMTP:primary" and "smtp:alias".
	// When empty, it is derived from Mail. A user without Mail and without
	// proxy addresses has no mailbox: mail calls answer
	// MailboxNotEnabledForRESTAPI and no address is synthesized from the
	// UPN (issue #7 item 8).
	ProxyAddresses []string
	Password       string
	// IsAdmin marks a tenant administrator: may grant tenant-wide admin
	// consent and approve admin consent requests.
	IsAdmin bool
	// SendAs lists other addresses the user holds Send As rights on.
	SendAs []string
	// MailboxDisabled makes Graph answer MailboxNotEnabledForRESTAPI.
	MailboxDisabled bool
	// TokensValidFrom: refresh tokens issued before it are revoked (password
	// reset, "revoke sessions").
	TokensValidFrom time.Time
	// SignInError makes the user's sign-ins at /authorize fail with this
	// AADSTS code (see SetSignInError); 0 for none.
	SignInError int `json:",omitempty"`
}

// HasMailbox reports whether the user has an Exchange Online mailbox Graph
// can serve: not disabled, and a mail address (Mail or an SMTP proxy
// address). Unlicensed users have mail null and no mailbox.
func (u *User) HasMailbox() bool {
	if u.MailboxDisabled {
		return false
	}
	if u.Mail != "" {
		return true
	}
	for _, p := range u.ProxyAddresses {
		if len(p) > 5 && strings.EqualFold(p[:5], "smtp:") {
			return true
		}
	}
	return false
}

// PrimaryAddress is the user's primary SMTP address.
func (u *User) PrimaryAddress() string {
	for _, p := range u.ProxyAddresses {
		if strings.HasPrefix(p, "SMTP:") {
			return p[len("SMTP:"):]
		}
	}
	if u.Mail != "" {
		return u.Mail
	}
	return u.UserPrincipalName
}

// Addresses returns every address that reaches the user's mailbox: UPN, mail
// and proxy addresses, lowercased, without duplicates.
func (u *User) Addresses() []string {
	out := []string{strings.ToLower(u.UserPrincipalName)}
	if u.Mail != "" {
		out = append(out, strings.ToLower(u.Mail))
	}
	for _, p := range u.ProxyAddresses {
		if _, a, ok := strings.Cut(p, ":"); ok && strings.EqualFold(p[:4], "smtp") {
			out = append(out, strings.ToLower(a))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// HasAddress reports whether addr (any case) is one of the user's addresses.
func (u *User) HasAddress(addr string) bool {
	return slices.Contains(u.Addresses(), strings.ToLower(strings.TrimSpace(addr)))
}

// ErrNotFound is returned by the Go control API for unknown tenants, users or apps.
var ErrNotFound = errors.New("m365sim: not found")

// AddTenant creates a tenant. Defaults: a new GUID, ConsentAdminRequired,
// AliasRewrite.
func (s *Sim) AddTenant(t Tenant) (Tenant, error) {
	if t.ID == "" {
		t.ID = newID()
	}
	if len(t.Domains) == 0 {
		return Tenant{}, errors.New("m365sim: a tenant needs at least one domain")
	}
	for i, d := range t.Domains {
		t.Domains[i] = strings.ToLower(d)
	}
	t.ConsentMode = cmpOr(t.ConsentMode, ConsentAdminRequired)
	t.SendFromAlias = cmpOr(t.SendFromAlias, AliasRewrite)
	if t.AdminOnlyScopes == nil {
		t.AdminOnlyScopes = slices.Clone(DefaultAdminOnlyScopes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.Tenants[t.ID]; ok {
		return Tenant{}, fmt.Errorf("m365sim: tenant %s exists", t.ID)
	}
	for _, d := range t.Domains {
		if other := s.tenantLocked(d); other != nil {
			return Tenant{}, fmt.Errorf("m365sim: domain %s belongs to tenant %s", d, other.ID)
		}
	}
	s.st.Tenants[t.ID] = &t
	return t, nil
}

// UpdateTenant changes a tenant in place.
func (s *Sim) UpdateTenant(idOrDomain string, f func(*Tenant)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantLocked(idOrDomain)
	if t == nil {
		return ErrNotFound
	}
	f(t)
	return nil
}

// Tenant returns a copy of a tenant by GUID or verified domain.
func (s *Sim) Tenant(idOrDomain string) (Tenant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tenantLocked(idOrDomain); t != nil {
		return *t, true
	}
	return Tenant{}, false
}

// tenantLocked finds a tenant by GUID or verified domain. s.mu must be held.
func (s *Sim) tenantLocked(idOrDomain string) *Tenant {
	if t, ok := s.st.Tenants[strings.ToLower(idOrDomain)]; ok {
		return t
	}
	for _, t := range s.st.Tenants {
		if slices.Contains(t.Domains, strings.ToLower(idOrDomain)) {
			return t
		}
	}
	return nil
}

// AddApp registers an app. A new client ID is generated when empty.
func (s *Sim) AddApp(a App) (App, error) {
	if a.ClientID == "" {
		a.ClientID = newID()
	}
	if len(a.RedirectURIs) == 0 {
		return App{}, errors.New("m365sim: an app needs at least one redirect URI")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.Apps[a.ClientID]; ok {
		return App{}, fmt.Errorf("m365sim: app %s exists", a.ClientID)
	}
	s.st.Apps[a.ClientID] = &a
	return a, nil
}

// UpdateApp changes an app registration in place.
func (s *Sim) UpdateApp(clientID string, f func(*App)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.st.Apps[clientID]
	if !ok {
		return ErrNotFound
	}
	f(a)
	return nil
}

// App returns a copy of an app registration.
func (s *Sim) App(clientID string) (App, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.st.Apps[clientID]; ok {
		return *a, true
	}
	return App{}, false
}

// AddUser creates a user (and their mailbox) in an existing tenant.
func (s *Sim) AddUser(u User) (User, error) {
	if u.ID == "" {
		u.ID = newID()
	}
	if u.UserPrincipalName == "" {
		return User{}, errors.New("m365sim: a user needs a userPrincipalName")
	}
	if len(u.ProxyAddresses) == 0 && u.Mail != "" {
		u.ProxyAddresses = []string{"SMTP:" + u.Mail}
	}
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(u.GivenName + " " + u.Surname)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantLocked(u.TenantID)
	if t == nil {
		return User{}, fmt.Errorf("m365sim: tenant %q: %w", u.TenantID, ErrNotFound)
	}
	u.TenantID = t.ID
	for _, a := range u.Addresses() {
		if other := s.userByAddressLocked(a); other != nil {
			return User{}, fmt.Errorf("m365sim: address %s belongs to user %s", a, other.ID)
		}
	}
	s.st.Users[u.ID] = &u
	s.mailboxCreatedLocked(&u)
	return u, nil
}

// UpdateUser changes a user in place.
func (s *Sim) UpdateUser(idOrAddress string, f func(*User)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(idOrAddress)
	if u == nil {
		return ErrNotFound
	}
	f(u)
	return nil
}

// User returns a copy of a user by object ID, UPN or any of their addresses.
func (s *Sim) User(idOrAddress string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.userLocked(idOrAddress); u != nil {
		return *u, true
	}
	return User{}, false
}

// userLocked finds a user by object ID or address. s.mu must be held.
func (s *Sim) userLocked(idOrAddress string) *User {
	if u, ok := s.st.Users[strings.ToLower(idOrAddress)]; ok {
		return u
	}
	return s.userByAddressLocked(idOrAddress)
}

// optionalUserIDLocked resolves an optional user or mailbox argument of
// the Go API: a user ID or address to that user's ID, and "" (every user
// or mailbox) to "". It reports false for an unknown user. s.mu must be
// held.
func (s *Sim) optionalUserIDLocked(ref string) (string, bool) {
	if ref == "" {
		return "", true
	}
	u := s.userLocked(ref)
	if u == nil {
		return "", false
	}
	return u.ID, true
}

// userByAddressLocked finds the user owning an address (UPN, mail or proxy
// address). s.mu must be held.
func (s *Sim) userByAddressLocked(addr string) *User {
	for _, u := range s.st.Users {
		if u.HasAddress(addr) {
			return u
		}
	}
	return nil
}

func cmpOr[T comparable](vals ...T) T {
	var zero T
	for _, v := range vals {
		if v != zero {
			return v
		}
	}
	return zero
}
