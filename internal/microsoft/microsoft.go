// Package microsoft connects Mailbridge mailboxes to Microsoft 365 through
// the Microsoft identity platform (OAuth 2.0 authorization code flow with
// PKCE, OpenID Connect) and Microsoft Graph (msgraph-sdk-go).
//
// The connect flow: the connectOffice365 mutation calls StartConnect, which
// stores a one-time state server-side and returns Microsoft's authorize
// URL; Microsoft redirects the browser to GET /auth/microsoft/callback
// (Callback), which redeems the code with the PKCE verifier, validates the
// ID token, reads /me through Graph, checks that the Microsoft account owns
// the mailbox's address and stores the grant — keyed by (tenant id, object
// id), tokens encrypted by internal/tokencrypt — before sending the browser
// back to Settings > You > Mailboxes with the outcome.
package microsoft

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"mailbridge/ent"
	"mailbridge/internal/config"
	"mailbridge/internal/tokencrypt"
)

// Scopes are the least-privilege delegated permissions Mailbridge asks for
// (QUALITY.md §7.1, MICROSOFT.md §2): sign-in and profile, a refresh token,
// mail read/write and send (sending from one's own aliases needs only
// Mail.Send), and calendar sync.
var Scopes = []string{"openid", "profile", "email", "offline_access", "User.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite"}

// CallbackPath is where Microsoft sends the browser back; the redirect URI
// registered for the app is PUBLIC_URL + CallbackPath.
const CallbackPath = "/auth/microsoft/callback"

// MailboxesPath is the SPA page the callback returns to (Settings > You >
// Mailboxes).
const MailboxesPath = "/settings/mailboxes"

// stateTTL bounds how long a started sign-in may take.
const stateTTL = 10 * time.Minute

// Options configure a Service.
type Options struct {
	Config    config.Microsoft
	PublicURL string
	Client    *ent.Client
	// HTTPClient talks to the identity platform and Graph (tests inject
	// the emulator's transport); default http.DefaultClient.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
	// SignIn starts a Mailbridge session for a user (auth.Service.SignIn),
	// for Sign in with Microsoft.
	SignIn func(ctx context.Context, w http.ResponseWriter, r *http.Request, userID int) error
}

// Service runs the Microsoft flows.
type Service struct {
	cfg        config.Microsoft
	publicURL  string
	client     *ent.Client
	ring       *tokencrypt.Ring
	httpClient *http.Client
	log        *slog.Logger
	now        func() time.Time
	oauth      *oauth2.Config
	verifier   *verifier
	graphHosts []string
	signIn     func(ctx context.Context, w http.ResponseWriter, r *http.Request, userID int) error
	// refreshes makes token refreshes single-flight per account.
	refreshes singleflight.Group
}

// New validates o and returns a Service.
func New(o Options) (*Service, error) {
	if !o.Config.Configured() {
		return nil, errors.New("microsoft: client id, client secret and token key are required")
	}
	ring, err := o.Config.Ring()
	if err != nil {
		return nil, fmt.Errorf("microsoft: token key: %w", err)
	}
	gu, err := url.Parse(o.Config.GraphURL)
	if err != nil || gu.Hostname() == "" {
		return nil, fmt.Errorf("microsoft: graph url %q", o.Config.GraphURL)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	authority := strings.TrimRight(o.Config.LoginURL, "/") + "/" + url.PathEscape(o.Config.Tenant)
	s := &Service{
		cfg: o.Config, publicURL: strings.TrimRight(o.PublicURL, "/"), client: o.Client, ring: ring,
		httpClient: o.HTTPClient, log: o.Logger, signIn: o.SignIn, now: func() time.Time { return o.Now().UTC() },
		oauth: &oauth2.Config{
			ClientID:     o.Config.ClientID,
			ClientSecret: o.Config.ClientSecret,
			RedirectURL:  strings.TrimRight(o.PublicURL, "/") + CallbackPath,
			Scopes:       Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:  authority + "/oauth2/v2.0/authorize",
				TokenURL: authority + "/oauth2/v2.0/token",
				// Credentials in the body: auto-detect would try Basic first
				// and double every failing grant (MICROSOFT.md §0 item 6).
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		graphHosts: []string{strings.ToLower(gu.Hostname())},
	}
	s.verifier = &verifier{
		discoveryURL: authority + "/v2.0/.well-known/openid-configuration",
		clientID:     o.Config.ClientID,
		httpClient:   o.HTTPClient,
		now:          s.now,
	}
	return s, nil
}

// RedirectURI is the app registration's redirect URI.
func (s *Service) RedirectURI() string { return s.oauth.RedirectURL }

// httpCtx makes x/oauth2 use the service's HTTP client.
func (s *Service) httpCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.httpClient)
}

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashState(state string) []byte {
	h := sha256.Sum256([]byte(state))
	return h[:]
}

// tokenProvider is the kiota AccessTokenProvider over an oauth2.TokenSource.
// It hands tokens only to the allowed Graph hosts (an empty list would allow
// every host; QUALITY.md §7.1).
type tokenProvider struct {
	ts    oauth2.TokenSource
	hosts *abs.AllowedHostsValidator
}

func (p *tokenProvider) GetAuthorizationToken(_ context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !p.hosts.IsUrlHostValid(u) {
		return "", nil
	}
	t, err := p.ts.Token()
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

func (p *tokenProvider) GetAllowedHostsValidator() *abs.AllowedHostsValidator { return p.hosts }

// graphMiddlewares is Graph's default chain in a fixed order: kiota builds
// its own from a map, whose random order can put retry before compression
// and re-send gzip-labelled plain bodies (MICROSOFT.md §0 item 19, §5.4).
func graphMiddlewares() []khttp.Middleware {
	opts := msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "1.89.0"}
	return []khttp.Middleware{
		msgraphgocore.NewGraphTelemetryHandler(&opts),
		khttp.NewUrlReplaceHandler(true, msgraphgocore.ReplacementPairs),
		khttp.NewCompressionHandler(),
		khttp.NewRetryHandler(),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
	}
}

// Graph returns a Graph client whose requests carry tokens from ts, to
// MICROSOFT_GRAPH_URL/v1.0 only.
func (s *Service) Graph(ts oauth2.TokenSource) (*msgraphsdk.GraphServiceClient, error) {
	return s.graph(ts, nil)
}

// graph builds a Graph client; limit, when set, wraps the HTTP transport
// below the middleware chain.
func (s *Service) graph(ts oauth2.TokenSource, limit *limitTransport) (*msgraphsdk.GraphServiceClient, error) {
	hosts, err := abs.NewAllowedHostsValidatorErrorCheck(s.graphHosts)
	if err != nil {
		return nil, fmt.Errorf("microsoft: graph hosts: %w", err)
	}
	auth := abs.NewBaseBearerTokenAuthenticationProvider(&tokenProvider{ts: ts, hosts: hosts})
	parent := s.httpClient.Transport
	if parent == nil {
		parent = http.DefaultTransport
	}
	if limit != nil {
		limit.parent, parent = parent, limit
	}
	hc := khttp.GetDefaultClient(graphMiddlewares()...)
	hc.Transport = khttp.NewCustomTransportWithParentTransport(parent, graphMiddlewares()...)
	hc.Timeout = 60 * time.Second
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		return nil, fmt.Errorf("microsoft: graph adapter: %w", err)
	}
	adapter.SetBaseUrl(strings.TrimRight(s.cfg.GraphURL, "/") + "/v1.0")
	// NewGraphServiceClient writes a package-level backing-store factory on
	// every call (a data race between concurrent callers); the base client
	// with a nil factory does not.
	return &msgraphsdk.GraphServiceClient{GraphBaseServiceClient: *msgraphsdk.NewGraphBaseServiceClient(adapter, nil)}, nil
}
