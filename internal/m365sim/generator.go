package m365sim

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// GenerateOptions describes the mailbox content Generate produces.
type GenerateOptions struct {
	// Seed makes the output deterministic: the same seed and options give
	// the same messages, threads, addresses, times and IDs.
	Seed uint64
	// Messages is the total number of messages to create across Inbox and
	// Sent Items (NDRs included).
	Messages int
	// Prospects are the external addresses threads are with; replies come
	// from them. Default: 50 generated addresses.
	Prospects []string
	// OutboundRatio is the share of threads the mailbox owner starts (the
	// rest start with an inbound message). Default 0.6.
	OutboundRatio float64
	// ReplyRatio is the chance that each message in a thread gets a reply.
	// Default 0.45.
	ReplyRatio float64
	// BounceRatio is the share of outbound thread starters that bounce
	// (an NDR lands in the Inbox). Default 0.03.
	BounceRatio float64
	// Events is the number of calendar events to create.
	Events int
	// From and To bound the message times. Default: the 90 days up to now.
	From, To time.Time
}

// GenerateResult counts what Generate created.
type GenerateResult struct {
	Mailbox   string
	Messages  int
	Inbox     int
	SentItems int
	Bounces   int
	Threads   int
	Events    int
}

var (
	genFirst   = []string{"Ava", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jonas", "Kara", "Liam", "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wendy", "Xavier", "Yara", "Zane"}
	genLast    = []string{"Anders", "Brooks", "Castillo", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Olsen", "Patel", "Quist", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Young", "Zimmer"}
	genDomains = []string{"acme-corp.example", "globex.example", "initech.example", "umbrella.example", "hooli.example", "vandelay.example", "stark-industries.example", "wayne-enterprises.example", "soylent.example", "tyrell.example"}
	genTopics  = []string{"Quick question about your Q3 roadmap", "Following up on our call", "Pricing for the enterprise plan", "Intro: mailbox automation for your team", "Can we find 15 minutes next week?", "Your trial is ending soon", "Re-engaging on the integration project", "Proposal attached", "Onboarding checklist", "Security review questionnaire", "Renewal options", "Partnership opportunity", "Feedback on the demo", "Next steps", "Contract redlines"}
	genOpeners = []string{"Hi %s,", "Hello %s,", "Good morning %s,", "Hey %s,", "Dear %s,"}
	genLines   = []string{
		"I wanted to follow up on the note I sent last week.",
		"We help sales teams send sequences from their own mailboxes without losing replies.",
		"Would you have time for a short call on Tuesday or Wednesday?",
		"I've attached the summary we discussed.",
		"Let me know if someone else on your team is the right contact.",
		"Thanks for getting back to me so quickly.",
		"We're reviewing options internally and will circle back.",
		"Could you share the pricing sheet for 50 seats?",
		"The integration with our CRM is the main requirement.",
		"Happy to move this forward; please send over the paperwork.",
		"I'm out of the office until Monday with limited access to email.",
		"Not interested at this time, please remove me from your list.",
		"Our security team will need to review the data handling first.",
	}
	genClosers = []string{"Best,", "Thanks,", "Regards,", "Cheers,", "Kind regards,"}
)

// genRand wraps the seeded PCG source.
type genRand struct{ r *rand.Rand }

func (g genRand) pick(list []string) string { return list[g.r.IntN(len(list))] }

// id returns a deterministic Exchange-looking ID.
func (g genRand) id(prefix string) string {
	var b [45]byte
	for i := 0; i < len(b); i += 8 {
		v := g.r.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return prefix + base64.URLEncoding.EncodeToString(b[:]) + "="
}

func (g genRand) hex(n int) string {
	const digits = "0123456789ABCDEF"
	var sb strings.Builder
	sb.Grow(n)
	for range n {
		sb.WriteByte(digits[g.r.IntN(16)])
	}
	return sb.String()
}

func (g genRand) body(toName, fromName string) string {
	var sb strings.Builder
	sb.Grow(320)
	fmt.Fprintf(&sb, g.pick(genOpeners), firstName(toName))
	sb.WriteString("\n\n")
	for i, n := 0, 1+g.r.IntN(3); i < n; i++ {
		sb.WriteString(g.pick(genLines))
		sb.WriteByte(' ')
	}
	sb.WriteString("\n\n")
	sb.WriteString(g.pick(genClosers))
	sb.WriteByte('\n')
	sb.WriteString(fromName)
	return sb.String()
}

func firstName(full string) string {
	f, _, _ := strings.Cut(full, " ")
	return f
}

// Generate fills a mailbox with realistic, deterministic content: threads
// (shared conversationId, In-Reply-To chains, RE: subjects) between the
// owner and prospects across Inbox and Sent Items, non-delivery reports
// for a share of outbound mail, and calendar events. It is fast enough for
// 100,000 messages and does not count against the sending limits.
func (s *Sim) Generate(mailbox string, o GenerateOptions) (GenerateResult, error) {
	if o.Messages < 0 || o.Events < 0 {
		return GenerateResult{}, fmt.Errorf("m365sim: generate: negative counts")
	}
	o.OutboundRatio = cmpOr(o.OutboundRatio, 0.6)
	o.ReplyRatio = cmpOr(o.ReplyRatio, 0.45)
	o.BounceRatio = cmpOr(o.BounceRatio, 0.03)
	rng := genRand{rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}

	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(mailbox)
	if u == nil {
		return GenerateResult{}, ErrNotFound
	}
	now := s.now()
	if o.To.IsZero() {
		o.To = now
	}
	if o.From.IsZero() {
		o.From = o.To.Add(-90 * 24 * time.Hour)
	}
	span := o.To.Sub(o.From)
	if span <= 0 {
		return GenerateResult{}, fmt.Errorf("m365sim: generate: From must be before To")
	}
	type person struct{ name, addr string }
	prospects := make([]person, 0, max(len(o.Prospects), 50))
	for _, a := range o.Prospects {
		local, _, _ := strings.Cut(a, "@")
		prospects = append(prospects, person{strings.ReplaceAll(local, ".", " "), a})
	}
	if len(prospects) == 0 {
		for range 50 {
			f, l, d := rng.pick(genFirst), rng.pick(genLast), rng.pick(genDomains)
			prospects = append(prospects, person{f + " " + l, strings.ToLower(f + "." + l + "@" + d)})
		}
	}
	mb := s.mailboxLocked(u.ID)
	inbox, sent := mb.folder("inbox"), mb.folder("sentitems")
	owner := Recipient{Name: u.DisplayName, Address: u.PrimaryAddress()}
	domain := "contoso.example"
	if t := s.st.Tenants[u.TenantID]; t != nil && len(t.Domains) > 0 {
		domain = t.Domains[0]
	}
	postmaster := Recipient{Name: "Microsoft Outlook", Address: "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@" + domain}
	res := GenerateResult{Mailbox: u.ID}

	// Messages are created in time order per thread; threads start at
	// random times, so the mailbox as a whole interleaves them.
	newMsg := func(from, to Recipient, subject, body string, at time.Time, conv, convIdx, inReplyTo, refs string) *Message {
		f, t := from, to
		return &Message{
			ID: rng.id("AAkALg"), RestID: rng.id("AAMkAD"),
			Subject: subject, BodyType: "text", Body: body, From: &f, Sender: &f, To: []Recipient{t},
			InternetMessageID: "<" + rng.hex(24) + "@" + rng.hex(12) + ".namprd13.prod.outlook.com>",
			ConversationID:    conv, ConversationIndex: convIdx, InReplyTo: inReplyTo, References: refs,
			CreatedAt: at, ReceivedAt: at, SentAt: at, Importance: "normal",
		}
	}
	for res.Messages < o.Messages {
		p := prospects[rng.r.IntN(len(prospects))]
		prospect := Recipient{Name: p.name, Address: p.addr}
		subject := rng.pick(genTopics)
		at := o.From.Add(time.Duration(rng.r.Int64N(int64(span))))
		conv := "AAQkAD" + strings.TrimRight(rng.id(""), "=")[:40] + "="
		convIdx := base64.StdEncoding.EncodeToString([]byte(rng.hex(22)))
		outbound := rng.r.Float64() < o.OutboundRatio
		res.Threads++
		var prev *Message
		for i := 0; res.Messages < o.Messages; i++ {
			subj := subject
			inReplyTo, refs := "", ""
			if prev != nil {
				subj = replySubject(subject)
				inReplyTo, refs = prev.InternetMessageID, strings.TrimSpace(prev.References+" "+prev.InternetMessageID)
			}
			fromOwner := outbound == (i%2 == 0)
			var m *Message
			if fromOwner {
				m = newMsg(owner, prospect, subj, rng.body(prospect.Name, owner.Name), at, conv, convIdx, inReplyTo, refs)
				m.IsRead = true
				mb.addMessage(m, sent, at)
				res.SentItems++
			} else {
				m = newMsg(prospect, owner, subj, rng.body(owner.Name, prospect.Name), at, conv, convIdx, inReplyTo, refs)
				m.IsRead = rng.r.Float64() < 0.7
				mb.addMessage(m, inbox, at)
				res.Inbox++
			}
			m.ModifiedAt = at
			res.Messages++
			if i == 0 && fromOwner && rng.r.Float64() < o.BounceRatio && res.Messages < o.Messages {
				ndrAt := at.Add(time.Duration(5+rng.r.IntN(120)) * time.Second)
				ndr := newMsg(postmaster, owner, "Undeliverable: "+subj,
					"Delivery has failed to these recipients or groups:\n\n"+p.addr+"\nThe email address you entered couldn't be found.\n\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'",
					ndrAt, conv, convIdx, m.InternetMessageID, m.InternetMessageID)
				ndr.IsNDR = true
				ndr.Headers = []Header{{"X-MS-Exchange-Message-Is-Ndr", ""}, {"Auto-Submitted", "auto-replied"}, {"Content-Type", "multipart/report; report-type=delivery-status"}}
				mb.addMessage(ndr, inbox, ndrAt)
				ndr.ModifiedAt = ndrAt
				res.Inbox++
				res.Bounces++
				res.Messages++
				break
			}
			if rng.r.Float64() >= o.ReplyRatio {
				break
			}
			prev = m
			at = at.Add(time.Duration(10+rng.r.IntN(72*60)) * time.Minute)
			if at.After(o.To) {
				break
			}
		}
	}
	for range o.Events {
		p := prospects[rng.r.IntN(len(prospects))]
		start := now.Add(time.Duration(rng.r.IntN(60*24)-30*24) * time.Hour).Truncate(30 * time.Minute)
		e := &Event{
			ID: rng.id("AAMkAGE1"), ICalUID: "040000008200E00074C5B7101A82E008" + rng.hex(56),
			Subject:  "Call: " + rng.pick(genTopics),
			BodyType: "text", Body: "Agenda: " + rng.pick(genLines),
			Start: start, End: start.Add(time.Duration(1+rng.r.IntN(4)) * 15 * time.Minute),
			Location: "Microsoft Teams Meeting", Organizer: owner, ShowAs: "busy",
			Attendees: []Attendee{{Recipient: Recipient{Name: p.name, Address: p.addr}, Type: "required", Response: "none"}},
			CreatedAt: start.Add(-72 * time.Hour),
		}
		mb.addEvent(e, now)
		res.Events++
	}
	return res, nil
}
