package mailsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"golang.org/x/sync/errgroup"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/organization"
	"mailbridge/ent/prospect"
	"mailbridge/ent/synccursor"
	"mailbridge/ent/syncedmessage"
	"mailbridge/internal/microsoft"
	"mailbridge/internal/txn"
)

// mailFolders are the folders synced, by well-known name.
var mailFolders = []struct {
	name   string
	folder syncedmessage.Folder
}{
	{"inbox", syncedmessage.FolderINBOX},
	{"sentitems", syncedmessage.FolderSENT_ITEMS},
}

// messageSelect is the minimal $select: what SyncedMessage stores, plus
// the headers that carry threading and non-delivery reports.
var messageSelect = []string{
	"subject", "from", "toRecipients", "ccRecipients", "bccRecipients", "receivedDateTime", "sentDateTime",
	"conversationId", "internetMessageId", "bodyPreview", "internetMessageHeaders",
}

// round is one sync round of one account.
type round struct {
	s           *Syncer
	acct        *account
	gc          *msgraphsdk.GraphServiceClient
	headersOnly bool
	// initial is set while a folder is in its first (or a full re-)import.
	initial atomic.Bool
}

func (r *round) run(ctx context.Context) error {
	org, err := r.s.client.Organization.Query().Where(organization.ID(r.acct.OrgID)).Only(ctx)
	if err != nil {
		return fmt.Errorf("mailsync: organization: %w", err)
	}
	r.headersOnly = org.SyncHeadersOnly
	if err := r.startImport(ctx); err != nil {
		return err
	}
	// The folders and the calendar run side by side: at most one request
	// each, three in all — sync's share of the mailbox's four.
	g, gctx := errgroup.WithContext(ctx)
	for _, f := range mailFolders {
		g.Go(func() error { return r.folder(gctx, f.name, f.folder) })
	}
	g.Go(func() error { return r.calendar(gctx) })
	if err := g.Wait(); err != nil {
		return err
	}
	return r.subscription(ctx)
}

// cursor returns the account's cursor for folder, creating it.
func (r *round) cursor(ctx context.Context, folder string) (*ent.SyncCursor, error) {
	q := r.s.client.SyncCursor.Query().Where(synccursor.MicrosoftAccountID(r.acct.ID), synccursor.Folder(folder))
	c, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		err = r.s.client.SyncCursor.Create().SetOrgID(r.acct.OrgID).SetMicrosoftAccountID(r.acct.ID).SetFolder(folder).
			OnConflictColumns(synccursor.FieldMicrosoftAccountID, synccursor.FieldFolder).Ignore().Exec(ctx)
		if err == nil {
			c, err = q.Only(ctx)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("mailsync: cursor %s: %w", folder, err)
	}
	return c, nil
}

// startImport shows INITIAL_SYNC with progress counts when a mail folder
// has never completed a round (or must be imported again).
func (r *round) startImport(ctx context.Context) error {
	total := 0
	for _, f := range mailFolders {
		c, err := r.cursor(ctx, f.name)
		if err != nil {
			return err
		}
		if c.DeltaLink != nil {
			continue
		}
		r.initial.Store(true)
		n, err := r.folderSize(ctx, f.name)
		if err != nil {
			return err
		}
		total += n
	}
	if !r.initial.Load() {
		return nil
	}
	resuming, err := r.s.client.Mailbox.Query().Where(entmailbox.IDIn(r.acct.mailboxes...), entmailbox.SyncStageEQ(entmailbox.SyncStageINITIAL_SYNC)).Exist(ctx)
	if err != nil {
		return err
	}
	return r.s.setStage(ctx, r.acct, entmailbox.SyncStageINITIAL_SYNC, func(u *ent.MailboxUpdate) {
		u.SetSyncProgressTotal(total)
		if !resuming {
			u.SetSyncProgressDone(0)
		}
	})
}

// folderSize is the folder's totalItemCount.
func (r *round) folderSize(ctx context.Context, folder string) (int, error) {
	f, err := r.gc.Me().MailFolders().ByMailFolderId(folder).Get(ctx, &users.ItemMailFoldersMailFolderItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemMailFoldersMailFolderItemRequestBuilderGetQueryParameters{Select: []string{"totalItemCount"}},
		Options:         []abs.RequestOption{microsoft.NoRetry()},
	})
	if err != nil {
		return 0, err
	}
	if n := f.GetTotalItemCount(); n != nil {
		return int(*n), nil
	}
	return 0, nil
}

// folder runs the delta round of one mail folder from its cursor to a new
// delta link, committing each page together with the link that follows it.
func (r *round) folder(ctx context.Context, name string, folder syncedmessage.Folder) error {
	cur, err := r.cursor(ctx, name)
	if err != nil {
		return err
	}
	link := deref(cur.NextLink, deref(cur.DeltaLink, ""))
	if cur.WindowStart == nil || link == "" {
		if cur, err = r.resetCursor(ctx, cur, r.s.now().Add(-r.s.o.InitialWindow)); err != nil {
			return err
		}
	}
	first := func() (*abs.RequestInformation, error) {
		return r.gc.Me().MailFolders().ByMailFolderId(name).Messages().Delta().ToGetRequestInformation(ctx,
			&users.ItemMailFoldersItemMessagesDeltaRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.ItemMailFoldersItemMessagesDeltaRequestBuilderGetQueryParameters{Select: messageSelect},
			})
	}
	// The next page is fetched while the current one is stored: still one
	// request at a time per folder, but Graph and the database overlap.
	type fetched struct {
		page mailPage
		err  error
	}
	fetch := func(link string) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			var f fetched
			f.err = r.get(ctx, link, &f.page, first)
			ch <- f
		}()
		return ch
	}
	resynced := false
	next := fetch(link)
	for {
		if err := r.checkOn(ctx); err != nil {
			return err
		}
		f := <-next
		if err := f.err; err != nil {
			if link != "" && !resynced && cursorExpired(err) {
				// The delta or skip token is gone: import the folder again.
				// Upserts by Graph id keep it free of duplicates.
				r.s.log.Info("mailsync: delta cursor expired; importing the folder again", "account", r.acct.ID, "folder", name, "error", err)
				resynced, link = true, ""
				if cur, err = r.resetCursor(ctx, cur, r.s.now().Add(-r.s.o.InitialWindow)); err != nil {
					return err
				}
				if err := r.restartImport(ctx); err != nil {
					return err
				}
				next = fetch(link)
				continue
			}
			return err
		}
		page := &f.page
		if page.DeltaLink == "" && page.NextLink == "" {
			return errors.New("mailsync: a delta page had neither a nextLink nor a deltaLink")
		}
		if page.DeltaLink == "" {
			next = fetch(page.NextLink)
		}
		if err := r.applyMailPage(ctx, cur, folder, page); err != nil {
			return err
		}
		if page.DeltaLink != "" {
			return nil
		}
		link = page.NextLink
	}
}

func (r *round) restartImport(ctx context.Context) error {
	r.initial.Store(true)
	return r.s.setStage(ctx, r.acct, entmailbox.SyncStageINITIAL_SYNC, nil)
}

func (r *round) resetCursor(ctx context.Context, cur *ent.SyncCursor, windowStart time.Time) (*ent.SyncCursor, error) {
	return cur.Update().ClearNextLink().ClearDeltaLink().SetWindowStart(windowStart.UTC()).Save(ctx)
}

func (r *round) checkOn(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	on, err := r.s.stillOn(ctx, r.acct.ID)
	if err != nil {
		return err
	}
	if !on {
		return errPaused
	}
	return nil
}

var errorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// get fetches one delta page: link when set (followed verbatim), else the
// request first builds. The SDK does not retry it: a throttled round
// stops and is snoozed, so it holds no worker while it waits.
func (r *round) get(ctx context.Context, link string, into any, first func() (*abs.RequestInformation, error)) error {
	var ri *abs.RequestInformation
	if link != "" {
		u, err := url.Parse(link)
		if err != nil {
			return fmt.Errorf("mailsync: stored link: %w", err)
		}
		ri = abs.NewRequestInformation()
		ri.Method = abs.GET
		ri.SetUri(*u)
	} else {
		var err error
		if ri, err = first(); err != nil {
			return err
		}
	}
	ri.Headers.Add("Prefer", fmt.Sprintf("odata.maxpagesize=%d", r.s.o.PageSize))
	ri.Headers.Add("Prefer", `IdType="ImmutableId"`)
	ri.Headers.TryAdd("Accept", "application/json")
	ri.AddRequestOptions([]abs.RequestOption{microsoft.NoRetry()})
	raw, err := r.gc.GetAdapter().SendPrimitive(ctx, ri, "[]byte", errorMapping)
	if err != nil {
		return err
	}
	b, _ := raw.([]byte)
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("mailsync: decode delta page: %w", err)
	}
	return nil
}

// cursorExpired reports whether err, the answer to a stored delta or skip
// link, says the cursor can no longer be used (MICROSOFT.md §3.5): 410
// Gone, any 4xx whose code is syncStateNotFound, SyncStateInvalid or
// resyncRequired in any letter case, or a 400 (Exchange answers a token it
// cannot parse so, §0 item 26; the link is Graph's own, so only a fresh
// start can cure it). Callers resync at most once per round.
func cursorExpired(err error) bool {
	f := microsoft.ClassifyGraphError(err)
	if f.Status == http.StatusGone || f.Status == http.StatusBadRequest {
		return true
	}
	if f.Status < 400 || f.Status >= 500 {
		return false
	}
	code := strings.ToLower(f.Code)
	return code == "syncstatenotfound" || code == "syncstateinvalid" || code == "resyncrequired"
}

type mailPage struct {
	NextLink  string         `json:"@odata.nextLink"`
	DeltaLink string         `json:"@odata.deltaLink"`
	Value     []graphMessage `json:"value"`
}

type recipient struct {
	EmailAddress struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

type graphMessage struct {
	ID                     string          `json:"id"`
	Removed                json.RawMessage `json:"@removed"`
	Subject                *string         `json:"subject"`
	From                   *recipient      `json:"from"`
	To                     []recipient     `json:"toRecipients"`
	Cc                     []recipient     `json:"ccRecipients"`
	Bcc                    []recipient     `json:"bccRecipients"`
	ReceivedDateTime       *time.Time      `json:"receivedDateTime"`
	SentDateTime           *time.Time      `json:"sentDateTime"`
	ConversationID         string          `json:"conversationId"`
	InternetMessageID      string          `json:"internetMessageId"`
	BodyPreview            *string         `json:"bodyPreview"`
	InternetMessageHeaders []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"internetMessageHeaders"`
}

func (m *graphMessage) header(name string) (string, bool) {
	for _, h := range m.InternetMessageHeaders {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// isNDR reports whether m is a non-delivery report: Exchange marks its
// own with X-MS-Exchange-Message-Is-Ndr; any MTA's is a multipart/report
// of report-type delivery-status (RFC 3464).
func (m *graphMessage) isNDR() bool {
	if _, ok := m.header("X-MS-Exchange-Message-Is-Ndr"); ok {
		return true
	}
	ct, _ := m.header("Content-Type")
	ct = strings.ToLower(ct)
	return strings.Contains(ct, "multipart/report") && strings.Contains(ct, "delivery-status")
}

// isAutoReply reports an automatic message (out of office and the like,
// RFC 3834), which is no reply from the prospect.
func (m *graphMessage) isAutoReply() bool {
	v, ok := m.header("Auto-Submitted")
	return ok && !strings.EqualFold(strings.TrimSpace(v), "no")
}

// participants are the lowercase addresses on m other than the account's own.
func (m *graphMessage) participants(own map[string]bool) []string {
	var out []string
	add := func(r *recipient) {
		if r == nil {
			return
		}
		a := lower(r.EmailAddress.Address)
		if a != "" && !own[a] && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	add(m.From)
	for _, l := range [][]recipient{m.To, m.Cc, m.Bcc} {
		for i := range l {
			add(&l[i])
		}
	}
	return out
}

func addresses(rs []recipient) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, lower(r.EmailAddress.Address))
	}
	return out
}

// applyMailPage stores one page in one transaction: removals, the messages
// that involve a known prospect (upserted by Graph id), replies and
// bounces they reveal, progress, and the cursor's next link.
func (r *round) applyMailPage(ctx context.Context, cur *ent.SyncCursor, folder syncedmessage.Folder, page *mailPage) error {
	return txn.Run(ctx, r.s.client, func(ctx context.Context, c *ent.Client) error {
		var removed, ids, addrs []string
		for i := range page.Value {
			m := &page.Value[i]
			if len(m.Removed) > 0 {
				removed = append(removed, m.ID)
				continue
			}
			ids = append(ids, m.ID)
			for _, a := range m.participants(r.acct.own) {
				if !slices.Contains(addrs, a) {
					addrs = append(addrs, a)
				}
			}
		}
		if len(removed) > 0 {
			if _, err := c.SyncedMessage.Delete().Where(syncedmessage.MicrosoftAccountID(r.acct.ID),
				syncedmessage.GraphIDIn(removed...), syncedmessage.FolderEQ(folder)).Exec(ctx); err != nil {
				return fmt.Errorf("mailsync: apply @removed: %w", err)
			}
		}
		prospects := map[string]int{}
		if len(addrs) > 0 {
			ps, err := c.Prospect.Query().Where(prospect.OrgID(r.acct.OrgID), prospect.EmailIn(addrs...)).
				Select(prospect.FieldID, prospect.FieldEmail).All(ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				prospects[lower(p.Email)] = p.ID
			}
		}
		existing := map[string]int{}
		if len(ids) > 0 {
			rows, err := c.SyncedMessage.Query().Where(syncedmessage.MicrosoftAccountID(r.acct.ID), syncedmessage.GraphIDIn(ids...)).
				Select(syncedmessage.FieldID, syncedmessage.FieldGraphID).All(ctx)
			if err != nil {
				return err
			}
			for _, m := range rows {
				existing[m.GraphID] = m.ID
			}
		}
		var creates []*ent.SyncedMessageCreate
		var replies []reply
		for i := range page.Value {
			m := &page.Value[i]
			if len(m.Removed) > 0 {
				continue
			}
			var linked []int
			for _, a := range m.participants(r.acct.own) {
				if id, ok := prospects[a]; ok {
					linked = append(linked, id)
				}
			}
			ndr := folder == syncedmessage.FolderINBOX && m.isNDR()
			if ndr {
				p, err := r.bounced(ctx, c, m)
				if err != nil {
					return err
				}
				if p != 0 && !slices.Contains(linked, p) {
					linked = append(linked, p)
				}
			}
			if id, ok := existing[m.ID]; ok {
				u := c.SyncedMessage.UpdateOneID(id).SetFolder(folder)
				r.setFields(m, ndr, u.Mutation())
				if err := u.Exec(ctx); err != nil {
					return fmt.Errorf("mailsync: update message: %w", err)
				}
				continue
			}
			// Privacy: a message that involves no known prospect is never stored.
			if len(linked) == 0 || m.ReceivedDateTime == nil || m.ReceivedDateTime.Before(*cur.WindowStart) {
				continue
			}
			cr := c.SyncedMessage.Create().SetOrgID(r.acct.OrgID).SetUserID(r.acct.UserID).SetMicrosoftAccountID(r.acct.ID).
				SetGraphID(m.ID).SetFolder(folder).AddProspectIDs(linked...)
			r.setFields(m, ndr, cr.Mutation())
			creates = append(creates, cr)
			if folder == syncedmessage.FolderINBOX && !ndr && !m.isAutoReply() && m.From != nil {
				if p, ok := prospects[lower(m.From.EmailAddress.Address)]; ok {
					replies = append(replies, reply{prospectID: p, at: m.ReceivedDateTime.UTC()})
				}
			}
		}
		for chunk := range slices.Chunk(creates, 500) {
			if err := c.SyncedMessage.CreateBulk(chunk...).Exec(ctx); err != nil {
				return fmt.Errorf("mailsync: store messages: %w", err)
			}
		}
		for _, rp := range replies {
			if err := r.replied(ctx, c, rp); err != nil {
				return err
			}
		}
		if r.initial.Load() && len(page.Value) > 0 {
			if _, err := c.Mailbox.Update().Where(entmailbox.IDIn(r.acct.mailboxes...)).AddSyncProgressDone(len(page.Value)).Save(ctx); err != nil {
				return err
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

// setFields copies m's properties that the page carries onto a create or
// update mutation.
func (r *round) setFields(m *graphMessage, ndr bool, mu *ent.SyncedMessageMutation) {
	if m.Subject != nil {
		mu.SetSubject(truncate(*m.Subject, 998))
	}
	if m.From != nil {
		mu.SetFromAddress(truncate(lower(m.From.EmailAddress.Address), 320))
		mu.SetFromName(truncate(m.From.EmailAddress.Name, 320))
	}
	if m.To != nil {
		mu.SetToAddresses(addresses(m.To))
	}
	if m.Cc != nil {
		mu.SetCcAddresses(addresses(m.Cc))
	}
	if m.ReceivedDateTime != nil {
		mu.SetReceivedAt(m.ReceivedDateTime.UTC())
	}
	if m.SentDateTime != nil {
		mu.SetSentAt(m.SentDateTime.UTC())
	}
	if m.ConversationID != "" {
		mu.SetConversationID(truncate(m.ConversationID, 512))
	}
	if m.InternetMessageID != "" {
		mu.SetInternetMessageID(truncate(m.InternetMessageID, 998))
	}
	if v, ok := m.header("In-Reply-To"); ok {
		mu.SetInReplyTo(truncate(strings.TrimSpace(v), 998))
	}
	if v, ok := m.header("References"); ok {
		mu.SetReferences(strings.TrimSpace(v))
	}
	if r.headersOnly {
		mu.ClearSnippet()
	} else if m.BodyPreview != nil {
		mu.SetSnippet(truncate(*m.BodyPreview, 255))
	}
	mu.SetIsNdr(ndr)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func deref(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}
