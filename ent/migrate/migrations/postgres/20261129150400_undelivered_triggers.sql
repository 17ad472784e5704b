-- Hand-written from internal/mailbox.UndeliveredTriggerSQL (the rule
-- "which scheduled emails are undelivered" lives there): triggers keep
-- sequence_states.undelivered_email_count and has_undelivered_emails
-- current, then every state is recounted.
CREATE OR REPLACE FUNCTION scheduled_emails_count_undelivered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.state IN ('SCHEDULED') THEN
      UPDATE sequence_states SET undelivered_email_count = undelivered_email_count - 1, has_undelivered_emails = undelivered_email_count > 1 WHERE id = OLD.sequence_state_id;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.state IN ('SCHEDULED') THEN
      UPDATE sequence_states SET undelivered_email_count = undelivered_email_count + 1, has_undelivered_emails = true WHERE id = NEW.sequence_state_id;
    END IF;
  END IF;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS scheduled_emails_undelivered_insert ON scheduled_emails;
DROP TRIGGER IF EXISTS scheduled_emails_undelivered_delete ON scheduled_emails;
DROP TRIGGER IF EXISTS scheduled_emails_undelivered_update ON scheduled_emails;
CREATE TRIGGER scheduled_emails_undelivered_insert AFTER INSERT ON scheduled_emails
  FOR EACH ROW WHEN (NEW.state IN ('SCHEDULED')) EXECUTE FUNCTION scheduled_emails_count_undelivered();
CREATE TRIGGER scheduled_emails_undelivered_delete AFTER DELETE ON scheduled_emails
  FOR EACH ROW WHEN (OLD.state IN ('SCHEDULED')) EXECUTE FUNCTION scheduled_emails_count_undelivered();
CREATE TRIGGER scheduled_emails_undelivered_update AFTER UPDATE OF state, sequence_state_id ON scheduled_emails
  FOR EACH ROW WHEN ((OLD.state IN ('SCHEDULED')) IS DISTINCT FROM (NEW.state IN ('SCHEDULED')) OR OLD.sequence_state_id IS DISTINCT FROM NEW.sequence_state_id)
  EXECUTE FUNCTION scheduled_emails_count_undelivered();
UPDATE sequence_states SET undelivered_email_count = COALESCE((SELECT count(*) FROM scheduled_emails e WHERE e.sequence_state_id = sequence_states.id AND e.state IN ('SCHEDULED')), 0), has_undelivered_emails = EXISTS (SELECT 1 FROM scheduled_emails e WHERE e.sequence_state_id = sequence_states.id AND e.state IN ('SCHEDULED'));
