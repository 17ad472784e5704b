-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_sequence_states" table
CREATE TABLE `new_sequence_states` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `state` text NOT NULL DEFAULT ('ACTIVE'), `state_reason` text NULL, `current_step` integer NOT NULL DEFAULT (1), `undelivered_email_count` integer NOT NULL DEFAULT (0), `has_undelivered_emails` bool NOT NULL DEFAULT (false), `org_id` integer NOT NULL, `sequence_id` integer NOT NULL, `prospect_id` integer NOT NULL, `user_id` integer NOT NULL, `mailbox_id` integer NOT NULL, CONSTRAINT `sequence_states_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequence_states_sequences_sequence` FOREIGN KEY (`sequence_id`) REFERENCES `sequences` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequence_states_prospects_prospect` FOREIGN KEY (`prospect_id`) REFERENCES `prospects` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequence_states_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequence_states_mailboxes_mailbox` FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes` (`id`) ON DELETE NO ACTION);
-- Set sequence for "new_sequence_states" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_sequence_states", 34359738368);
-- Copy rows from old table "sequence_states" to new temporary table "new_sequence_states"
INSERT INTO `new_sequence_states` (`id`, `created_at`, `updated_at`, `state`, `state_reason`, `current_step`, `org_id`, `sequence_id`, `prospect_id`, `user_id`, `mailbox_id`) SELECT `id`, `created_at`, `updated_at`, `state`, `state_reason`, `current_step`, `org_id`, `sequence_id`, `prospect_id`, `user_id`, `mailbox_id` FROM `sequence_states`;
-- Drop "sequence_states" table after copying rows
DROP TABLE `sequence_states`;
-- Rename temporary table "new_sequence_states" to "sequence_states"
ALTER TABLE `new_sequence_states` RENAME TO `sequence_states`;
-- Create index "sequencestate_sequence_id_prospect_id" to table: "sequence_states"
CREATE UNIQUE INDEX `sequencestate_sequence_id_prospect_id` ON `sequence_states` (`sequence_id`, `prospect_id`);
-- Create index "sequencestate_org_id_mailbox_id_state" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_mailbox_id_state` ON `sequence_states` (`org_id`, `mailbox_id`, `state`);
-- Create index "sequencestate_org_id_user_id_state" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_user_id_state` ON `sequence_states` (`org_id`, `user_id`, `state`);
-- Create index "sequencestate_org_id_created_at" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_created_at` ON `sequence_states` (`org_id`, `created_at`);
-- Create index "sequencestate_org_id_id" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_id` ON `sequence_states` (`org_id`, `id`);
-- Create index "sequencestate_org_id_state_id" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_state_id` ON `sequence_states` (`org_id`, `state`, `id`);
-- Create index "sequencestate_org_id_has_undelivered_emails_id" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_has_undelivered_emails_id` ON `sequence_states` (`org_id`, `has_undelivered_emails`, `id`);
-- Create index "sequencestate_prospect_id" to table: "sequence_states"
CREATE INDEX `sequencestate_prospect_id` ON `sequence_states` (`prospect_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
