package m365sim

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config tunes the emulator. The zero value gives Microsoft's documented
// production limits; tests scale them down.
type Config struct {
	// PublicURL is the origin clients reach the emulator on (scheme://host:port,
	// no trailing slash). Links the emulator emits (@odata.nextLink, discovery
	// endpoints, issuers) are built from it. When empty, the origin of each
	// request is used.
	PublicURL string

	// StatePath, when set, is a JSON file the state is loaded from at New and
	// saved to by Save (and on Close).
	StatePath string

	// Logger receives request and fault logs. Defaults to slog.Default().
	Logger *slog.Logger

	// Now is the clock. Defaults to time.Now.
	Now func() time.Time

	// Token lifetimes. Defaults: access 1h, refresh 90 days, code 10 min.
	// IdentityPolicy.RandomAccessTokenLifetime replaces the access token
	// lifetime with Entra ID's random 60–90 minutes.
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
	CodeLifetime         time.Duration

	// Limits enforces Exchange Online's per app × mailbox limits.
	Limits Limits
}

// Limits are Exchange Online's throttling and sending limits, per app ID and
// mailbox. Zero fields take Microsoft's documented values.
type Limits struct {
	MaxConcurrent     int           // concurrent requests; default 4
	RequestsPerWindow int           // default 10,000
	RequestWindow     time.Duration // default 10 min
	// SendsPerMinute is the submission rate transport takes per mailbox
	// (default 30). Submissions beyond it are accepted and delivered in
	// the following minutes, never refused (MICROSOFT.md §4.3).
	SendsPerMinute int
	// RecipientsPerDay is the daily recipient quota (default 10,000). The
	// submission that crosses it is accepted, ends in a 554 5.2.0 NDR, and
	// blocks the mailbox from sending for 24 hours.
	RecipientsPerDay int
	// UploadBytesPerWindow caps the request body bytes of PATCH, POST and
	// PUT requests admitted per UploadWindow (MICROSOFT.md §4.1: 150 MB per
	// 5 minutes). Bodies count as they arrive on the wire, before
	// Content-Encoding is undone. Default 150 MiB.
	UploadBytesPerWindow int64
	UploadWindow         time.Duration // default 5 min
	// RetryAfter is the Retry-After value sent with throttling responses, as
	// Microsoft sends it (integer seconds, or fractional like "2.128").
	// Default "1".
	RetryAfter string
}

func (c Config) withDefaults() Config {
	c.Logger = cmp.Or(c.Logger, slog.Default())
	if c.Now == nil {
		c.Now = time.Now
	}
	c.AccessTokenLifetime = cmp.Or(c.AccessTokenLifetime, time.Hour)
	c.RefreshTokenLifetime = cmp.Or(c.RefreshTokenLifetime, 90*24*time.Hour)
	c.CodeLifetime = cmp.Or(c.CodeLifetime, 10*time.Minute)
	l := &c.Limits
	l.MaxConcurrent = cmp.Or(l.MaxConcurrent, 4)
	l.RequestsPerWindow = cmp.Or(l.RequestsPerWindow, 10_000)
	l.RequestWindow = cmp.Or(l.RequestWindow, 10*time.Minute)
	l.SendsPerMinute = cmp.Or(l.SendsPerMinute, 30)
	l.RecipientsPerDay = cmp.Or(l.RecipientsPerDay, 10_000)
	l.UploadBytesPerWindow = cmp.Or(l.UploadBytesPerWindow, 150<<20)
	l.UploadWindow = cmp.Or(l.UploadWindow, 5*time.Minute)
	l.RetryAfter = cmp.Or(l.RetryAfter, "1")
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Sim is one emulated Microsoft cloud: tenants, users, app registrations,
// grants, mailboxes. It is safe for concurrent use.
type Sim struct {
	cfg Config
	log *slog.Logger

	// mu guards st and every piece of runtime state hung off Sim by the
	// identity and Graph halves.
	mu sync.Mutex
	st *state

	key *signingKey

	identity http.Handler // /{tenant}/...
	graph    http.Handler // /v1.0/...
	control  http.Handler // /_m365sim/...

	rt runtime // non-persisted runtime state (counters, in-flight requests)
}

// state is everything that is persisted by Save. The identity and Graph halves
// keep their own parts in Identity and Mail.
type state struct {
	Tenants  map[string]*Tenant // by tenant ID (GUID)
	Apps     map[string]*App    // by client ID
	Users    map[string]*User   // by object ID
	Identity identityState
	Mail     mailState
	// KeyPEM is the RSA signing key, kept so that tokens survive a restart.
	KeyPEM string
}

// New builds an emulator. If cfg.StatePath names an existing file, the state
// is loaded from it.
func New(cfg Config) (*Sim, error) {
	cfg = cfg.withDefaults()
	s := &Sim{cfg: cfg, log: cfg.Logger.With("component", "m365sim")}
	st, err := loadState(cfg.StatePath)
	if err != nil {
		return nil, err
	}
	s.st = st
	if s.key, err = loadOrCreateKey(st); err != nil {
		return nil, err
	}
	s.st.init()
	s.rt.init()
	s.identity = s.identityHandler()
	s.graph = s.graphHandler()
	s.control = s.controlHandler()
	return s, nil
}

func (st *state) init() {
	if st.Tenants == nil {
		st.Tenants = map[string]*Tenant{}
	}
	if st.Apps == nil {
		st.Apps = map[string]*App{}
	}
	if st.Users == nil {
		st.Users = map[string]*User{}
	}
	st.Identity.init()
	st.Mail.init()
}

// ServeHTTP dispatches on the first path segment: "v1.0" is Graph,
// "_m365sim" is the control API, anything else is a tenant of the identity
// platform.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch first {
	case "v1.0":
		s.graph.ServeHTTP(w, r)
	case "_m365sim":
		s.control.ServeHTTP(w, r)
	default:
		s.identity.ServeHTTP(w, r)
	}
}

// now returns the emulator's clock.
func (s *Sim) now() time.Time { return s.cfg.Now() }

// Config returns the effective configuration (defaults applied).
func (s *Sim) Config() Config { return s.cfg }

// baseURL is the origin links are built on: Config.PublicURL, or the origin
// the request arrived on.
func (s *Sim) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Server is an emulator listening on a loopback port.
type Server struct {
	*Sim
	URL string // e.g. http://127.0.0.1:41234
	srv *http.Server
	ln  net.Listener
}

// Listen starts the emulator on addr (e.g. "127.0.0.1:0"). If cfg.PublicURL
// is empty it is set to the listener's address.
func Listen(addr string, cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("m365sim: listen: %w", err)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	sim, err := New(cfg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &Server{Sim: sim, URL: sim.cfg.PublicURL, srv: srv, ln: ln}, nil
}

// Close stops the listener and saves the state when a StatePath is set.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if s.cfg.StatePath != "" {
		err = cmp.Or(err, s.Save())
	}
	return err
}

// Authority returns the identity platform authority for tenant ("common",
// "organizations", a GUID or a domain), e.g. http://127.0.0.1:4000/common.
func (s *Server) Authority(tenant string) string { return s.URL + "/" + url.PathEscape(tenant) }

// GraphURL returns the Graph base URL including the version, for
// adapter.SetBaseUrl.
func (s *Server) GraphURL() string { return s.URL + "/v1.0" }

// newID returns a random GUID-shaped identifier.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// randomToken returns n random bytes, hex encoded, for opaque tokens.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var _ http.Handler = (*Sim)(nil)
