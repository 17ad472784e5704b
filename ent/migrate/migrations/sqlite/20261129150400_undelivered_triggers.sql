-- atlas:delimiter \n\n\n
-- Hand-written from internal/mailbox.UndeliveredTriggerSQL (the rule
-- "which scheduled emails are undelivered" lives there): triggers keep
-- sequence_states.undelivered_email_count and has_undelivered_emails
-- current, then every state is recounted.
DROP TRIGGER IF EXISTS scheduled_emails_undelivered_insert;


DROP TRIGGER IF EXISTS scheduled_emails_undelivered_delete;


DROP TRIGGER IF EXISTS scheduled_emails_undelivered_update;


CREATE TRIGGER scheduled_emails_undelivered_insert AFTER INSERT ON scheduled_emails
WHEN NEW.state IN ('SCHEDULED')
BEGIN
  UPDATE sequence_states SET undelivered_email_count = undelivered_email_count + 1, has_undelivered_emails = true WHERE id = NEW.sequence_state_id;
END;


CREATE TRIGGER scheduled_emails_undelivered_delete AFTER DELETE ON scheduled_emails
WHEN OLD.state IN ('SCHEDULED')
BEGIN
  UPDATE sequence_states SET undelivered_email_count = undelivered_email_count - 1, has_undelivered_emails = undelivered_email_count > 1 WHERE id = OLD.sequence_state_id;
END;


CREATE TRIGGER scheduled_emails_undelivered_update AFTER UPDATE OF state, sequence_state_id ON scheduled_emails
WHEN (OLD.state IN ('SCHEDULED')) <> (NEW.state IN ('SCHEDULED')) OR OLD.sequence_state_id <> NEW.sequence_state_id
BEGIN
  UPDATE sequence_states SET undelivered_email_count = undelivered_email_count - 1, has_undelivered_emails = undelivered_email_count > 1 WHERE id = OLD.sequence_state_id AND OLD.state IN ('SCHEDULED');
  UPDATE sequence_states SET undelivered_email_count = undelivered_email_count + 1, has_undelivered_emails = true WHERE id = NEW.sequence_state_id AND NEW.state IN ('SCHEDULED');
END;


UPDATE sequence_states SET undelivered_email_count = COALESCE((SELECT count(*) FROM scheduled_emails e WHERE e.sequence_state_id = sequence_states.id AND e.state IN ('SCHEDULED')), 0), has_undelivered_emails = EXISTS (SELECT 1 FROM scheduled_emails e WHERE e.sequence_state_id = sequence_states.id AND e.state IN ('SCHEDULED'));
