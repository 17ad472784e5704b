// Package demo seeds demo mode: an organization "Acme" whose users and
// mailboxes reproduce the situations of the help article Mailbridge follows
// (a user with one mailbox; John with a legacy EWS primary mailbox
// john@acme.com and a secondary alias john.work@acme.com), with sequences,
// prospects, sequence states and scheduled emails on John's primary mailbox.
// The same people exist in the built-in Microsoft 365 emulator, so
// "Connect with Office 365" works offline.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"mailbridge/ent"
	"mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/viewer"
)

// Person is a demo user, in Mailbridge and in the emulated Microsoft tenant.
type Person struct {
	Name, Email, Role, TimeZone string
	// Aliases are further addresses of the same Microsoft account.
	Aliases []string
}

// Domain is the demo organization's email domain (and emulated tenant).
const Domain = "acme.com"

// People are the demo users.
var People = []Person{
	{Name: "Alex Morgan", Email: "admin@acme.com", Role: "ADMIN", TimeZone: "America/Chicago"},
	{Name: "John Smith", Email: "john@acme.com", Role: "USER", TimeZone: "America/New_York", Aliases: []string{"john.work@acme.com"}},
	{Name: "Sara Lee", Email: "sara@acme.com", Role: "USER", TimeZone: "Europe/London"},
	{Name: "Priya Patel", Email: "priya@acme.com", Role: "USER", TimeZone: "Asia/Kolkata"},
}

// Options tune the seed.
type Options struct {
	// SequenceStates on John's primary mailbox (default 300).
	SequenceStates int
	Now            func() time.Time
	Seed           uint64 // deterministic data (default 1)
}

// OrganizationName is the demo organization's name (organization names are
// unique). Demo sign-in offers only its users.
const OrganizationName = "Acme"

// Seed fills an empty database with the demo organization. It does nothing
// (and reports false) when any organization exists, so restarts keep the
// demo's changes. The check and the seed run in one transaction under a
// database lock, so instances starting together on one database seed once.
func Seed(ctx context.Context, d *db.DB, o Options) (bool, error) {
	ctx = viewer.SystemContext(ctx)
	if o.SequenceStates == 0 {
		o.SequenceStates = 300
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	tx, err := d.Client().Tx(ctx)
	if err != nil {
		return false, fmt.Errorf("demo: begin: %w", err)
	}
	if err := d.LockTx(ctx, tx, "mailbridge_demo_seed"); err != nil {
		_ = tx.Rollback()
		return false, err
	}
	if n, err := tx.Organization.Query().Count(ctx); err != nil || n > 0 {
		_ = tx.Rollback()
		if err != nil {
			return false, fmt.Errorf("demo: count organizations: %w", err)
		}
		return false, nil
	}
	if err := seed(ctx, tx.Client(), o); err != nil {
		_ = tx.Rollback()
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("demo: commit: %w", err)
	}
	return true, nil
}

func seed(ctx context.Context, c *ent.Client, o Options) error {
	rng := rand.New(rand.NewPCG(o.Seed, 0x6d61696c))
	now := o.Now().UTC().Truncate(time.Minute)
	org, err := c.Organization.Create().SetName(OrganizationName).Save(ctx)
	if err != nil {
		return fmt.Errorf("demo: organization: %w", err)
	}
	users := map[string]*ent.User{}
	for _, p := range People {
		u, err := c.User.Create().SetOrgID(org.ID).SetName(p.Name).SetEmail(p.Email).
			SetRole(user.Role(p.Role)).SetTimeZone(p.TimeZone).Save(ctx)
		if err != nil {
			return fmt.Errorf("demo: user %s: %w", p.Email, err)
		}
		users[p.Email] = u
	}
	mb := func(owner, address string, provider *mailbox.Provider, connected, isDefault bool) (*ent.Mailbox, error) {
		state := mailbox.ConnectionStateNOT_CONNECTED
		if connected {
			state = mailbox.ConnectionStateCONNECTED
		}
		m, err := c.Mailbox.Create().SetOrgID(org.ID).SetUserID(users[owner].ID).SetAddress(address).
			SetNillableProvider(provider).SetConnectionState(state).
			SetSyncEnabled(connected).SetSendEnabled(connected).SetIsDefault(isDefault).
			SetNillableLastSyncedAt(when(connected, now.Add(-7*time.Minute))).
			Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("demo: mailbox %s: %w", address, err)
		}
		return m, nil
	}
	ews := mailbox.ProviderEXCHANGE_EWS
	if _, err := mb("admin@acme.com", "admin@acme.com", nil, false, true); err != nil {
		return err
	}
	// A new user with one mailbox, not set up yet ("Set up account").
	if _, err := mb("sara@acme.com", "sara@acme.com", nil, false, true); err != nil {
		return err
	}
	// An existing user with one mailbox, still on EWS.
	priya, err := mb("priya@acme.com", "priya@acme.com", &ews, true, true)
	if err != nil {
		return err
	}
	// John: primary alias on legacy EWS (sync/send on, default) and a
	// secondary alias that is not connected.
	john, err := mb("john@acme.com", "john@acme.com", &ews, true, true)
	if err != nil {
		return err
	}
	if _, err := mb("john@acme.com", "john.work@acme.com", nil, false, false); err != nil {
		return err
	}
	if err := seedSequences(ctx, c, rng, now, org.ID, users["john@acme.com"], john, o.SequenceStates, []string{
		"Q4 Outbound — Mid-market", "Webinar follow-up", "Renewal check-in",
	}); err != nil {
		return err
	}
	return seedSequences(ctx, c, rng, now, org.ID, users["priya@acme.com"], priya, 24, []string{"APAC expansion"})
}

var (
	firstNames = []string{"Ava", "Ben", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Isla", "Jonas", "Kara", "Luis", "Maya", "Noah", "Olivia", "Pavel", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Wes", "Xena", "Yusuf", "Zoe"}
	lastNames  = []string{"Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Khan", "Lopez", "Murphy", "Nakamura", "Olsen", "Price", "Reyes", "Singh", "Turner", "Varga"}
	companies  = []string{"Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", "Adatum", "Proseware", "Lucerne", "Humongous"}
)

// seedSequences enrols n prospects in the sequences, owned by owner and
// sending from mb, with a realistic mix of states and scheduled emails.
func seedSequences(ctx context.Context, c *ent.Client, rng *rand.Rand, now time.Time, orgID int, owner *ent.User, mb *ent.Mailbox, n int, names []string) error {
	seqs := make([]*ent.Sequence, len(names))
	for i, name := range names {
		s, err := c.Sequence.Create().SetOrgID(orgID).SetUserID(owner.ID).SetName(name).SetStepCount(3 + i%2).Save(ctx)
		if err != nil {
			return fmt.Errorf("demo: sequence: %w", err)
		}
		seqs[i] = s
	}
	prospects := make([]*ent.ProspectCreate, n)
	for i := range n {
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		company := companies[rng.IntN(len(companies))]
		email := fmt.Sprintf("%s.%s.%d@%s.example", strings.ToLower(first), strings.ToLower(last), i+1, strings.ToLower(company))
		prospects[i] = c.Prospect.Create().SetOrgID(orgID).SetEmail(email).SetFirstName(first).SetLastName(last).SetCompany(company)
	}
	ps, err := createProspects(ctx, c, prospects)
	if err != nil {
		return err
	}
	for start := 0; start < len(ps); start += 200 {
		chunk := make([]int, 0, 200)
		for i := start; i < min(start+200, len(ps)); i++ {
			chunk = append(chunk, i)
		}
		states := make([]*ent.SequenceStateCreate, 0, len(chunk))
		for _, i := range chunk {
			seq := seqs[i%len(seqs)]
			step := 1 + rng.IntN(seq.StepCount)
			st, reason := sequencestate.StateACTIVE, ""
			switch r := rng.IntN(100); {
			case r < 8:
				st = sequencestate.StatePAUSED
			case r < 16:
				st, reason = sequencestate.StateFINISHED, "Replied"
			case r < 19:
				st, reason = sequencestate.StateFAILED, "Bounced"
			}
			create := c.SequenceState.Create().SetOrgID(orgID).SetSequenceID(seq.ID).SetProspectID(ps[i].ID).
				SetUserID(owner.ID).SetMailboxID(mb.ID).SetState(st).SetCurrentStep(step).
				SetCreatedAt(now.Add(-time.Duration(rng.IntN(30*24)) * time.Hour))
			if reason != "" {
				create.SetStateReason(reason)
			}
			states = append(states, create)
		}
		created, err := c.SequenceState.CreateBulk(states...).Save(ctx)
		if err != nil {
			return fmt.Errorf("demo: sequence states: %w", err)
		}
		if err := seedEmails(ctx, c, rng, now, orgID, mb, created, chunk, ps, seqs); err != nil {
			return err
		}
	}
	return nil
}

// seedEmails gives each state its past steps as delivered emails and, while
// active, its current step as a scheduled email in the coming days.
func seedEmails(ctx context.Context, c *ent.Client, rng *rand.Rand, now time.Time, orgID int, mb *ent.Mailbox, states []*ent.SequenceState, idx []int, ps []*ent.Prospect, seqs []*ent.Sequence) error {
	var emails []*ent.ScheduledEmailCreate
	for k, s := range states {
		p := ps[idx[k]]
		seq := seqs[idx[k]%len(seqs)]
		for step := 1; step <= s.CurrentStep; step++ {
			e := c.ScheduledEmail.Create().SetOrgID(orgID).SetSequenceStateID(s.ID).SetStep(step).
				SetMailboxID(mb.ID).SetToAddress(p.Email).
				SetSubject(subject(seq.Name, step, p.FirstName)).
				SetBody(fmt.Sprintf("Hi %s,\n\nFollowing up on %s for %s.\n\nBest,\n", p.FirstName, seq.Name, p.Company))
			switch {
			case step < s.CurrentStep:
				sent := now.Add(-time.Duration(24*(s.CurrentStep-step)+rng.IntN(12)) * time.Hour)
				e.SetState(scheduledemail.StateDELIVERED).SetSendAt(sent).SetSentAt(sent)
			case s.State == sequencestate.StateACTIVE:
				e.SetState(scheduledemail.StateSCHEDULED).SetSendAt(now.Add(time.Duration(1+rng.IntN(72)) * time.Hour))
			case s.State == sequencestate.StateFAILED:
				e.SetState(scheduledemail.StateBOUNCED).SetSendAt(now.Add(-time.Hour)).SetBouncedAt(now.Add(-30 * time.Minute)).
					SetErrorCode("NDR").SetErrorMessage("The recipient's mailbox does not exist.")
			default:
				continue // paused or finished: nothing pending for the current step
			}
			emails = append(emails, e)
		}
	}
	for batch := range slices.Chunk(emails, 500) {
		if err := c.ScheduledEmail.CreateBulk(batch...).Exec(ctx); err != nil {
			return fmt.Errorf("demo: scheduled emails: %w", err)
		}
	}
	return nil
}

func createProspects(ctx context.Context, c *ent.Client, all []*ent.ProspectCreate) ([]*ent.Prospect, error) {
	out := make([]*ent.Prospect, 0, len(all))
	for batch := range slices.Chunk(all, 500) {
		ps, err := c.Prospect.CreateBulk(batch...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("demo: prospects: %w", err)
		}
		out = append(out, ps...)
	}
	return out, nil
}

func subject(seq string, step int, first string) string {
	switch step {
	case 1:
		return fmt.Sprintf("%s, quick question", first)
	case 2:
		return fmt.Sprintf("Re: %s, quick question", first)
	default:
		return fmt.Sprintf("%s — step %d", seq, step)
	}
}

func when(ok bool, t time.Time) *time.Time {
	if !ok {
		return nil
	}
	return &t
}
