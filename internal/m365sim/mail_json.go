package m365sim

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// messageProps maps lowercased message property names to Graph's spelling.
// internetMessageHeaders and uniqueBody are returned only when selected
// (MICROSOFT.md §3.4).
var messageProps = map[string]string{}

// messageDefaultProps is what GET …/messages/{id} returns without $select.
var messageDefaultProps = []string{
	"createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "receivedDateTime", "sentDateTime",
	"hasAttachments", "internetMessageId", "subject", "bodyPreview", "importance", "parentFolderId",
	"conversationId", "conversationIndex", "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead",
	"isDraft", "webLink", "inferenceClassification", "body", "sender", "from", "toRecipients", "ccRecipients",
	"bccRecipients", "replyTo", "flag",
}

func init() {
	for _, p := range append(messageDefaultProps, "id", "internetMessageHeaders", "uniqueBody") {
		messageProps[strings.ToLower(p)] = p
	}
}

// msgSelection is a parsed $select/$expand for messages.
type msgSelection struct {
	props     []string   // Graph spelling; nil means the default set
	expandExt bool       // $expand=singleValueExtendedProperties
	expandAtt bool       // $expand=attachments
	expandNav []string   // other expandable navigations, always empty here
	extFilter filterExpr // its nested $filter, if any
	immutable bool       // render immutable IDs
	bodyText  bool       // Prefer: outlook.body-content-type="text"
	idOnly    bool       // $select=id
	typeAnnot bool       // add @odata.type (delta responses)
}

// parseMessageSelection reads $select and $expand.
func parseMessageSelection(g *gctx) (msgSelection, *graphError) {
	sel := msgSelection{immutable: g.prefer.immutableID, bodyText: g.prefer.bodyType == "text"}
	if v := g.q("select"); v != "" {
		props, ge := parseSelectList(v)
		if ge != nil {
			return sel, ge
		}
		sel.props = props
	}
	if v := g.q("expand"); v != "" {
		for _, item := range splitTopLevel(v) {
			name, inner, _ := strings.Cut(item, "(")
			// The message navigation properties (message resource type):
			// attachments, extensions, and the extended properties. The
			// message delta documentation allows $expand too
			// (https://learn.microsoft.com/en-us/graph/delta-query-messages).
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "singlevalueextendedproperties":
			case "attachments":
				sel.expandAtt = true
				continue
			case "multivalueextendedproperties":
				sel.expandNav = append(sel.expandNav, "multiValueExtendedProperties")
				continue
			case "extensions":
				sel.expandNav = append(sel.expandNav, "extensions")
				continue
			default:
				return sel, gerr(http.StatusBadRequest, "RequestBroker--ParseUri", fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.OutlookServices.Message'.", strings.TrimSpace(name)))
			}
			sel.expandExt = true
			inner = strings.TrimSuffix(strings.TrimSpace(inner), ")")
			if k, fv, ok := strings.Cut(inner, "="); ok && strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(k), "$"), "filter") {
				f, err := parseFilter(fv)
				if err != nil {
					return sel, gerr(http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "The filter expression is invalid: "+err.Error())
				}
				sel.extFilter = f
			}
		}
	}
	return sel, nil
}

func parseSelectList(v string) ([]string, *graphError) {
	var props []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		canon, ok := messageProps[strings.ToLower(p)]
		if !ok {
			return nil, gerr(http.StatusBadRequest, "RequestBroker--ParseUri", fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.OutlookServices.Message'.", p))
		}
		props = append(props, canon)
	}
	return props, nil
}

// splitTopLevel splits on commas outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (m *Message) graphID(immutable bool) string {
	if immutable {
		return m.ID
	}
	return m.RestID
}

func recipientJSON(r *Recipient) any {
	if r == nil {
		return nil
	}
	ea := newObj(2)
	ea.set("name", cmpOr(r.Name, r.Address))
	ea.set("address", r.Address)
	o := newObj(1)
	o.set("emailAddress", ea)
	return o
}

func recipientsJSON(rs []Recipient) []any {
	out := make([]any, 0, len(rs))
	for i := range rs {
		out = append(out, recipientJSON(&rs[i]))
	}
	return out
}

var webLinkEscaper = strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D")

var tagRE = regexp.MustCompile(`(?s)<[^>]*>`)

// textOf returns a plain-text rendering of the body.
func (m *Message) textOf() string {
	if m.BodyType == "html" {
		return strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(m.Body, " ")))
	}
	return m.Body
}

// textToHTML renders a plain-text body the way Exchange converts one to
// HTML: escaped, line breaks as <br>, in a PlainText div.
func textToHTML(s string) string {
	esc := html.EscapeString(s)
	esc = strings.ReplaceAll(strings.ReplaceAll(esc, "\r\n", "\n"), "\n", "<br>\r\n")
	return "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body>\r\n<div class=\"PlainText\">" + esc + "</div>\r\n</body>\r\n</html>\r\n"
}

func preview(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= 255 {
		return s
	}
	r := []rune(s)
	return string(r[:255])
}

// renderMessage renders a message as Graph JSON under a selection.
func renderMessage(mb *Mailbox, m *Message, sel *msgSelection) *jsonObj {
	props := sel.props
	if props == nil {
		props = messageDefaultProps
	}
	o := newObj(len(props) + 4)
	if sel.typeAnnot {
		o.set("@odata.type", "#microsoft.graph.message")
	}
	o.set("@odata.etag", `W/"`+m.ChangeKey+`"`)
	o.set("id", m.graphID(sel.immutable))
	for _, p := range props {
		if p == "id" {
			continue
		}
		o.set(p, messageProp(mb, m, p, sel))
	}
	if sel.expandExt {
		var ext []any
		for _, ep := range m.ExtProps {
			if sel.extFilter != nil && !sel.extFilter(mapEnv{"id": ep.ID, "value": ep.Value}) {
				continue
			}
			ext = append(ext, map[string]string{"id": ep.ID, "value": ep.Value})
		}
		if ext == nil {
			ext = []any{}
		}
		o.set("singleValueExtendedProperties", ext)
	}
	if sel.expandAtt {
		atts := make([]any, 0, len(m.Attachments))
		for _, a := range m.Attachments {
			atts = append(atts, attachmentJSON(m, a))
		}
		o.set("attachments", atts)
	}
	for _, nav := range sel.expandNav {
		o.set(nav, []any{})
	}
	return o
}

// attachmentJSON renders a file attachment.
func attachmentJSON(m *Message, a Attachment) map[string]any {
	return map[string]any{
		"@odata.type": "#microsoft.graph.fileAttachment", "id": a.ID, "name": a.Name,
		"contentType": a.ContentType, "size": a.Size, "isInline": a.IsInline, "contentBytes": a.ContentBytes,
		"lastModifiedDateTime": graphTime(m.ModifiedAt),
	}
}

func messageProp(mb *Mailbox, m *Message, p string, sel *msgSelection) any {
	switch p {
	case "createdDateTime":
		return graphTime(m.CreatedAt)
	case "lastModifiedDateTime":
		return graphTime(m.ModifiedAt)
	case "changeKey":
		return m.ChangeKey
	case "categories":
		if m.Categories == nil {
			return []string{}
		}
		return m.Categories
	case "receivedDateTime":
		return graphTime(m.ReceivedAt)
	case "sentDateTime":
		if m.SentAt.IsZero() {
			if m.IsDraft {
				return nil
			}
			return graphTime(m.ReceivedAt)
		}
		return graphTime(m.SentAt)
	case "hasAttachments":
		return len(m.Attachments) > 0
	case "internetMessageId":
		return m.InternetMessageID
	case "subject":
		return m.Subject
	case "bodyPreview":
		return preview(m.textOf())
	case "importance":
		return m.Importance
	case "parentFolderId":
		return m.FolderID
	case "conversationId":
		return m.ConversationID
	case "conversationIndex":
		return m.ConversationIndex
	case "isDeliveryReceiptRequested", "isReadReceiptRequested":
		return false
	case "isRead":
		return m.IsRead
	case "isDraft":
		return m.IsDraft
	case "webLink":
		return "https://outlook.office365.com/owa/?ItemID=" + webLinkEscaper.Replace(m.RestID) + "&exvsurl=1&viewmodel=ReadMessageItem"
	case "inferenceClassification":
		return "focused"
	case "body", "uniqueBody":
		// "If the header is not specified, the body and uniqueBody
		// properties are returned in HTML format" (get message, Request
		// headers, https://learn.microsoft.com/en-us/graph/api/message-get):
		// plain-text bodies are converted unless the request sends
		// Prefer: outlook.body-content-type="text".
		b := newObj(2)
		switch {
		case sel.bodyText:
			b.set("contentType", "text")
			b.set("content", m.textOf())
		case m.BodyType == "html":
			b.set("contentType", "html")
			b.set("content", m.Body)
		default:
			b.set("contentType", "html")
			b.set("content", textToHTML(m.Body))
		}
		return b
	case "sender":
		return recipientJSON(m.Sender)
	case "from":
		return recipientJSON(m.From)
	case "toRecipients":
		return recipientsJSON(m.To)
	case "ccRecipients":
		return recipientsJSON(m.Cc)
	case "bccRecipients":
		return recipientsJSON(m.Bcc)
	case "replyTo":
		return recipientsJSON(m.ReplyTo)
	case "flag":
		f := newObj(1)
		f.set("flagStatus", "notFlagged")
		return f
	case "internetMessageHeaders":
		if m.IsDraft {
			// Drafts have no transport headers yet; Graph returns the
			// custom ones only after send. Return what was set.
			if m.Headers == nil {
				return []Header{}
			}
			return m.Headers
		}
		return transportHeaders(m)
	}
	return nil
}

// transportHeaders are the internet headers of a sent or received message:
// the standard ones transport adds, then the message's own.
func transportHeaders(m *Message) []Header {
	out := make([]Header, 0, len(m.Headers)+6)
	if m.From != nil {
		out = append(out, Header{"From", formatAddr(*m.From)})
	}
	var to []string
	for _, r := range m.To {
		to = append(to, formatAddr(r))
	}
	out = append(out,
		Header{"To", strings.Join(to, ", ")},
		Header{"Subject", m.Subject},
		Header{"Date", m.sentOrReceived().UTC().Format("Mon, 2 Jan 2006 15:04:05 -0700")},
		Header{"Message-ID", m.InternetMessageID},
		Header{"Content-Type", map[bool]string{true: "text/html; charset=\"utf-8\"", false: "text/plain; charset=\"utf-8\""}[m.BodyType == "html"]},
		Header{"MIME-Version", "1.0"},
	)
	if m.InReplyTo != "" {
		out = append(out, Header{"In-Reply-To", m.InReplyTo}, Header{"References", cmpOr(m.References, m.InReplyTo)})
	}
	return append(out, m.Headers...)
}

func (m *Message) sentOrReceived() time.Time {
	if !m.SentAt.IsZero() {
		return m.SentAt
	}
	return m.ReceivedAt
}

func formatAddr(r Recipient) string {
	if r.Name == "" || strings.EqualFold(r.Name, r.Address) {
		return "<" + r.Address + ">"
	}
	return fmt.Sprintf("%q <%s>", r.Name, r.Address)
}

// mapEnv is a filterEnv over a flat object (extended properties in
// $expand(...$filter=...)).
type mapEnv map[string]any

func (e mapEnv) prop(path string) any               { return lookupFold(e, path) }
func (e mapEnv) collection(string) []map[string]any { return nil }

// msgEnv evaluates $filter against a message.
type msgEnv struct {
	m         *Message
	immutable bool
}

func (e msgEnv) prop(path string) any {
	m := e.m
	switch strings.ToLower(path) {
	case "id":
		return m.graphID(e.immutable)
	case "subject":
		return m.Subject
	case "receiveddatetime":
		return m.ReceivedAt
	case "sentdatetime":
		return m.SentAt
	case "createddatetime":
		return m.CreatedAt
	case "lastmodifieddatetime":
		return m.ModifiedAt
	case "isread":
		return m.IsRead
	case "isdraft":
		return m.IsDraft
	case "internetmessageid":
		return m.InternetMessageID
	case "conversationid":
		return m.ConversationID
	case "parentfolderid":
		return m.FolderID
	case "importance":
		return m.Importance
	case "hasattachments":
		return len(m.Attachments) > 0
	case "bodypreview":
		return preview(m.textOf())
	case "from/emailaddress/address":
		if m.From != nil {
			return m.From.Address
		}
	case "sender/emailaddress/address":
		if m.Sender != nil {
			return m.Sender.Address
		}
	}
	return nil
}

func (e msgEnv) collection(path string) []map[string]any {
	m := e.m
	switch strings.ToLower(path) {
	case "singlevalueextendedproperties":
		out := make([]map[string]any, 0, len(m.ExtProps))
		for _, ep := range m.ExtProps {
			out = append(out, map[string]any{"id": ep.ID, "value": ep.Value})
		}
		return out
	case "torecipients", "ccrecipients", "bccrecipients":
		rs := map[string][]Recipient{"torecipients": m.To, "ccrecipients": m.Cc, "bccrecipients": m.Bcc}[strings.ToLower(path)]
		out := make([]map[string]any, 0, len(rs))
		for _, r := range rs {
			out = append(out, map[string]any{"emailAddress": map[string]any{"address": r.Address, "name": r.Name}})
		}
		return out
	}
	return nil
}
