-- Drop index "prospect_org_id_email" from table: "prospects"
DROP INDEX "prospect_org_id_email";
-- Create index "prospect_email_org_id" to table: "prospects"
CREATE UNIQUE INDEX "prospect_email_org_id" ON "prospects" ("email", "org_id");
-- Drop index "scheduledemail_mailbox_id_state" from table: "scheduled_emails"
DROP INDEX "scheduledemail_mailbox_id_state";
-- Create index "scheduledemail_mailbox_id_state_org_id" to table: "scheduled_emails"
CREATE INDEX "scheduledemail_mailbox_id_state_org_id" ON "scheduled_emails" ("mailbox_id", "state", "org_id");
-- Create index "scheduledemail_sequence_state_id_state" to table: "scheduled_emails"
CREATE INDEX "scheduledemail_sequence_state_id_state" ON "scheduled_emails" ("sequence_state_id", "state");
-- Create index "sequencestate_org_id_id" to table: "sequence_states"
CREATE INDEX "sequencestate_org_id_id" ON "sequence_states" ("org_id", "id");
-- Create index "sequencestate_org_id_state_id" to table: "sequence_states"
CREATE INDEX "sequencestate_org_id_state_id" ON "sequence_states" ("org_id", "state", "id");
-- Create index "sequencestate_prospect_id" to table: "sequence_states"
CREATE INDEX "sequencestate_prospect_id" ON "sequence_states" ("prospect_id");
