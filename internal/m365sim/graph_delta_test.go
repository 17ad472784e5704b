package m365sim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"github.com/stretchr/testify/require"
)

// Checklist items 31–33 (MICROSOFT.md §7.6): delta.

func deliverN(t *testing.T, e *graphEnv, n int, folder string) []Message {
	t.Helper()
	var out []Message
	for i := range n {
		m, err := e.srv.DeliverMessage(e.alice.ID, InboundMessage{
			From: Recipient{Name: "Pat", Address: "pat@example.org"}, Subject: fmt.Sprintf("msg %02d", i),
			Body: "body", ReceivedAt: e.clock.Now().Add(time.Duration(i) * time.Minute), Folder: folder,
		})
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

func deltaRoundAdded(t *testing.T, e *graphEnv) Message {
	t.Helper()
	return deliverN(t, e, 1, "")[0]
}

func maxPageHeaders(n int) *abstractions.RequestHeaders {
	h := abstractions.NewRequestHeaders()
	h.Add("Prefer", fmt.Sprintf(`odata.maxpagesize=%d, IdType="ImmutableId"`, n))
	return h
}

// deltaRound follows nextLinks with WithUrl until a deltaLink and returns
// the items (id → removed?) and the deltaLink.
func deltaRound(t *testing.T, client interface {
	Me() *users.UserItemRequestBuilder
}, first *users.ItemMailFoldersItemMessagesDeltaRequestBuilder, link string, pageSize int) (map[string]bool, []string, string, int) {
	t.Helper()
	items := map[string]bool{}
	var subjects []string
	cfg := &users.ItemMailFoldersItemMessagesDeltaRequestBuilderGetRequestConfiguration{Headers: maxPageHeaders(pageSize)}
	b := first
	if link != "" {
		b = first.WithUrl(link)
	}
	pages := 0
	for {
		resp, err := b.GetAsDeltaGetResponse(context.Background(), cfg)
		require.NoError(t, err)
		pages++
		require.LessOrEqual(t, len(resp.GetValue()), pageSize)
		for _, m := range resp.GetValue() {
			_, removed := m.GetAdditionalData()["@removed"]
			items[*m.GetId()] = removed
			if m.GetSubject() != nil {
				subjects = append(subjects, *m.GetSubject())
			}
		}
		if next := resp.GetOdataNextLink(); next != nil {
			require.NotNil(t, next)
			require.Nil(t, resp.GetOdataDeltaLink())
			b = first.WithUrl(*next)
			continue
		}
		require.NotNil(t, resp.GetOdataDeltaLink())
		return items, subjects, *resp.GetOdataDeltaLink(), pages
	}
}

func TestConformance_31_MessageDelta(t *testing.T) {
	t.Parallel()

	t.Run("PagesThroughNextLinksToADeltaLinkThenReportsChanges", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		msgs := deliverN(t, e, 7, "")
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		builder := client.Me().MailFolders().ByMailFolderId("inbox").Messages().Delta()

		items, _, deltaLink, pages := deltaRound(t, client, builder, "", 3)
		require.Equal(t, 3, pages)
		require.Len(t, items, 7)
		for _, m := range msgs {
			require.Contains(t, items, m.ID)
		}
		u, err := url.Parse(deltaLink)
		require.NoError(t, err)
		require.Equal(t, strings.TrimPrefix(e.srv.URL, "http://"), u.Host, "links are absolute on the emulator host")
		require.NotEmpty(t, u.Query().Get("$deltatoken"))

		// Nothing changed: an empty round.
		items, _, deltaLink, _ = deltaRound(t, client, builder, deltaLink, 3)
		require.Empty(t, items)

		// Update one, delete one, move one out, add one.
		tok := e.token(e.alice)
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodPatch, "/v1.0/me/messages/"+msgs[0].ID, tok, `{"isRead":true}`).status)
		require.Equal(t, http.StatusNoContent, e.raw(t, http.MethodDelete, "/v1.0/me/messages/"+msgs[1].ID, tok, nil).status)
		require.Equal(t, http.StatusCreated, e.raw(t, http.MethodPost, "/v1.0/me/messages/"+msgs[2].ID+"/move", tok, `{"destinationId":"archive"}`).status)
		added := deltaRoundAdded(t, e)
		want := map[string]bool{msgs[0].ID: false, msgs[1].ID: true, msgs[2].ID: true, added.ID: false}
		items, _, next, _ := deltaRound(t, client, builder, deltaLink, 3)
		require.Equal(t, want, items)

		// Replaying a deltaLink is allowed and gives the same changes; the
		// new one has none.
		again, _, _, _ := deltaRound(t, client, builder, deltaLink, 3)
		require.Equal(t, want, again)
		none, _, _, _ := deltaRound(t, client, builder, next, 3)
		require.Empty(t, none)
	})
	t.Run("PageIteratorFollowsNextLinks", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		deliverN(t, e, 9, "")
		client, adapter, _ := e.sdk(t, e.alice, sdkOpts{})
		cfg := &users.ItemMailFoldersItemMessagesDeltaRequestBuilderGetRequestConfiguration{Headers: maxPageHeaders(2)}
		resp, err := client.Me().MailFolders().ByMailFolderId("inbox").Messages().Delta().GetAsDeltaGetResponse(context.Background(), cfg)
		require.NoError(t, err)
		it, err := msgraphgocore.NewPageIterator[models.Messageable](resp, adapter, users.CreateItemMailFoldersItemMessagesDeltaGetResponseFromDiscriminatorValue)
		require.NoError(t, err)
		it.SetHeaders(maxPageHeaders(2))
		n := 0
		require.NoError(t, it.Iterate(context.Background(), func(m models.Messageable) bool { n++; return true }))
		require.Equal(t, 9, n)
		require.NotNil(t, it.GetOdataDeltaLink())
	})
	t.Run("BothURLFormsAndWellKnownNames", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		deliverN(t, e, 2, "")
		tok := e.token(e.alice)
		for _, p := range []string{"/v1.0/me/mailFolders/inbox/messages/delta", "/v1.0/me/mailFolders/Inbox/messages/delta()", "/v1.0/me/mailfolders('inbox')/messages/delta"} {
			r := e.raw(t, http.MethodGet, p, tok, nil)
			require.Equal(t, http.StatusOK, r.status, p)
			require.Len(t, r.json["value"], 2, p)
			require.Contains(t, r.json, "@odata.deltaLink")
		}
	})
	t.Run("SelectKeepsID", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		deliverN(t, e, 2, "")
		r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta?$select=subject", e.token(e.alice), nil)
		for _, v := range r.json["value"].([]any) {
			o := v.(map[string]any)
			require.Contains(t, o, "id")
			require.Contains(t, o, "subject")
			require.NotContains(t, o, "body")
		}
	})
	t.Run("QueryOptionsAreEncodedInTheTokens", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		deliverN(t, e, 6, "")
		tok := e.token(e.alice)
		cut := e.clock.Now().Add(2 * time.Minute).Format(time.RFC3339)
		r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta?$select=subject&$top=2&$filter=receivedDateTime+ge+"+cut+"&$orderby=receivedDateTime+desc", tok, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var subjects []string
		for {
			for _, v := range r.json["value"].([]any) {
				o := v.(map[string]any)
				require.NotContains(t, o, "body")
				subjects = append(subjects, o["subject"].(string))
			}
			next, ok := r.json["@odata.nextLink"].(string)
			if !ok {
				break
			}
			require.NotContains(t, next, "select", "options travel in the token, not the link")
			r = e.raw(t, http.MethodGet, next, tok, nil)
		}
		require.Equal(t, []string{"msg 05", "msg 04", "msg 03", "msg 02"}, subjects)
	})
	t.Run("ChangeTypeFilters", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		msgs := deliverN(t, e, 2, "")
		tok := e.token(e.alice)
		r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta?changeType=created", tok, nil, "Prefer", `IdType="ImmutableId"`)
		link := r.json["@odata.deltaLink"].(string)
		e.raw(t, http.MethodPatch, "/v1.0/me/messages/"+msgs[0].ID, tok, `{"isRead":true}`)
		added := deliverN(t, e, 1, "")[0]
		r = e.raw(t, http.MethodGet, link, tok, nil, "Prefer", `IdType="ImmutableId"`)
		vals := r.json["value"].([]any)
		require.Len(t, vals, 1)
		require.Equal(t, added.ID, vals[0].(map[string]any)["id"])
	})
	t.Run("UnsupportedOptionsAre400", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		tok := e.token(e.alice)
		for _, q := range []string{"$search=%22hello%22", "$filter=subject+eq+'x'", "$orderby=subject", "changeType=moved"} {
			r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta?"+q, tok, nil)
			requireGraphError(t, r, http.StatusBadRequest, "ErrorInvalidUrlQuery")
		}
	})
	t.Run("PagesMayBeEmptyButTheRoundCompletes", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		m := deliverN(t, e, 1, "")[0]
		// Many changes to one message leave superseded log entries that a
		// page scans past within its budget, yielding empty pages.
		e.srv.mu.Lock()
		mb := e.srv.mailboxLocked(e.alice.ID)
		for range 600 {
			mb.touch(mb.Messages[m.ID], e.clock.Now())
		}
		e.srv.mu.Unlock()
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		b := client.Me().MailFolders().ByMailFolderId("inbox").Messages().Delta()
		cfg := &users.ItemMailFoldersItemMessagesDeltaRequestBuilderGetRequestConfiguration{Headers: maxPageHeaders(1)}
		var empty, got int
		for {
			resp, err := b.GetAsDeltaGetResponse(context.Background(), cfg)
			require.NoError(t, err)
			if len(resp.GetValue()) == 0 && resp.GetOdataNextLink() != nil {
				empty++
			}
			got += len(resp.GetValue())
			if resp.GetOdataNextLink() == nil {
				break
			}
			b = b.WithUrl(*resp.GetOdataNextLink())
		}
		require.Positive(t, empty)
		require.Equal(t, 1, got)
	})
	t.Run("FilteredRoundIsCappedAt5000", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		_, err := e.srv.Generate(e.alice.ID, GenerateOptions{Seed: 7, Messages: 12000, OutboundRatio: 0.01, ReplyRatio: 0.01, BounceRatio: 0.01})
		require.NoError(t, err)
		tok := e.token(e.alice)
		n := 0
		next := "/v1.0/me/mailFolders/inbox/messages/delta?$select=id&$filter=receivedDateTime+ge+2000-01-01T00:00:00Z"
		for next != "" {
			r := e.raw(t, http.MethodGet, next, tok, nil, "Prefer", "odata.maxpagesize=1000")
			require.Equal(t, http.StatusOK, r.status)
			n += len(r.json["value"].([]any))
			next, _ = r.json["@odata.nextLink"].(string)
		}
		require.Equal(t, 5000, n)
	})
}

// deltaChange is one item of a delta page, in arrival order.
type deltaChange struct {
	id      string
	removed bool
}

// sdkDeltaRound follows a round with msgraph-sdk-go and returns its items
// in arrival order, duplicates kept, and the deltaLink.
func sdkDeltaRound(t *testing.T, first *users.ItemMailFoldersItemMessagesDeltaRequestBuilder, link string, pageSize int) ([]deltaChange, string) {
	t.Helper()
	cfg := &users.ItemMailFoldersItemMessagesDeltaRequestBuilderGetRequestConfiguration{Headers: maxPageHeaders(pageSize)}
	b := first
	if link != "" {
		b = first.WithUrl(link)
	}
	var out []deltaChange
	for {
		resp, err := b.GetAsDeltaGetResponse(context.Background(), cfg)
		require.NoError(t, err)
		for _, m := range resp.GetValue() {
			_, removed := m.GetAdditionalData()["@removed"]
			out = append(out, deltaChange{*m.GetId(), removed})
		}
		if next := resp.GetOdataNextLink(); next != nil {
			b = first.WithUrl(*next)
			continue
		}
		require.NotNil(t, resp.GetOdataDeltaLink())
		return out, *resp.GetOdataDeltaLink()
	}
}

// rawDeltaRound follows a round over plain HTTP from link (a path or an
// absolute link) and returns the item IDs in arrival order and the
// deltaLink.
func rawDeltaRound(t *testing.T, e *graphEnv, tok, link string) ([]string, string) {
	t.Helper()
	var ids []string
	for {
		r := e.raw(t, http.MethodGet, link, tok, nil, "Prefer", `odata.maxpagesize=2, IdType="ImmutableId"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		for _, v := range r.json["value"].([]any) {
			ids = append(ids, v.(map[string]any)["id"].(string))
		}
		if next, ok := r.json["@odata.nextLink"].(string); ok {
			link = next
			continue
		}
		return ids, r.json["@odata.deltaLink"].(string)
	}
}

func TestSim_ReplayDelta(t *testing.T) {
	t.Parallel()

	t.Run("SDKSeesDuplicatesAndTheDeltaLinkAdvances", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		msgs := deliverN(t, e, 5, "")
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		builder := client.Me().MailFolders().ByMailFolderId("inbox").Messages().Delta()
		initial, link1 := sdkDeltaRound(t, builder, "", 2)
		require.Len(t, initial, 5)

		require.NoError(t, e.srv.ReplayDelta(e.alice.ID, DeltaReplay{Folder: "inbox", Changes: 2}))
		added := deltaRoundAdded(t, e)
		got, link2 := sdkDeltaRound(t, builder, link1, 1)
		require.Equal(t, []deltaChange{{msgs[3].ID, false}, {msgs[4].ID, false}, {added.ID, false}}, got,
			"the last two changes of the previous round arrive again, then the new one")
		require.NotEqual(t, link1, link2)

		// The replay was one-shot and the new deltaLink starts after it.
		got, link3 := sdkDeltaRound(t, builder, link2, 1)
		require.Empty(t, got)

		// Removals are replayed too; asking for more than the previous
		// round delivered replays all of it.
		tok := e.token(e.alice)
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodPatch, "/v1.0/me/messages/"+msgs[0].ID, tok, `{"isRead":true}`).status)
		require.Equal(t, http.StatusNoContent, e.raw(t, http.MethodDelete, "/v1.0/me/messages/"+msgs[1].ID, tok, nil).status)
		changes := []deltaChange{{msgs[0].ID, false}, {msgs[1].ID, true}}
		got, link4 := sdkDeltaRound(t, builder, link3, 1)
		require.Equal(t, changes, got)
		require.NoError(t, e.srv.ReplayDelta(e.alice.UserPrincipalName, DeltaReplay{Changes: 10}))
		got, link5 := sdkDeltaRound(t, builder, link4, 1)
		require.Equal(t, changes, got)
		got, _ = sdkDeltaRound(t, builder, link5, 1)
		require.Empty(t, got)
	})
	t.Run("OnlyWhatThePreviousRoundDeliveredIsReplayed", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		msgs := deliverN(t, e, 3, "")
		tok := e.token(e.alice)
		// Deleted before the initial round, which leaves its removal out.
		require.Equal(t, http.StatusNoContent, e.raw(t, http.MethodDelete, "/v1.0/me/messages/"+msgs[1].ID, tok, nil).status)
		ids, link := rawDeltaRound(t, e, tok, "/v1.0/me/mailFolders/inbox/messages/delta")
		require.Equal(t, []string{msgs[0].ID, msgs[2].ID}, ids)

		require.NoError(t, e.srv.ReplayDelta(e.alice.ID, DeltaReplay{Changes: 2}))
		ids, _ = rawDeltaRound(t, e, tok, link)
		require.Equal(t, []string{msgs[0].ID, msgs[2].ID}, ids)
	})
	t.Run("FolderScopedReplayWaitsForItsFolder", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		deliverN(t, e, 2, "")
		sent := deliverN(t, e, 3, "sentitems")
		tok := e.token(e.alice)
		_, inboxLink := rawDeltaRound(t, e, tok, "/v1.0/me/mailFolders/inbox/messages/delta")
		ids, sentLink := rawDeltaRound(t, e, tok, "/v1.0/me/mailFolders/sentitems/messages/delta")
		require.Len(t, ids, 3)

		require.NoError(t, e.srv.ReplayDelta(e.alice.ID, DeltaReplay{Folder: "sentitems", Changes: 1}))
		ids, _ = rawDeltaRound(t, e, tok, inboxLink)
		require.Empty(t, ids, "another folder's round leaves the replay armed")
		ids, _ = rawDeltaRound(t, e, tok, sentLink)
		require.Equal(t, []string{sent[2].ID}, ids)
	})
	t.Run("ControlEndpointArmsAndClearFaultsDisarms", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		msgs := deliverN(t, e, 3, "")
		tok := e.token(e.alice)
		_, link := rawDeltaRound(t, e, tok, "/v1.0/me/mailFolders/inbox/messages/delta")

		r := e.raw(t, http.MethodPost, "/_m365sim/mailboxes/alice@contoso.example/replay-delta", "", `{"Folder":"inbox","Changes":2}`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, map[string]any{"Folder": "inbox", "Changes": float64(2)}, r.json)
		ids, link := rawDeltaRound(t, e, tok, link)
		require.Equal(t, []string{msgs[1].ID, msgs[2].ID}, ids)

		require.Equal(t, http.StatusOK, e.raw(t, http.MethodPost, "/_m365sim/mailboxes/"+e.alice.ID+"/replay-delta", "", `{"Changes":1}`).status)
		e.srv.ClearFaults()
		ids, _ = rawDeltaRound(t, e, tok, link)
		require.Empty(t, ids)

		require.Equal(t, http.StatusNotFound, e.raw(t, http.MethodPost, "/_m365sim/mailboxes/nobody@contoso.example/replay-delta", "", `{"Changes":1}`).status)
		require.Equal(t, http.StatusNotFound, e.raw(t, http.MethodPost, "/_m365sim/mailboxes/"+e.alice.ID+"/replay-delta", "", `{"Folder":"nope","Changes":1}`).status)
		require.Equal(t, http.StatusBadRequest, e.raw(t, http.MethodPost, "/_m365sim/mailboxes/"+e.alice.ID+"/replay-delta", "", `{"Changes":0}`).status)
	})
}

func TestConformance_32_DeltaTokenExpiry(t *testing.T) {
	t.Parallel()
	firstLink := func(t *testing.T, e *graphEnv) string {
		r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta?$select=subject", e.token(e.alice), nil)
		return r.json["@odata.deltaLink"].(string)
	}
	t.Run("SyncStateNotFound", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		deliverN(t, e, 1, "")
		link := firstLink(t, e)
		require.NoError(t, e.srv.ExpireDeltaTokens(e.alice.ID, DeltaExpirySyncState))
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		_, err := client.Me().MailFolders().ByMailFolderId("inbox").Messages().Delta().WithUrl(link).GetAsDeltaGetResponse(context.Background(), nil)
		var odErr *odataerrors.ODataError
		require.ErrorAs(t, err, &odErr)
		require.Equal(t, http.StatusGone, odErr.ResponseStatusCode)
		require.Equal(t, "SyncStateNotFound", *odErr.GetErrorEscaped().GetCode())
		require.Equal(t, "The sync state generation is not found.", odErr.Error())
		// A fresh initial round works again.
		_, err = client.Me().MailFolders().ByMailFolderId("inbox").Messages().Delta().GetAsDeltaGetResponse(context.Background(), nil)
		require.NoError(t, err)
	})
	t.Run("GoneWithLocation", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		link := firstLink(t, e)
		require.NoError(t, e.srv.ExpireDeltaTokens(e.alice.ID, DeltaExpiryGone))
		r := e.raw(t, http.MethodGet, link, e.token(e.alice), nil)
		requireGraphError(t, r, http.StatusGone, "ResyncRequired")
		loc := r.header.Get("Location")
		require.True(t, strings.HasPrefix(loc, e.srv.URL+"/v1.0/me/mailFolders("), loc)
		require.Contains(t, loc, "$select=subject")
		r = e.raw(t, http.MethodGet, loc, e.token(e.alice), nil)
		require.Equal(t, http.StatusOK, r.status)
	})
	t.Run("UnknownTokenIsSyncStateNotFound", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		// A token that does not decode is malformed (item 46).
		r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=garbage", e.token(e.alice), nil)
		requireGraphError(t, r, http.StatusBadRequest, "ErrorInvalidUrlQuery")
		// A token of another folder is unknown here.
		link := firstLink(t, e)
		r = e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/sentitems/messages/delta?"+strings.SplitN(link, "?", 2)[1], e.token(e.alice), nil)
		requireGraphError(t, r, http.StatusGone, "SyncStateNotFound")
	})
}

func TestConformance_33_CalendarViewDelta(t *testing.T) {
	t.Parallel()
	type testBundle struct {
		e          *graphEnv
		in, moving Event
		client     *msgraphsdk.GraphServiceClient
		start, end string
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		e := newGraphEnv(t)
		now := e.clock.Now()
		in, err := e.srv.AddEvent(e.alice.ID, Event{Subject: "in window", Start: now.Add(24 * time.Hour), End: now.Add(25 * time.Hour)})
		require.NoError(t, err)
		moving, err := e.srv.AddEvent(e.alice.ID, Event{Subject: "will move out", Start: now.Add(48 * time.Hour), End: now.Add(49 * time.Hour)})
		require.NoError(t, err)
		_, err = e.srv.AddEvent(e.alice.ID, Event{Subject: "outside", Start: now.Add(40 * 24 * time.Hour), End: now.Add(40*24*time.Hour + time.Hour)})
		require.NoError(t, err)
		client, _, _ := e.sdk(t, e.alice, sdkOpts{})
		return &testBundle{e: e, in: in, moving: moving, client: client,
			start: now.Format(time.RFC3339), end: now.Add(7 * 24 * time.Hour).Format(time.RFC3339)}
	}

	round := func(t *testing.T, tb *testBundle, link string, h *abstractions.RequestHeaders) (map[string]models.Eventable, map[string]bool, string) {
		client, start, end := tb.client, tb.start, tb.end
		b := client.Me().CalendarView().Delta()
		cfg := &users.ItemCalendarViewDeltaRequestBuilderGetRequestConfiguration{Headers: h}
		if link != "" {
			b = b.WithUrl(link)
		} else {
			cfg.QueryParameters = &users.ItemCalendarViewDeltaRequestBuilderGetQueryParameters{StartDateTime: &start, EndDateTime: &end}
		}
		events, removed := map[string]models.Eventable{}, map[string]bool{}
		for {
			resp, err := b.GetAsDeltaGetResponse(context.Background(), cfg)
			require.NoError(t, err)
			for _, ev := range resp.GetValue() {
				if _, ok := ev.GetAdditionalData()["@removed"]; ok {
					removed[*ev.GetId()] = true
				} else {
					events[*ev.GetId()] = ev
				}
			}
			if next := resp.GetOdataNextLink(); next != nil {
				b = client.Me().CalendarView().Delta().WithUrl(*next)
				continue
			}
			return events, removed, *resp.GetOdataDeltaLink()
		}
	}

	t.Run("WindowRoundThenDeletionsAndMovesOutAreRemoved", func(t *testing.T) {
		t.Parallel()
		h := abstractions.NewRequestHeaders()
		h.Add("Prefer", "odata.maxpagesize=1")
		h.Add("Prefer", `outlook.timezone="Pacific Standard Time"`)
		tb := setup(t)
		e, in, moving, now := tb.e, tb.in, tb.moving, tb.e.clock.Now()
		events, removed, link := round(t, tb, "", h)
		require.Len(t, events, 2)
		require.Empty(t, removed)
		ev := events[in.ID]
		require.Equal(t, "Pacific Standard Time", *ev.GetStart().GetTimeZone())
		require.Equal(t, in.Start.In(mustLoc(t, "America/Los_Angeles")).Format("2006-01-02T15:04:05.0000000"), *ev.GetStart().GetDateTime())

		tok := e.token(e.alice)
		require.Equal(t, http.StatusNoContent, e.raw(t, http.MethodDelete, "/v1.0/me/events/"+in.ID, tok, nil).status)
		far := now.Add(30 * 24 * time.Hour).Format("2006-01-02T15:04:05")
		r := e.raw(t, http.MethodPatch, "/v1.0/me/events/"+moving.ID, tok, `{"start":{"dateTime":"`+far+`","timeZone":"UTC"},"end":{"dateTime":"`+far+`","timeZone":"UTC"}}`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		events, removed, _ = round(t, tb, link, nil)
		require.Empty(t, events)
		require.Equal(t, map[string]bool{in.ID: true, moving.ID: true}, removed)
	})
	t.Run("WindowRequiredOnFirstCallNamesCaseInsensitive", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		e, start, end := tb.e, tb.start, tb.end
		tok := e.token(e.alice)
		r := e.raw(t, http.MethodGet, "/v1.0/me/calendarView/delta", tok, nil)
		requireGraphError(t, r, http.StatusBadRequest, "ErrorInvalidParameter")
		r = e.raw(t, http.MethodGet, "/v1.0/me/calendarView/delta()?STARTDATETIME="+start+"&enddatetime="+end, tok, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, "UTC", r.json["value"].([]any)[0].(map[string]any)["start"].(map[string]any)["timeZone"])
	})
	t.Run("QueryOptionsRejected", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		e, start, end := tb.e, tb.start, tb.end
		tok := e.token(e.alice)
		for _, q := range []string{"$select=subject", "$expand=attachments", "$filter=subject+eq+'x'", "$orderby=start", "$search=%22x%22"} {
			r := e.raw(t, http.MethodGet, "/v1.0/me/calendarView/delta?startDateTime="+start+"&endDateTime="+end+"&"+q, tok, nil)
			requireGraphError(t, r, http.StatusBadRequest, "ErrorInvalidUrlQuery")
		}
	})
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}
