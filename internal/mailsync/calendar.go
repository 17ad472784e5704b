package mailsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"mailbridge/ent"
	"mailbridge/ent/calendarevent"
	"mailbridge/ent/prospect"
	"mailbridge/internal/txn"
)

// calendarFolder is the calendar's cursor name.
const calendarFolder = "calendar"

// calendarRoll is how far the rolling window may lag behind before the
// calendar is read again over a fresh window (calendarView delta encodes
// its window in the tokens).
const calendarRoll = 7 * 24 * time.Hour

type calendarPage struct {
	NextLink  string       `json:"@odata.nextLink"`
	DeltaLink string       `json:"@odata.deltaLink"`
	Value     []graphEvent `json:"value"`
}

type graphDateTime struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

func (d *graphDateTime) time() (time.Time, bool) {
	if d == nil || d.DateTime == "" {
		return time.Time{}, false
	}
	loc := time.UTC
	if d.TimeZone != "" && !strings.EqualFold(d.TimeZone, "UTC") {
		if l, err := time.LoadLocation(d.TimeZone); err == nil {
			loc = l
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, d.DateTime, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

type graphEvent struct {
	ID          string          `json:"id"`
	Removed     json.RawMessage `json:"@removed"`
	Subject     *string         `json:"subject"`
	ICalUID     string          `json:"iCalUId"`
	Start       *graphDateTime  `json:"start"`
	End         *graphDateTime  `json:"end"`
	IsCancelled bool            `json:"isCancelled"`
	Organizer   *recipient      `json:"organizer"`
	Attendees   []recipient     `json:"attendees"`
}

// calendar runs the calendarView delta round over the rolling window.
func (r *round) calendar(ctx context.Context) error {
	cur, err := r.cursor(ctx, calendarFolder)
	if err != nil {
		return err
	}
	now := r.s.now()
	link := deref(cur.NextLink, deref(cur.DeltaLink, ""))
	if link == "" || cur.WindowStart == nil || now.Add(-r.s.o.CalendarPast).Sub(*cur.WindowStart) > calendarRoll {
		if cur, err = r.newCalendarWindow(ctx, cur, now); err != nil {
			return err
		}
		link = ""
	}
	start := *cur.WindowStart
	end := start.Add(r.s.o.CalendarPast + r.s.o.CalendarFuture)
	resynced := false
	for {
		if err := r.checkOn(ctx); err != nil {
			return err
		}
		var page calendarPage
		err := r.get(ctx, link, &page, func() (*abs.RequestInformation, error) {
			s, e := start.Format(time.RFC3339), end.Format(time.RFC3339)
			return r.gc.Me().CalendarView().Delta().ToGetRequestInformation(ctx, &users.ItemCalendarViewDeltaRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.ItemCalendarViewDeltaRequestBuilderGetQueryParameters{StartDateTime: &s, EndDateTime: &e},
			})
		})
		if err != nil {
			if link != "" && !resynced && cursorExpired(err) {
				resynced, link = true, ""
				if cur, err = r.newCalendarWindow(ctx, cur, now); err != nil {
					return err
				}
				start, end = *cur.WindowStart, cur.WindowStart.Add(r.s.o.CalendarPast+r.s.o.CalendarFuture)
				continue
			}
			return err
		}
		if err := r.applyCalendarPage(ctx, cur, &page, start, end); err != nil {
			return err
		}
		if page.DeltaLink != "" {
			return nil
		}
		if page.NextLink == "" {
			return errors.New("mailsync: a calendar delta page had neither a nextLink nor a deltaLink")
		}
		link = page.NextLink
	}
}

// newCalendarWindow starts the calendar over a window beginning
// CalendarPast before now, and forgets events that ended before it.
func (r *round) newCalendarWindow(ctx context.Context, cur *ent.SyncCursor, now time.Time) (*ent.SyncCursor, error) {
	start := now.Add(-r.s.o.CalendarPast).Truncate(24 * time.Hour)
	if _, err := r.s.client.CalendarEvent.Delete().Where(calendarevent.MicrosoftAccountID(r.acct.ID), calendarevent.EndAtLT(start)).Exec(ctx); err != nil {
		return nil, err
	}
	return r.resetCursor(ctx, cur, start)
}

func (r *round) applyCalendarPage(ctx context.Context, cur *ent.SyncCursor, page *calendarPage, start, end time.Time) error {
	return txn.Run(ctx, r.s.client, func(ctx context.Context, c *ent.Client) error {
		var removed, addrs []string
		parts := make([][]string, len(page.Value))
		for i := range page.Value {
			e := &page.Value[i]
			if len(e.Removed) > 0 {
				removed = append(removed, e.ID)
				continue
			}
			parts[i] = e.participants(r.acct.own)
			for _, a := range parts[i] {
				if !slices.Contains(addrs, a) {
					addrs = append(addrs, a)
				}
			}
		}
		if len(removed) > 0 {
			// Outlook reports deletions and changes outside the window alike.
			if _, err := c.CalendarEvent.Delete().Where(calendarevent.MicrosoftAccountID(r.acct.ID), calendarevent.GraphIDIn(removed...)).Exec(ctx); err != nil {
				return err
			}
		}
		prospects := map[string]int{}
		if len(addrs) > 0 {
			ps, err := c.Prospect.Query().Where(prospect.OrgID(r.acct.OrgID), prospect.EmailIn(addrs...)).All(ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				prospects[lower(p.Email)] = p.ID
			}
		}
		for i := range page.Value {
			e := &page.Value[i]
			if len(e.Removed) > 0 {
				continue
			}
			var linked []int
			for _, a := range parts[i] {
				if id, ok := prospects[a]; ok {
					linked = append(linked, id)
				}
			}
			st, ok1 := e.Start.time()
			en, ok2 := e.End.time()
			existing, err := c.CalendarEvent.Query().Where(calendarevent.MicrosoftAccountID(r.acct.ID), calendarevent.GraphID(e.ID)).Only(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return err
			}
			if len(linked) == 0 || !ok1 || !ok2 || !en.After(start) || !st.Before(end) {
				// No prospect attends (any more), or it left the window.
				if existing != nil {
					if err := c.CalendarEvent.DeleteOne(existing).Exec(ctx); err != nil {
						return err
					}
				}
				continue
			}
			attendees := make([]string, 0, len(e.Attendees))
			for _, a := range e.Attendees {
				attendees = append(attendees, lower(a.EmailAddress.Address))
			}
			organizer := ""
			if e.Organizer != nil {
				organizer = lower(e.Organizer.EmailAddress.Address)
			}
			if existing != nil {
				err = existing.Update().SetSubject(truncate(deref(e.Subject, existing.Subject), 998)).SetStartAt(st).SetEndAt(en).
					SetOrganizerAddress(organizer).SetAttendeeAddresses(attendees).SetIsCancelled(e.IsCancelled).
					ClearProspects().AddProspectIDs(linked...).Exec(ctx)
			} else {
				err = c.CalendarEvent.Create().SetOrgID(r.acct.OrgID).SetUserID(r.acct.UserID).SetMicrosoftAccountID(r.acct.ID).
					SetGraphID(e.ID).SetIcalUID(truncate(e.ICalUID, 512)).SetSubject(truncate(deref(e.Subject, ""), 998)).
					SetStartAt(st).SetEndAt(en).SetOrganizerAddress(organizer).SetAttendeeAddresses(attendees).
					SetIsCancelled(e.IsCancelled).AddProspectIDs(linked...).Exec(ctx)
			}
			if err != nil {
				return fmt.Errorf("mailsync: store event: %w", err)
			}
		}
		u := c.SyncCursor.UpdateOneID(cur.ID)
		if page.DeltaLink != "" {
			u.ClearNextLink().SetDeltaLink(page.DeltaLink)
		} else {
			u.SetNextLink(page.NextLink)
		}
		return u.Exec(ctx)
	})
}

func (e *graphEvent) participants(own map[string]bool) []string {
	m := graphMessage{From: e.Organizer, To: e.Attendees}
	return m.participants(own)
}
