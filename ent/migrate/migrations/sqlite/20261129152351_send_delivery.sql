-- Add column "send_lease_id" to table: "microsoft_accounts"
ALTER TABLE `microsoft_accounts` ADD COLUMN `send_lease_id` text NULL;
-- Add column "send_lease_until" to table: "microsoft_accounts"
ALTER TABLE `microsoft_accounts` ADD COLUMN `send_lease_until` datetime NULL;
-- Create index "scheduledemail_mailbox_id_send_requested_at" to table: "scheduled_emails"
CREATE INDEX `scheduledemail_mailbox_id_send_requested_at` ON `scheduled_emails` (`mailbox_id`, `send_requested_at`);
