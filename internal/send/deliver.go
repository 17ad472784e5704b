package send

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/microsoftaccount"
	"mailbridge/ent/scheduledemail"
	"mailbridge/internal/microsoft"
)

// AttemptProperty is the single-value extended property that carries the
// attempt id on every draft Mailbridge creates: Graph can filter messages
// on it in every folder, unlike custom x- headers (MICROSOFT.md §3.4).
const AttemptProperty = "String {5d0c1a8e-7f3b-4c52-9e61-0b8a4f2d7c39} Name MailbridgeAttemptId"

// SendIDHeader names the scheduled email on the message for people reading
// its headers (Graph cannot filter on it).
const SendIDHeader = "x-mailbridge-send-id"

// account is one run of delivery for one Microsoft account.
type account struct {
	s     *Sender
	id    int
	lease string
	gc    *msgraphsdk.GraphServiceClient
	// primary is the account's primary SMTP address.
	primary string
}

// nothingDue is step's answer when no email of the account is due.
const nothingDue = time.Duration(-1)

// step delivers at most one email. It returns how long to wait before the
// next step (0: go on at once; nothingDue: stop), or an error:
// errTransient to retry the job later, anything else to end it.
func (a *account) step(ctx context.Context) (time.Duration, error) {
	s, c, now := a.s, a.s.db.Client(), a.s.now()
	all, err := c.Mailbox.Query().Where(entmailbox.MicrosoftAccountID(a.id)).All(ctx)
	if err != nil {
		return 0, errorf("load mailboxes: %w", err)
	}
	var allIDs, sendable []int
	byID := map[int]*ent.Mailbox{}
	throttled := time.Duration(0)
	for _, m := range all {
		allIDs = append(allIDs, m.ID)
		byID[m.ID] = m
		if HoldReason(m) != "" {
			continue
		}
		if m.ThrottledUntil != nil && m.ThrottledUntil.After(now) {
			throttled = max(throttled, m.ThrottledUntil.Sub(now))
			continue
		}
		sendable = append(sendable, m.ID)
	}
	if len(sendable) == 0 {
		if throttled > 0 {
			return throttled, nil
		}
		return nothingDue, nil
	}
	// Emails whose attempt was interrupted come first: they may already
	// be out, so they are looked up, not sent blindly.
	e, err := c.ScheduledEmail.Query().
		Where(scheduledemail.MailboxIDIn(sendable...), scheduledemail.StateEQ(scheduledemail.StateDELIVERING), scheduledemail.LeaseUntilLT(now)).
		Order(ent.Asc(scheduledemail.FieldLeaseUntil)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return 0, errorf("find interrupted email: %w", err)
	}
	if e == nil {
		wait, open, freeAt, err := a.pace(ctx, allIDs, byID, sendable, now)
		if err != nil || wait != 0 {
			return wait, err
		}
		e, err = c.ScheduledEmail.Query().
			Where(scheduledemail.MailboxIDIn(open...), scheduledemail.StateEQ(scheduledemail.StateSCHEDULED), scheduledemail.SendAtLTE(now)).
			Order(ent.Asc(scheduledemail.FieldSendAt), ent.Asc(scheduledemail.FieldID)).First(ctx)
		if ent.IsNotFound(err) {
			// Emails of mailboxes at their daily limit wait for it.
			if len(open) < len(sendable) {
				held, err := c.ScheduledEmail.Query().
					Where(scheduledemail.MailboxIDIn(sendable...), scheduledemail.StateEQ(scheduledemail.StateSCHEDULED), scheduledemail.SendAtLTE(now)).
					Exist(ctx)
				if err != nil {
					return 0, errorf("find held email: %w", err)
				}
				if held {
					return max(freeAt.Sub(now), time.Second), nil
				}
			}
			return nothingDue, nil
		}
		if err != nil {
			return 0, errorf("find due email: %w", err)
		}
	}
	prevAttempt := ""
	if e.State == scheduledemail.StateDELIVERING && e.AttemptID != nil {
		prevAttempt = *e.AttemptID
	}
	attempt := newAttemptID()
	n, err := c.ScheduledEmail.Update().
		Where(scheduledemail.ID(e.ID), scheduledemail.MailboxIDIn(sendable...), scheduledemail.Or(
			scheduledemail.And(scheduledemail.StateEQ(scheduledemail.StateSCHEDULED), scheduledemail.SendAtLTE(now)),
			scheduledemail.And(scheduledemail.StateEQ(scheduledemail.StateDELIVERING), scheduledemail.LeaseUntilLT(now)),
		)).
		SetState(scheduledemail.StateDELIVERING).SetAttemptID(attempt).SetLeaseUntil(now.Add(s.o.Lease)).
		Save(ctx)
	if err != nil {
		return 0, errorf("claim email %d: %w", e.ID, err)
	}
	if n == 0 {
		return 0, nil // assigned, cancelled or claimed meanwhile
	}
	e.State, e.AttemptID = scheduledemail.StateDELIVERING, &attempt
	d := &delivery{account: a, e: e, mb: byID[e.MailboxID], attempt: attempt, prevAttempt: prevAttempt}
	return d.run(ctx)
}

// pace returns how long the account must wait before its next send under
// Exchange Online's limits and the mailboxes' daily limits, and which of
// the sendable mailboxes may send now. Submissions are counted by
// send_requested_at, in the database, so every worker and instance sees
// the same counts.
func (a *account) pace(ctx context.Context, allIDs []int, byID map[int]*ent.Mailbox, sendable []int, now time.Time) (wait time.Duration, open []int, freeAt time.Time, err error) {
	c := a.s.db.Client()
	// A send counts from when Exchange had surely taken it: its recorded
	// 202 (submitted_at), else its request plus a margin for the trip. The
	// next send's request then reaches Exchange a full minute after the
	// 30th before it, whatever the network's delays.
	recent, err := c.ScheduledEmail.Query().
		Where(scheduledemail.MailboxIDIn(allIDs...), scheduledemail.SendRequestedAtGT(now.Add(-time.Minute-a.s.o.Lease))).
		Select(scheduledemail.FieldSendRequestedAt, scheduledemail.FieldSubmittedAt).All(ctx)
	if err != nil {
		return 0, nil, time.Time{}, errorf("count sends this minute: %w", err)
	}
	var window []time.Time
	for _, r := range recent {
		t := r.SendRequestedAt.Add(submitMargin)
		if r.SubmittedAt != nil && r.SubmittedAt.After(*r.SendRequestedAt) {
			t = *r.SubmittedAt
		}
		if t.After(now.Add(-time.Minute)) {
			window = append(window, t)
		}
	}
	if n := len(window); n >= MaxSendsPerMinute {
		slices.SortFunc(window, time.Time.Compare)
		return max(window[n-MaxSendsPerMinute].Add(time.Minute).Sub(now), time.Millisecond), nil, time.Time{}, nil
	}
	dayAgo := now.Add(-24 * time.Hour)
	var perMailbox []struct {
		MailboxID int `json:"mailbox_id"`
		Count     int `json:"count"`
	}
	err = c.ScheduledEmail.Query().
		Where(scheduledemail.MailboxIDIn(allIDs...), scheduledemail.SendRequestedAtGT(dayAgo)).
		GroupBy(scheduledemail.FieldMailboxID).
		Aggregate(ent.Count()).
		Scan(ctx, &perMailbox)
	if err != nil {
		return 0, nil, time.Time{}, errorf("count sends today: %w", err)
	}
	total := 0
	for _, r := range perMailbox {
		total += r.Count
	}
	// One recipient per scheduled email.
	if total >= MaxRecipientsPerDay {
		oldest, err := c.ScheduledEmail.Query().
			Where(scheduledemail.MailboxIDIn(allIDs...), scheduledemail.SendRequestedAtGT(dayAgo)).
			Order(ent.Asc(scheduledemail.FieldSendRequestedAt)).Offset(total - MaxRecipientsPerDay).
			Select(scheduledemail.FieldSendRequestedAt).First(ctx)
		if err != nil {
			return 0, nil, time.Time{}, errorf("oldest send today: %w", err)
		}
		return max(oldest.SendRequestedAt.Add(24*time.Hour).Sub(now), time.Second), nil, time.Time{}, nil
	}
	full := map[int]time.Time{}
	for _, r := range perMailbox {
		if m := byID[r.MailboxID]; m != nil && r.Count >= m.DailySendLimit {
			oldest, err := c.ScheduledEmail.Query().
				Where(scheduledemail.MailboxID(r.MailboxID), scheduledemail.SendRequestedAtGT(dayAgo)).
				Order(ent.Asc(scheduledemail.FieldSendRequestedAt)).Offset(r.Count - m.DailySendLimit).
				Select(scheduledemail.FieldSendRequestedAt).First(ctx)
			if err != nil {
				return 0, nil, time.Time{}, errorf("oldest send of mailbox %d today: %w", r.MailboxID, err)
			}
			full[r.MailboxID] = oldest.SendRequestedAt.Add(24 * time.Hour)
		}
	}
	for _, id := range sendable {
		t, isFull := full[id]
		if !isFull {
			open = append(open, id)
		} else if freeAt.IsZero() || t.Before(freeAt) {
			freeAt = t
		}
	}
	if len(open) == 0 {
		return max(freeAt.Sub(now), time.Second), nil, freeAt, nil
	}
	return 0, open, freeAt, nil
}

func newAttemptID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// delivery is one attempt at one claimed email.
type delivery struct {
	*account
	e           *ent.ScheduledEmail
	mb          *ent.Mailbox
	attempt     string
	prevAttempt string // the interrupted attempt's id, when reclaimed
}

// phase of the protocol a Graph failure happened in.
type phase int

const (
	phaseDraft phase = iota
	phaseSend
	phaseLookup
)

// run takes the email from its claim to DELIVERED or FAILED, or leaves it
// to a later step (released or with a lease to wait out).
func (d *delivery) run(ctx context.Context) (time.Duration, error) {
	if d.e.SendRequestedAt != nil {
		return d.reconcile(ctx)
	}
	draftID, err := d.draft(ctx)
	if err != nil {
		return d.failure(ctx, phaseDraft, err)
	}
	if draftID == "" {
		return 0, nil // already out (found sent), or ownership lost
	}
	return d.send(ctx, draftID)
}

// owned narrows an update to this attempt's claim.
func (d *delivery) owned() *ent.ScheduledEmailUpdate {
	return d.s.db.Client().ScheduledEmail.Update().
		Where(scheduledemail.ID(d.e.ID), scheduledemail.AttemptID(d.attempt), scheduledemail.StateEQ(scheduledemail.StateDELIVERING))
}

// errLost means another attempt took the email over.
var errLost = errors.New("send: the claim was lost")

func (d *delivery) save(ctx context.Context, u *ent.ScheduledEmailUpdate) error {
	n, err := u.Save(ctx)
	if err != nil {
		return errorf("update email %d: %w", d.e.ID, err)
	}
	if n == 0 {
		return errLost
	}
	return nil
}

func immutableIDs() *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	h.Add("Prefer", `IdType="ImmutableId"`)
	return h
}

var selectSent = []string{"id", "isDraft", "from", "sentDateTime", "internetMessageId"}

// draft returns the id of a draft of the email to send, stored with its
// internetMessageId before anything is sent: the draft left by an earlier
// attempt if it is still there, else a new one. "" when the email turned
// out to be sent already (and is now recorded so) or the claim was lost.
func (d *delivery) draft(ctx context.Context) (string, error) {
	gc := d.gc
	if d.e.DraftID != nil {
		m, err := d.get(ctx, *d.e.DraftID)
		switch {
		case err == nil && !boolOf(m.GetIsDraft()):
			return "", d.delivered(ctx, *d.e.DraftID, m)
		case err == nil && strings.EqualFold(fromOf(m), d.mb.Address):
			return *d.e.DraftID, d.save(ctx, d.owned().SetNillableInternetMessageID(m.GetInternetMessageId()))
		case err != nil && !isNotFound(err):
			return "", err
		}
		// Gone, or written for another of the account's addresses (the
		// email was assigned to another mailbox meanwhile): a new draft.
	} else if d.prevAttempt != "" {
		// The interrupted attempt may have created a draft without
		// recording it: adopt it rather than leave it behind.
		filter := fmt.Sprintf("singleValueExtendedProperties/Any(ep: ep/id eq '%s' and ep/value eq '%s')", AttemptProperty, d.prevAttempt)
		res, err := gc.Me().Messages().Get(ctx, &users.ItemMessagesRequestBuilderGetRequestConfiguration{
			Headers:         immutableIDs(),
			QueryParameters: &users.ItemMessagesRequestBuilderGetQueryParameters{Filter: &filter, Select: selectSent},
		})
		if err != nil {
			return "", err
		}
		for _, m := range res.GetValue() {
			if boolOf(m.GetIsDraft()) {
				return *m.GetId(), d.save(ctx, d.owned().SetDraftID(*m.GetId()).SetNillableInternetMessageID(m.GetInternetMessageId()))
			}
		}
	}
	msg := models.NewMessage()
	if d.e.Subject != "" {
		msg.SetSubject(&d.e.Subject)
	}
	body := models.NewItemBody()
	ct := models.TEXT_BODYTYPE
	if strings.HasPrefix(strings.TrimSpace(d.e.Body), "<") {
		ct = models.HTML_BODYTYPE
	}
	body.SetContentType(&ct)
	body.SetContent(&d.e.Body)
	msg.SetBody(body)
	msg.SetToRecipients([]models.Recipientable{recipient(d.e.ToAddress)})
	// The mailbox's own address, alias or not: never silently the primary.
	msg.SetFrom(recipient(d.mb.Address))
	ep := models.NewSingleValueLegacyExtendedProperty()
	ep.SetId(ptr(AttemptProperty))
	ep.SetValue(&d.attempt)
	msg.SetSingleValueExtendedProperties([]models.SingleValueLegacyExtendedPropertyable{ep})
	h := models.NewInternetMessageHeader()
	h.SetName(ptr(SendIDHeader))
	h.SetValue(ptr(strconv.Itoa(d.e.ID)))
	msg.SetInternetMessageHeaders([]models.InternetMessageHeaderable{h})
	created, err := d.createDraft(ctx, msg)
	if err != nil {
		return "", err
	}
	id := *created.GetId()
	d.e.InternetMessageID = created.GetInternetMessageId()
	return id, d.save(ctx, d.owned().SetDraftID(id).SetNillableInternetMessageID(created.GetInternetMessageId()))
}

// createDraft creates msg as a draft: a reply in the thread of the
// sequence state's previous sent email when there is one in this mailbox
// (Exchange then sets In-Reply-To, References and the conversation), else a
// new message.
func (d *delivery) createDraft(ctx context.Context, msg models.Messageable) (models.Messageable, error) {
	prev, err := d.s.db.Client().ScheduledEmail.Query().
		Where(scheduledemail.SequenceStateID(d.e.SequenceStateID), scheduledemail.StepLT(d.e.Step),
			scheduledemail.StateIn(scheduledemail.StateDELIVERED, scheduledemail.StateBOUNCED),
			scheduledemail.GraphMessageIDNotNil()).
		Order(ent.Desc(scheduledemail.FieldStep)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, errorf("find previous step: %w", err)
	}
	if prev != nil {
		body := users.NewItemMessagesItemCreateReplyPostRequestBody()
		body.SetMessage(msg)
		created, err := d.gc.Me().Messages().ByMessageId(*prev.GraphMessageID).CreateReply().Post(ctx, body,
			&users.ItemMessagesItemCreateReplyRequestBuilderPostRequestConfiguration{Headers: immutableIDs()})
		if err == nil || !isNotFound(err) {
			return created, err
		}
		// The previous email is not in this mailbox (deleted, or sent from
		// another one): start a new thread.
	}
	if msg.GetSubject() == nil {
		msg.SetSubject(&d.e.Subject)
	}
	return d.gc.Me().Messages().Post(ctx, msg, &users.ItemMessagesRequestBuilderPostRequestConfiguration{Headers: immutableIDs()})
}

// send records that a send is requested, then sends the draft once, with
// the SDK's retry off.
func (d *delivery) send(ctx context.Context, draftID string) (time.Duration, error) {
	d.e.DraftID = &draftID
	now := d.s.now()
	if err := d.save(ctx, d.owned().SetSendRequestedAt(now).SetLeaseUntil(now.Add(d.s.o.Lease))); err != nil {
		return d.lost(err)
	}
	err := d.gc.Me().Messages().ByMessageId(draftID).Send().Post(ctx, &users.ItemMessagesItemSendRequestBuilderPostRequestConfiguration{
		Headers: immutableIDs(), Options: []abs.RequestOption{microsoft.NoRetry()},
	})
	if err != nil {
		return d.failure(ctx, phaseSend, err)
	}
	// Accepted. An alias reads the sent message back to learn the address
	// Exchange actually sent from (tenants may rewrite aliases).
	var m models.Messageable
	if !strings.EqualFold(d.mb.Address, d.primary) {
		if m, err = d.get(ctx, draftID); err != nil {
			m = nil
		}
	}
	return d.lost(d.delivered(ctx, draftID, m))
}

// reconcile finds out whether an email whose send was requested went out,
// before anything is sent again.
func (d *delivery) reconcile(ctx context.Context) (time.Duration, error) {
	draftID := *d.e.DraftID
	m, err := d.get(ctx, draftID)
	if err != nil && !isNotFound(err) {
		return d.failure(ctx, phaseLookup, err)
	}
	if err != nil && d.e.InternetMessageID != nil {
		m, err = d.findSent(ctx, *d.e.InternetMessageID)
		if err != nil {
			return d.failure(ctx, phaseLookup, err)
		}
	}
	switch {
	case m == nil:
		return d.lost(d.fail(ctx, "draftGone", "The draft of this email was deleted from the mailbox before Microsoft 365 confirmed it was sent, so Mailbridge did not send it again."))
	case !boolOf(m.GetIsDraft()):
		return d.lost(d.delivered(ctx, draftID, m))
	}
	// Still a draft: transport may not have moved it yet ("may not succeed
	// immediately"). Look again later; send again only after ConfirmWait.
	now := d.s.now()
	if now.Sub(*d.e.SendRequestedAt) < d.s.o.ConfirmWait {
		return 0, d.ignoreLost(d.save(ctx, d.owned().SetLeaseUntil(now.Add(min(d.s.o.ConfirmWait/4, d.s.o.Lease)))))
	}
	return d.send(ctx, draftID)
}

// findSent looks for the message by internetMessageId in Sent Items.
func (d *delivery) findSent(ctx context.Context, imid string) (models.Messageable, error) {
	filter := "internetMessageId eq '" + strings.ReplaceAll(imid, "'", "''") + "'"
	res, err := d.gc.Me().MailFolders().ByMailFolderId("sentitems").Messages().Get(ctx, &users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
		Headers:         immutableIDs(),
		QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{Filter: &filter, Select: selectSent},
	})
	if err != nil {
		return nil, err
	}
	if v := res.GetValue(); len(v) > 0 {
		return v[0], nil
	}
	return nil, nil
}

func (d *delivery) get(ctx context.Context, id string) (models.Messageable, error) {
	return d.gc.Me().Messages().ByMessageId(id).Get(ctx, &users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{
		Headers:         immutableIDs(),
		QueryParameters: &users.ItemMessagesMessageItemRequestBuilderGetQueryParameters{Select: selectSent},
	})
}

// delivered records the email as sent; m is the sent message as read back
// (nil when not read). When Microsoft 365 sent it from another address
// than the mailbox's (a tenant that rewrites aliases), the mailbox's
// Sending is turned off with the reason, so no further email goes out from
// the wrong address.
func (d *delivery) delivered(ctx context.Context, graphID string, m models.Messageable) error {
	now := d.s.now()
	sentAt := now
	u := d.owned().SetState(scheduledemail.StateDELIVERED).SetGraphMessageID(graphID).
		SetSubmittedAt(now).ClearLeaseUntil().ClearErrorCode().ClearErrorMessage()
	from := ""
	if m != nil {
		if t := m.GetSentDateTime(); t != nil {
			sentAt = t.UTC()
		}
		if m.GetInternetMessageId() != nil {
			u.SetInternetMessageID(*m.GetInternetMessageId())
		}
		from = fromOf(m)
	}
	if err := d.save(ctx, u.SetSentAt(sentAt)); err != nil {
		return err
	}
	mu := d.s.db.Client().Mailbox.UpdateOneID(d.mb.ID).SetLastSentAt(now).ClearLastSendError()
	if from != "" && !strings.EqualFold(from, d.mb.Address) {
		mu.SetSendEnabled(false).SetLastSendError(truncate(fmt.Sprintf(
			"Sending turned off: Microsoft 365 sent an email from %s instead of %s, because your organization rewrites aliases to the primary address. Ask your Microsoft 365 administrator to allow sending from aliases (SendFromAliasEnabled), then turn Sending on again.",
			from, d.mb.Address), 1000))
	}
	if err := mu.Exec(ctx); err != nil {
		return errorf("record send on mailbox %d: %w", d.mb.ID, err)
	}
	return nil
}

// fail ends the email FAILED with the reason in words.
func (d *delivery) fail(ctx context.Context, code, reason string) error {
	return d.save(ctx, d.owned().SetState(scheduledemail.StateFAILED).ClearLeaseUntil().
		SetErrorCode(truncate(code, 100)).SetErrorMessage(truncate(reason, 1000)))
}

// release gives the email back to SCHEDULED: nothing was sent, and it
// waits for its mailbox (or another one it is assigned to). The draft id
// is kept; the next attempt reuses the draft if it is still there.
func (d *delivery) release(ctx context.Context) error {
	return d.save(ctx, d.owned().SetState(scheduledemail.StateSCHEDULED).
		ClearAttemptID().ClearLeaseUntil().ClearSendRequestedAt())
}

// later keeps the claim's state and lets the lease run until t: a later
// step picks the email up again where it stopped.
func (d *delivery) later(ctx context.Context, t time.Time) error {
	return d.save(ctx, d.owned().SetLeaseUntil(t))
}

// mailboxes updates every mailbox of the account.
func (d *delivery) mailboxes() *ent.MailboxUpdate {
	return d.s.db.Client().Mailbox.Update().Where(entmailbox.MicrosoftAccountID(d.id))
}

// failure handles a failed Graph call of phase p.
func (d *delivery) failure(ctx context.Context, p phase, err error) (time.Duration, error) {
	f := microsoft.ClassifyGraphError(err)
	now := d.s.now()
	// A send whose answer did not say it was refused may have gone out.
	maybeSent := p == phaseSend && (f.Kind == microsoft.Unknown || f.Kind == microsoft.Throttled || f.Kind == microsoft.Transient)
	switch {
	case f.Kind == microsoft.Reconnect:
		if p != phaseLookup && !maybeSent {
			if err := d.release(ctx); err != nil {
				return d.lost(err)
			}
		}
		if !errors.Is(err, microsoft.ErrNeedsReconnect) {
			// Graph refused the token itself (401): the grant is gone.
			if err := d.needsReconnect(ctx, f.Message); err != nil {
				return 0, err
			}
		}
		return nothingDue, nil
	case f.Kind == microsoft.Throttled:
		until := now.Add(f.RetryAfter)
		if err := d.mailboxes().SetThrottledUntil(until).Exec(ctx); err != nil {
			return 0, errorf("throttle mailboxes: %w", err)
		}
		if maybeSent {
			return f.RetryAfter, d.ignoreLost(d.later(ctx, now)) // look it up first, after the wait
		}
		return f.RetryAfter, d.ignoreLost(d.later(ctx, until))
	case maybeSent:
		// Look before sending again.
		d.e.SendRequestedAt = &now
		return d.reconcile(ctx)
	case f.Kind == microsoft.Unknown && f.Code == "ErrorQuotaExceeded":
		if err := d.release(ctx); err != nil {
			return d.lost(err)
		}
		err := d.mailboxes().SetThrottledUntil(now.Add(time.Hour)).
			SetLastSendError("Sending paused: the mailbox is full (over its storage quota). Delete items or ask your Microsoft 365 administrator for more space; Mailbridge tries again every hour.").
			Exec(ctx)
		return nothingDue, err
	case f.Kind == microsoft.Unknown || f.Kind == microsoft.Transient:
		if err := d.later(ctx, now.Add(backoff(1))); err != nil {
			return d.lost(err)
		}
		return 0, errTransient{fmt.Errorf("send: %s: %s", d.mb.Address, f.Message)}
	}
	// Permanent: the request is refused as it is.
	switch f.Code {
	case "ErrorMessageSubmissionBlocked":
		if err := d.release(ctx); err != nil {
			return d.lost(err)
		}
		err := d.mailboxes().SetThrottledUntil(now.Add(submissionBlockPause)).
			SetLastSendError(truncate("Sending paused for 24 hours: Microsoft 365 blocked this mailbox from sending because it went over its daily recipient limit. Emails wait and go out afterwards. Microsoft said: "+f.Message, 1000)).
			Exec(ctx)
		return nothingDue, err
	case "ErrorSendAsDenied":
		if err := d.fail(ctx, f.Code, fmt.Sprintf("Microsoft 365 does not let this account send as %s. Ask your Microsoft 365 administrator for Send As permission, or assign the email to another mailbox.", d.mb.Address)); err != nil {
			return d.lost(err)
		}
		err := d.s.db.Client().Mailbox.UpdateOneID(d.mb.ID).SetSendEnabled(false).
			SetLastSendError(truncate(fmt.Sprintf("Sending turned off: Microsoft 365 does not let this account send as %s (ErrorSendAsDenied). Ask your Microsoft 365 administrator for Send As permission, then turn Sending on again.", d.mb.Address), 1000)).
			Exec(ctx)
		return 0, err
	case "ErrorItemNotFound":
		if p == phaseSend {
			// The draft was deleted before the send: nothing went out.
			if err := d.save(ctx, d.owned().ClearDraftID().ClearInternetMessageID().ClearSendRequestedAt().
				SetState(scheduledemail.StateSCHEDULED).ClearAttemptID().ClearLeaseUntil()); err != nil {
				return d.lost(err)
			}
			return 0, nil
		}
	}
	reason := fmt.Sprintf("Microsoft 365 refused this email: %s", f.Message)
	if f.Code == "ErrorInvalidRecipients" || strings.Contains(strings.ToLower(f.Code), "recipient") {
		reason = fmt.Sprintf("Microsoft 365 refused the recipient %s: %s", d.e.ToAddress, f.Message)
	}
	if f.Status == http.StatusForbidden && f.Code == "ErrorAccessDenied" {
		reason = "Microsoft 365 denied Mailbridge access to this mailbox; the grant no longer covers it. Reconnect the mailbox, then schedule the email again."
	}
	return d.lost(d.fail(ctx, cmpOr(f.Code, strconv.Itoa(f.Status)), reason))
}

// needsReconnect marks the account and its connected mailboxes Needs
// reconnect when Graph refuses the grant's token (the token source does
// the same when the refresh token is refused).
func (d *delivery) needsReconnect(ctx context.Context, msg string) error {
	reason := truncate("Microsoft 365 refused Mailbridge's access: "+msg, 1000)
	if err := d.s.db.Client().MicrosoftAccount.UpdateOneID(d.id).
		SetStatus(microsoftaccount.StatusNEEDS_RECONNECT).SetStatusReason(reason).Exec(ctx); err != nil {
		return errorf("mark account %d: %w", d.id, err)
	}
	return d.mailboxes().Where(entmailbox.ConnectionStateEQ(entmailbox.ConnectionStateCONNECTED)).
		SetConnectionState(entmailbox.ConnectionStateNEEDS_RECONNECT).SetConnectionError(reason).Exec(ctx)
}

// lost turns a lost claim into "go on with the next email".
func (d *delivery) lost(err error) (time.Duration, error) { return 0, d.ignoreLost(err) }

func (d *delivery) ignoreLost(err error) error {
	if errors.Is(err, errLost) {
		return nil
	}
	return err
}

// noteError records a transient failure in words on the account's mailboxes.
func (a *account) noteError(ctx context.Context, msg string) {
	_ = a.s.db.Client().Mailbox.Update().Where(entmailbox.MicrosoftAccountID(a.id)).
		SetLastSendError(truncate("Sending is retrying after a temporary problem: "+msg, 1000)).Exec(ctx)
}

func isNotFound(err error) bool {
	f := microsoft.ClassifyGraphError(err)
	return f.Status == http.StatusNotFound || f.Code == "ErrorItemNotFound" || f.Code == "ErrorInvalidIdMalformed"
}

func recipient(addr string) models.Recipientable {
	ea := models.NewEmailAddress()
	ea.SetAddress(&addr)
	r := models.NewRecipient()
	r.SetEmailAddress(ea)
	return r
}

// fromOf is the address in a message's From ("" when not read).
func fromOf(m models.Messageable) string {
	if f := m.GetFrom(); f != nil && f.GetEmailAddress() != nil && f.GetEmailAddress().GetAddress() != nil {
		return *f.GetEmailAddress().GetAddress()
	}
	return ""
}

func boolOf(b *bool) bool { return b != nil && *b }

func ptr[T any](v T) *T { return &v }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
