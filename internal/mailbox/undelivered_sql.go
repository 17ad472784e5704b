package mailbox

import (
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
)

// UndeliveredTriggerSQL is the SQL that keeps sequence_states'
// undelivered_email_count and has_undelivered_emails equal to the number
// of the state's scheduled emails that are Undelivered (undeliveredStates),
// and whether there are any: triggers on scheduled_emails for inserts,
// deletes and changes of state or sequence_state_id, then a recount of
// every state. It is written for dialect (dialect.SQLite or
// dialect.Postgres) into a hand-written migration; TestUndeliveredTriggers
// checks that the newest migration defining the triggers is this text, so
// a change of undeliveredStates needs a new migration (the text replaces
// the triggers and recounts).
//
// The triggers add and subtract rather than recount: each is one update
// of the state's row by primary key, and two transactions changing emails
// of one state cannot lose each other's change (the row update waits for
// the other's and applies its delta to the result). Updates of other
// columns, such as assignMailbox moving emails to another mailbox, do not
// fire them.
func UndeliveredTriggerSQL(d string) string {
	quoted := make([]string, len(undeliveredStates))
	for i, s := range undeliveredStates {
		quoted[i] = "'" + string(s) + "'"
	}
	in := "IN (" + strings.Join(quoted, ", ") + ")"
	const (
		dec = "UPDATE sequence_states SET undelivered_email_count = undelivered_email_count - 1, has_undelivered_emails = undelivered_email_count > 1 WHERE id = OLD.sequence_state_id"
		inc = "UPDATE sequence_states SET undelivered_email_count = undelivered_email_count + 1, has_undelivered_emails = true WHERE id = NEW.sequence_state_id"
	)
	recount := fmt.Sprintf(`UPDATE sequence_states SET undelivered_email_count = COALESCE((SELECT count(*) FROM scheduled_emails e WHERE e.sequence_state_id = sequence_states.id AND e.state %[1]s), 0), has_undelivered_emails = EXISTS (SELECT 1 FROM scheduled_emails e WHERE e.sequence_state_id = sequence_states.id AND e.state %[1]s);`, in)
	const header = `-- Hand-written from internal/mailbox.UndeliveredTriggerSQL (the rule
-- "which scheduled emails are undelivered" lives there): triggers keep
-- sequence_states.undelivered_email_count and has_undelivered_emails
-- current, then every state is recounted.
`
	switch d {
	case dialect.SQLite:
		// Statements are separated by blank lines (the atlas:delimiter
		// directive): trigger bodies contain semicolons.
		return "-- atlas:delimiter \\n\\n\\n\n" + header + fmt.Sprintf(`DROP TRIGGER IF EXISTS scheduled_emails_undelivered_insert;


DROP TRIGGER IF EXISTS scheduled_emails_undelivered_delete;


DROP TRIGGER IF EXISTS scheduled_emails_undelivered_update;


CREATE TRIGGER scheduled_emails_undelivered_insert AFTER INSERT ON scheduled_emails
WHEN NEW.state %[1]s
BEGIN
  %[3]s;
END;


CREATE TRIGGER scheduled_emails_undelivered_delete AFTER DELETE ON scheduled_emails
WHEN OLD.state %[1]s
BEGIN
  %[2]s;
END;


CREATE TRIGGER scheduled_emails_undelivered_update AFTER UPDATE OF state, sequence_state_id ON scheduled_emails
WHEN (OLD.state %[1]s) <> (NEW.state %[1]s) OR OLD.sequence_state_id <> NEW.sequence_state_id
BEGIN
  %[2]s AND OLD.state %[1]s;
  %[3]s AND NEW.state %[1]s;
END;


%[4]s
`, in, dec, inc, recount)
	case dialect.Postgres:
		return header + fmt.Sprintf(`CREATE OR REPLACE FUNCTION scheduled_emails_count_undelivered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.state %[1]s THEN
      %[2]s;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.state %[1]s THEN
      %[3]s;
    END IF;
  END IF;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS scheduled_emails_undelivered_insert ON scheduled_emails;
DROP TRIGGER IF EXISTS scheduled_emails_undelivered_delete ON scheduled_emails;
DROP TRIGGER IF EXISTS scheduled_emails_undelivered_update ON scheduled_emails;
CREATE TRIGGER scheduled_emails_undelivered_insert AFTER INSERT ON scheduled_emails
  FOR EACH ROW WHEN (NEW.state %[1]s) EXECUTE FUNCTION scheduled_emails_count_undelivered();
CREATE TRIGGER scheduled_emails_undelivered_delete AFTER DELETE ON scheduled_emails
  FOR EACH ROW WHEN (OLD.state %[1]s) EXECUTE FUNCTION scheduled_emails_count_undelivered();
CREATE TRIGGER scheduled_emails_undelivered_update AFTER UPDATE OF state, sequence_state_id ON scheduled_emails
  FOR EACH ROW WHEN ((OLD.state %[1]s) IS DISTINCT FROM (NEW.state %[1]s) OR OLD.sequence_state_id IS DISTINCT FROM NEW.sequence_state_id)
  EXECUTE FUNCTION scheduled_emails_count_undelivered();
%[4]s
`, in, dec, inc, recount)
	}
	panic("mailbox: UndeliveredTriggerSQL: unknown dialect " + d)
}
