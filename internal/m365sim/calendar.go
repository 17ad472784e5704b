package m365sim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // outlook.timezone works without the host's zoneinfo
)

// Attendee is an event attendee.
type Attendee struct {
	Recipient
	Type     string `json:"type"`     // required, optional, resource
	Response string `json:"response"` // none, accepted, declined, tentativelyAccepted
}

// Event is an event in a mailbox's primary calendar. Start and End are UTC.
type Event struct {
	ID         string
	ICalUID    string
	Seq        uint64
	ChangeKey  string
	CreatedAt  time.Time
	ModifiedAt time.Time
	Subject    string
	BodyType   string
	Body       string
	Start      time.Time
	End        time.Time
	IsAllDay   bool   `json:",omitempty"`
	Location   string `json:",omitempty"`
	Organizer  Recipient
	Attendees  []Attendee `json:",omitempty"`
	ShowAs     string
	IsCanceled bool     `json:",omitempty"`
	Categories []string `json:",omitempty"`
}

// windowsZones maps the Windows time zone names Outlook uses in
// Prefer: outlook.timezone to IANA names. IANA names are accepted too.
var windowsZones = map[string]string{
	"utc": "UTC", "gmt standard time": "Europe/London", "greenwich standard time": "Atlantic/Reykjavik",
	"w. europe standard time": "Europe/Berlin", "romance standard time": "Europe/Paris",
	"central europe standard time": "Europe/Budapest", "central european standard time": "Europe/Warsaw",
	"e. europe standard time": "Europe/Chisinau", "fle standard time": "Europe/Kiev", "gtb standard time": "Europe/Bucharest",
	"russian standard time": "Europe/Moscow", "eastern standard time": "America/New_York",
	"central standard time": "America/Chicago", "mountain standard time": "America/Denver",
	"us mountain standard time": "America/Phoenix", "pacific standard time": "America/Los_Angeles",
	"alaskan standard time": "America/Anchorage", "hawaiian standard time": "Pacific/Honolulu",
	"atlantic standard time": "America/Halifax", "e. south america standard time": "America/Sao_Paulo",
	"india standard time": "Asia/Kolkata", "china standard time": "Asia/Shanghai", "tokyo standard time": "Asia/Tokyo",
	"singapore standard time": "Asia/Singapore", "korea standard time": "Asia/Seoul",
	"aus eastern standard time": "Australia/Sydney", "new zealand standard time": "Pacific/Auckland",
	"arabian standard time": "Asia/Dubai", "israel standard time": "Asia/Jerusalem",
	"south africa standard time": "Africa/Johannesburg",
}

// zoneFor resolves an outlook.timezone value; "" and unknown names are UTC.
func zoneFor(name string) (*time.Location, string) {
	if name == "" {
		return time.UTC, "UTC"
	}
	if iana, ok := windowsZones[strings.ToLower(name)]; ok {
		if loc, err := time.LoadLocation(iana); err == nil {
			return loc, name
		}
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, name
	}
	return time.UTC, "UTC"
}

func dateTimeTZ(t time.Time, loc *time.Location, name string) map[string]string {
	return map[string]string{"dateTime": t.In(loc).Format("2006-01-02T15:04:05.0000000"), "timeZone": name}
}

func renderEvent(mb *Mailbox, owner *User, e *Event, loc *time.Location, tz string) *jsonObj {
	o := newObj(40)
	o.set("@odata.type", "#microsoft.graph.event")
	o.set("@odata.etag", `W/"`+e.ChangeKey+`"`)
	o.set("id", e.ID)
	o.set("createdDateTime", graphTime(e.CreatedAt))
	o.set("lastModifiedDateTime", graphTime(e.ModifiedAt))
	o.set("changeKey", e.ChangeKey)
	cats := e.Categories
	if cats == nil {
		cats = []string{}
	}
	o.set("categories", cats)
	o.set("transactionId", nil)
	o.set("originalStartTimeZone", "UTC")
	o.set("originalEndTimeZone", "UTC")
	o.set("iCalUId", e.ICalUID)
	o.set("uid", e.ICalUID)
	o.set("reminderMinutesBeforeStart", 15)
	o.set("isReminderOn", true)
	o.set("hasAttachments", false)
	o.set("subject", e.Subject)
	o.set("bodyPreview", preview(e.Body))
	o.set("importance", "normal")
	o.set("sensitivity", "normal")
	o.set("isAllDay", e.IsAllDay)
	o.set("isCancelled", e.IsCanceled)
	isOrg := owner != nil && owner.HasAddress(e.Organizer.Address)
	o.set("isOrganizer", isOrg)
	o.set("responseRequested", true)
	o.set("seriesMasterId", nil)
	o.set("showAs", cmpOr(e.ShowAs, "busy"))
	o.set("type", "singleInstance")
	o.set("webLink", "https://outlook.office365.com/owa/?itemid="+url.QueryEscape(e.ID)+"&exvsurl=1&path=/calendar/item")
	o.set("onlineMeetingUrl", nil)
	o.set("isOnlineMeeting", false)
	o.set("onlineMeetingProvider", "unknown")
	o.set("allowNewTimeProposals", true)
	o.set("isDraft", false)
	resp := "organizer"
	if !isOrg {
		resp = "notResponded"
		for _, a := range e.Attendees {
			if owner != nil && owner.HasAddress(a.Address) && a.Response != "" {
				resp = a.Response
			}
		}
	}
	o.set("responseStatus", map[string]string{"response": resp, "time": "0001-01-01T00:00:00Z"})
	o.set("body", map[string]string{"contentType": cmpOr(e.BodyType, "text"), "content": e.Body})
	o.set("start", dateTimeTZ(e.Start, loc, tz))
	o.set("end", dateTimeTZ(e.End, loc, tz))
	o.set("location", map[string]any{"displayName": e.Location, "locationType": "default", "uniqueIdType": "unknown"})
	o.set("locations", []any{})
	o.set("recurrence", nil)
	atts := make([]any, 0, len(e.Attendees))
	for _, a := range e.Attendees {
		atts = append(atts, map[string]any{
			"type":         cmpOr(a.Type, "required"),
			"status":       map[string]string{"response": cmpOr(a.Response, "none"), "time": "0001-01-01T00:00:00Z"},
			"emailAddress": map[string]string{"name": cmpOr(a.Name, a.Address), "address": a.Address},
		})
	}
	o.set("attendees", atts)
	o.set("organizer", recipientJSON(&e.Organizer))
	return o
}

// addEventLocked stores a new event.
func (mb *Mailbox) addEvent(e *Event, now time.Time) {
	if e.ID == "" {
		e.ID = newItemID("AAMkAGE1")
	}
	if e.ICalUID == "" {
		e.ICalUID = "040000008200E00074C5B7101A82E008" + strings.ToUpper(randomToken(28))
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	e.ModifiedAt, e.ChangeKey = now, newChangeKey()
	e.Seq = mb.nextSeq()
	mb.Events[e.ID] = e
	mb.Calendar.logChange(ChangeEntry{Seq: e.Seq, ID: e.ID})
	mb.emit("created", "calendar", e.ID, "")
}

func (mb *Mailbox) touchEvent(e *Event, now time.Time) {
	e.ModifiedAt, e.ChangeKey = now, newChangeKey()
	e.Seq = mb.nextSeq()
	mb.Calendar.logChange(ChangeEntry{Seq: e.Seq, ID: e.ID})
	mb.emit("updated", "calendar", e.ID, "")
}

func (mb *Mailbox) removeEvent(e *Event) {
	mb.Calendar.logChange(ChangeEntry{Seq: mb.nextSeq(), ID: e.ID, RestID: e.ID, Removed: true})
	delete(mb.Events, e.ID)
	mb.emit("deleted", "calendar", e.ID, "")
}

// AddEvent puts an event in a mailbox's primary calendar (for tests and
// demos; clients use POST /me/events). It returns the stored event.
func (s *Sim) AddEvent(mailbox string, e Event) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return Event{}, ErrNotFound
	}
	if e.Organizer.Address == "" {
		e.Organizer = Recipient{Name: u.DisplayName, Address: u.PrimaryAddress()}
	}
	e.Start, e.End = e.Start.UTC(), e.End.UTC()
	mb := s.mailboxLocked(u.ID)
	mb.addEvent(&e, s.now())
	return e, nil
}

// ---- HTTP ----

type eventIn struct {
	Subject *string
	Body    *struct {
		ContentType string
		Content     string
	}
	Start     *dateTimeIn
	End       *dateTimeIn
	IsAllDay  *bool
	Location  *struct{ DisplayName string }
	ShowAs    *string
	Attendees *[]struct {
		EmailAddress struct{ Name, Address string }
		Type         string
	}
	Categories *[]string
}

type dateTimeIn struct {
	DateTime string
	TimeZone string
}

func (d *dateTimeIn) time() (time.Time, bool) {
	loc, _ := zoneFor(d.TimeZone)
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, d.DateTime, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (in *eventIn) apply(e *Event) *graphError {
	if in.Subject != nil {
		e.Subject = *in.Subject
	}
	if in.Body != nil {
		e.BodyType, e.Body = strings.ToLower(cmpOr(in.Body.ContentType, "text")), in.Body.Content
	}
	if in.Start != nil {
		t, ok := in.Start.time()
		if !ok {
			return gerr(http.StatusBadRequest, "ErrorInvalidRequest", "Cannot convert the literal '"+in.Start.DateTime+"' to the expected type 'Edm.DateTimeOffset'.")
		}
		e.Start = t
	}
	if in.End != nil {
		t, ok := in.End.time()
		if !ok {
			return gerr(http.StatusBadRequest, "ErrorInvalidRequest", "Cannot convert the literal '"+in.End.DateTime+"' to the expected type 'Edm.DateTimeOffset'.")
		}
		e.End = t
	}
	if in.IsAllDay != nil {
		e.IsAllDay = *in.IsAllDay
	}
	if in.Location != nil {
		e.Location = in.Location.DisplayName
	}
	if in.ShowAs != nil {
		e.ShowAs = *in.ShowAs
	}
	if in.Attendees != nil {
		e.Attendees = nil
		for _, a := range *in.Attendees {
			e.Attendees = append(e.Attendees, Attendee{Recipient: Recipient{Name: a.EmailAddress.Name, Address: a.EmailAddress.Address}, Type: strings.ToLower(cmpOr(a.Type, "required"))})
		}
	}
	if in.Categories != nil {
		e.Categories = slices.Clone(*in.Categories)
	}
	if !e.End.After(e.Start) && !(e.Start.IsZero() && e.End.IsZero()) && !e.End.Equal(e.Start) {
		return gerr(http.StatusBadRequest, "ErrorInvalidRequest", "The end of the event is before its start.")
	}
	return nil
}

// serveCalendar routes events, calendar/events, calendarView and
// calendarView/delta.
func (s *Sim) serveCalendar(g *gctx) {
	rest, m := g.rest, g.r.Method
	if rest[0] == "calendar" {
		if len(rest) == 1 {
			s.unknownRoute(g, rest)
			return
		}
		rest = rest[1:]
	}
	switch {
	case rest[0] == "calendarview" && len(rest) == 1 && m == http.MethodGet:
		s.calendarView(g)
	case rest[0] == "calendarview" && len(rest) == 2 && rest[1] == "delta" && m == http.MethodGet:
		s.calendarViewDelta(g)
	case rest[0] == "events" && len(rest) == 1 && m == http.MethodGet:
		s.listEvents(g)
	case rest[0] == "events" && len(rest) == 1 && m == http.MethodPost:
		s.createEvent(g)
	case rest[0] == "events" && len(rest) == 2:
		s.eventByID(g, rest[1])
	default:
		s.unknownRoute(g, rest)
	}
}

func (s *Sim) eventsJSON(g *gctx, pred func(*Event) bool) []any {
	loc, tz := zoneFor(g.prefer.timezone)
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(g.target.ID)
	evs := make([]*Event, 0, len(mb.Events))
	for _, e := range mb.Events {
		if pred(e) {
			evs = append(evs, e)
		}
	}
	slices.SortFunc(evs, func(a, b *Event) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]any, 0, len(evs))
	for _, e := range evs {
		out = append(out, renderEvent(mb, g.target, e, loc, tz))
	}
	return out
}

func (s *Sim) listEvents(g *gctx) {
	if !g.requireScope(calendarReadScopes...) {
		return
	}
	vals := s.eventsJSON(g, func(*Event) bool { return true })
	g.writeJSON(http.StatusOK, map[string]any{"@odata.context": s.baseURL(g.r) + "/v1.0/$metadata#users('" + g.target.ID + "')/events", "value": vals})
}

// calendarWindow reads startDateTime/endDateTime (names case-insensitive).
func calendarWindow(g *gctx) (time.Time, time.Time, *graphError) {
	sv, ev := g.q("startdatetime"), g.q("enddatetime")
	if sv == "" || ev == "" {
		return time.Time{}, time.Time{}, gerr(http.StatusBadRequest, "ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
	}
	parse := func(v string) (time.Time, bool) {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), true
			}
		}
		return time.Time{}, false
	}
	st, ok1 := parse(sv)
	en, ok2 := parse(ev)
	if !ok1 || !ok2 {
		return time.Time{}, time.Time{}, gerr(http.StatusBadRequest, "ErrorInvalidParameter", "The value of StartDateTime or EndDateTime is not a valid DateTime.")
	}
	return st, en, nil
}

func overlaps(e *Event, start, end time.Time) bool {
	return e.Start.Before(end) && e.End.After(start) || e.Start.Equal(e.End) && !e.Start.Before(start) && e.Start.Before(end)
}

func (s *Sim) calendarView(g *gctx) {
	if !g.requireScope(calendarReadScopes...) {
		return
	}
	st, en, ge := calendarWindow(g)
	if ge != nil {
		g.fail(ge)
		return
	}
	vals := s.eventsJSON(g, func(e *Event) bool { return overlaps(e, st, en) })
	g.writeJSON(http.StatusOK, map[string]any{"@odata.context": s.baseURL(g.r) + "/v1.0/$metadata#users('" + g.target.ID + "')/calendarView", "value": vals})
}

func (s *Sim) createEvent(g *gctx) {
	if !g.requireScope(calendarWriteScopes...) {
		return
	}
	var in eventIn
	if ge := g.decodeBody(&in); ge != nil {
		g.fail(ge)
		return
	}
	e := &Event{Organizer: Recipient{Name: g.target.DisplayName, Address: g.target.PrimaryAddress()}}
	if ge := in.apply(e); ge != nil {
		g.fail(ge)
		return
	}
	loc, tz := zoneFor(g.prefer.timezone)
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	mb.addEvent(e, s.now())
	o := renderEvent(mb, g.target, e, loc, tz)
	s.mu.Unlock()
	g.writeJSON(http.StatusCreated, o)
}

func (s *Sim) eventByID(g *gctx, id string) {
	m := g.r.Method
	scopes := calendarReadScopes
	if m != http.MethodGet {
		scopes = calendarWriteScopes
	}
	if !g.requireScope(scopes...) {
		return
	}
	var in eventIn
	if m == http.MethodPatch {
		if ge := g.decodeBody(&in); ge != nil {
			g.fail(ge)
			return
		}
	}
	loc, tz := zoneFor(g.prefer.timezone)
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	e := mb.Events[id]
	if e == nil {
		s.mu.Unlock()
		g.fail(errItemNotFound())
		return
	}
	switch m {
	case http.MethodGet:
		o := renderEvent(mb, g.target, e, loc, tz)
		s.mu.Unlock()
		g.writeJSON(http.StatusOK, o)
	case http.MethodPatch:
		cp := *e
		if ge := in.apply(&cp); ge != nil {
			s.mu.Unlock()
			g.fail(ge)
			return
		}
		*e = cp
		mb.touchEvent(e, s.now())
		o := renderEvent(mb, g.target, e, loc, tz)
		s.mu.Unlock()
		g.writeJSON(http.StatusOK, o)
	case http.MethodDelete:
		mb.removeEvent(e)
		s.mu.Unlock()
		g.noContent(http.StatusNoContent)
	default:
		s.mu.Unlock()
		g.fail(errMethodNotAllowed())
	}
}

// calendarViewDelta serves GET /calendarView/delta (MICROSOFT.md §3.6):
// primary calendar only, a fixed window from the first request, no
// $select/$expand/$filter/$orderby/$search, @removed for deletions and for
// changes that fall outside the window.
func (s *Sim) calendarViewDelta(g *gctx) {
	if !g.requireScope(calendarReadScopes...) {
		return
	}
	var bad []string
	for _, p := range []string{"select", "expand", "filter", "orderby", "search"} {
		if g.hasQ(p) {
			bad = append(bad, "$"+p)
		}
	}
	if len(bad) > 0 {
		g.fail(gerr(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The following parameters are not supported with change tracking over the 'CalendarView' resource: '"+strings.Join(bad, ", ")+"'."))
		return
	}
	loc, tz := zoneFor(g.prefer.timezone)
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxLocked(g.target.ID)
	base := s.baseURL(g.r) + "/v1.0/" + g.userPathRef() + "/calendarView/delta"
	freshURL := func(c deltaCursor) string {
		q := url.Values{}
		q.Set("startDateTime", time.Unix(c.Start, 0).UTC().Format(time.RFC3339))
		q.Set("endDateTime", time.Unix(c.End, 0).UTC().Format(time.RFC3339))
		return base + "?" + q.Encode()
	}
	c, ok := s.cursorFromRequest(g, mb, "e", mb.Calendar.ID, func() (deltaCursor, *graphError) {
		st, en, ge := calendarWindow(g)
		return deltaCursor{Start: st.Unix(), End: en.Unix()}, ge
	}, freshURL)
	if !ok {
		return
	}
	start, end := time.Unix(c.Start, 0).UTC(), time.Unix(c.End, 0).UTC()
	size := min(max(cmpOr(g.prefer.maxPageSize, 10), 1), 1000)
	vals, done := deltaLogPage(mb.Calendar, &c, size, make([]any, 0, size), func(e ChangeEntry) any {
		ev := mb.Events[e.ID]
		if e.Removed || ev == nil || !overlaps(ev, start, end) {
			if c.Since == 0 {
				return nil
			}
			return removedJSON("#microsoft.graph.event", e, true)
		}
		return renderEvent(mb, g.target, ev, loc, tz)
	})
	out := newObj(3)
	out.set("@odata.context", s.baseURL(g.r)+"/v1.0/$metadata#Collection(event)")
	if done {
		next := c
		next.Since, next.Snap, next.Pos, next.N = c.Snap, 0, 0, 0
		out.set("@odata.deltaLink", base+"?$deltatoken="+next.encode())
	} else {
		out.set("@odata.nextLink", base+"?$skiptoken="+c.encode())
	}
	out.set("value", vals)
	g.writeJSON(http.StatusOK, out)
}
