package m365sim

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DeltaExpiryMode is how the emulator answers a delta token it has expired
// (MICROSOFT.md §3.5).
type DeltaExpiryMode string

const (
	// DeltaExpirySyncState answers 410 with code SyncStateNotFound (an
	// evicted token). It is the default.
	DeltaExpirySyncState DeltaExpiryMode = "syncstate"
	// DeltaExpiryGone answers 410 Gone with a Location header pointing at a
	// fresh initial query (a tenant reset).
	DeltaExpiryGone DeltaExpiryMode = "gone"
	// DeltaExpirySyncStateLower answers 410 with the lower-case code
	// syncStateNotFound, as the delta documentation spells it (a
	// "40X-series error" with code syncStateNotFound,
	// https://learn.microsoft.com/en-us/graph/delta-query-messages;
	// MICROSOFT.md §3.5).
	DeltaExpirySyncStateLower DeltaExpiryMode = "syncstate-lower"
	// DeltaExpiryInvalid answers 400 SyncStateInvalid (field:
	// alcionai/corso treats it as an invalid delta token; MICROSOFT.md §3.0).
	DeltaExpiryInvalid DeltaExpiryMode = "invalid"
	// DeltaExpiryMalformed answers 400 as for a token Exchange cannot parse
	// (field reports; MICROSOFT.md §0 item 26). A token that does not
	// decode always gets this answer.
	DeltaExpiryMalformed DeltaExpiryMode = "malformed"
)

// deltaExpiryModes are the modes ExpireDeltaTokens accepts.
var deltaExpiryModes = []DeltaExpiryMode{DeltaExpirySyncState, DeltaExpiryGone, DeltaExpirySyncStateLower, DeltaExpiryInvalid, DeltaExpiryMalformed}

// errExpiredDelta is the answer to an expired token in a mode (other than
// DeltaExpiryGone, which needs the fresh query's URL).
func errExpiredDelta(mode DeltaExpiryMode) *graphError {
	switch mode {
	case DeltaExpirySyncStateLower:
		return gerr(http.StatusGone, "syncStateNotFound", "The sync state generation is not found.")
	case DeltaExpiryInvalid:
		return gerr(http.StatusBadRequest, "SyncStateInvalid", "The sync state is invalid. Start synchronization again with a fresh initial query.")
	case DeltaExpiryMalformed:
		return errMalformedDeltaToken()
	}
	return errSyncStateNotFound()
}

func errMalformedDeltaToken() *graphError {
	return gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The delta token is malformed or not valid for this request.")
}

// ExpireDeltaTokens invalidates every delta and skip token issued so far
// for a mailbox's folders and calendar; the next use answers 410 per mode.
func (s *Sim) ExpireDeltaTokens(mailbox string, mode DeltaExpiryMode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return ErrNotFound
	}
	mode = cmpOr(mode, DeltaExpirySyncState)
	if !slices.Contains(deltaExpiryModes, mode) {
		return fmt.Errorf("m365sim: unknown delta expiry mode %q (want one of %v)", mode, deltaExpiryModes)
	}
	mb := s.mailboxLocked(u.ID)
	mb.Epoch++
	mb.ExpiryMode = mode
	return nil
}

// DeltaReplay makes a mailbox's next message delta round send again
// changes that the previous round already delivered. Outlook delta "can
// replay changes": the same change may arrive twice, so clients must
// upsert idempotently (MICROSOFT.md §3.5, checklist item 31).
type DeltaReplay struct {
	// Folder narrows the replay to one mail folder (ID or well-known
	// name). Empty: the next round of whichever folder starts one first.
	Folder string
	// Changes is how many of the previous round's changes, counted from
	// its end, arrive again; at least 1. When the previous round delivered
	// fewer, all of them do.
	Changes int
}

// replayKey is where a pending DeltaReplay waits: mailbox user ID and
// folder ID ("" for any folder).
type replayKey struct{ mailbox, folder string }

// ReplayDelta arms a one-shot replay for the mailbox (user ID or address):
// the next round that starts from one of its message folders' deltaLinks
// re-sends the last r.Changes changes the previous round delivered, on top
// of the round's own changes, and still ends with a fresh deltaLink. A
// second call for the same folder replaces the first; ClearFaults disarms
// every replay.
func (s *Sim) ReplayDelta(mailbox string, r DeltaReplay) error {
	if r.Changes < 1 {
		return fmt.Errorf("m365sim: a delta replay needs Changes >= 1, got %d", r.Changes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return ErrNotFound
	}
	k := replayKey{mailbox: u.ID}
	if r.Folder != "" {
		f := s.mailboxLocked(u.ID).folder(r.Folder)
		if f == nil {
			return fmt.Errorf("m365sim: folder %q: %w", r.Folder, ErrNotFound)
		}
		k.folder = f.ID
	}
	s.rt.mail.replays[k] = r.Changes
	return nil
}

// takeReplayLocked consumes the replay armed for a folder of a mailbox,
// or for any of its folders, and returns its Changes (0 when none).
func (s *Sim) takeReplayLocked(mailbox, folderID string) int {
	for _, k := range []replayKey{{mailbox, folderID}, {mailbox, ""}} {
		if n, ok := s.rt.mail.replays[k]; ok {
			delete(s.rt.mail.replays, k)
			return n
		}
	}
	return 0
}

// replayStart returns the log position a replaying round scans from: just
// before the oldest of the last n entries in (c.Prev, c.Since] that the
// previous round delivered (delivered reports that) and that are still
// current. Superseded entries need no replay: their newer entry is after
// c.Since and arrives anyway.
func (f *Folder) replayStart(c *deltaCursor, n int, delivered func(ChangeEntry) bool) uint64 {
	pos := c.Since
	for i := f.after(c.Since) - 1; i >= 0 && n > 0 && f.Log[i].Seq > c.Prev; i-- {
		if e := f.Log[i]; f.current(e) && delivered(e) {
			pos, n = e.Seq-1, n-1
		}
	}
	return pos
}

// deltaCursor is the state carried by $skiptoken and $deltatoken: the query
// options of the first request and the position in the change log. Tokens
// are self-contained (base64url JSON), so they survive an emulator restart
// with a state file.
type deltaCursor struct {
	K     string `json:"k"`           // "m" messages, "e" calendar view
	Inc   string `json:"n"`           // mailbox incarnation
	F     string `json:"f,omitempty"` // folder ID
	E     int    `json:"e"`           // token epoch
	Since uint64 `json:"s,omitempty"` // changes after this Seq (0: initial round)
	Prev  uint64 `json:"r,omitempty"` // the previous round's Since (delta tokens; for replays)
	Snap  uint64 `json:"p,omitempty"` // round's upper bound (skip tokens)
	Pos   uint64 `json:"o,omitempty"` // last Seq scanned (skip tokens)
	Sel   string `json:"sel,omitempty"`
	Exp   string `json:"exp,omitempty"`
	Top   int    `json:"top,omitempty"`
	FOp   string `json:"fo,omitempty"` // receivedDateTime filter: "ge" or "gt"
	FT    int64  `json:"ft,omitempty"` // its value, Unix nanoseconds
	Desc  bool   `json:"d,omitempty"`  // $orderby=receivedDateTime desc
	LastT int64  `json:"lt,omitempty"` // keyset position for Desc
	LastI string `json:"li,omitempty"`
	CT    string `json:"ct,omitempty"` // changeType
	N     int    `json:"c,omitempty"`  // items returned this round ($filter cap)
	Start int64  `json:"ws,omitempty"` // calendar window, Unix seconds
	End   int64  `json:"we,omitempty"`
	Skip  bool   `json:"-"` // decoded from a $skiptoken
}

func (c deltaCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(tok string) (deltaCursor, bool) {
	var c deltaCursor
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || json.Unmarshal(b, &c) != nil || c.K == "" {
		return c, false
	}
	return c, true
}

// deltaFilterCap is the most messages a $filter'ed delta round returns.
const deltaFilterCap = 5000

func errSyncStateNotFound() *graphError {
	return gerr(http.StatusGone, "SyncStateNotFound", "The sync state generation is not found.")
}

// userPathRef is the path prefix links are built on: "me" or "users/{id}".
func (g *gctx) userPathRef() string {
	if g.targetRef == "me" {
		return "me"
	}
	return "users/" + url.PathEscape(g.targetRef)
}

// cursorFromRequest returns the cursor of a delta request: decoded from
// $skiptoken/$deltatoken, or a fresh initial round. It answers errors
// itself and returns false then.
func (s *Sim) cursorFromRequest(g *gctx, mb *Mailbox, kind, folderID string, fresh func() (deltaCursor, *graphError), freshURL func(deltaCursor) string) (deltaCursor, bool) {
	tok, isSkip := g.q("skiptoken"), true
	if tok == "" {
		tok, isSkip = g.q("deltatoken"), false
	}
	if tok == "" && !g.hasQ("deltatoken") && !g.hasQ("skiptoken") {
		c, ge := fresh()
		if ge != nil {
			g.fail(ge)
			return c, false
		}
		c.K, c.Inc, c.F, c.E, c.Snap = kind, mb.Incarnation, folderID, mb.Epoch, mb.Seq
		return c, true
	}
	c, ok := decodeCursor(tok)
	if !ok {
		g.fail(errMalformedDeltaToken())
		return c, false
	}
	if c.K != kind || c.Inc != mb.Incarnation || c.F != folderID || c.Since > mb.Seq || c.E > mb.Epoch {
		g.fail(errSyncStateNotFound())
		return c, false
	}
	if c.E < mb.Epoch {
		if mb.ExpiryMode == DeltaExpiryGone {
			e := gerr(http.StatusGone, "ResyncRequired", "Resync required. Replace any local items with the server's items, then start synchronization again with a fresh initial query.")
			init := c
			init.Since, init.Snap, init.Pos, init.N = 0, 0, 0, 0
			e.location = freshURL(init)
			g.fail(e)
			return c, false
		}
		g.fail(errExpiredDelta(mb.ExpiryMode))
		return c, false
	}
	if isSkip {
		c.Skip = true
	} else {
		c.Snap, c.Pos, c.N, c.LastT, c.LastI = mb.Seq, c.Since, 0, 0, ""
	}
	return c, true
}

// messageDelta serves GET …/mailFolders/{id}/messages/delta (and delta()).
func (s *Sim) messageDelta(g *gctx, folderRef string) {
	if !g.requireScope(mailReadScopes...) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(g.target.ID)
	f := mb.folder(folderRef)
	if f == nil {
		g.fail(errItemNotFound())
		return
	}
	base := s.baseURL(g.r) + "/v1.0/" + g.userPathRef() + "/mailFolders('" + f.ID + "')/messages/delta"
	freshURL := func(c deltaCursor) string {
		q := url.Values{}
		if c.Sel != "" {
			q.Set("$select", c.Sel)
		}
		if c.Exp != "" {
			q.Set("$expand", c.Exp)
		}
		if c.FOp != "" {
			q.Set("$filter", "receivedDateTime "+c.FOp+" "+time.Unix(0, c.FT).UTC().Format(time.RFC3339))
		}
		if c.Desc {
			q.Set("$orderby", "receivedDateTime desc")
		}
		if c.CT != "" {
			q.Set("changeType", c.CT)
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + encodeODataQuery(q)
	}
	c, ok := s.cursorFromRequest(g, mb, "m", f.ID, func() (deltaCursor, *graphError) { return freshMessageCursor(g) }, freshURL)
	if !ok {
		return
	}
	// Re-parse the selection the token carries.
	sel := msgSelection{immutable: g.prefer.immutableID, bodyText: g.prefer.bodyType == "text", typeAnnot: true}
	if c.Sel != "" {
		sel.props, _ = parseSelectList(c.Sel)
	}
	if c.Exp != "" {
		q := g.query
		g.query = map[string][]string{"expand": {c.Exp}}
		if es, ge := parseMessageSelection(g); ge == nil {
			sel.expandExt, sel.extFilter, sel.expandAtt, sel.expandNav = es.expandExt, es.extFilter, es.expandAtt, es.expandNav
		}
		g.query = q
	}
	size := cmpOr(g.prefer.maxPageSize, c.Top, 10)
	size = min(max(size, 1), 1000)

	// delivers reports whether the round that started after Seq since
	// sends entry e.
	delivers := func(e ChangeEntry, since uint64) bool {
		if e.Removed {
			return since != 0 && c.CT != "created" && c.CT != "updated"
		}
		m := mb.Messages[e.ID]
		if m == nil || m.FolderID != f.ID || !c.passesFilter(m) {
			return false
		}
		switch c.CT {
		case "created":
			return m.FolderSeq > since
		case "updated":
			return m.FolderSeq <= since
		case "deleted":
			return false
		}
		return true
	}
	if !c.Skip && c.Since > 0 {
		if n := s.takeReplayLocked(g.target.ID, f.ID); n > 0 {
			c.Pos = f.replayStart(&c, n, func(e ChangeEntry) bool { return delivers(e, c.Prev) })
			s.log.Info("graph: delta replay", "mailbox", g.target.ID, "folder", f.ID, "changes", n, "from", c.Pos, "since", c.Since)
		}
	}

	vals := make([]any, 0, size)
	done := false
	if c.Desc && c.Since == 0 {
		vals, done = s.deltaDescPage(mb, f, &c, &sel, size, vals)
	} else {
		vals, done = deltaLogPage(f, &c, size, vals, func(e ChangeEntry) any {
			// Entries up to c.Since are only scanned when replaying; they
			// go out as the previous round sent them.
			since := c.Since
			if e.Seq <= c.Since {
				since = c.Prev
			}
			if !delivers(e, since) {
				return nil
			}
			if e.Removed {
				return removedJSON("#microsoft.graph.message", e, sel.immutable)
			}
			return renderMessage(mb, mb.Messages[e.ID], &sel)
		})
	}
	if c.FOp != "" && c.N >= deltaFilterCap {
		done = true
	}
	out := newObj(3)
	out.set("@odata.context", s.baseURL(g.r)+"/v1.0/$metadata#Collection(message)")
	if done {
		next := c
		next.Since, next.Prev, next.Snap, next.Pos, next.N, next.LastT, next.LastI = c.Snap, c.Since, 0, 0, 0, 0, ""
		out.set("@odata.deltaLink", base+"?$deltatoken="+next.encode())
	} else {
		out.set("@odata.nextLink", base+"?$skiptoken="+c.encode())
	}
	out.set("value", vals)
	if g.prefer.maxPageSize > 0 {
		g.w.Header().Add("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(size))
	}
	if g.prefer.immutableID {
		g.w.Header().Add("Preference-Applied", `IdType="ImmutableId"`)
	}
	g.preferenceApplied()
	g.writeJSON(http.StatusOK, out)
}

// freshMessageCursor validates the query options of an initial message
// delta request (MICROSOFT.md §3.5) and encodes them.
func freshMessageCursor(g *gctx) (deltaCursor, *graphError) {
	var c deltaCursor
	if g.hasQ("search") {
		return c, gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The query parameter '$search' is not supported with change tracking over the 'Messages' resource.")
	}
	if v := g.q("select"); v != "" {
		if _, ge := parseSelectList(v); ge != nil {
			return c, ge
		}
		c.Sel = v
	}
	if v := g.q("expand"); v != "" {
		if _, ge := parseMessageSelection(g); ge != nil {
			return c, ge
		}
		c.Exp = v
	}
	if v := g.q("top"); v != "" {
		n, ge := g.pageSize(10)
		if ge != nil {
			return c, ge
		}
		c.Top = n
	}
	if v := strings.TrimSpace(g.q("filter")); v != "" {
		parts := strings.Fields(v)
		if len(parts) != 3 || !strings.EqualFold(parts[0], "receivedDateTime") || (!strings.EqualFold(parts[1], "ge") && !strings.EqualFold(parts[1], "gt")) {
			return c, gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "Change tracking over the 'Messages' resource supports only '$filter=receivedDateTime ge|gt {value}'.")
		}
		t, err := time.Parse(time.RFC3339Nano, strings.Trim(parts[2], "'"))
		if err != nil {
			return c, gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The value of receivedDateTime in $filter is not a valid DateTimeOffset.")
		}
		c.FOp, c.FT = strings.ToLower(parts[1]), t.UnixNano()
	}
	if v := strings.TrimSpace(g.q("orderby")); v != "" {
		if !strings.EqualFold(strings.Join(strings.Fields(v), " "), "receivedDateTime desc") {
			return c, gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "Change tracking over the 'Messages' resource supports only '$orderby=receivedDateTime desc'.")
		}
		c.Desc = true
	}
	if v := g.q("changetype"); v != "" {
		v = strings.ToLower(v)
		if v != "created" && v != "updated" && v != "deleted" {
			return c, gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The value of changeType must be 'created', 'updated' or 'deleted'.")
		}
		c.CT = v
	}
	return c, nil
}

func (c *deltaCursor) passesFilter(m *Message) bool {
	switch c.FOp {
	case "ge":
		return m.ReceivedAt.UnixNano() >= c.FT
	case "gt":
		return m.ReceivedAt.UnixNano() > c.FT
	}
	return true
}

func removedJSON(typ string, e ChangeEntry, immutable bool) *jsonObj {
	id := e.RestID
	if immutable || id == "" {
		id = e.ID
	}
	o := newObj(3)
	o.set("@odata.type", typ)
	o.set("id", id)
	o.set("@removed", map[string]string{"reason": "deleted"})
	return o
}

// deltaLogPage fills a page from a change log: entries after c.Pos up to
// c.Snap, skipping superseded entries and those render returns nil for. It
// scans a bounded number of entries, so a page can come back short or
// empty with a nextLink, as Outlook's do. It reports whether the round is
// complete.
func deltaLogPage(f *Folder, c *deltaCursor, size int, vals []any, render func(ChangeEntry) any) ([]any, bool) {
	budget := 4*size + 256
	i := f.after(c.Pos)
	for ; i < len(f.Log) && f.Log[i].Seq <= c.Snap; i++ {
		if len(vals) >= size || budget == 0 || (c.FOp != "" && c.N >= deltaFilterCap) {
			return vals, false
		}
		budget--
		e := f.Log[i]
		c.Pos = e.Seq
		if !f.current(e) {
			continue
		}
		if v := render(e); v != nil {
			vals = append(vals, v)
			c.N++
		}
	}
	return vals, true
}

// deltaDescPage serves an initial round ordered by receivedDateTime desc:
// keyset paging over the folder's messages as of the round's snapshot.
func (s *Sim) deltaDescPage(mb *Mailbox, f *Folder, c *deltaCursor, sel *msgSelection, size int, vals []any) ([]any, bool) {
	var cand []*Message
	for _, m := range mb.Messages {
		if m.FolderID != f.ID || m.Seq > c.Snap || !c.passesFilter(m) {
			continue
		}
		if c.LastI != "" {
			t := m.ReceivedAt.UnixNano()
			if t > c.LastT || t == c.LastT && m.ID >= c.LastI {
				continue
			}
		}
		cand = append(cand, m)
	}
	slices.SortFunc(cand, func(a, b *Message) int {
		return cmp.Or(b.ReceivedAt.Compare(a.ReceivedAt), strings.Compare(b.ID, a.ID))
	})
	n := min(size, len(cand))
	if c.FOp != "" {
		n = min(n, deltaFilterCap-c.N)
	}
	for _, m := range cand[:n] {
		vals = append(vals, renderMessage(mb, m, sel))
		c.LastT, c.LastI = m.ReceivedAt.UnixNano(), m.ID
		c.N++
	}
	return vals, n == len(cand)
}
