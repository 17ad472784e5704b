package send

import (
	"time"

	"mailbridge/ent"
	entmailbox "mailbridge/ent/mailbox"
	"mailbridge/ent/predicate"
)

// This file is the one home of the rule that decides whether a mailbox's
// scheduled emails go out, written once for rows in memory (HoldReason)
// and once as SQL (WhereCanSend).

// Status is what a mailbox's sending is doing, as shown on Settings > You >
// Mailboxes.
type Status string

const (
	// StatusSending: emails go out when due.
	StatusSending Status = "SENDING"
	// StatusHeld: emails wait (never fail) until the mailbox is fixed or
	// they are assigned to another mailbox; Reason says why.
	StatusHeld Status = "HELD"
	// StatusThrottled: Microsoft 365 asked Mailbridge to wait, or the
	// mailbox is blocked from sending for a while; emails go out after
	// throttled_until.
	StatusThrottled Status = "THROTTLED"
)

// HoldReason says in words why m cannot send now, or "" when it can. It
// does not look at throttled_until (see Health).
func HoldReason(m *ent.Mailbox) string {
	switch {
	case m.Provider != nil && *m.Provider == entmailbox.ProviderEXCHANGE_EWS:
		return "Held: this mailbox uses Exchange Web Services, which Exchange Online no longer accepts. Switch it to Office 365 (OAuth) to send."
	case m.Provider == nil:
		return "Held: this mailbox is not set up. Click Set up account to connect it."
	case m.ConnectionState == entmailbox.ConnectionStateNEEDS_RECONNECT:
		return "Held: Microsoft 365 no longer accepts Mailbridge's access. Click Reconnect to send again."
	case m.ConnectionState == entmailbox.ConnectionStatePENDING_ADMIN_APPROVAL:
		return "Held: waiting for your Microsoft 365 administrator to approve Mailbridge."
	case m.ConnectionState != entmailbox.ConnectionStateCONNECTED:
		return "Held: this mailbox is not connected. Connect it to send."
	case m.MicrosoftAccountID == nil:
		return "Held: this mailbox has no Microsoft 365 sign-in yet. Click Reconnect to send."
	case !m.SendEnabled:
		return "Held: Sending is off for this mailbox."
	}
	return ""
}

// WhereCanSend selects the mailboxes whose HoldReason is "".
func WhereCanSend() predicate.Mailbox {
	return entmailbox.And(
		entmailbox.ProviderEQ(entmailbox.ProviderOFFICE365_OAUTH),
		entmailbox.ConnectionStateEQ(entmailbox.ConnectionStateCONNECTED),
		entmailbox.MicrosoftAccountIDNotNil(),
		entmailbox.SendEnabled(true),
	)
}

// Health is a mailbox's sending status at now with the reason in words
// ("" while sending normally; then LastSendError may still tell the last
// problem).
func Health(m *ent.Mailbox, now time.Time) (Status, string) {
	if r := HoldReason(m); r != "" {
		return StatusHeld, r
	}
	if m.ThrottledUntil != nil && m.ThrottledUntil.After(now) {
		reason := "Microsoft 365 asked Mailbridge to slow down; sending resumes on its own."
		if m.LastSendError != nil {
			reason = *m.LastSendError
		}
		return StatusThrottled, reason
	}
	return StatusSending, ""
}
