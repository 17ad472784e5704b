-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create index "auditevent_org_id_actor_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_org_id_actor_id_created_at` ON `audit_events` (`org_id`, `actor_id`, `created_at`);
-- Create index "auditevent_org_id_subject_user_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_org_id_subject_user_id_created_at` ON `audit_events` (`org_id`, `subject_user_id`, `created_at`);
-- Create "new_mailboxes" table
CREATE TABLE `new_mailboxes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `address` text NOT NULL, `provider` text NULL, `connection_state` text NOT NULL DEFAULT ('NOT_CONNECTED'), `connection_error` text NULL, `sync_enabled` bool NOT NULL DEFAULT (false), `send_enabled` bool NOT NULL DEFAULT (false), `is_default` bool NOT NULL DEFAULT (false), `daily_send_limit` integer NOT NULL DEFAULT (500), `sync_stage` text NOT NULL DEFAULT ('IDLE'), `sync_progress_done` integer NOT NULL DEFAULT (0), `sync_progress_total` integer NULL, `last_synced_at` datetime NULL, `last_sync_error` text NULL, `last_sent_at` datetime NULL, `last_send_error` text NULL, `throttled_until` datetime NULL, `org_id` integer NOT NULL, `microsoft_account_id` integer NULL, `user_id` integer NOT NULL, CONSTRAINT `mailboxes_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `mailboxes_microsoft_accounts_mailboxes` FOREIGN KEY (`microsoft_account_id`) REFERENCES `microsoft_accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `mailboxes_users_mailboxes` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Set sequence for "new_mailboxes" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_mailboxes", 8589934592);
-- Copy rows from old table "mailboxes" to new temporary table "new_mailboxes"
INSERT INTO `new_mailboxes` (`id`, `created_at`, `updated_at`, `address`, `provider`, `connection_state`, `connection_error`, `sync_enabled`, `send_enabled`, `is_default`, `daily_send_limit`, `sync_stage`, `last_synced_at`, `last_sync_error`, `last_sent_at`, `last_send_error`, `throttled_until`, `org_id`, `microsoft_account_id`, `user_id`) SELECT `id`, `created_at`, `updated_at`, `address`, `provider`, `connection_state`, `connection_error`, `sync_enabled`, `send_enabled`, `is_default`, `daily_send_limit`, `sync_stage`, `last_synced_at`, `last_sync_error`, `last_sent_at`, `last_send_error`, `throttled_until`, `org_id`, `microsoft_account_id`, `user_id` FROM `mailboxes`;
-- Drop "mailboxes" table after copying rows
DROP TABLE `mailboxes`;
-- Rename temporary table "new_mailboxes" to "mailboxes"
ALTER TABLE `new_mailboxes` RENAME TO `mailboxes`;
-- Create index "mailbox_org_id_address" to table: "mailboxes"
CREATE UNIQUE INDEX `mailbox_org_id_address` ON `mailboxes` (`org_id`, `address`);
-- Create index "mailbox_user_id_address" to table: "mailboxes"
CREATE INDEX `mailbox_user_id_address` ON `mailboxes` (`user_id`, `address`);
-- Create index "mailbox_one_default_per_user" to table: "mailboxes"
CREATE UNIQUE INDEX `mailbox_one_default_per_user` ON `mailboxes` (`user_id`) WHERE is_default;
-- Create index "mailbox_microsoft_account_id" to table: "mailboxes"
CREATE INDEX `mailbox_microsoft_account_id` ON `mailboxes` (`microsoft_account_id`);
-- Create index "mailbox_org_id_connection_state_address" to table: "mailboxes"
CREATE INDEX `mailbox_org_id_connection_state_address` ON `mailboxes` (`org_id`, `connection_state`, `address`);
-- Add column "send_lease_id" to table: "microsoft_accounts"
ALTER TABLE `microsoft_accounts` ADD COLUMN `send_lease_id` text NULL;
-- Add column "send_lease_until" to table: "microsoft_accounts"
ALTER TABLE `microsoft_accounts` ADD COLUMN `send_lease_until` datetime NULL;
-- Create index "scheduledemail_mailbox_id_send_requested_at" to table: "scheduled_emails"
CREATE INDEX `scheduledemail_mailbox_id_send_requested_at` ON `scheduled_emails` (`mailbox_id`, `send_requested_at`);
-- Create "new_organizations" table
CREATE TABLE `new_organizations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `allow_cross_owner_assignment` bool NOT NULL DEFAULT (false), `sync_headers_only` bool NOT NULL DEFAULT (false));
-- Set sequence for "new_organizations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_organizations", 17179869184);
-- Copy rows from old table "organizations" to new temporary table "new_organizations"
INSERT INTO `new_organizations` (`id`, `created_at`, `updated_at`, `name`, `allow_cross_owner_assignment`) SELECT `id`, `created_at`, `updated_at`, `name`, `allow_cross_owner_assignment` FROM `organizations`;
-- Drop "organizations" table after copying rows
DROP TABLE `organizations`;
-- Rename temporary table "new_organizations" to "organizations"
ALTER TABLE `new_organizations` RENAME TO `organizations`;
-- Create index "organizations_name_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_name_key` ON `organizations` (`name`);
-- Create "calendar_events" table
CREATE TABLE `calendar_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` integer NOT NULL, `microsoft_account_id` integer NOT NULL, `graph_id` text NOT NULL, `ical_uid` text NOT NULL DEFAULT (''), `subject` text NOT NULL DEFAULT (''), `start_at` datetime NOT NULL, `end_at` datetime NOT NULL, `organizer_address` text NOT NULL DEFAULT (''), `attendee_addresses` json NULL, `is_cancelled` bool NOT NULL DEFAULT (false), `org_id` integer NOT NULL, CONSTRAINT `calendar_events_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "calendar_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("calendar_events", 64424509440);
-- Create index "calendarevent_microsoft_account_id_graph_id" to table: "calendar_events"
CREATE UNIQUE INDEX `calendarevent_microsoft_account_id_graph_id` ON `calendar_events` (`microsoft_account_id`, `graph_id`);
-- Create index "calendarevent_microsoft_account_id_start_at" to table: "calendar_events"
CREATE INDEX `calendarevent_microsoft_account_id_start_at` ON `calendar_events` (`microsoft_account_id`, `start_at`);
-- Create "graph_subscriptions" table
CREATE TABLE `graph_subscriptions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `microsoft_account_id` integer NOT NULL, `subscription_id` text NOT NULL, `resource` text NOT NULL, `client_state` text NOT NULL, `expires_at` datetime NOT NULL, `org_id` integer NOT NULL, CONSTRAINT `graph_subscriptions_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "graph_subscriptions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("graph_subscriptions", 68719476736);
-- Create index "graphsubscription_subscription_id" to table: "graph_subscriptions"
CREATE UNIQUE INDEX `graphsubscription_subscription_id` ON `graph_subscriptions` (`subscription_id`);
-- Create index "graphsubscription_microsoft_account_id" to table: "graph_subscriptions"
CREATE INDEX `graphsubscription_microsoft_account_id` ON `graph_subscriptions` (`microsoft_account_id`);
-- Create index "graphsubscription_expires_at" to table: "graph_subscriptions"
CREATE INDEX `graphsubscription_expires_at` ON `graph_subscriptions` (`expires_at`);
-- Create "migration_snapshots" table
CREATE TABLE `migration_snapshots` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `day` text NOT NULL, `users_to_migrate` integer NOT NULL, `mailboxes_on_ews` integer NOT NULL, `held_emails` integer NOT NULL, `org_id` integer NOT NULL, CONSTRAINT `migration_snapshots_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "migration_snapshots" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("migration_snapshots", 55834574848);
-- Create index "migrationsnapshot_org_id_day" to table: "migration_snapshots"
CREATE UNIQUE INDEX `migrationsnapshot_org_id_day` ON `migration_snapshots` (`org_id`, `day`);
-- Create "notifications" table
CREATE TABLE `notifications` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `user_id` integer NOT NULL, `created_by_id` integer NULL, `kind` text NOT NULL, `message` text NOT NULL, `seen_at` datetime NULL, `dismissed_at` datetime NULL, `org_id` integer NOT NULL, CONSTRAINT `notifications_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "notifications" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("notifications", 60129542144);
-- Create index "notification_user_id_dismissed_at" to table: "notifications"
CREATE INDEX `notification_user_id_dismissed_at` ON `notifications` (`user_id`, `dismissed_at`);
-- Create index "notification_org_id_kind_created_at" to table: "notifications"
CREATE INDEX `notification_org_id_kind_created_at` ON `notifications` (`org_id`, `kind`, `created_at`);
-- Create "sync_cursors" table
CREATE TABLE `sync_cursors` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `microsoft_account_id` integer NOT NULL, `folder` text NOT NULL, `next_link` text NULL, `delta_link` text NULL, `window_start` datetime NULL, `org_id` integer NOT NULL, CONSTRAINT `sync_cursors_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "sync_cursors" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sync_cursors", 73014444032);
-- Create index "synccursor_microsoft_account_id_folder" to table: "sync_cursors"
CREATE UNIQUE INDEX `synccursor_microsoft_account_id_folder` ON `sync_cursors` (`microsoft_account_id`, `folder`);
-- Create "synced_messages" table
CREATE TABLE `synced_messages` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` integer NOT NULL, `microsoft_account_id` integer NOT NULL, `graph_id` text NOT NULL, `folder` text NOT NULL, `subject` text NOT NULL DEFAULT (''), `from_address` text NOT NULL DEFAULT (''), `from_name` text NOT NULL DEFAULT (''), `to_addresses` json NULL, `cc_addresses` json NULL, `received_at` datetime NOT NULL, `sent_at` datetime NULL, `conversation_id` text NOT NULL DEFAULT (''), `internet_message_id` text NOT NULL DEFAULT (''), `in_reply_to` text NOT NULL DEFAULT (''), `references` text NOT NULL DEFAULT (''), `snippet` text NULL, `is_ndr` bool NOT NULL DEFAULT (false), `org_id` integer NOT NULL, CONSTRAINT `synced_messages_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "synced_messages" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("synced_messages", 77309411328);
-- Create index "syncedmessage_microsoft_account_id_graph_id" to table: "synced_messages"
CREATE UNIQUE INDEX `syncedmessage_microsoft_account_id_graph_id` ON `synced_messages` (`microsoft_account_id`, `graph_id`);
-- Create index "syncedmessage_microsoft_account_id_received_at_id" to table: "synced_messages"
CREATE INDEX `syncedmessage_microsoft_account_id_received_at_id` ON `synced_messages` (`microsoft_account_id`, `received_at`, `id`);
-- Create index "syncedmessage_internet_message_id" to table: "synced_messages"
CREATE INDEX `syncedmessage_internet_message_id` ON `synced_messages` (`internet_message_id`);
-- Create "prospect_synced_messages" table
CREATE TABLE `prospect_synced_messages` (`prospect_id` integer NOT NULL, `synced_message_id` integer NOT NULL, PRIMARY KEY (`prospect_id`, `synced_message_id`), CONSTRAINT `prospect_synced_messages_prospect_id` FOREIGN KEY (`prospect_id`) REFERENCES `prospects` (`id`) ON DELETE CASCADE, CONSTRAINT `prospect_synced_messages_synced_message_id` FOREIGN KEY (`synced_message_id`) REFERENCES `synced_messages` (`id`) ON DELETE CASCADE);
-- Create "prospect_calendar_events" table
CREATE TABLE `prospect_calendar_events` (`prospect_id` integer NOT NULL, `calendar_event_id` integer NOT NULL, PRIMARY KEY (`prospect_id`, `calendar_event_id`), CONSTRAINT `prospect_calendar_events_prospect_id` FOREIGN KEY (`prospect_id`) REFERENCES `prospects` (`id`) ON DELETE CASCADE, CONSTRAINT `prospect_calendar_events_calendar_event_id` FOREIGN KEY (`calendar_event_id`) REFERENCES `calendar_events` (`id`) ON DELETE CASCADE);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
