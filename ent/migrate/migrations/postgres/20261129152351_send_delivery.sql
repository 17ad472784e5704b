-- Modify "microsoft_accounts" table
ALTER TABLE "microsoft_accounts" ADD COLUMN "send_lease_id" character varying NULL, ADD COLUMN "send_lease_until" timestamptz NULL;
-- Create index "scheduledemail_mailbox_id_send_requested_at" to table: "scheduled_emails"
CREATE INDEX "scheduledemail_mailbox_id_send_requested_at" ON "scheduled_emails" ("mailbox_id", "send_requested_at");
