package m365sim

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestControl_MailEndpoints(t *testing.T) {
	t.Parallel()
	type testBundle struct {
		e   *graphEnv
		tok string
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		e := newGraphEnv(t)
		return &testBundle{e: e, tok: e.token(e.alice)}
	}
	ctl := func(t *testing.T, e *graphEnv, method, path string, body any) rawResp {
		t.Helper()
		return e.raw(t, method, "/_m365sim"+path, "", body)
	}

	t.Run("GenerateDeliverAndInspect", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		e := tb.e
		r := ctl(t, e, http.MethodPost, "/mailboxes/alice@contoso.example/generate", map[string]any{"Seed": 3, "Messages": 40, "Events": 2})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, float64(40), r.json["Messages"])
		r = ctl(t, e, http.MethodPost, "/mailboxes/alice@contoso.example/deliver", map[string]any{"From": map[string]any{"address": "p@example.org"}, "Subject": "reply"})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		inbox, err := e.srv.Messages(e.alice.ID, "inbox")
		require.NoError(t, err)
		r = ctl(t, e, http.MethodGet, "/mailboxes/alice@contoso.example/messages?folder=inbox", nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, string(r.body), `"Subject":"reply"`)
		require.Len(t, r.arr, len(inbox))
		r = ctl(t, e, http.MethodPost, "/mailboxes/alice@contoso.example/events", map[string]any{"Subject": "demo", "Start": e.clock.Now(), "End": e.clock.Now().Add(time.Hour)})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.NotEmpty(t, r.json["ID"])
	})
	t.Run("SentCountersAndRequests", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		e := tb.e
		require.Equal(t, http.StatusAccepted, e.raw(t, http.MethodPost, "/v1.0/me/sendMail", tb.tok, `{"message":{"subject":"hi","toRecipients":[{"emailAddress":{"address":"p@example.org"}}]}}`).status)
		r := ctl(t, e, http.MethodGet, "/mailboxes/"+e.alice.ID+"/sent", nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, string(r.body), `"Subject":"hi"`)
		r = ctl(t, e, http.MethodGet, "/mailboxes/"+e.alice.ID+"/counters", nil)
		require.Equal(t, float64(1), r.json["send"].(map[string]any)["Sent"])
		require.Len(t, r.json["throttle"], 1)
		require.Len(t, ctl(t, e, http.MethodGet, "/counters", nil).arr, 1)
		r = ctl(t, e, http.MethodGet, "/requests", nil)
		require.Contains(t, string(r.body), "/v1.0/me/sendMail")
		require.Equal(t, http.StatusOK, ctl(t, e, http.MethodPost, "/counters/reset", nil).status)
		sc, _ := e.srv.SendCounters(e.alice.ID)
		require.Zero(t, sc.Sent)
		require.Equal(t, http.StatusNotFound, ctl(t, e, http.MethodGet, "/mailboxes/nobody@contoso.example/sent", nil).status)
	})
	t.Run("FaultsOptionsExpiryAndRevocation", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		e, tok := tb.e, tb.tok
		r := ctl(t, e, http.MethodPost, "/faults", map[string]any{"Mailbox": "alice@contoso.example", "Kind": "delay", "Delay": "1ms", "Count": -1})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, float64(time.Millisecond), r.json["Delay"])
		require.Len(t, ctl(t, e, http.MethodGet, "/faults", nil).arr, 1)
		require.Equal(t, http.StatusOK, ctl(t, e, http.MethodDelete, "/faults/"+r.json["ID"].(string), nil).status)
		require.Empty(t, e.srv.Faults())
		require.Equal(t, http.StatusBadRequest, ctl(t, e, http.MethodPost, "/faults", map[string]any{"Kind": "meteor"}).status)

		require.Equal(t, http.StatusOK, ctl(t, e, http.MethodPut, "/mailboxes/alice@contoso.example/options", map[string]any{"SentItemsDelay": "1m", "BounceExternal": true}).status)
		require.Equal(t, http.StatusAccepted, e.raw(t, http.MethodPost, "/v1.0/me/sendMail", tok, `{"message":{"subject":"later","toRecipients":[{"emailAddress":{"address":"p@example.org"}}]}}`).status)
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Empty(t, sent)
		e.clock.Advance(time.Minute)
		sent, _ = e.srv.Messages(e.alice.ID, "sentitems")
		require.Len(t, sent, 1)
		inbox, _ := e.srv.Messages(e.alice.ID, "inbox")
		require.Len(t, inbox, 1, "BounceExternal produced an NDR")

		link := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta", tok, nil).json["@odata.deltaLink"].(string)
		require.Equal(t, http.StatusOK, ctl(t, e, http.MethodPost, "/mailboxes/alice@contoso.example/expire-delta", map[string]any{"Mode": "gone"}).status)
		require.Equal(t, http.StatusGone, e.raw(t, http.MethodGet, link, tok, nil).status)

		require.Equal(t, http.StatusOK, ctl(t, e, http.MethodPost, "/mailboxes/alice@contoso.example/revoke", map[string]any{"CAE": false}).status)
		require.Equal(t, http.StatusUnauthorized, e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil).status)
		require.Equal(t, http.StatusOK, ctl(t, e, http.MethodDelete, "/mailboxes/alice@contoso.example/revoke", nil).status)
		require.Equal(t, http.StatusOK, e.raw(t, http.MethodGet, "/v1.0/me/messages", tok, nil).status)
		require.Equal(t, http.StatusOK, ctl(t, e, http.MethodDelete, "/faults", nil).status)
	})
}
