package m365sim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxGraphBody caps request bodies. Graph accepts at most 4 MB of JSON (and
// MIME bodies up to about 35 MB through upload sessions); the emulator stays
// generous so that size is never the reason a client test fails.
const maxGraphBody = 40 << 20

// graphError is a Graph error response: the HTTP status and the
// {"error":{"code","message"}} envelope (MICROSOFT.md §3.0).
type graphError struct {
	status     int
	code       string
	msg        string
	retryAfter string            // Retry-After header, when set
	location   string            // Location header (410 Gone with a fresh query)
	inner      map[string]string // extra innerError members (TooManyRequests shape)
	wwwAuth    string            // WWW-Authenticate header (CAE challenge)
}

func (e *graphError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.msg) }

func gerr(status int, code, msg string) *graphError {
	return &graphError{status: status, code: code, msg: msg}
}

// Common Graph errors, worded as Graph words them.
func errItemNotFound() *graphError {
	return gerr(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
}

func errAccessDenied() *graphError {
	return gerr(http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
}

func errBadRequest(msg string) *graphError {
	return gerr(http.StatusBadRequest, "BadRequest", msg)
}

func errInvalidUser(id string) *graphError {
	return gerr(http.StatusNotFound, "ErrorInvalidUser", fmt.Sprintf("The requested user '%s' is invalid.", id))
}

func errMethodNotAllowed() *graphError {
	return gerr(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
}

func errUnknownSegment(seg string) *graphError {
	return gerr(http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("Resource not found for the segment '%s'.", seg))
}

// gctx is one Graph request being served: the parsed request, the caller and
// the mailbox it targets.
type gctx struct {
	s     *Sim
	w     http.ResponseWriter
	r     *http.Request
	reqID string
	start time.Time

	claims *AccessClaims
	caller *User // signed-in user (copy)
	target *User // user whose resources the path addresses (copy)
	// targetRef is the path's user reference ("me", an ID or an address).
	targetRef string
	// rest is the path below /me or /users/{id}, lowercased keywords with
	// keys kept verbatim (see splitGraphPath).
	rest   []string
	prefer preferences
	query  map[string][]string // query with lowercased names

	afterAccept *Fault        // an after-accept fault consumed by this request (sends only)
	delay       time.Duration // a delay fault's hold, served while holding the slot
	wake        chan struct{} // closed when delayed requests are released
	batchItem   bool          // served as an item of a $batch
	status      int           // status written, for logging
}

// preferences is the parsed Prefer header (MICROSOFT.md §5.4: values arrive
// comma-joined in one header or as repeated headers).
type preferences struct {
	maxPageSize int    // odata.maxpagesize; 0 when absent
	immutableID bool   // IdType="ImmutableId"
	timezone    string // outlook.timezone; "" when absent
	bodyType    string // outlook.body-content-type: "text" or "html"
}

func parsePrefer(h http.Header) preferences {
	var p preferences
	for _, v := range h.Values("Prefer") {
		for _, part := range splitPrefer(v) {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			k = strings.ToLower(strings.TrimSpace(k))
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch k {
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(val); err == nil && n > 0 {
					p.maxPageSize = n
				}
			case "idtype":
				p.immutableID = strings.EqualFold(val, "ImmutableId")
			case "outlook.timezone":
				p.timezone = val
			case "outlook.body-content-type":
				p.bodyType = strings.ToLower(val)
			}
		}
	}
	return p
}

// splitPrefer splits a Prefer header on commas outside double quotes.
func splitPrefer(v string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// q returns the first value of a query option, matching its name
// case-insensitively and with or without the "$" (Graph accepts "$select"
// and "select" alike).
func (g *gctx) q(name string) string {
	name = strings.ToLower(strings.TrimPrefix(name, "$"))
	if v := g.query[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// hasQ reports whether a query option is present at all.
func (g *gctx) hasQ(name string) bool {
	_, ok := g.query[strings.ToLower(strings.TrimPrefix(name, "$"))]
	return ok
}

func lowerQuery(r *http.Request) map[string][]string {
	out := map[string][]string{}
	for k, v := range r.URL.Query() {
		k = strings.ToLower(strings.TrimPrefix(k, "$"))
		out[k] = append(out[k], v...)
	}
	return out
}

// graphBearerChallenge is Graph's WWW-Authenticate on a 401 without a CAE
// claims challenge.
const graphBearerChallenge = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`

// fail writes a Graph error response.
func (g *gctx) fail(e *graphError) {
	if e.retryAfter != "" {
		g.w.Header().Set("Retry-After", e.retryAfter)
	}
	if e.location != "" {
		g.w.Header().Set("Location", e.location)
	}
	switch {
	case e.wwwAuth != "":
		g.w.Header().Set("WWW-Authenticate", e.wwwAuth)
	case e.status == http.StatusUnauthorized:
		// A 401 from a bearer-token resource carries a Bearer challenge
		// (RFC 6750 §3), and Graph's carries authorization_uri and
		// client_id (as in its CAE challenges, MICROSOFT.md §5). Without
		// claims= the SDK does not re-authenticate.
		g.w.Header().Set("WWW-Authenticate", graphBearerChallenge)
	}
	inner := map[string]string{
		"date":              g.s.now().UTC().Format("2006-01-02T15:04:05"),
		"request-id":        g.reqID,
		"client-request-id": g.w.Header().Get("client-request-id"),
	}
	for k, v := range e.inner {
		inner[k] = v
	}
	body := map[string]any{"error": map[string]any{"code": e.code, "message": e.msg, "innerError": inner}}
	g.writeJSON(e.status, body)
}

// failErr writes err, which is a *graphError or an unexpected failure (500).
func (g *gctx) failErr(err error) {
	var ge *graphError
	if errors.As(err, &ge) {
		g.fail(ge)
		return
	}
	g.s.log.Error("graph: internal error", "err", err, "path", g.r.URL.Path)
	g.fail(gerr(http.StatusInternalServerError, "InternalServerError", "An internal server error occurred."))
}

// writeJSON writes v as Graph writes JSON.
func (g *gctx) writeJSON(status int, v any) {
	b, err := appendJSON(nil, v)
	if err != nil {
		g.s.log.Error("graph: encode response", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalServerError","message":"encode failure"}}`)
	}
	h := g.w.Header()
	if status >= 400 {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
		h.Set("OData-Version", "4.0")
	}
	h.Set("Cache-Control", "no-cache")
	g.status = status
	g.w.WriteHeader(status)
	_, _ = g.w.Write(b)
}

// noContent writes a status without a body (202 Accepted, 204 No Content).
func (g *gctx) noContent(status int) {
	g.w.Header().Set("Cache-Control", "no-cache")
	g.status = status
	g.w.WriteHeader(status)
}

// bufferUpload reads the body of a PATCH, POST or PUT request up front so
// that its size counts against Limits.UploadBytesPerWindow before the
// request is admitted; chunked bodies have no Content-Length to go by. The
// bytes are counted as received (still gzip-compressed when the client
// compressed them) and handed back to the handler through r.Body. It
// answers 400 itself when the body cannot be read.
func (g *gctx) bufferUpload() (int64, bool) {
	switch g.r.Method {
	case http.MethodPatch, http.MethodPost, http.MethodPut:
	default:
		return 0, true
	}
	if g.r.Body == nil || g.r.Body == http.NoBody {
		return 0, true
	}
	// One byte past the cap is kept so that readBody still answers 413.
	raw, err := io.ReadAll(io.LimitReader(g.r.Body, maxGraphBody+1))
	if err != nil {
		g.fail(errBadRequest("Unable to read the request body."))
		return 0, false
	}
	g.r.Body = io.NopCloser(bytes.NewReader(raw))
	return int64(len(raw)), true
}

// readBody returns the request body, inflating Content-Encoding: gzip. A
// body labelled gzip that is not gzip is answered 400, as Graph does when a
// retried request re-sends the plain body with the gzip label
// (MICROSOFT.md §0 item 19).
func (g *gctx) readBody() ([]byte, *graphError) {
	if g.r.Body == nil {
		return nil, nil
	}
	raw, err := io.ReadAll(io.LimitReader(g.r.Body, maxGraphBody+1))
	if err != nil {
		return nil, errBadRequest("Unable to read the request body.")
	}
	if len(raw) > maxGraphBody {
		return nil, gerr(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is too large.")
	}
	enc := strings.ToLower(strings.TrimSpace(g.r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, errBadRequest("Invalid request body: the content is labelled 'Content-Encoding: gzip' but is not valid gzip data.")
		}
		out, err := io.ReadAll(io.LimitReader(zr, maxGraphBody+1))
		if err != nil {
			return nil, errBadRequest("Invalid request body: the gzip stream is corrupt.")
		}
		if len(out) > maxGraphBody {
			return nil, gerr(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is too large.")
		}
		return out, nil
	default:
		return nil, gerr(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "Content-Encoding '"+enc+"' is not supported.")
	}
}

// decodeBody reads the body as JSON into v. Property names match
// case-insensitively (encoding/json does this for struct fields), as Graph
// accepts the SDK's {"Message":…,"SaveToSentItems":…} (MICROSOFT.md §0 item 20).
func (g *gctx) decodeBody(v any) *graphError {
	b, ge := g.readBody()
	if ge != nil {
		return ge
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return gerr(http.StatusBadRequest, "ErrorInvalidRequest", "Empty Payload. JSON content expected.")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return gerr(http.StatusBadRequest, "RequestBodyRead", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format. "+err.Error())
	}
	return nil
}

// flexBool is a Boolean that also accepts the strings "true"/"false" (the
// sendMail doc example sends saveToSentItems as a string).
type flexBool struct {
	set bool
	v   bool
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.ToLower(strings.TrimSpace(string(b))), `"`)
	switch s {
	case "true":
		*f = flexBool{true, true}
	case "false":
		*f = flexBool{true, false}
	case "null", "":
		*f = flexBool{}
	default:
		return fmt.Errorf("cannot convert %s to Edm.Boolean", b)
	}
	return nil
}

// or returns the value, or def when it was absent.
func (f flexBool) or(def bool) bool {
	if f.set {
		return f.v
	}
	return def
}

// graphTime formats a timestamp as Graph does for DateTimeOffset values.
func graphTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}
