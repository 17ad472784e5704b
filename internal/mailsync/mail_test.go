package mailsync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/syncedmessage"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/m365sim"
	"mailbridge/internal/microsoft"
)

// The first round imports Inbox and Sent Items over several pages and
// keeps only messages with a known prospect among the participants, with
// their headers, threading and snippet; the next round picks up what
// arrived since, once.
func TestSync_InitialAndIncremental(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.connected("ann@contoso.com")
		p := e.prospect("pat@customer.example")
		first := e.deliver(b, "pat@customer.example", "Hello from Pat")
		for range 10 {
			e.deliver(b, "stranger@elsewhere.example", "Not a prospect")
		}
		e.deliver(b, "pat@customer.example", "Re: Hello from Pat", func(in *m365sim.InboundMessage) { in.InReplyTo = first.InternetMessageID })
		e.deliver(b, "PAT@Customer.example", "Old news", func(in *m365sim.InboundMessage) { in.ReceivedAt = e.clock.Now().Add(-120 * 24 * time.Hour) })

		e.sync(b)
		ms := e.messages(b)
		require.Equal(t, []string{"Hello from Pat", "Re: Hello from Pat"}, subjects(ms), "only prospects' messages within the 90-day window")
		m := ms[1]
		require.Equal(t, syncedmessage.FolderINBOX, m.Folder)
		require.Equal(t, "pat@customer.example", m.FromAddress)
		require.Equal(t, []string{"ann@contoso.com"}, m.ToAddresses)
		require.Equal(t, first.ConversationID, m.ConversationID)
		require.Equal(t, first.InternetMessageID, m.InReplyTo)
		require.Contains(t, m.References, first.InternetMessageID)
		require.NotEmpty(t, m.InternetMessageID)
		require.NotNil(t, m.Snippet)
		require.Contains(t, *m.Snippet, "Body of Re: Hello from Pat")
		require.Len(t, m.Edges.Prospects, 1)
		require.Equal(t, p.ID, m.Edges.Prospects[0].ID)

		mb := e.mailbox(b)
		require.Equal(t, mailbox.SyncStageINCREMENTAL, mb.SyncStage)
		require.NotNil(t, mb.LastSyncedAt)
		require.Nil(t, mb.LastSyncError)
		require.Equal(t, 13, mb.SyncProgressDone, "every message examined counts as progress")

		e.clock.Advance(time.Minute)
		e.deliver(b, "pat@customer.example", "One more thing")
		e.sync(b)
		e.sync(b)
		require.Equal(t, []string{"Hello from Pat", "Re: Hello from Pat", "One more thing"}, subjects(e.messages(b)))
	})
}

// Messages deleted (or moved away) in Outlook arrive as @removed and are
// deleted here too.
func TestSync_RemovedMessagesAreDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	b := e.connected("ann@contoso.com")
	e.prospect("pat@customer.example")
	keep := e.deliver(b, "pat@customer.example", "Keep me")
	gone := e.deliver(b, "pat@customer.example", "Delete me")
	e.sync(b)
	require.Len(t, e.messages(b), 2)

	gc, err := e.svc.AccountGraph(context.Background(), b.account, microsoft.SyncConcurrency)
	require.NoError(t, err)
	require.NoError(t, gc.Me().Messages().ByMessageId(gone.ID).Delete(context.Background(), nil))
	e.sync(b)
	ms := e.messages(b)
	require.Equal(t, []string{"Keep me"}, subjects(ms))
	require.Equal(t, keep.ID, ms[0].GraphID)
}

// Every way Graph says a delta cursor is no longer good leads to a full
// import of the folder that creates no duplicates and misses nothing.
func TestSync_ExpiredCursorResyncsWithoutDuplicates(t *testing.T) {
	t.Parallel()
	for _, mode := range []m365sim.DeltaExpiryMode{
		m365sim.DeltaExpirySyncState, m365sim.DeltaExpirySyncStateLower, m365sim.DeltaExpiryInvalid,
		m365sim.DeltaExpiryGone, m365sim.DeltaExpiryMalformed,
	} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, dbtest.SQLite(t))
			b := e.connected("ann@contoso.com")
			e.prospect("pat@customer.example")
			for range 9 {
				e.deliver(b, "pat@customer.example", "Before")
			}
			e.sync(b)
			require.Len(t, e.messages(b), 9)

			require.NoError(t, e.sim.ExpireDeltaTokens(b.address, mode))
			e.deliver(b, "pat@customer.example", "After")
			e.sync(b)
			ms := e.messages(b)
			require.Len(t, ms, 10, "no duplicates, nothing missed")
			require.Equal(t, "After", ms[9].Subject)
			mb := e.mailbox(b)
			require.Equal(t, mailbox.SyncStageINCREMENTAL, mb.SyncStage)
			require.Nil(t, mb.LastSyncError)

			// And the new cursor works.
			e.deliver(b, "pat@customer.example", "Later")
			e.sync(b)
			require.Len(t, e.messages(b), 11)
		})
	}
}

// The organization's headers-only setting keeps no snippet.
func TestSync_HeadersOnlyKeepsNoSnippet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	b := e.connected("ann@contoso.com")
	e.prospect("pat@customer.example")
	require.NoError(t, e.client.Organization.UpdateOneID(e.org.ID).SetSyncHeadersOnly(true).Exec(e.sys))
	e.deliver(b, "pat@customer.example", "Secret plans")
	e.sync(b)
	ms := e.messages(b)
	require.Len(t, ms, 1)
	require.Equal(t, "Secret plans", ms[0].Subject)
	require.Nil(t, ms[0].Snippet)
}
