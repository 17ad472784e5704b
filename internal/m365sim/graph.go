package m365sim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// mailState is the Graph half's persisted state: one mailbox per user.
type mailState struct {
	Mailboxes map[string]*Mailbox // by user object ID
	// Subscriptions are change-notification subscriptions, by ID.
	Subscriptions map[string]*Subscription `json:",omitempty"`
}

func (st *mailState) init() {
	if st.Mailboxes == nil {
		st.Mailboxes = map[string]*Mailbox{}
	}
	if st.Subscriptions == nil {
		st.Subscriptions = map[string]*Subscription{}
	}
	for _, mb := range st.Mailboxes {
		mb.reindex()
	}
}

// mailRuntime is the Graph half's non-persisted state: throttling and
// sending counters, faults, knobs, the request log. Guarded by Sim.mu.
type mailRuntime struct {
	throttle  map[throttleKey]*throttleState
	sends     map[string]*sendState // by mailbox user ID
	faults    []*Fault
	faultSeq  int
	holds     []*Hold
	flight    map[string]*mailboxFlight // by mailbox user ID, across apps
	latency   map[string]time.Duration  // by user ID; "" is the default
	wake      chan struct{}             // closed to release delayed requests
	revoked   map[string]revocation     // by user ID
	options   map[string]MailOptions    // by user ID; "" is the default
	replays   map[replayKey]int         // armed delta replays: Changes
	requests  []RequestRecord           // ring buffer
	reqNext   int
	notifier  *notifier
	graphHTTP *http.Client // for subscription validation and notifications
}

func (rt *mailRuntime) init() {
	rt.throttle = map[throttleKey]*throttleState{}
	rt.flight = map[string]*mailboxFlight{}
	rt.latency = map[string]time.Duration{}
	rt.wake = make(chan struct{})
	rt.sends = map[string]*sendState{}
	rt.revoked = map[string]revocation{}
	rt.options = map[string]MailOptions{}
	rt.replays = map[replayKey]int{}
	rt.graphHTTP = &http.Client{Timeout: 10 * time.Second}
}

// graphHandler serves /v1.0/...
func (s *Sim) graphHandler() http.Handler { return http.HandlerFunc(s.serveGraph) }

// mailboxCreatedLocked is called by AddUser (with s.mu held) to create the
// user's mailbox and well-known folders.
func (s *Sim) mailboxCreatedLocked(u *User) {
	if _, ok := s.st.Mail.Mailboxes[u.ID]; !ok {
		s.st.Mail.Mailboxes[u.ID] = newMailbox(u.ID)
	}
}

// serveGraph is the entry point of every Graph request, including the items
// of a $batch (which arrive with batchItem set through serveGraphItem).
func (s *Sim) serveGraph(w http.ResponseWriter, r *http.Request) {
	s.serveGraphItem(w, r, false)
}

func (s *Sim) serveGraphItem(w http.ResponseWriter, r *http.Request, batchItem bool) {
	g := &gctx{s: s, w: w, r: r, reqID: newID(), start: time.Now(), batchItem: batchItem}
	h := w.Header()
	h.Set("request-id", g.reqID)
	crid := r.Header.Get("client-request-id")
	if crid == "" {
		crid = g.reqID
	}
	h.Set("client-request-id", crid)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"m365sim","Slice":"E","Ring":"1","ScaleUnit":"000","RoleInstance":"m365sim"}}`)
	h.Set("Strict-Transport-Security", "max-age=31536000")
	defer s.logRequest(g)

	segs, err := splitGraphPath(r.URL.EscapedPath())
	if err != nil {
		g.fail(errBadRequest("Invalid request path."))
		return
	}
	// segs[0] is "v1.0".
	segs = segs[1:]
	g.query = lowerQuery(r)
	g.prefer = parsePrefer(r.Header)
	if n, _ := strconv.Atoi(r.Header.Get("Retry-Attempt")); n > 0 {
		s.log.Info("graph: retried request", "method", r.Method, "path", r.URL.Path, "retry_attempt", n, "client_request_id", crid)
	}
	if len(segs) == 0 {
		g.fail(errUnknownSegment("v1.0"))
		return
	}
	if segs[0] == "$batch" && !batchItem {
		if !s.authenticate(g) {
			return
		}
		s.serveBatch(g)
		return
	}
	if !s.authenticate(g) {
		return
	}
	switch segs[0] {
	case "me":
		g.targetRef = "me"
		g.rest = segs[1:]
	case "users":
		if len(segs) < 2 {
			g.fail(gerr(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
			return
		}
		g.targetRef = segs[1]
		g.rest = segs[2:]
	case "subscriptions":
		g.rest = segs[1:]
		s.serveSubscriptions(g)
		return
	default:
		g.fail(errUnknownSegment(segs[0]))
		return
	}
	if !s.resolveTarget(g) {
		return
	}
	s.serveUserScoped(g)
}

// authenticate validates the bearer token and loads the caller. It answers
// 401 InvalidAuthenticationToken on failure.
func (s *Sim) authenticate(g *gctx) bool {
	authz := g.r.Header.Get("Authorization")
	scheme, raw, _ := strings.Cut(authz, " ")
	if authz == "" || raw == "" {
		g.fail(gerr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty."))
		return false
	}
	if !strings.EqualFold(scheme, "Bearer") {
		g.fail(gerr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."))
		return false
	}
	c, err := s.verifyAccessToken(strings.TrimSpace(raw))
	if err != nil {
		g.fail(gerr(http.StatusUnauthorized, "InvalidAuthenticationToken", err.Error()))
		return false
	}
	s.mu.Lock()
	u, ok := s.st.Users[c.UserID]
	var caller User
	if ok {
		caller = *u
	}
	rev, revoked := s.rt.mail.revoked[c.UserID]
	s.mu.Unlock()
	if !ok {
		g.fail(gerr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure: the user does not exist."))
		return false
	}
	if revoked && !c.IssuedAt.After(rev.at) {
		e := gerr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
		if rev.cae {
			e.msg = "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp"
			claims := fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, rev.at.Unix())
			e.wwwAuth = fmt.Sprintf(`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="%s"`, b64std(claims))
		}
		g.fail(e)
		return false
	}
	g.claims = c
	g.caller = &caller
	return true
}

// resolveTarget finds the user a /me or /users/{id} path addresses. The raw
// "me-token-to-replace" placeholder is an unknown user, as on real Graph
// (MICROSOFT.md §5.4).
func (s *Sim) resolveTarget(g *gctx) bool {
	if g.targetRef == "me" {
		g.target = g.caller
		return true
	}
	ref := g.targetRef
	s.mu.Lock()
	u := s.userLocked(ref)
	var t User
	if u != nil {
		t = *u
	}
	s.mu.Unlock()
	if u == nil || t.TenantID != g.caller.TenantID {
		if len(g.rest) == 0 {
			g.fail(gerr(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", ref)))
			return false
		}
		g.fail(errInvalidUser(ref))
		return false
	}
	g.target = &t
	return true
}

// isSelf reports whether the request addresses the caller's own mailbox.
func (g *gctx) isSelf() bool { return g.target.ID == g.caller.ID }

// serveUserScoped serves /me/... and /users/{id}/...: faults, throttling,
// then the resource.
func (s *Sim) serveUserScoped(g *gctx) {
	if len(g.rest) == 0 {
		// The user profile is a directory (Entra ID) resource, not an
		// Outlook one: no mailbox limits apply.
		if !s.applyFaults(g) || !s.waitDelay(g, false) {
			return
		}
		s.serveUser(g)
		return
	}
	if !g.target.HasMailbox() {
		// Also for a user whose mail is null: no Exchange Online mailbox
		// (MICROSOFT.md §3.0 codes; field: MailboxNotEnabledForRESTAPI for
		// users without an Exchange licence, aomail-ai/aomail-app#18,
		// MicrosoftDocs/azure-docs#85666).
		g.fail(gerr(http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise."))
		return
	}
	if !g.isSelf() && !g.sharedAllowed() {
		g.fail(errAccessDenied())
		return
	}
	if !s.applyFaults(g) {
		return
	}
	upload, ok := g.bufferUpload()
	if !ok {
		return
	}
	release, ge := s.throttleAcquire(g, g.claims.ClientID, g.target.ID, upload)
	if ge != nil {
		g.fail(ge)
		return
	}
	defer release()
	if !s.waitHolds(g) || !s.waitLatency(g) {
		return
	}
	s.serveMailbox(g)
}

// sharedAllowed reports whether the caller may touch another user's mailbox:
// only sends as a user they hold Send As rights on, with Mail.Send.Shared.
func (g *gctx) sharedAllowed() bool {
	if len(g.rest) == 1 && (g.rest[0] == "sendmail") && g.hasScope("Mail.Send.Shared") {
		for _, a := range g.caller.SendAs {
			if g.target.HasAddress(a) {
				return true
			}
		}
	}
	return false
}

// hasScope reports whether the token carries any of the scopes (short or
// fully qualified names, case-insensitive).
func (g *gctx) hasScope(scopes ...string) bool {
	for _, have := range g.claims.Scopes {
		have = strings.TrimPrefix(strings.ToLower(have), strings.ToLower(GraphAudience)+"/")
		for _, want := range scopes {
			if strings.EqualFold(have, want) {
				return true
			}
		}
	}
	return false
}

// requireScope answers 403 ErrorAccessDenied unless the token carries one
// of the scopes.
func (g *gctx) requireScope(scopes ...string) bool {
	if g.hasScope(scopes...) {
		return true
	}
	g.fail(errAccessDenied())
	return false
}

var (
	mailReadScopes      = []string{"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic"}
	mailWriteScopes     = []string{"Mail.ReadWrite"}
	mailSendScopes      = []string{"Mail.Send", "Mail.Send.Shared"}
	calendarReadScopes  = []string{"Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic"}
	calendarWriteScopes = []string{"Calendars.ReadWrite"}
)

// serveMailbox routes Outlook resources below /me or /users/{id}.
func (s *Sim) serveMailbox(g *gctx) {
	rest, m := g.rest, g.r.Method
	switch rest[0] {
	case "mailfolders":
		switch {
		case len(rest) == 1 && m == http.MethodGet:
			s.listFolders(g)
		case len(rest) == 2 && m == http.MethodGet:
			s.getFolder(g, rest[1])
		case len(rest) == 3 && rest[2] == "childfolders" && m == http.MethodGet:
			s.listChildFolders(g, rest[1])
		case len(rest) == 3 && rest[2] == "messages" && m == http.MethodGet:
			s.listMessages(g, rest[1])
		case len(rest) == 3 && rest[2] == "messages" && m == http.MethodPost:
			s.createMessage(g, rest[1])
		case len(rest) == 4 && rest[2] == "messages" && rest[3] == "delta" && m == http.MethodGet:
			s.messageDelta(g, rest[1])
		case len(rest) >= 4 && rest[2] == "messages":
			g.rest = rest[2:]
			s.serveMessage(g)
		default:
			s.unknownRoute(g, rest)
		}
	case "messages":
		switch {
		case len(rest) == 1 && m == http.MethodGet:
			s.listMessages(g, "")
		case len(rest) == 1 && m == http.MethodPost:
			s.createMessage(g, "drafts")
		default:
			s.serveMessage(g)
		}
	case "sendmail":
		if len(rest) == 1 && m == http.MethodPost {
			s.sendMail(g)
			return
		}
		s.unknownRoute(g, rest)
	case "events", "calendar", "calendarview":
		s.serveCalendar(g)
	default:
		s.unknownRoute(g, rest)
	}
}

// serveMessage routes messages/{id}[/action]; g.rest starts at "messages".
func (s *Sim) serveMessage(g *gctx) {
	rest, m := g.rest, g.r.Method
	if len(rest) < 2 {
		s.unknownRoute(g, rest)
		return
	}
	id := rest[1]
	if malformedItemID(id) {
		g.fail(errInvalidIDMalformed())
		return
	}
	switch {
	case len(rest) == 2 && m == http.MethodGet:
		s.getMessage(g, id)
	case len(rest) == 2 && m == http.MethodPatch:
		s.patchMessage(g, id)
	case len(rest) == 2 && m == http.MethodDelete:
		s.deleteMessage(g, id)
	case len(rest) == 3 && rest[2] == "send" && m == http.MethodPost:
		s.sendDraft(g, id)
	case len(rest) == 3 && rest[2] == "move" && m == http.MethodPost:
		s.moveMessage(g, id)
	case len(rest) == 3 && (rest[2] == "reply" || rest[2] == "replyall") && m == http.MethodPost:
		s.replyMessage(g, id, rest[2] == "replyall")
	case len(rest) == 3 && (rest[2] == "createreply" || rest[2] == "createreplyall") && m == http.MethodPost:
		s.createReply(g, id, rest[2] == "createreplyall")
	case len(rest) == 3 && rest[2] == "attachments" && m == http.MethodGet:
		s.listAttachments(g, id)
	default:
		s.unknownRoute(g, rest)
	}
}

// malformedItemID reports whether id cannot be an Exchange item ID at all.
// Exchange IDs are base64 (URL-safe in REST) of a binary entry ID; one that
// cannot be one is answered 400 ErrorInvalidIdMalformed "Id is malformed."
// (Exchange's ResponseCode, which Graph passes through: EWS
// ResponseCodeType, "the structure of the id is internally inconsistent"),
// while a well-formed ID of no item is 404 ErrorItemNotFound. Which IDs
// Exchange can decode is not documented; the emulator calls malformed an
// ID with a character outside the base64 alphabets or shorter than 10
// characters (real ones are over 100), and leaves longer base64-looking
// IDs to ErrorItemNotFound.
func malformedItemID(id string) bool {
	if len(id) < 10 {
		return true
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' || c == '=') {
			return true
		}
	}
	return false
}

func errInvalidIDMalformed() *graphError {
	return gerr(http.StatusBadRequest, "ErrorInvalidIdMalformed", "Id is malformed.")
}

// unknownRoute answers a path the emulator does not serve: 405 when the
// resource exists with other methods, else 404 naming the segment.
func (s *Sim) unknownRoute(g *gctx, rest []string) {
	last := rest[len(rest)-1]
	switch last {
	case "messages", "mailfolders", "sendmail", "send", "move", "delta", "events", "reply", "createreply":
		g.fail(errMethodNotAllowed())
		return
	}
	g.fail(errUnknownSegment(last))
}

// splitGraphPath splits an escaped URL path into segments: keywords are
// lowercased, OData key syntax "mailFolders('inbox')" becomes two segments,
// "delta()" becomes "delta", keys are unescaped and kept verbatim.
func splitGraphPath(escaped string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(strings.Trim(escaped, "/"), "/") {
		if raw == "" {
			continue
		}
		seg, err := url.PathUnescape(raw)
		if err != nil {
			return nil, err
		}
		if i := strings.IndexByte(seg, '('); i > 0 && strings.HasSuffix(seg, ")") {
			key := strings.Trim(seg[i+1:len(seg)-1], "'")
			out = append(out, strings.ToLower(seg[:i]))
			if key != "" {
				out = append(out, key)
			}
			continue
		}
		if len(out) == 0 || isGraphKeyword(out, seg) {
			out = append(out, strings.ToLower(seg))
		} else {
			out = append(out, seg)
		}
	}
	return out, nil
}

// isGraphKeyword decides whether seg (following out) is a navigation
// keyword (lowercased for routing) or a key (kept verbatim). Keys follow
// collection segments.
func isGraphKeyword(out []string, seg string) bool {
	prev := out[len(out)-1]
	switch prev {
	case "users", "mailfolders", "messages", "events", "subscriptions", "childfolders", "attachments", "calendars":
		// The next segment is a key, unless it is a function on the collection.
		l := strings.ToLower(seg)
		return l == "delta"
	}
	return true
}

// logRequest records a served request in the ring buffer and the log.
func (s *Sim) logRequest(g *gctx) {
	rec := RequestRecord{
		Time:            s.now(),
		Method:          g.r.Method,
		Path:            g.r.URL.Path,
		Status:          g.status,
		ClientRequestID: g.w.Header().Get("client-request-id"),
		Batch:           g.batchItem,
		Duration:        time.Since(g.start),
		ContentLength:   g.r.ContentLength,
	}
	rec.RetryAttempt, _ = strconv.Atoi(g.r.Header.Get("Retry-Attempt"))
	if g.claims != nil {
		rec.ClientID = g.claims.ClientID
	}
	if g.target != nil {
		rec.Mailbox = g.target.ID
	}
	s.mu.Lock()
	rt := &s.rt.mail
	if len(rt.requests) < requestLogSize {
		rt.requests = append(rt.requests, rec)
	} else {
		rt.requests[rt.reqNext] = rec
		rt.reqNext = (rt.reqNext + 1) % requestLogSize
	}
	s.mu.Unlock()
	s.log.Debug("graph request", "method", rec.Method, "path", rec.Path, "status", rec.Status, "retry_attempt", rec.RetryAttempt)
}

const requestLogSize = 4096

// RequestRecord is one Graph request the emulator served, for tests that
// assert on client behaviour (retries, concurrency, batching).
type RequestRecord struct {
	Time            time.Time
	Method          string
	Path            string
	Status          int
	Mailbox         string // target user ID, when the path addressed one
	ClientID        string
	ClientRequestID string
	// RetryAttempt is the kiota RetryHandler's Retry-Attempt header (0 on a
	// first attempt).
	RetryAttempt int
	Batch        bool // served as a $batch item
	Duration     time.Duration
	// ContentLength is the request's Content-Length (-1 when chunked).
	ContentLength int64
}

// Requests returns the most recent Graph requests (up to 4,096), oldest
// first, so tests can count retries and see what a client actually sent.
func (s *Sim) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := &s.rt.mail
	out := make([]RequestRecord, 0, len(rt.requests))
	out = append(out, rt.requests[rt.reqNext:]...)
	return append(out, rt.requests[:rt.reqNext]...)
}

// dropConnection hijacks the connection and closes it without a response
// (a "dropped connection" fault). Falls back to a 502 when the writer
// cannot be hijacked (a $batch item).
func dropConnection(w http.ResponseWriter) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return false
	}
	_ = buf.Flush()
	_ = conn.Close()
	return true
}
