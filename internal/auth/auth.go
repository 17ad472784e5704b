// Package auth authenticates requests: dashboard users by a session cookie
// (server-side sessions in the database, so several instances share them),
// partner integrations by API tokens (Authorization: Bearer). Both secrets
// are 256-bit random values of which only the SHA-256 is stored. The
// middleware puts the resulting viewer in the request context; ent privacy
// policies take it from there.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"time"

	"mailbridge/ent"
	"mailbridge/internal/config"
)

// Options configure the Service.
type Options struct {
	IdleTimeout     time.Duration // session ends after this much inactivity
	AbsoluteTimeout time.Duration // session ends this long after sign-in
	SecureCookies   bool          // served over HTTPS: Secure + __Host- cookie
	// DemoOrganization is set in demo mode only: the name of the one
	// organization whose users the passwordless demo sign-in lists and
	// accepts. When it is empty the demo endpoints do not exist and sessions
	// created by demo sign-in are refused.
	DemoOrganization string
	Now              func() time.Time
	Logger           *slog.Logger
}

// ConfigOptions maps the configuration to Options: the one place that
// does, for the server and the commands alike. demoOrg names the demo
// organization and is used only in demo mode.
func ConfigOptions(cfg config.Config, demoOrg string, log *slog.Logger) Options {
	o := Options{
		IdleTimeout:     cfg.SessionIdleTimeout,
		AbsoluteTimeout: cfg.SessionAbsoluteTimeout,
		SecureCookies:   cfg.SecureCookies(),
		Logger:          log,
	}
	if cfg.Mode == config.ModeDemo {
		o.DemoOrganization = demoOrg
	}
	return o
}

// Service issues and checks sessions and API tokens.
type Service struct {
	client *ent.Client
	opts   Options
	log    *slog.Logger
}

// NewService returns a Service storing sessions and tokens through client.
func NewService(client *ent.Client, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{client: client, opts: opts, log: opts.Logger}
}

// CookieName is the session cookie's name: __Host-mailbridge over HTTPS
// (bound to the exact origin, Secure, Path=/), mailbridge_session on plain
// http://localhost in demo mode, where __Host- cookies cannot be set.
func (s *Service) CookieName() string {
	if s.opts.SecureCookies {
		return "__Host-mailbridge"
	}
	return "mailbridge_session"
}

// newSecret returns a prefixed 256-bit random secret and its SHA-256.
func newSecret(prefix string) (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	secret := prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, hash(secret)
}

func hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
