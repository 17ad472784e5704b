package m365sim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// MailOptions are per-mailbox knobs for how sent mail behaves.
type MailOptions struct {
	// SentItemsDelay is how long after a send's 202 the copy appears in
	// Sent Items (and is delivered): Exchange moves it after transport
	// submission, so "GET by immutable id may not succeed immediately".
	// Zero: at once. Measured on the emulator's clock (Config.Now).
	SentItemsDelay time.Duration
	// BounceExternal makes every recipient outside the emulated tenants
	// produce a non-delivery report in the sender's Inbox. Recipients in an
	// emulated tenant's domain without a mailbox always bounce.
	BounceExternal bool
	// BounceAddresses always bounce: exact addresses, or "@domain" for a
	// whole domain.
	BounceAddresses []string
}

// SetMailOptions sets the mail knobs of one mailbox (user ID or address),
// or with mailbox "" the default of every mailbox without its own.
func (s *Sim) SetMailOptions(mailbox string, o MailOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.optionalUserIDLocked(mailbox)
	if !ok {
		return ErrNotFound
	}
	s.rt.mail.options[key] = o
	return nil
}

func (s *Sim) mailOptionsLocked(userID string) MailOptions {
	if o, ok := s.rt.mail.options[userID]; ok {
		return o
	}
	return s.rt.mail.options[""]
}

// sendState counts a mailbox's submissions against Exchange Online's
// sending limits (per mailbox, across apps).
type sendState struct {
	minute     []time.Time // submissions in the last minute (when the client sent them)
	slots      []time.Time // transport slots of recent submissions, ascending
	day        []rcptStamp // recipients in the last 24 h
	dayTotal   int
	peakMinute int
	peakDay    int
	maxPerMsg  int
	sent       int
	recipients int
	rejected   int
	deferred   int // submissions carried over to a later minute
	overQuota  int // submissions that ended in a quota NDR
	// blockedUntil: after a quota NDR the mailbox may not send until then.
	blockedUntil time.Time
}

type rcptStamp struct {
	t time.Time
	n int
}

func (ss *sendState) prune(now time.Time) {
	i := 0
	for i < len(ss.minute) && !ss.minute[i].After(now.Add(-time.Minute)) {
		i++
	}
	ss.minute = ss.minute[i:]
	i = 0
	for i < len(ss.slots) && !ss.slots[i].After(now.Add(-time.Minute)) {
		i++
	}
	ss.slots = ss.slots[i:]
	j := 0
	for j < len(ss.day) && !ss.day[j].t.After(now.Add(-24*time.Hour)) {
		ss.dayTotal -= ss.day[j].n
		j++
	}
	ss.day = ss.day[j:]
}

// slot returns when transport takes a submission made at now: at once,
// unless SendsPerMinute submissions already went out in the minute before
// it, in which case the excess is carried over to the following minutes.
// Exchange Online limits page: submissions over the rate are carried over
// to the following minutes, and "This will typically not block the
// sender's account"
// (https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits,
// quoted in MicrosoftDocs/OfficeDocs-Support#1150; MICROSOFT.md §0 item 23, §4.3).
func (ss *sendState) slot(now time.Time, perMinute int) time.Time {
	at := now
	if n := len(ss.slots); n >= perMinute {
		if next := ss.slots[n-perMinute].Add(time.Minute); next.After(at) {
			at = next
		}
	}
	ss.slots = append(ss.slots, at)
	return at
}

func (s *Sim) sendStateLocked(userID string) *sendState {
	ss, ok := s.rt.mail.sends[userID]
	if !ok {
		ss = &sendState{}
		s.rt.mail.sends[userID] = ss
	}
	ss.prune(s.now())
	return ss
}

// SendCounters are a mailbox's sending counters against Exchange Online's
// limits (MICROSOFT.md §4.3), for tests of the product's send scheduler.
// Exchange refuses none of these submissions, so a product that paces
// itself keeps PeakSentPerMinute <= 30, Deferred and QuotaExceeded at 0.
type SendCounters struct {
	Mailbox string // user ID
	// SentLastMinute and RecipientsLastDay are the sliding-window counts
	// now, of submissions as the client made them.
	SentLastMinute    int
	RecipientsLastDay int
	// Peaks are the highest sliding-window counts ever reached.
	PeakSentPerMinute    int
	PeakRecipientsPerDay int
	// MaxRecipientsPerMessage is the largest recipient count of one message.
	MaxRecipientsPerMessage int
	Sent                    int // messages accepted
	Recipients              int // recipients of accepted messages
	// Rejected counts submissions refused because the mailbox was blocked
	// from sending (after a quota NDR).
	Rejected int
	// Deferred counts submissions over SendsPerMinute: accepted, and
	// delivered in a later minute.
	Deferred int
	// QuotaExceeded counts submissions over RecipientsPerDay: accepted,
	// answered with an NDR, and followed by a send block.
	QuotaExceeded int
	// BlockedUntil is when the mailbox may send again (zero: not blocked).
	BlockedUntil time.Time
}

// SendCounters returns a mailbox's sending counters.
func (s *Sim) SendCounters(mailbox string) (SendCounters, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return SendCounters{}, ErrNotFound
	}
	ss := s.sendStateLocked(u.ID)
	sc := SendCounters{
		Mailbox: u.ID, SentLastMinute: len(ss.minute), RecipientsLastDay: ss.dayTotal,
		PeakSentPerMinute: ss.peakMinute, PeakRecipientsPerDay: ss.peakDay, MaxRecipientsPerMessage: ss.maxPerMsg,
		Sent: ss.sent, Recipients: ss.recipients, Rejected: ss.rejected, Deferred: ss.deferred, QuotaExceeded: ss.overQuota,
	}
	if ss.blockedUntil.After(s.now()) {
		sc.BlockedUntil = ss.blockedUntil
	}
	return sc, nil
}

// Sent lists what a mailbox submitted, oldest first.
func (s *Sim) Sent(mailbox string) ([]SentRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return nil, ErrNotFound
	}
	return slices.Clone(s.mailboxLocked(u.ID).Sent), nil
}

// ---- handlers ----

func (s *Sim) sendScopeOK(g *gctx) bool {
	if g.isSelf() {
		return g.requireScope(mailSendScopes...)
	}
	return g.requireScope("Mail.Send.Shared")
}

// sendMail serves POST /sendMail: JSON, or MIME (text/plain, base64).
func (s *Sim) sendMail(g *gctx) {
	if !s.sendScopeOK(g) {
		return
	}
	ct, _, _ := mime.ParseMediaType(g.r.Header.Get("Content-Type"))
	var m *Message
	save := true
	via := "sendMail"
	if ct == "text/plain" {
		raw, ge := g.readBody()
		if ge != nil {
			g.fail(ge)
			return
		}
		mm, ge := parseMIMEMessage(raw)
		if ge != nil {
			g.fail(ge)
			return
		}
		m, via = mm, "mime"
	} else {
		var in struct {
			Message         *messageIn
			SaveToSentItems flexBool
		}
		if ge := g.decodeBody(&in); ge != nil {
			g.fail(ge)
			return
		}
		if in.Message == nil {
			g.fail(gerr(http.StatusBadRequest, "ErrorInvalidParameter", "The parameter 'Message' is required."))
			return
		}
		if ge := in.Message.validate(true); ge != nil {
			g.fail(ge)
			return
		}
		m = &Message{ConversationID: newConversationID(), ConversationIndex: newConversationIndex(), InternetMessageID: newInternetMessageID()}
		in.Message.apply(m)
		m.Headers = slices.Clone(in.Message.InternetMessageHeaders)
		save = in.SaveToSentItems.or(true)
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	ge := s.submitLocked(g, mb, m, false, save, via)
	s.mu.Unlock()
	s.finishSend(g, ge)
}

// finishSend answers a send: the error, an after-accept fault's status (the
// message was accepted and sent), or 202 with no body.
func (s *Sim) finishSend(g *gctx, ge *graphError) {
	if ge != nil {
		g.fail(ge)
		return
	}
	if f := g.afterAccept; f != nil {
		s.log.Info("graph: fault: answering an accepted send with an error", "status", f.Status, "code", f.Code, "path", g.r.URL.Path)
		if f.Status == http.StatusAccepted {
			if f.RetryAfter != "" {
				g.w.Header().Set("Retry-After", f.RetryAfter)
			}
			g.noContent(http.StatusAccepted)
			return
		}
		g.fail(faultError(f, s.cfg.Limits.RetryAfter))
		return
	}
	g.noContent(http.StatusAccepted)
}

// sendDraft serves POST /messages/{id}/send.
func (s *Sim) sendDraft(g *gctx, id string) {
	if !s.sendScopeOK(g) {
		return
	}
	// Content-Length 0 is what the SDK sends; any body is ignored.
	_, _ = io.Copy(io.Discard, io.LimitReader(g.r.Body, maxGraphBody))
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	m := mb.message(id)
	var ge *graphError
	switch {
	case m == nil:
		ge = errItemNotFound()
	case !m.IsDraft:
		ge = gerr(http.StatusBadRequest, "ErrorInvalidOperation", "The item has already been sent and cannot be sent again.")
	default:
		ge = s.submitLocked(g, mb, m, true, true, "send")
	}
	s.mu.Unlock()
	s.finishSend(g, ge)
}

func replySubject(subj string) string {
	l := strings.ToLower(subj)
	if strings.HasPrefix(l, "re:") {
		return subj
	}
	return "RE: " + subj
}

// buildReplyLocked drafts a reply to orig from the mailbox's owner.
func (s *Sim) buildReplyLocked(owner *User, orig *Message, all bool, comment string) *Message {
	r := &Message{
		Subject:           replySubject(orig.Subject),
		ConversationID:    orig.ConversationID,
		ConversationIndex: childConversationIndex(orig.ConversationIndex),
		InReplyTo:         orig.InternetMessageID,
		References:        strings.TrimSpace(orig.References + " " + orig.InternetMessageID),
		InternetMessageID: newInternetMessageID(),
		BodyType:          "text",
		IsDraft:           true,
		IsRead:            true,
	}
	fromSelf := orig.From != nil && owner.HasAddress(orig.From.Address)
	switch {
	case fromSelf:
		r.To = slices.Clone(orig.To)
	case len(orig.ReplyTo) > 0:
		r.To = slices.Clone(orig.ReplyTo)
	case orig.From != nil:
		r.To = []Recipient{*orig.From}
	}
	if all {
		for _, x := range append(slices.Clone(orig.To), orig.Cc...) {
			if !owner.HasAddress(x.Address) && !hasAddr(r.To, x.Address) {
				r.Cc = append(r.Cc, x)
			}
		}
	}
	quoted := "\n\n________________________________\nFrom: " + formatAddr(derefRecipient(orig.From)) +
		"\nSent: " + orig.sentOrReceived().UTC().Format("Monday, January 2, 2006 3:04 PM") +
		"\nSubject: " + orig.Subject + "\n\n" + orig.textOf()
	r.Body = comment + quoted
	return r
}

func derefRecipient(r *Recipient) Recipient {
	if r == nil {
		return Recipient{}
	}
	return *r
}

// replyIn is the body of reply, replyAll, createReply and createReplyAll:
// a comment above the quoted original, and message properties that
// override the reply's.
type replyIn struct {
	Comment string
	Message *messageIn
}

// validate checks the overriding message properties, if any.
func (in *replyIn) validate() *graphError {
	if in.Message == nil {
		return nil
	}
	return in.Message.validate(true)
}

// buildLocked builds owner's reply to orig (to every recipient with all)
// with the comment and overrides applied. s.mu must be held.
func (in *replyIn) buildLocked(s *Sim, owner *User, orig *Message, all bool) *Message {
	r := s.buildReplyLocked(owner, orig, all, in.Comment)
	if in.Message != nil {
		in.Message.apply(r)
		r.Headers = slices.Clone(in.Message.InternetMessageHeaders)
	}
	return r
}

// replyMessage serves POST /messages/{id}/reply and /replyAll.
func (s *Sim) replyMessage(g *gctx, id string, all bool) {
	if !s.sendScopeOK(g) {
		return
	}
	var in replyIn
	if ge := g.decodeBody(&in); ge != nil {
		g.fail(ge)
		return
	}
	if ge := in.validate(); ge != nil {
		g.fail(ge)
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	orig := mb.message(id)
	var ge *graphError
	if orig == nil {
		ge = errItemNotFound()
	} else {
		r := in.buildLocked(s, g.target, orig, all)
		r.IsDraft = false
		ge = s.submitLocked(g, mb, r, false, true, "reply")
	}
	s.mu.Unlock()
	s.finishSend(g, ge)
}

// createReply serves POST /messages/{id}/createReply: a reply draft.
func (s *Sim) createReply(g *gctx, id string, all bool) {
	if !g.requireScope(mailWriteScopes...) {
		return
	}
	var in replyIn
	if b, ge := g.readBody(); ge != nil {
		g.fail(ge)
		return
	} else if len(bytes.TrimSpace(b)) > 0 {
		g.r.Body = io.NopCloser(bytes.NewReader(b))
		g.r.Header.Del("Content-Encoding")
		if ge := g.decodeBody(&in); ge != nil {
			g.fail(ge)
			return
		}
	}
	if ge := in.validate(); ge != nil {
		g.fail(ge)
		return
	}
	s.mu.Lock()
	mb := s.mailboxLocked(g.target.ID)
	orig := mb.message(id)
	if orig == nil {
		s.mu.Unlock()
		g.fail(errItemNotFound())
		return
	}
	r := in.buildLocked(s, g.target, orig, all)
	mb.addMessage(r, mb.folder("drafts"), s.now())
	sel := msgSelection{immutable: g.prefer.immutableID}
	o := renderMessage(mb, r, &sel)
	s.mu.Unlock()
	g.writeJSON(http.StatusCreated, o)
}

// ---- submission ----

// submitLocked submits m from mailbox mb: resolves the effective From
// (alias and send-as rules, MICROSOFT.md §3.2), enforces the sending limits,
// records the send, then (after MailOptions.SentItemsDelay) files the Sent
// Items copy, delivers to emulated recipients and bounces unknown ones.
// isDraft: m is a stored draft that moves to Sent Items. s.mu must be held.
func (s *Sim) submitLocked(g *gctx, mb *Mailbox, m *Message, isDraft, save bool, via string) *graphError {
	owner := g.target
	primary := owner.PrimaryAddress()
	requested := addrOf(m.From)
	eff, sender := primary, primary
	if requested != "" && !strings.EqualFold(requested, primary) {
		switch {
		case owner.HasAddress(requested):
			if t := s.st.Tenants[owner.TenantID]; t != nil && t.SendFromAlias == AliasPreserve {
				eff, sender = requested, requested
			}
		case slices.ContainsFunc(g.caller.SendAs, func(a string) bool { return strings.EqualFold(a, requested) }):
			eff, sender = requested, requested
		default:
			return gerr(http.StatusForbidden, "ErrorSendAsDenied", "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account. Cannot submit message.")
		}
	}
	var all []Recipient
	all = append(append(append(all, m.To...), m.Cc...), m.Bcc...)
	if len(all) == 0 {
		return gerr(http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient is not valid., A message can't be sent because it contains no recipients.")
	}
	if len(all) > maxRecipientsPerMessage {
		return gerr(http.StatusBadRequest, "ErrorTooManyRecipients", fmt.Sprintf("The message has %d recipients; a message may have at most %d recipients.", len(all), maxRecipientsPerMessage))
	}
	now := s.now()
	lim := s.cfg.Limits
	ss := s.sendStateLocked(mb.UserID)
	if ss.blockedUntil.After(now) {
		ss.rejected++
		return errSubmissionBlocked(lim.RecipientsPerDay)
	}
	// Over the daily recipient quota the submission is accepted and ends
	// in an NDR, and the mailbox is blocked from sending for 24 hours
	// ("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException";
	// "Fix error for submission quota exceeded in Exchange Online",
	// https://learn.microsoft.com/en-us/exchange/troubleshoot/send-emails/fix-error-for-submission-quota-exceeded-in-exchange-online;
	// the 24-hour wait: MicrosoftDocs/OfficeDocs-Exchange PR #2433;
	// MICROSOFT.md §4.3).
	overQuota := ss.dayTotal+len(all) > lim.RecipientsPerDay
	ss.minute = append(ss.minute, now)
	ss.peakMinute = max(ss.peakMinute, len(ss.minute))
	ss.maxPerMsg = max(ss.maxPerMsg, len(all))
	ss.sent++
	ss.recipients += len(all)
	at := now
	if overQuota {
		ss.overQuota++
		ss.blockedUntil = now.Add(24 * time.Hour)
	} else {
		ss.day = append(ss.day, rcptStamp{now, len(all)})
		ss.dayTotal += len(all)
		ss.peakDay = max(ss.peakDay, ss.dayTotal)
		if at = ss.slot(now, lim.SendsPerMinute); at.After(now) {
			ss.deferred++
		}
	}

	name := owner.DisplayName
	if !owner.HasAddress(eff) {
		name = eff
	}
	from := Recipient{Name: name, Address: eff}
	senderR := Recipient{Name: name, Address: sender}

	// The content as it leaves: a snapshot, so later edits to a draft do
	// not change what was sent.
	out := *m
	out.From, out.Sender = &from, &senderR
	out.IsDraft, out.IsRead = false, true
	out.SentAt = at
	out.Headers = slices.Clone(m.Headers)
	if out.InternetMessageID == "" {
		out.InternetMessageID = newInternetMessageID()
	}
	if out.ConversationID == "" {
		out.ConversationID, out.ConversationIndex = newConversationID(), newConversationIndex()
	}
	rec := SentRecord{
		Time: at, SubmittedAt: now, InternetMessageID: out.InternetMessageID, ConversationID: out.ConversationID,
		From: eff, Subject: out.Subject, Headers: slices.Clone(out.Headers), ExtProps: slices.Clone(out.ExtProps),
		Via: via, ClientID: g.claims.ClientID,
	}
	if !strings.EqualFold(requested, eff) && requested != "" {
		rec.RequestedFrom = requested
	}
	for _, r := range out.To {
		rec.To = append(rec.To, r.Address)
	}
	for _, r := range out.Cc {
		rec.Cc = append(rec.Cc, r.Address)
	}
	for _, r := range out.Bcc {
		rec.Bcc = append(rec.Bcc, r.Address)
	}

	opts := s.mailOptionsLocked(mb.UserID)
	due := at.Add(opts.SentItemsDelay)
	switch {
	case isDraft:
		rec.MessageID = m.ID
		draft := m
		s.scheduleLocked(mb, due, func() {
			at := s.now()
			if cur := mb.Messages[draft.ID]; cur == draft && draft.IsDraft {
				// Keep the draft's identity and position; take the content
				// as it was sent.
				folderID, restID, seq, folderSeq := draft.FolderID, draft.RestID, draft.Seq, draft.FolderSeq
				*draft = out
				draft.FolderID, draft.RestID, draft.Seq, draft.FolderSeq = folderID, restID, seq, folderSeq
				draft.ReceivedAt = out.SentAt
				mb.move(draft, mb.folder("sentitems"), at)
				return
			}
			// Sent again while the first submission was in transport, or the
			// draft is gone: file another copy.
			cp := out
			cp.ID, cp.ReceivedAt = "", out.SentAt
			mb.addMessage(&cp, mb.folder("sentitems"), at)
		})
	case save:
		cp := out
		cp.ID = newItemID("AAkALg")
		cp.ReceivedAt = at
		rec.MessageID = cp.ID
		s.scheduleLocked(mb, due, func() { mb.addMessage(&cp, mb.folder("sentitems"), s.now()) })
	}

	if overQuota {
		rec.QuotaExceeded = true
		ndr := s.quotaNDRLocked(owner, &out, all)
		s.scheduleLocked(mb, due, func() { mb.addMessage(ndr, mb.folder("inbox"), s.now()) })
		mb.Sent = append(mb.Sent, rec)
		return nil
	}

	// Delivery and bounces.
	var bounced []string
	delivered := map[string]bool{}
	for _, r := range all {
		addr := strings.ToLower(r.Address)
		if delivered[addr] {
			continue
		}
		delivered[addr] = true
		if u := s.userByAddressLocked(addr); u != nil {
			rmb := s.mailboxLocked(u.ID)
			in := out
			in.Bcc = nil
			if hasAddr(m.Bcc, addr) {
				in.Bcc = []Recipient{r}
			}
			s.scheduleLocked(rmb, due, func() {
				cp := in
				cp.ID, cp.ExtProps, cp.IsRead, cp.ReceivedAt = "", nil, false, due
				rmb.addMessage(&cp, rmb.folder("inbox"), s.now())
			})
			continue
		}
		if s.bouncesLocked(addr, opts) {
			bounced = append(bounced, r.Address)
		}
	}
	if len(bounced) > 0 {
		rec.Bounced = bounced
		ndr := s.ndrLocked(owner, &out, bounced)
		s.scheduleLocked(mb, due, func() { mb.addMessage(ndr, mb.folder("inbox"), s.now()) })
	}
	mb.Sent = append(mb.Sent, rec)
	return nil
}

// scheduleLocked runs fn at due (on the next access to the mailbox after
// it), or now when due is not in the future.
func (s *Sim) scheduleLocked(mb *Mailbox, due time.Time, fn func()) {
	if !due.After(s.now()) {
		fn()
		return
	}
	mb.pending = append(mb.pending, pendingSend{due: due, fn: fn})
}

// bouncesLocked decides whether mail to addr (not an emulated user)
// produces a non-delivery report.
func (s *Sim) bouncesLocked(addr string, o MailOptions) bool {
	_, domain, _ := strings.Cut(addr, "@")
	if s.tenantLocked(domain) != nil {
		return true // an accepted domain without such a recipient
	}
	for _, b := range o.BounceAddresses {
		b = strings.ToLower(strings.TrimSpace(b))
		if b == addr || strings.HasPrefix(b, "@") && strings.HasSuffix(addr, b) {
			return true
		}
	}
	return o.BounceExternal
}

// errSubmissionBlocked is what Graph answers a send from a mailbox that
// is blocked after exceeding its daily recipient quota. The code is
// Exchange's ErrorMessageSubmissionBlocked (EWS ResponseCodeType); the exact
// Graph wording is not documented (inferred).
func errSubmissionBlocked(perDay int) *graphError {
	return gerr(http.StatusForbidden, "ErrorMessageSubmissionBlocked", fmt.Sprintf("Cannot send mail. This mailbox exceeded its limit of %d recipients per day and is blocked from sending for 24 hours (SubmissionQuotaExceededException).", perDay))
}

// quotaNDRLocked builds the NDR of a submission over the daily recipient
// quota: "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException".
func (s *Sim) quotaNDRLocked(owner *User, orig *Message, all []Recipient) *Message {
	var bad []string
	for _, r := range all {
		bad = append(bad, r.Address)
	}
	ndr := s.ndrLocked(owner, orig, bad)
	var body strings.Builder
	body.WriteString("Your message couldn't be delivered because you exceeded your sending limit for the day.\n\n")
	body.WriteString("Delivery has failed to these recipients or groups:\n\n" + strings.Join(bad, ", ") + "\n\n")
	body.WriteString("Diagnostic information for administrators:\n\nGenerating server: M365SIM.prod.outlook.com\n\n")
	body.WriteString("Remote Server returned '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message.[EndDiagnosticData]'\n\n")
	body.WriteString("Original message headers:\n\nMessage-ID: " + orig.InternetMessageID + "\nSubject: " + orig.Subject + "\n")
	ndr.Body = body.String()
	return ndr
}

// ndrLocked builds the non-delivery report Exchange Online puts in the
// sender's Inbox: "Undeliverable: …" from the postmaster, threaded with the
// original (same conversation, In-Reply-To its Message-ID).
func (s *Sim) ndrLocked(owner *User, orig *Message, bad []string) *Message {
	domain := "outlook.com"
	if t := s.st.Tenants[owner.TenantID]; t != nil && len(t.Domains) > 0 {
		domain = t.Domains[0]
	}
	var body strings.Builder
	body.WriteString("Your message to " + strings.Join(bad, ", ") + " couldn't be delivered.\n\n")
	body.WriteString("Delivery has failed to these recipients or groups:\n\n")
	for _, a := range bad {
		body.WriteString(a + "\nThe email address you entered couldn't be found. Please check the recipient's email address and try to resend the message.\n\n")
	}
	body.WriteString("Diagnostic information for administrators:\n\nGenerating server: M365SIM.prod.outlook.com\n\n")
	for _, a := range bad {
		body.WriteString(a + "\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\n\n")
	}
	body.WriteString("Original message headers:\n\nMessage-ID: " + orig.InternetMessageID + "\nSubject: " + orig.Subject + "\n")
	postmaster := Recipient{Name: "Microsoft Outlook", Address: "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@" + domain}
	return &Message{
		Subject:           "Undeliverable: " + orig.Subject,
		BodyType:          "text",
		Body:              body.String(),
		From:              &postmaster,
		Sender:            &postmaster,
		To:                []Recipient{*orig.From},
		InternetMessageID: newInternetMessageID(),
		ConversationID:    orig.ConversationID,
		ConversationIndex: childConversationIndex(orig.ConversationIndex),
		InReplyTo:         orig.InternetMessageID,
		References:        orig.InternetMessageID,
		Headers: []Header{
			{"X-MS-Exchange-Message-Is-Ndr", ""},
			{"Auto-Submitted", "auto-replied"},
			{"Content-Type", "multipart/report; report-type=delivery-status; boundary=\"_000_m365sim_\""},
			{"X-MS-Exchange-Original-Recipients", strings.Join(bad, ", ")},
		},
		Importance: "normal",
		IsNDR:      true,
		SentAt:     s.now(),
	}
}

// parseMIMEMessage decodes the MIME variant of sendMail: a base64 MIME
// message as text/plain (MICROSOFT.md §3.3).
func parseMIMEMessage(raw []byte) (*Message, *graphError) {
	clean := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, string(raw))
	dec, err := base64.StdEncoding.DecodeString(clean)
	if err != nil || len(dec) == 0 {
		return nil, gerr(http.StatusBadRequest, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.")
	}
	pm, err := mail.ReadMessage(bytes.NewReader(dec))
	if err != nil {
		return nil, gerr(http.StatusBadRequest, "ErrorMimeContentInvalid", "The MIME content is invalid: "+err.Error())
	}
	body, _ := io.ReadAll(io.LimitReader(pm.Body, maxGraphBody))
	m := &Message{
		Subject:           decodeHeader(pm.Header.Get("Subject")),
		BodyType:          "text",
		Body:              string(body),
		InternetMessageID: pm.Header.Get("Message-Id"),
		ConversationID:    newConversationID(),
		ConversationIndex: newConversationIndex(),
		InReplyTo:         pm.Header.Get("In-Reply-To"),
		References:        pm.Header.Get("References"),
	}
	if ct := pm.Header.Get("Content-Type"); strings.HasPrefix(strings.ToLower(ct), "text/html") {
		m.BodyType = "html"
	}
	addrs := func(h string) []Recipient {
		list, err := pm.Header.AddressList(h)
		if err != nil {
			return nil
		}
		out := make([]Recipient, 0, len(list))
		for _, a := range list {
			out = append(out, Recipient{Name: a.Name, Address: a.Address})
		}
		return out
	}
	m.To, m.Cc, m.Bcc = addrs("To"), addrs("Cc"), addrs("Bcc")
	if f := addrs("From"); len(f) > 0 {
		m.From = &f[0]
	}
	for k, vs := range pm.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-") {
			for _, v := range vs {
				m.Headers = append(m.Headers, Header{k, v})
			}
		}
	}
	if len(m.Headers) > 5 {
		return nil, gerr(http.StatusBadRequest, "InvalidInternetMessageHeaderCollection", "Maximum number of headers in one message should be less than or equal to 5.")
	}
	return m, nil
}

func decodeHeader(v string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// InboundMessage is a message arriving from outside the emulator (a
// prospect's reply, say), for DeliverMessage.
type InboundMessage struct {
	From    Recipient
	To      []Recipient // default: the mailbox's primary address
	Cc      []Recipient
	Subject string
	Body    string
	HTML    bool
	// InReplyTo is the internetMessageId of the message this answers; the
	// new message joins that message's conversation.
	InReplyTo string
	Headers   []Header
	// ReceivedAt defaults to the emulator's clock.
	ReceivedAt time.Time
	// Folder is a folder ID or well-known name; default "inbox".
	Folder string
}

// DeliverMessage puts an inbound message in a mailbox as if it had arrived
// from the internet, so tests and demos can simulate replies and bounces
// from outside. It returns the stored message (IDs, conversationId).
func (s *Sim) DeliverMessage(mailbox string, in InboundMessage) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return Message{}, ErrNotFound
	}
	mb := s.mailboxLocked(u.ID)
	f := mb.folder(cmpOr(in.Folder, "inbox"))
	if f == nil {
		return Message{}, fmt.Errorf("m365sim: folder %q: %w", in.Folder, ErrNotFound)
	}
	m := s.inboundLocked(mb, u, in)
	mb.addMessage(m, f, s.now())
	return *m, nil
}

func (s *Sim) inboundLocked(mb *Mailbox, u *User, in InboundMessage) *Message {
	to := in.To
	if len(to) == 0 {
		to = []Recipient{{Name: u.DisplayName, Address: u.PrimaryAddress()}}
	}
	from := in.From
	m := &Message{
		Subject: in.Subject, BodyType: "text", Body: in.Body, From: &from, Sender: &from,
		To: slices.Clone(to), Cc: slices.Clone(in.Cc), Headers: slices.Clone(in.Headers),
		InternetMessageID: newInternetMessageID(), ReceivedAt: in.ReceivedAt, Importance: "normal",
	}
	if in.HTML {
		m.BodyType = "html"
	}
	m.SentAt = cmpOr(in.ReceivedAt, s.now())
	if in.InReplyTo != "" {
		m.InReplyTo, m.References = in.InReplyTo, in.InReplyTo
		for _, x := range mb.Messages {
			if x.InternetMessageID == in.InReplyTo {
				m.ConversationID, m.ConversationIndex = x.ConversationID, childConversationIndex(x.ConversationIndex)
				break
			}
		}
	}
	if m.ConversationID == "" {
		m.ConversationID, m.ConversationIndex = newConversationID(), newConversationIndex()
	}
	return m
}
