package graph

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/graph/model"
	"mailbridge/internal/send"
)

// Every sending status the delivery rules produce is a value of the
// GraphQL enum, and the enum has no other.
func TestMailboxSendStatus_MatchesSendHealth(t *testing.T) {
	t.Parallel()
	all := []send.Status{send.StatusSending, send.StatusHeld, send.StatusThrottled}
	for _, s := range all {
		require.True(t, model.MailboxSendStatus(s).IsValid(), s)
	}
	require.Len(t, model.AllMailboxSendStatus, len(all))
}
