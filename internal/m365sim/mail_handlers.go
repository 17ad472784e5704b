package m365sim

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ---- folders ----

func (s *Sim) folderJSON(g *gctx, mb *Mailbox, f *Folder) *jsonObj {
	total, unread := 0, 0
	for _, m := range mb.Messages {
		if m.FolderID == f.ID {
			total++
			if !m.IsRead {
				unread++
			}
		}
	}
	o := newObj(8)
	o.set("id", f.ID)
	o.set("displayName", f.DisplayName)
	o.set("parentFolderId", f.ParentFolderID)
	o.set("childFolderCount", 0)
	o.set("unreadItemCount", unread)
	o.set("totalItemCount", total)
	o.set("sizeInBytes", total*4096)
	o.set("isHidden", false)
	return o
}

func (s *Sim) listFolders(g *gctx) {
	if !g.requireScope(mailReadScopes...) {
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	var vals []any
	for _, f := range mb.Folders {
		if f.WellKnownName == "outbox" {
			continue // hidden from the top-level listing, as in Outlook
		}
		vals = append(vals, s.folderJSON(g, mb, f))
	}
	s.mu.Unlock()
	g.writeJSON(http.StatusOK, map[string]any{
		"@odata.context": s.baseURL(g.r) + "/v1.0/$metadata#users('" + g.target.ID + "')/mailFolders",
		"value":          vals,
	})
}

func (s *Sim) getFolder(g *gctx, ref string) {
	if !g.requireScope(mailReadScopes...) {
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	f := mb.folder(ref)
	var o *jsonObj
	if f != nil {
		o = s.folderJSON(g, mb, f)
	}
	s.mu.Unlock()
	if f == nil {
		g.fail(errItemNotFound())
		return
	}
	o.keys = append([]string{"@odata.context"}, o.keys...)
	o.vals = append([]any{s.baseURL(g.r) + "/v1.0/$metadata#users('" + g.target.ID + "')/mailFolders/$entity"}, o.vals...)
	g.writeJSON(http.StatusOK, o)
}

func (s *Sim) listChildFolders(g *gctx, ref string) {
	if !g.requireScope(mailReadScopes...) {
		return
	}
	s.mu.Lock()
	f := s.mailboxLocked(g.target.ID).folder(ref)
	s.mu.Unlock()
	if f == nil {
		g.fail(errItemNotFound())
		return
	}
	g.writeJSON(http.StatusOK, map[string]any{
		"@odata.context": s.baseURL(g.r) + "/v1.0/$metadata#users('" + g.target.ID + "')/mailFolders('" + f.ID + "')/childFolders",
		"value":          []any{},
	})
}

// ---- messages: list and get ----

// pageSize is $top or odata.maxpagesize (default 10). $top above 1,000 is
// refused with 400 ErrorInvalidUrlQuery: Outlook pages hold at most 1,000
// items (list messages and paging documentation,
// https://learn.microsoft.com/en-us/graph/api/user-list-messages; issue
// #7 item 11). odata.maxpagesize is a preference and is capped at 1,000
// instead.
func (g *gctx) pageSize(def int) (int, *graphError) {
	n := def
	if g.prefer.maxPageSize > 0 {
		n = g.prefer.maxPageSize
	}
	if v := g.q("top"); v != "" {
		t, err := strconv.Atoi(v)
		if err != nil || t < 0 {
			return 0, gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", fmt.Sprintf("The value '%s' of the $top query parameter is invalid.", v))
		}
		if t > 1000 {
			return 0, gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", fmt.Sprintf("The value '%d' of the $top query parameter is invalid: the maximum is 1000.", t))
		}
		n = t
	}
	return min(max(n, 1), 1000), nil
}

// orderKey is one $orderby property of a message list.
type orderKey struct {
	field string // lowercased
	desc  bool
}

// messageQuery validates the query options of a message list against the
// rules Outlook enforces and returns the compiled filter, sort keys and
// search term:
//
//   - internetMessageHeaders is not filterable (it is returned only on
//     $select): 400 ErrorInvalidUrlQueryFilter. Field: Mail-Otter PR
//     #165/#167; MICROSOFT.md §0 item 21. Find a sent message by a
//     single-value extended property or internetMessageId instead.
//   - $search cannot be combined with $filter or $orderby: 400 (list
//     messages, "Optional query parameters": "You can't use $filter or
//     $orderby in a search request"; MICROSOFT.md §0 item 22).
//   - With $filter and $orderby together, the $orderby properties must
//     also appear in $filter, in the same order, before any other
//     property, or 400 InefficientFilter "The restriction or sort order is
//     too complex for this operation." (list messages, "Using filter and
//     orderby in the same query",
//     https://learn.microsoft.com/en-us/graph/api/user-list-messages).
func (g *gctx) messageQuery() (filterExpr, []orderKey, string, *graphError) {
	fsrc, osrc := strings.TrimSpace(g.q("filter")), strings.TrimSpace(g.q("orderby"))
	if g.hasQ("search") {
		switch {
		case fsrc != "":
			return nil, nil, "", gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The query parameter '$filter' cannot be combined with '$search'. Search requests don't support $filter or $orderby.")
		case osrc != "":
			return nil, nil, "", gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The query parameter 'OrderBy' is invalid: search requests don't support $orderby; results are sorted by relevance.")
		}
	}
	var filter filterExpr
	var fprops []string
	if fsrc != "" {
		props, err := filterProperties(fsrc)
		if err == nil {
			for _, p := range props {
				if strings.EqualFold(p, "internetMessageHeaders") {
					return nil, nil, "", gerr(http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "The property 'internetMessageHeaders' does not support filtering. It is returned only on $select; filter on singleValueExtendedProperties or internetMessageId instead.")
				}
			}
		}
		f, perr := parseFilter(fsrc)
		if err != nil || perr != nil {
			return nil, nil, "", gerr(http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+cmpOr(perr, err).Error())
		}
		filter, fprops = f, props
	}
	keys := []orderKey{{"receiveddatetime", true}}
	if osrc != "" {
		keys = nil
		for _, item := range strings.Split(osrc, ",") {
			f, dir, _ := strings.Cut(strings.TrimSpace(item), " ")
			k := orderKey{field: strings.ToLower(f), desc: strings.EqualFold(strings.TrimSpace(dir), "desc")}
			switch k.field {
			case "receiveddatetime", "sentdatetime", "createddatetime", "lastmodifieddatetime", "subject", "isread", "importance":
			default:
				return nil, nil, "", gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The $orderby property '"+f+"' is not supported.")
			}
			keys = append(keys, k)
		}
		if fsrc != "" {
			ok := len(fprops) >= len(keys)
			for i := 0; ok && i < len(keys); i++ {
				ok = strings.EqualFold(fprops[i], keys[i].field)
			}
			if !ok {
				return nil, nil, "", gerr(http.StatusBadRequest, "InefficientFilter", "The restriction or sort order is too complex for this operation.")
			}
		}
	}
	return filter, keys, strings.ToLower(strings.Trim(g.q("search"), `"`)), nil
}

func (s *Sim) listMessages(g *gctx, folderRef string) {
	if !g.requireScope(mailReadScopes...) {
		return
	}
	sel, ge := parseMessageSelection(g)
	if ge != nil {
		g.fail(ge)
		return
	}
	filter, keys, search, ge := g.messageQuery()
	if ge != nil {
		g.fail(ge)
		return
	}
	top, ge := g.pageSize(10)
	if ge != nil {
		g.fail(ge)
		return
	}
	skip, _ := strconv.Atoi(g.q("skip"))

	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	var folder *Folder
	if folderRef != "" {
		if folder = mb.folder(folderRef); folder == nil {
			s.mu.Unlock()
			g.fail(errItemNotFound())
			return
		}
	}
	var hits []*Message
	for _, m := range mb.Messages {
		if folder != nil && m.FolderID != folder.ID {
			continue
		}
		if filter != nil && !filter(msgEnv{m, sel.immutable}) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(m.Subject+" "+m.Body+" "+addrOf(m.From)), search) {
			continue
		}
		hits = append(hits, m)
	}
	slices.SortFunc(hits, func(a, b *Message) int {
		for _, k := range keys {
			var c int
			switch k.field {
			case "subject":
				c = strings.Compare(strings.ToLower(a.Subject), strings.ToLower(b.Subject))
			case "sentdatetime":
				c = a.SentAt.Compare(b.SentAt)
			case "createddatetime":
				c = a.CreatedAt.Compare(b.CreatedAt)
			case "lastmodifieddatetime":
				c = a.ModifiedAt.Compare(b.ModifiedAt)
			case "isread":
				c = cmp.Compare(btoi(a.IsRead), btoi(b.IsRead))
			case "importance":
				c = strings.Compare(a.Importance, b.Importance)
			default:
				c = a.ReceivedAt.Compare(b.ReceivedAt)
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return strings.Compare(a.ID, b.ID)
	})
	total := len(hits)
	if skip > len(hits) {
		skip = len(hits)
	}
	hits = hits[skip:]
	more := len(hits) > top
	if more {
		hits = hits[:top]
	}
	vals := make([]any, 0, len(hits))
	for _, m := range hits {
		vals = append(vals, renderMessage(mb, m, &sel))
	}
	s.mu.Unlock()
	g.preferenceApplied()

	out := newObj(4)
	out.set("@odata.context", s.baseURL(g.r)+"/v1.0/$metadata#users('"+g.target.ID+"')/messages")
	if strings.EqualFold(g.q("count"), "true") {
		out.set("@odata.count", total)
	}
	out.set("value", vals)
	if more {
		q := g.r.URL.Query()
		for k := range q {
			if strings.EqualFold(strings.TrimPrefix(k, "$"), "skip") {
				q.Del(k)
			}
		}
		q.Set("$skip", strconv.Itoa(skip+top))
		if g.q("top") == "" {
			q.Set("$top", strconv.Itoa(top))
		}
		out.set("@odata.nextLink", s.baseURL(g.r)+g.r.URL.Path+"?"+encodeODataQuery(q))
	}
	g.writeJSON(http.StatusOK, out)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encodeODataQuery encodes a query keeping "$" readable, as Graph's links do.
func encodeODataQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "%24", "$")
}

func addrOf(r *Recipient) string {
	if r == nil {
		return ""
	}
	return r.Address
}

func (s *Sim) getMessage(g *gctx, id string) {
	if !g.requireScope(mailReadScopes...) {
		return
	}
	sel, ge := parseMessageSelection(g)
	if ge != nil {
		g.fail(ge)
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	m := mb.message(id)
	var o *jsonObj
	if m != nil {
		o = renderMessage(mb, m, &sel)
	}
	s.mu.Unlock()
	if m == nil {
		g.fail(errItemNotFound())
		return
	}
	o.keys = append([]string{"@odata.context"}, o.keys...)
	o.vals = append([]any{s.baseURL(g.r) + "/v1.0/$metadata#users('" + g.target.ID + "')/messages/$entity"}, o.vals...)
	g.preferenceApplied()
	g.writeJSON(http.StatusOK, o)
}

// preferenceApplied echoes an honoured outlook.body-content-type
// preference (MICROSOFT.md §0 item 24).
func (g *gctx) preferenceApplied() {
	if g.prefer.bodyType == "text" || g.prefer.bodyType == "html" {
		g.w.Header().Add("Preference-Applied", `outlook.body-content-type="`+g.prefer.bodyType+`"`)
	}
}

// ---- messages: create, update, delete, move ----

// recipientIn is the wire form of a recipient.
type recipientIn struct {
	EmailAddress struct {
		Name    string
		Address string
	}
}

func (r recipientIn) rec() Recipient {
	return Recipient{Name: r.EmailAddress.Name, Address: strings.TrimSpace(r.EmailAddress.Address)}
}

func recs(in []recipientIn) []Recipient {
	if in == nil {
		return nil
	}
	out := make([]Recipient, 0, len(in))
	for _, r := range in {
		out = append(out, r.rec())
	}
	return out
}

// messageIn is the body of POST /messages, PATCH /messages/{id} and the
// "message" of sendMail. Field names match case-insensitively.
type messageIn struct {
	Subject *string
	Body    *struct {
		ContentType string
		Content     string
	}
	ToRecipients                  *[]recipientIn
	CcRecipients                  *[]recipientIn
	BccRecipients                 *[]recipientIn
	ReplyTo                       *[]recipientIn
	From                          *recipientIn
	Sender                        *recipientIn
	InternetMessageHeaders        []Header
	SingleValueExtendedProperties []ExtendedProperty
	Importance                    *string
	IsRead                        *bool
	Categories                    *[]string
	InternetMessageID             *string `json:"internetMessageId"`
	Attachments                   []struct {
		ODataType    string `json:"@odata.type"`
		Name         string
		ContentType  string
		ContentBytes string
		IsInline     bool
	}
}

func (in *messageIn) recipientCount() int {
	n := 0
	for _, p := range []*[]recipientIn{in.ToRecipients, in.CcRecipients, in.BccRecipients} {
		if p != nil {
			n += len(*p)
		}
	}
	return n
}

// validate applies the creation-time rules: at most 5 custom x- headers
// and at most 500 recipients (MICROSOFT.md §3.4).
func (in *messageIn) validate(creating bool) *graphError {
	if len(in.InternetMessageHeaders) > 0 && !creating {
		return gerr(http.StatusBadRequest, "ErrorInvalidPropertyUpdateSentMessage", "Internet message headers can be set only when the message is created.")
	}
	if len(in.InternetMessageHeaders) > 5 {
		return gerr(http.StatusBadRequest, "InvalidInternetMessageHeaderCollection", "Maximum number of headers in one message should be less than or equal to 5.")
	}
	for _, h := range in.InternetMessageHeaders {
		if !strings.HasPrefix(strings.ToLower(h.Name), "x-") {
			return gerr(http.StatusBadRequest, "InvalidInternetMessageHeader", fmt.Sprintf("The internet message header name '%s' should start with 'x-' or 'X-'.", h.Name))
		}
	}
	if n := in.recipientCount(); n > maxRecipientsPerMessage {
		return gerr(http.StatusBadRequest, "ErrorTooManyRecipients", fmt.Sprintf("The message has %d recipients; a message may have at most %d recipients.", n, maxRecipientsPerMessage))
	}
	for _, p := range []*[]recipientIn{in.ToRecipients, in.CcRecipients, in.BccRecipients} {
		if p == nil {
			continue
		}
		for _, r := range *p {
			if a := r.EmailAddress.Address; a != "" && !strings.Contains(a, "@") {
				return gerr(http.StatusBadRequest, "ErrorInvalidRecipients", fmt.Sprintf("At least one recipient is not valid., Recipient '%s' is not resolved. All recipients must be resolved before a message can be submitted.", a))
			}
		}
	}
	return nil
}

// maxRecipientsPerMessage is Exchange Online's per-message recipient cap.
const maxRecipientsPerMessage = 500

// apply copies the present fields onto m.
func (in *messageIn) apply(m *Message) {
	if in.Subject != nil {
		m.Subject = *in.Subject
	}
	if in.Body != nil {
		m.BodyType = "text"
		if strings.EqualFold(in.Body.ContentType, "html") {
			m.BodyType = "html"
		}
		m.Body = in.Body.Content
	}
	if in.ToRecipients != nil {
		m.To = recs(*in.ToRecipients)
	}
	if in.CcRecipients != nil {
		m.Cc = recs(*in.CcRecipients)
	}
	if in.BccRecipients != nil {
		m.Bcc = recs(*in.BccRecipients)
	}
	if in.ReplyTo != nil {
		m.ReplyTo = recs(*in.ReplyTo)
	}
	if in.From != nil {
		r := in.From.rec()
		m.From = &r
	}
	if in.Importance != nil {
		m.Importance = strings.ToLower(*in.Importance)
	}
	if in.IsRead != nil {
		m.IsRead = *in.IsRead
	}
	if in.Categories != nil {
		m.Categories = slices.Clone(*in.Categories)
	}
	for _, ep := range in.SingleValueExtendedProperties {
		i := slices.IndexFunc(m.ExtProps, func(x ExtendedProperty) bool { return strings.EqualFold(x.ID, ep.ID) })
		if i >= 0 {
			m.ExtProps[i].Value = ep.Value
		} else {
			m.ExtProps = append(m.ExtProps, ep)
		}
	}
	for _, a := range in.Attachments {
		raw, _ := base64.StdEncoding.DecodeString(a.ContentBytes)
		m.Attachments = append(m.Attachments, Attachment{
			ID: newItemID("AAMkAGA"), Name: a.Name, ContentType: cmpOr(a.ContentType, "application/octet-stream"),
			ContentBytes: a.ContentBytes, Size: len(raw), IsInline: a.IsInline,
		})
	}
}

// newInternetMessageID mints an Exchange-looking Message-ID.
func newInternetMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	host := strings.ToUpper(fmt.Sprintf("%x", b[:6]))
	return fmt.Sprintf("<%s%X@%s.namprd13.prod.outlook.com>", host, b[6:], host)
}

func newConversationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "AAQkAD" + base64.URLEncoding.EncodeToString(b[:]) + "="
}

// newConversationIndex returns a 22-byte Outlook conversation index
// (base64), the thread's root.
func newConversationIndex() string {
	var b [22]byte
	_, _ = rand.Read(b[:])
	b[0] = 1
	return base64.StdEncoding.EncodeToString(b[:])
}

// childConversationIndex appends a 5-byte reply block to a thread index.
func childConversationIndex(parent string) string {
	raw, err := base64.StdEncoding.DecodeString(parent)
	if err != nil || len(raw) < 22 {
		return newConversationIndex()
	}
	var b [5]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(append(raw, b[:]...))
}

func (s *Sim) createMessage(g *gctx, folderRef string) {
	if !g.requireScope(mailWriteScopes...) {
		return
	}
	var in messageIn
	if ge := g.decodeBody(&in); ge != nil {
		g.fail(ge)
		return
	}
	if ge := in.validate(true); ge != nil {
		g.fail(ge)
		return
	}
	now := s.now()
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	f := mb.folder(folderRef)
	if f == nil {
		s.mu.Unlock()
		g.fail(errItemNotFound())
		return
	}
	m := &Message{IsDraft: true, IsRead: true, ConversationID: newConversationID(), ConversationIndex: newConversationIndex()}
	in.apply(m)
	m.Headers = slices.Clone(in.InternetMessageHeaders)
	m.InternetMessageID = newInternetMessageID()
	if in.InternetMessageID != nil && *in.InternetMessageID != "" {
		m.InternetMessageID = *in.InternetMessageID
	}
	mb.addMessage(m, f, now)
	sel := msgSelection{immutable: g.prefer.immutableID}
	o := renderMessage(mb, m, &sel)
	s.mu.Unlock()
	o.keys = append([]string{"@odata.context"}, o.keys...)
	o.vals = append([]any{s.baseURL(g.r) + "/v1.0/$metadata#users('" + g.target.ID + "')/messages/$entity"}, o.vals...)
	g.w.Header().Set("Location", s.baseURL(g.r)+"/v1.0/users('"+g.target.ID+"')/messages('"+m.graphID(g.prefer.immutableID)+"')")
	g.writeJSON(http.StatusCreated, o)
}

func (s *Sim) patchMessage(g *gctx, id string) {
	if !g.requireScope(mailWriteScopes...) {
		return
	}
	var in messageIn
	if ge := g.decodeBody(&in); ge != nil {
		g.fail(ge)
		return
	}
	if ge := in.validate(false); ge != nil {
		g.fail(ge)
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	m := mb.message(id)
	if m == nil {
		s.mu.Unlock()
		g.fail(errItemNotFound())
		return
	}
	if !m.IsDraft && (in.Subject != nil || in.Body != nil || in.ToRecipients != nil || in.CcRecipients != nil || in.BccRecipients != nil || in.From != nil) {
		s.mu.Unlock()
		g.fail(gerr(http.StatusBadRequest, "ErrorInvalidPropertyUpdateSentMessage", "Update operation is not supported for some of the properties after message was sent."))
		return
	}
	in.apply(m)
	mb.touch(m, s.now())
	sel := msgSelection{immutable: g.prefer.immutableID}
	o := renderMessage(mb, m, &sel)
	s.mu.Unlock()
	g.writeJSON(http.StatusOK, o)
}

// deleteMessage moves the message to Deleted Items, or deletes it for good
// when it is already there (Outlook's soft delete).
func (s *Sim) deleteMessage(g *gctx, id string) {
	if !g.requireScope(mailWriteScopes...) {
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	m := mb.message(id)
	if m == nil {
		s.mu.Unlock()
		g.fail(errItemNotFound())
		return
	}
	if del := mb.folder("deleteditems"); m.FolderID == del.ID {
		mb.remove(m)
	} else {
		mb.move(m, del, s.now())
	}
	s.mu.Unlock()
	g.noContent(http.StatusNoContent)
}

func (s *Sim) moveMessage(g *gctx, id string) {
	if !g.requireScope(mailWriteScopes...) {
		return
	}
	var in struct{ DestinationID string }
	if ge := g.decodeBody(&in); ge != nil {
		g.fail(ge)
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	m := mb.message(id)
	dst := mb.folder(in.DestinationID)
	if m == nil || dst == nil {
		s.mu.Unlock()
		g.fail(errItemNotFound())
		return
	}
	mb.move(m, dst, s.now())
	sel := msgSelection{immutable: g.prefer.immutableID}
	o := renderMessage(mb, m, &sel)
	s.mu.Unlock()
	g.writeJSON(http.StatusCreated, o)
}

func (s *Sim) listAttachments(g *gctx, id string) {
	if !g.requireScope(mailReadScopes...) {
		return
	}
	s.mu.Lock()
	m := s.mailboxLocked(g.target.ID).message(id)
	var vals []any
	if m != nil {
		for _, a := range m.Attachments {
			vals = append(vals, attachmentJSON(m, a))
		}
	}
	s.mu.Unlock()
	if m == nil {
		g.fail(errItemNotFound())
		return
	}
	if vals == nil {
		vals = []any{}
	}
	g.writeJSON(http.StatusOK, map[string]any{"value": vals})
}

// now is a helper for handlers that need the clock outside s.mu.
func (g *gctx) now() time.Time { return g.s.now() }
