-- Modify "sequence_states" table
ALTER TABLE "sequence_states" ADD COLUMN "undelivered_email_count" bigint NOT NULL DEFAULT 0, ADD COLUMN "has_undelivered_emails" boolean NOT NULL DEFAULT false;
-- Create index "sequencestate_org_id_has_undelivered_emails_id" to table: "sequence_states"
CREATE INDEX "sequencestate_org_id_has_undelivered_emails_id" ON "sequence_states" ("org_id", "has_undelivered_emails", "id");
