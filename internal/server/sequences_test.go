package server_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/mailbox"
	"mailbridge/ent/user"
	"mailbridge/internal/db"
	"mailbridge/internal/dbtest"
)

// TestQuery_Sequences: the Sequences States screen's Sequence filter lists
// the viewer's own sequences, or for admins the organization's, by name;
// never another organization's.
func TestQuery_Sequences(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOptions{})
		acme, other := e.org("Acme"), e.org("Other")
		admin := e.user(acme, "admin@acme.com", user.RoleADMIN)
		john := e.user(acme, "john@acme.com", user.RoleUSER)
		sara := e.user(acme, "sara@acme.com", user.RoleUSER)
		eve := e.user(other, "eve@other.com", user.RoleADMIN)
		connectedMB := connected(mailbox.ProviderOFFICE365_OAUTH)
		johnSeq := e.sequenceStates(john, e.mailbox(john, "john@acme.com", connectedMB), 1)[0].SequenceID
		saraSeq := e.sequenceStates(sara, e.mailbox(sara, "sara@acme.com", connectedMB), 1)[0].SequenceID
		e.sequenceStates(eve, e.mailbox(eve, "eve@other.com", connectedMB), 1)

		ids := func(tok bearer) []string {
			r := e.gql(tok, `{ sequences { id name } }`, nil)
			r.noErrors(t)
			var out []string
			for _, s := range r.get(t, "sequences").([]any) {
				out = append(out, s.(map[string]any)["id"].(string))
			}
			return out
		}
		require.Equal(t, []string{id(johnSeq)}, ids(e.token(john)), "a user sees only their own sequences")
		require.ElementsMatch(t, []string{id(johnSeq), id(saraSeq)}, ids(e.token(admin)), "an admin sees the organization's, not another's")
	})
}
