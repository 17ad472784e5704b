package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/scheduledemail"
	"mailbridge/ent/sequencestate"
	"mailbridge/ent/user"
	"mailbridge/frontend"
	"mailbridge/internal/browsertest"
	"mailbridge/internal/config"
	"mailbridge/internal/dbtest"
	"mailbridge/internal/demo"
)

// chooseOption picks, in the <select> labelled label (inside scope, an
// XPath such as `//div[@role="dialog"]`), the enabled option whose text
// starts with text, the way a person does: it waits until the option is
// there, selects it and fires the change event the page listens to.
// Options are never visible, so waiting on them with WaitVisible hangs.
func chooseOption(scope, label, text string) chromedp.Action[chromedp.Void] {
	js := `(() => {
		const scope = ` + strconv.Quote(scope) + `;
		const root = scope === "" ? document : document.evaluate(scope, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
		if (!root) return false;
		const label = Array.from(root.querySelectorAll("label")).find((l) => l.textContent.trim() === ` + strconv.Quote(label) + `);
		const select = label && label.htmlFor ? document.getElementById(label.htmlFor) : null;
		if (!select || select.tagName !== "SELECT") return false;
		const option = Array.from(select.options).find((o) => !o.disabled && o.textContent.trim().startsWith(` + strconv.Quote(text) + `));
		if (!option) return false;
		select.value = option.value;
		select.dispatchEvent(new Event("change", { bubbles: true }));
		return true;
	})()`
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond))(ctx, t)
		if err != nil {
			return chromedp.Void{}, fmt.Errorf("choose %q in %q: %w", text, label, err)
		}
		return chromedp.Void{}, nil
	}
}

// textOf finds an element of the given tag whose whole text is text.
func textOf(tag, text string) chromedp.Search {
	return chromedp.Search(`//` + tag + `[normalize-space()="` + text + `"]`)
}

// TestIntegrationBrowser_AssignMailbox follows the article's last step as
// the admin in headless Chromium: Settings > System Activity > Sequences
// States, filter John's active states on his legacy EWS mailbox, select all
// matching (more than one page), Settings > Assign Mailbox, From: John's
// secondary mailbox (Connected through Office 365 OAuth, Sending on), "Yes,
// update the mailbox of any existing undelivered emails.", preview, Assign;
// then checks through the API and the database that every selected state
// and its DRAFTED and SCHEDULED emails use the new mailbox, and nothing
// else moved.
func TestIntegrationBrowser_AssignMailbox(t *testing.T) {
	t.Parallel()
	if !frontend.Built() {
		if os.Getenv("CI") != "" {
			t.Fatal("the web app is not built: the test command (make test) builds it first")
		}
		t.Skip("the web app is not built: run `make frontend` (make test does) to run the browser test")
	}
	d := dbtest.SQLite(t)
	e := newEnv(t, d, envOptions{mode: config.ModeDemo})
	_, err := demo.Seed(context.Background(), d, demo.Options{SequenceStates: 120})
	require.NoError(t, err)
	// John connected his secondary alias with Office 365 OAuth and turned
	// Sending on (set here: the Connect flow has its own browser tests).
	work, err := e.client.Mailbox.Query().Where(mailbox.Address("john.work@acme.com")).Only(e.sys)
	require.NoError(t, err)
	require.NoError(t, e.client.Mailbox.UpdateOne(work).SetProvider(mailbox.ProviderOFFICE365_OAUTH).
		SetConnectionState(mailbox.ConnectionStateCONNECTED).SetSendEnabled(true).Exec(e.sys))
	primary, err := e.client.Mailbox.Query().Where(mailbox.Address("john@acme.com")).Only(e.sys)
	require.NoError(t, err)

	// The selection: John's active states on his primary mailbox.
	selected, err := e.client.SequenceState.Query().Where(sequencestate.MailboxID(primary.ID),
		sequencestate.StateEQ(sequencestate.StateACTIVE)).IDs(e.sys)
	require.NoError(t, err)
	require.Greater(t, len(selected), 50, "the selection spans more than one page")
	// One of them also has a draft (the demo schedules; drafts move too).
	require.NoError(t, e.client.ScheduledEmail.Create().SetOrgID(primary.OrgID).SetSequenceStateID(selected[0]).
		SetStep(99).SetMailboxID(primary.ID).SetToAddress("draft@example.com").SetSubject("Draft").SetBody("Draft").
		SetState(scheduledemail.StateDRAFTED).SetSendAt(time.Now().UTC().Add(48*time.Hour)).Exec(e.sys))
	undelivered := e.client.ScheduledEmail.Query().Where(scheduledemail.SequenceStateIDIn(selected...),
		scheduledemail.StateIn(scheduledemail.StateDRAFTED, scheduledemail.StateSCHEDULED))
	moving, err := undelivered.Clone().Count(e.sys)
	require.NoError(t, err)
	require.Positive(t, moving)
	delivered, err := e.client.ScheduledEmail.Query().Where(scheduledemail.SequenceStateIDIn(selected...),
		scheduledemail.StateEQ(scheduledemail.StateDELIVERED)).IDs(e.sys)
	require.NoError(t, err)
	others, err := e.client.SequenceState.Query().Where(sequencestate.IDNotIn(selected...)).Count(e.sys)
	require.NoError(t, err)
	require.Positive(t, others)

	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	ctx := browsertest.Tab(t, browsertest.Chromium(t), 3*time.Minute)
	// Open the tab on its own context first: the tab lives as long as the
	// context of its first Run, so a step's timeout context must not be it
	// (cancelling it would close the tab and hang every later step).
	require.NoError(t, chromedp.Do(ctx))
	n := strconv.Itoa(len(selected))
	steps := []struct {
		name string
		do   []chromedp.Action[chromedp.Void]
	}{
		{"sign in as the admin", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(srv.URL + "/settings/mailboxes"),
			chromedp.Click(button("Sign in as Alex Morgan")),
			chromedp.WaitVisible(chromedp.CSS(`ul[aria-label="Mailboxes"] li`)),
		}},
		{"open Settings > System Activity > Sequences States", []chromedp.Action[chromedp.Void]{
			chromedp.Click(link("Sequences States")),
			chromedp.WaitVisible(chromedp.CSS(`table tbody tr`)),
		}},
		{"filter John's active states on john@acme.com", []chromedp.Action[chromedp.Void]{
			chooseOption(`//form[@aria-label="Filter sequence states"]`, "Mailbox", "john@acme.com"),
			chooseOption(`//form[@aria-label="Filter sequence states"]`, "State", "Active"),
			chromedp.WaitVisible(textOf("p", "Showing 1–50 of "+n)),
		}},
		{"select all matching", []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS(`input[aria-label="Select all sequence states on this page"]`)),
			chromedp.Click(button("Select all " + n + " matching")),
			chromedp.WaitVisible(textOf("p", "All "+n+" matching selected")),
		}},
		{"open Settings > Assign Mailbox", []chromedp.Action[chromedp.Void]{
			chromedp.Click(button("Settings")),
			chromedp.Click(chromedp.Search(`//*[@role="menuitem"][normalize-space()="Assign Mailbox"]`)),
			chromedp.WaitVisible(chromedp.Search(`//div[@role="dialog"][@aria-modal="true"][.//h2[normalize-space()="Assign Mailbox"]]`)),
			chromedp.WaitVisible(textOf("p", n+" sequence states selected.")),
		}},
		{"choose From and Yes", []chromedp.Action[chromedp.Void]{
			chooseOption(`//div[@role="dialog"]`, "From", "john.work@acme.com"),
			chromedp.Click(chromedp.Search(`//div[@role="dialog"]//label[normalize-space()="Yes, update the mailbox of any existing undelivered emails."]`)),
			chromedp.WaitVisible(chromedp.Search(`//div[@role="dialog"]//p[normalize-space()="Preview:"]`)),
			chromedp.WaitVisible(textOf("li", n+" sequence states will be assigned")),
			chromedp.WaitVisible(textOf("li", fmt.Sprintf("%d undelivered emails will be moved", moving))),
			chromedp.WaitEnabled(chromedp.Search(`//div[@role="dialog"]//button[normalize-space()="Assign"]`)),
		}},
	}
	run := func(name string, do ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		err := chromedp.Do(sctx, do...)
		cancel()
		if err != nil {
			browsertest.Screenshot(t, ctx, "assign-mailbox-failed")
			tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			text, terr := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(`body`)))
			cancel()
			t.Fatalf("%s: %v; the page shows (%v): %s", name, err, terr, strings.Join(strings.Fields(text), " "))
		}
	}
	for _, step := range steps {
		run(step.name, step.do...)
	}
	browsertest.Screenshot(t, ctx, "assign-mailbox-preview")

	run("Assign", chromedp.Click(chromedp.Search(`//div[@role="dialog"]//button[normalize-space()="Assign"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@role="dialog"]//*[@role="status"]//p[normalize-space()="Assignment complete."]`)))
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[role="dialog"] [role="status"]`)))
	require.NoError(t, err)
	summary = strings.Join(strings.Fields(summary), " ")
	require.Contains(t, summary, n+" sequence states assigned")
	require.Contains(t, summary, fmt.Sprintf("%d undelivered emails moved", moving))
	browsertest.Screenshot(t, ctx, "assign-mailbox-done")

	// Through the API: the admin sees every selected state on John's
	// secondary mailbox, and none active left on the primary.
	admin, err := e.client.User.Query().Where(user.Email("admin@acme.com")).Only(e.sys)
	require.NoError(t, err)
	res := e.gql(e.token(admin), `query($work: ID!, $primary: ID!) {
		moved: sequenceStates(first: 1, filter: {mailboxID: $work}) { totalCount }
		left: sequenceStates(first: 1, filter: {mailboxID: $primary, states: [ACTIVE]}) { totalCount } }`,
		map[string]any{"work": id(work.ID), "primary": id(primary.ID)}).noErrors(t)
	require.EqualValues(t, len(selected), res.get(t, "moved.totalCount"))
	require.EqualValues(t, 0, res.get(t, "left.totalCount"))

	// In the database: every selected state and its DRAFTED and SCHEDULED
	// emails use the new mailbox; delivered emails and the other states
	// stay where they were.
	onWork, err := e.client.SequenceState.Query().Where(sequencestate.IDIn(selected...), sequencestate.MailboxID(work.ID)).Count(e.sys)
	require.NoError(t, err)
	require.Equal(t, len(selected), onWork)
	movedEmails, err := undelivered.Clone().Where(scheduledemail.MailboxID(work.ID)).Count(e.sys)
	require.NoError(t, err)
	require.Equal(t, moving, movedEmails, "every DRAFTED and SCHEDULED email of the selection is on the new mailbox")
	keptDelivered, err := e.client.ScheduledEmail.Query().Where(scheduledemail.IDIn(delivered...), scheduledemail.MailboxID(primary.ID)).Count(e.sys)
	require.NoError(t, err)
	require.Equal(t, len(delivered), keptDelivered, "delivered emails keep the mailbox they were sent from")
	otherMoved, err := e.client.SequenceState.Query().Where(sequencestate.IDNotIn(selected...), sequencestate.MailboxID(work.ID)).Count(e.sys)
	require.NoError(t, err)
	require.Zero(t, otherMoved, "states outside the selection stay where they were")
}
