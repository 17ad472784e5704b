-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_organizations" table
CREATE TABLE `new_organizations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `allow_cross_owner_assignment` bool NOT NULL DEFAULT (false));
-- Set sequence for "new_organizations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_organizations", 17179869184);
-- Copy rows from old table "organizations" to new temporary table "new_organizations"
INSERT INTO `new_organizations` (`id`, `created_at`, `updated_at`, `name`) SELECT `id`, `created_at`, `updated_at`, `name` FROM `organizations`;
-- Drop "organizations" table after copying rows
DROP TABLE `organizations`;
-- Rename temporary table "new_organizations" to "organizations"
ALTER TABLE `new_organizations` RENAME TO `organizations`;
-- Create index "organizations_name_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_name_key` ON `organizations` (`name`);
-- Create "assignments" table
CREATE TABLE `assignments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `api_token_id` integer NULL, `update_undelivered_emails` bool NOT NULL, `selection_ids` json NULL, `selection_filter` json NULL, `max_state_id` integer NOT NULL, `background` bool NOT NULL, `status` text NOT NULL DEFAULT ('RUNNING'), `total` integer NOT NULL, `done` integer NOT NULL DEFAULT (0), `cursor_state_id` integer NOT NULL DEFAULT (0), `states_assigned` integer NOT NULL DEFAULT (0), `emails_moved` integer NOT NULL DEFAULT (0), `skipped_finished` integer NOT NULL DEFAULT (0), `skipped_already_assigned` integer NOT NULL DEFAULT (0), `skipped_other_owner` integer NOT NULL DEFAULT (0), `emails_delivering` integer NOT NULL DEFAULT (0), `from_mailbox_ids` json NULL, `error` text NULL, `finished_at` datetime NULL, `org_id` integer NOT NULL, `actor_id` integer NOT NULL, `mailbox_id` integer NOT NULL, CONSTRAINT `assignments_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `assignments_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `assignments_mailboxes_mailbox` FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes` (`id`) ON DELETE NO ACTION);
-- Set sequence for "assignments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("assignments", 47244640256);
-- Create index "assignment_org_id_status" to table: "assignments"
CREATE INDEX `assignment_org_id_status` ON `assignments` (`org_id`, `status`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
