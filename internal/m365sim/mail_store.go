package m365sim

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"sort"
	"strings"
	"time"
)

// Mailbox is one user's Exchange Online mailbox: folders, messages, the
// primary calendar and the record of what was sent. It is exported and
// JSON-serialisable because it is persisted (a demo survives a restart).
//
// Every change to a message or event takes the next value of Seq, and is
// appended to its folder's change log (Folder.Log) or to CalendarLog. Delta
// queries page through those logs by sequence number, so a page costs
// O(page), not O(mailbox).
type Mailbox struct {
	UserID string
	// Incarnation identifies this mailbox's life; delta tokens minted for a
	// previous incarnation (a reset or recreated mailbox) are unknown.
	Incarnation string
	// Seq is the last change sequence number handed out.
	Seq uint64
	// Epoch is the delta token generation; ExpireDeltaTokens bumps it and
	// tokens of an older generation answer 410.
	Epoch int
	// ExpiryMode says how expired tokens are answered: DeltaExpirySyncState
	// (410 SyncStateNotFound) or DeltaExpiryGone (410 with Location).
	ExpiryMode DeltaExpiryMode `json:",omitempty"`

	Folders  []*Folder
	Messages map[string]*Message // by immutable ID
	Events   map[string]*Event   // by ID
	// Calendar is the primary calendar; its Log is the events' change log.
	Calendar *Folder
	// Sent is every message this mailbox submitted, in order.
	Sent []SentRecord

	byRest   map[string]*Message // regular (REST) ID → message; rebuilt on load
	byFolder map[string]*Folder  // folder ID and well-known name → folder
	pending  []pendingSend       // sends accepted but not yet in Sent Items
	// notify reports changes to subscriptions (set by Sim.mailboxLocked).
	notify func(changeType, folderID, id, restID string)
}

func (mb *Mailbox) emit(changeType, folderID, id, restID string) {
	if mb.notify != nil {
		mb.notify(changeType, folderID, id, restID)
	}
}

// Folder is a mail folder. Well-known folders carry WellKnownName (inbox,
// sentitems, drafts, deleteditems, archive, junkemail, outbox).
type Folder struct {
	ID             string
	DisplayName    string
	WellKnownName  string `json:",omitempty"`
	ParentFolderID string
	// Log is the folder's change log in Seq order: an entry per change to a
	// message in the folder, and a Removed entry when a message is deleted
	// or moves out.
	Log []ChangeEntry

	last  map[string]uint64 // immutable ID → Seq of its latest Log entry
	stale int               // superseded Log entries, for compaction
}

// ChangeEntry is one change in a folder's or the calendar's change log.
type ChangeEntry struct {
	Seq     uint64 `json:"s"`
	ID      string `json:"i"`           // immutable ID
	RestID  string `json:"r,omitempty"` // regular ID the item had (removals)
	Removed bool   `json:"d,omitempty"`
}

// Recipient is an emailAddress (name and address).
type Recipient struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// Header is an internet message header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ExtendedProperty is a single-value extended property: its id is the
// property's identifier, e.g. "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name SendId".
type ExtendedProperty struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// Attachment is a file attachment kept with a message.
type Attachment struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	ContentType  string `json:"contentType"`
	ContentBytes string `json:"contentBytes,omitempty"` // base64
	Size         int    `json:"size"`
	IsInline     bool   `json:"isInline"`
}

// Message is an Outlook message.
type Message struct {
	ID       string // immutable ID (Prefer: IdType="ImmutableId")
	RestID   string // regular ID; changes when the message moves between folders
	FolderID string
	Seq      uint64 // Seq of the last change
	// FolderSeq is the Seq at which the message entered its current folder
	// (delta changeType=created vs updated).
	FolderSeq uint64
	ChangeKey string

	CreatedAt  time.Time
	ModifiedAt time.Time
	ReceivedAt time.Time
	SentAt     time.Time `json:",omitzero"`

	Subject           string
	BodyType          string // "text" or "html"
	Body              string
	From              *Recipient `json:",omitempty"`
	Sender            *Recipient `json:",omitempty"`
	To                []Recipient
	Cc                []Recipient `json:",omitempty"`
	Bcc               []Recipient `json:",omitempty"`
	ReplyTo           []Recipient `json:",omitempty"`
	InternetMessageID string
	ConversationID    string
	ConversationIndex string
	// InReplyTo and References are the threading headers of a reply.
	InReplyTo   string             `json:",omitempty"`
	References  string             `json:",omitempty"`
	Headers     []Header           `json:",omitempty"`
	ExtProps    []ExtendedProperty `json:",omitempty"`
	Attachments []Attachment       `json:",omitempty"`
	Categories  []string           `json:",omitempty"`
	Importance  string
	IsRead      bool
	IsDraft     bool
	// IsNDR marks a non-delivery report the emulator generated.
	IsNDR bool `json:",omitempty"`
}

// SentRecord is what a mailbox submitted, for inspection by tests (Sent).
type SentRecord struct {
	// Time is when transport took the message: SubmittedAt, or a later
	// minute when the mailbox was over its per-minute rate.
	Time              time.Time
	SubmittedAt       time.Time
	MessageID         string // immutable ID of the Sent Items copy (or of the draft); empty when not saved
	InternetMessageID string
	ConversationID    string
	From              string // effective From address
	RequestedFrom     string `json:",omitempty"` // From the client asked for, when different
	To                []string
	Cc                []string `json:",omitempty"`
	Bcc               []string `json:",omitempty"`
	Subject           string
	Headers           []Header           `json:",omitempty"`
	ExtProps          []ExtendedProperty `json:",omitempty"`
	Via               string             // "sendMail", "send", "reply", "mime"
	ClientID          string             // app that sent it
	// Bounced lists recipients that produced a non-delivery report.
	Bounced []string `json:",omitempty"`
	// QuotaExceeded: the submission was over the daily recipient quota; it
	// went nowhere and produced a quota NDR.
	QuotaExceeded bool `json:",omitempty"`
}

// pendingSend is a sent message waiting for its move to Sent Items
// (MailOptions.SentItemsDelay).
type pendingSend struct {
	due time.Time
	fn  func()
}

// Well-known folder names and display names.
var wellKnownFolders = []struct{ name, display string }{
	{"inbox", "Inbox"},
	{"drafts", "Drafts"},
	{"sentitems", "Sent Items"},
	{"deleteditems", "Deleted Items"},
	{"archive", "Archive"},
	{"junkemail", "Junk Email"},
	{"outbox", "Outbox"},
}

// newItemID returns a random Exchange-looking item or folder ID. prefix
// distinguishes kinds ("AAMkAD" regular, "AAkALg" immutable, as Exchange's
// look). The alphabet is URL-safe base64, so IDs are valid path segments.
func newItemID(prefix string) string {
	var b [45]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.URLEncoding.EncodeToString(b[:]) + "="
}

func newChangeKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "CQAAABYAAA" + base64.StdEncoding.EncodeToString(b[:])
}

// newMailbox creates a mailbox with the well-known folders and a primary
// calendar.
func newMailbox(userID string) *Mailbox {
	mb := &Mailbox{
		UserID:      userID,
		Incarnation: randomToken(6),
		Messages:    map[string]*Message{},
		Events:      map[string]*Event{},
		Calendar:    &Folder{ID: newItemID("AAMkAGI2"), DisplayName: "Calendar"},
	}
	root := newItemID("AAMkAGI1")
	for _, wk := range wellKnownFolders {
		mb.Folders = append(mb.Folders, &Folder{ID: newItemID("AQMkADAw"), DisplayName: wk.display, WellKnownName: wk.name, ParentFolderID: root})
	}
	mb.reindex()
	return mb
}

// reindex rebuilds the in-memory indexes (after creation or load).
func (mb *Mailbox) reindex() {
	if mb.Messages == nil {
		mb.Messages = map[string]*Message{}
	}
	if mb.Events == nil {
		mb.Events = map[string]*Event{}
	}
	mb.byRest = make(map[string]*Message, len(mb.Messages))
	for _, m := range mb.Messages {
		mb.byRest[m.RestID] = m
	}
	mb.byFolder = map[string]*Folder{}
	if mb.Calendar == nil {
		mb.Calendar = &Folder{ID: newItemID("AAMkAGI2"), DisplayName: "Calendar"}
	}
	for _, f := range append(slices.Clone(mb.Folders), mb.Calendar) {
		if f != mb.Calendar {
			mb.byFolder[f.ID] = f
			if f.WellKnownName != "" {
				mb.byFolder[f.WellKnownName] = f
			}
		}
		f.last = make(map[string]uint64, len(f.Log))
		f.stale = 0
		for _, e := range f.Log {
			if _, ok := f.last[e.ID]; ok {
				f.stale++
			}
			f.last[e.ID] = e.Seq
		}
	}
}

// folder finds a folder by ID or well-known name (case-insensitive).
func (mb *Mailbox) folder(idOrName string) *Folder {
	if f, ok := mb.byFolder[idOrName]; ok {
		return f
	}
	return mb.byFolder[strings.ToLower(idOrName)]
}

// message finds a message by immutable or regular ID.
func (mb *Mailbox) message(id string) *Message {
	if m, ok := mb.Messages[id]; ok {
		return m
	}
	return mb.byRest[id]
}

func (mb *Mailbox) nextSeq() uint64 {
	mb.Seq++
	return mb.Seq
}

// logChange appends an entry to a folder's change log.
func (f *Folder) logChange(e ChangeEntry) {
	if _, ok := f.last[e.ID]; ok {
		f.stale++
	}
	f.last[e.ID] = e.Seq
	f.Log = append(f.Log, e)
	if f.stale > 1024 && f.stale > len(f.Log)/2 {
		f.compact()
	}
}

// compact drops superseded log entries. Entry positions are never used as
// cursors (cursors are sequence numbers), so this is invisible to delta.
func (f *Folder) compact() {
	out := f.Log[:0]
	for _, e := range f.Log {
		if f.last[e.ID] == e.Seq {
			out = append(out, e)
		}
	}
	clear(f.Log[len(out):])
	f.Log = out
	f.stale = 0
}

// current reports whether e is the latest entry for its item in the folder.
func (f *Folder) current(e ChangeEntry) bool { return f.last[e.ID] == e.Seq }

// after returns the index of the first log entry with Seq > seq.
func (f *Folder) after(seq uint64) int {
	return sort.Search(len(f.Log), func(i int) bool { return f.Log[i].Seq > seq })
}

// addMessage stores a new message in folder f, assigning IDs and a change.
func (mb *Mailbox) addMessage(m *Message, f *Folder, now time.Time) {
	if m.ID == "" {
		m.ID = newItemID("AAkALg")
	}
	if m.RestID == "" || mb.byRest[m.RestID] != nil {
		m.RestID = newItemID("AAMkAD")
	}
	m.FolderID = f.ID
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = now
	}
	m.ModifiedAt = now
	m.ChangeKey = newChangeKey()
	if m.Importance == "" {
		m.Importance = "normal"
	}
	if m.BodyType == "" {
		m.BodyType = "text"
	}
	m.Seq = mb.nextSeq()
	m.FolderSeq = m.Seq
	mb.Messages[m.ID] = m
	mb.byRest[m.RestID] = m
	f.logChange(ChangeEntry{Seq: m.Seq, ID: m.ID})
	mb.emit("created", f.ID, m.ID, m.RestID)
}

// touch records a change to m (a new change key and a change-log entry).
func (mb *Mailbox) touch(m *Message, now time.Time) {
	m.ModifiedAt = now
	m.ChangeKey = newChangeKey()
	m.Seq = mb.nextSeq()
	mb.folder(m.FolderID).logChange(ChangeEntry{Seq: m.Seq, ID: m.ID})
	mb.emit("updated", m.FolderID, m.ID, m.RestID)
}

// move moves m to folder dst. Its regular ID changes; its immutable ID
// does not (MICROSOFT.md §3.4).
func (mb *Mailbox) move(m *Message, dst *Folder, now time.Time) {
	if m.FolderID == dst.ID {
		mb.touch(m, now)
		return
	}
	src := mb.folder(m.FolderID)
	src.logChange(ChangeEntry{Seq: mb.nextSeq(), ID: m.ID, RestID: m.RestID, Removed: true})
	mb.emit("deleted", src.ID, m.ID, m.RestID)
	delete(mb.byRest, m.RestID)
	m.RestID = newItemID("AAMkAD")
	mb.byRest[m.RestID] = m
	m.FolderID = dst.ID
	m.ModifiedAt = now
	m.ChangeKey = newChangeKey()
	m.Seq = mb.nextSeq()
	m.FolderSeq = m.Seq
	dst.logChange(ChangeEntry{Seq: m.Seq, ID: m.ID})
	mb.emit("created", dst.ID, m.ID, m.RestID)
}

// remove deletes m permanently.
func (mb *Mailbox) remove(m *Message) {
	f := mb.folder(m.FolderID)
	f.logChange(ChangeEntry{Seq: mb.nextSeq(), ID: m.ID, RestID: m.RestID, Removed: true})
	mb.emit("deleted", f.ID, m.ID, m.RestID)
	delete(mb.byRest, m.RestID)
	delete(mb.Messages, m.ID)
}

// settle runs the pending sends that are due.
func (mb *Mailbox) settle(now time.Time) {
	if len(mb.pending) == 0 {
		return
	}
	keep := mb.pending[:0]
	var due []pendingSend
	for _, p := range mb.pending {
		if now.Before(p.due) {
			keep = append(keep, p)
		} else {
			due = append(due, p)
		}
	}
	mb.pending = keep
	for _, p := range due {
		p.fn()
	}
}

// messagesIn returns the messages of a folder (unordered).
func (mb *Mailbox) messagesIn(f *Folder) []*Message {
	var out []*Message
	for _, m := range mb.Messages {
		if m.FolderID == f.ID {
			out = append(out, m)
		}
	}
	return out
}

// mailboxLocked returns a user's mailbox, creating it if needed (users
// loaded from a state file written before the mailbox existed). s.mu must be
// held.
func (s *Sim) mailboxLocked(userID string) *Mailbox {
	mb, ok := s.st.Mail.Mailboxes[userID]
	if !ok {
		mb = newMailbox(userID)
		s.st.Mail.Mailboxes[userID] = mb
	} else if mb.byRest == nil {
		mb.reindex()
	}
	if mb.notify == nil {
		mb.notify = func(changeType, folderID, id, restID string) {
			s.notifyChangeLocked(mb, changeType, folderID, id, restID)
		}
	}
	mb.settle(s.now())
	return mb
}

// hasAddr reports whether rs contains addr (case-insensitive).
func hasAddr(rs []Recipient, addr string) bool {
	return slices.ContainsFunc(rs, func(r Recipient) bool { return strings.EqualFold(r.Address, addr) })
}
