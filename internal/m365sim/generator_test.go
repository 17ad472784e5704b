package m365sim

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSim_Generate(t *testing.T) {
	t.Parallel()

	t.Run("DeterministicFromTheSeed", func(t *testing.T) {
		t.Parallel()
		gen := func(seed uint64) ([]Message, GenerateResult) {
			e := newGraphEnv(t)
			res, err := e.srv.Generate(e.alice.ID, GenerateOptions{Seed: seed, Messages: 300, Events: 5})
			require.NoError(t, err)
			msgs, err := e.srv.Messages(e.alice.ID, "")
			require.NoError(t, err)
			for i := range msgs {
				msgs[i].ChangeKey, msgs[i].FolderID, msgs[i].Seq, msgs[i].FolderSeq = "", "", 0, 0
			}
			res.Mailbox = ""
			return msgs, res
		}
		a, ra := gen(42)
		b, rb := gen(42)
		c, _ := gen(43)
		require.Equal(t, ra, rb)
		require.Equal(t, a, b)
		require.NotEqual(t, a[0].ID, c[0].ID)
	})
	t.Run("ThreadsBouncesAndEvents", func(t *testing.T) {
		t.Parallel()
		e := newGraphEnv(t)
		res, err := e.srv.Generate(e.alice.ID, GenerateOptions{
			Seed: 1, Messages: 2000, Events: 20, BounceRatio: 0.2,
			Prospects: []string{"dana.swope@fabrikam.example", "li.wei@northwind.example"},
		})
		require.NoError(t, err)
		require.Equal(t, 2000, res.Messages)
		require.Equal(t, res.Messages, res.Inbox+res.SentItems)
		require.Positive(t, res.Bounces)
		require.Equal(t, 20, res.Events)
		inbox, _ := e.srv.Messages(e.alice.ID, "inbox")
		sent, _ := e.srv.Messages(e.alice.ID, "sentitems")
		require.Len(t, inbox, res.Inbox)
		require.Len(t, sent, res.SentItems)

		byConv := map[string][]Message{}
		byMsgID := map[string]Message{}
		for _, m := range append(inbox, sent...) {
			byConv[m.ConversationID] = append(byConv[m.ConversationID], m)
			byMsgID[m.InternetMessageID] = m
		}
		require.Equal(t, res.Threads, len(byConv))
		var replies, ndrs int
		for _, m := range inbox {
			if m.IsNDR {
				ndrs++
				require.True(t, strings.HasPrefix(m.Subject, "Undeliverable: "))
				orig, ok := byMsgID[m.InReplyTo]
				require.True(t, ok, "an NDR refers to a sent message")
				require.Equal(t, orig.ConversationID, m.ConversationID)
				continue
			}
			require.Contains(t, []string{"dana.swope@fabrikam.example", "li.wei@northwind.example"}, m.From.Address)
			if m.InReplyTo != "" {
				replies++
				parent, ok := byMsgID[m.InReplyTo]
				require.True(t, ok)
				require.Equal(t, parent.ConversationID, m.ConversationID)
				require.True(t, strings.HasPrefix(m.Subject, "RE: "))
				require.True(t, m.ReceivedAt.After(parent.ReceivedAt))
			}
		}
		require.Equal(t, res.Bounces, ndrs)
		require.Positive(t, replies)
		// Replies are found through the API by conversation.
		var conv string
		for _, m := range inbox {
			if m.InReplyTo != "" && !m.IsNDR {
				conv = m.ConversationID
				break
			}
		}
		r := e.raw(t, http.MethodGet, "/v1.0/me/messages?$filter=conversationId+eq+'"+conv+"'&$top=50", e.token(e.alice), nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Len(t, r.json["value"], len(byConv[conv]))
	})
	t.Run("GeneratedMailboxRoundTripsThroughTheStateFile", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "state.json")
		e := newGraphEnv(t, withStatePath(path))
		_, err := e.srv.Generate(e.alice.ID, GenerateOptions{Seed: 9, Messages: 500, Events: 10})
		require.NoError(t, err)
		tok := e.token(e.alice)
		r := e.raw(t, http.MethodGet, "/v1.0/me/mailFolders/inbox/messages/delta?$select=id", tok, nil, "Prefer", "odata.maxpagesize=1000")
		link := r.json["@odata.deltaLink"].(string)
		before, _ := e.srv.Messages(e.alice.ID, "")
		require.NoError(t, e.srv.Save())

		s2, err := New(Config{StatePath: path, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: e.clock.Now, PublicURL: e.srv.URL})
		require.NoError(t, err)
		after, err := s2.Messages(e.alice.ID, "")
		require.NoError(t, err)
		require.Equal(t, len(before), len(after))
		for i := range before {
			require.Equal(t, before[i].ID, after[i].ID)
			require.Equal(t, before[i].RestID, after[i].RestID)
			require.Equal(t, before[i].ConversationID, after[i].ConversationID)
			require.True(t, before[i].ReceivedAt.Equal(after[i].ReceivedAt))
		}
		// The deltaLink minted before the restart still works after it.
		u := s2.st.Users[e.alice.ID]
		app := s2.st.Apps[e.app.ClientID]
		tok2, _ := s2.issueAccessToken(u, app, allGraphScopes)
		req, _ := http.NewRequest(http.MethodGet, link, nil)
		req.Header.Set("Authorization", "Bearer "+tok2)
		rec := &itemRecorder{h: http.Header{}}
		s2.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.status, rec.buf.String())
		require.Contains(t, rec.buf.String(), "@odata.deltaLink")
	})
}

func BenchmarkGenerate100k(b *testing.B) {
	s, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(b, err)
	tn, err := s.AddTenant(Tenant{Domains: []string{"bench.example"}})
	require.NoError(b, err)
	for i := 0; b.Loop(); i++ {
		upn := "u" + time.Now().Format("150405.000000000") + "@bench.example"
		u, err := s.AddUser(User{TenantID: tn.ID, UserPrincipalName: upn, Mail: upn})
		require.NoError(b, err)
		_, err = s.Generate(u.ID, GenerateOptions{Seed: uint64(i), Messages: 100_000})
		require.NoError(b, err)
	}
}
