-- Create "api_tokens" table
CREATE TABLE `api_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `created_by_id` integer NULL, `token_hash` blob NOT NULL, `prefix` text NOT NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL, `expires_at` datetime NULL, `org_id` integer NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `api_tokens_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `api_tokens_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "apitoken_token_hash" to table: "api_tokens"
CREATE UNIQUE INDEX `apitoken_token_hash` ON `api_tokens` (`token_hash`);
-- Create index "apitoken_org_id_user_id" to table: "api_tokens"
CREATE INDEX `apitoken_org_id_user_id` ON `api_tokens` (`org_id`, `user_id`);
-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `api_token_id` integer NULL, `subject_user_id` integer NULL, `action` text NOT NULL, `target_type` text NOT NULL, `target_id` integer NULL, `changes` json NULL, `org_id` integer NOT NULL, `actor_id` integer NULL, CONSTRAINT `audit_events_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `audit_events_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "audit_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("audit_events", 4294967296);
-- Create index "auditevent_org_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_org_id_created_at` ON `audit_events` (`org_id`, `created_at`);
-- Create index "auditevent_org_id_target_type_target_id" to table: "audit_events"
CREATE INDEX `auditevent_org_id_target_type_target_id` ON `audit_events` (`org_id`, `target_type`, `target_id`);
-- Create "mailboxes" table
CREATE TABLE `mailboxes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `address` text NOT NULL, `provider` text NULL, `connection_state` text NOT NULL DEFAULT ('NOT_CONNECTED'), `connection_error` text NULL, `sync_enabled` bool NOT NULL DEFAULT (false), `send_enabled` bool NOT NULL DEFAULT (false), `is_default` bool NOT NULL DEFAULT (false), `daily_send_limit` integer NOT NULL DEFAULT (500), `sync_stage` text NOT NULL DEFAULT ('IDLE'), `last_synced_at` datetime NULL, `last_sync_error` text NULL, `last_sent_at` datetime NULL, `last_send_error` text NULL, `throttled_until` datetime NULL, `org_id` integer NOT NULL, `microsoft_account_id` integer NULL, `user_id` integer NOT NULL, CONSTRAINT `mailboxes_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `mailboxes_microsoft_accounts_mailboxes` FOREIGN KEY (`microsoft_account_id`) REFERENCES `microsoft_accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `mailboxes_users_mailboxes` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Set sequence for "mailboxes" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("mailboxes", 8589934592);
-- Create index "mailbox_org_id_address" to table: "mailboxes"
CREATE UNIQUE INDEX `mailbox_org_id_address` ON `mailboxes` (`org_id`, `address`);
-- Create index "mailbox_user_id_address" to table: "mailboxes"
CREATE INDEX `mailbox_user_id_address` ON `mailboxes` (`user_id`, `address`);
-- Create index "mailbox_one_default_per_user" to table: "mailboxes"
CREATE UNIQUE INDEX `mailbox_one_default_per_user` ON `mailboxes` (`user_id`) WHERE is_default;
-- Create index "mailbox_microsoft_account_id" to table: "mailboxes"
CREATE INDEX `mailbox_microsoft_account_id` ON `mailboxes` (`microsoft_account_id`);
-- Create "microsoft_accounts" table
CREATE TABLE `microsoft_accounts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `tenant_id` text NOT NULL, `object_id` text NOT NULL, `user_principal_name` text NOT NULL, `display_name` text NULL, `mail` text NULL, `proxy_addresses` json NULL, `scopes` json NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `status_reason` text NULL, `access_token` text NULL, `refresh_token` text NULL, `token_expires_at` datetime NULL, `token_version` integer NOT NULL DEFAULT (0), `refreshing_until` datetime NULL, `org_id` integer NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `microsoft_accounts_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `microsoft_accounts_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `microsoft_account_access_token_encrypted` CHECK (access_token IS NULL OR access_token LIKE 'v1:%'), CONSTRAINT `microsoft_account_refresh_token_encrypted` CHECK (refresh_token IS NULL OR refresh_token LIKE 'v1:%'));
-- Set sequence for "microsoft_accounts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("microsoft_accounts", 12884901888);
-- Create index "microsoftaccount_org_id_tenant_id_object_id" to table: "microsoft_accounts"
CREATE UNIQUE INDEX `microsoftaccount_org_id_tenant_id_object_id` ON `microsoft_accounts` (`org_id`, `tenant_id`, `object_id`);
-- Create index "microsoftaccount_user_id" to table: "microsoft_accounts"
CREATE INDEX `microsoftaccount_user_id` ON `microsoft_accounts` (`user_id`);
-- Create "organizations" table
CREATE TABLE `organizations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL);
-- Set sequence for "organizations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("organizations", 17179869184);
-- Create "prospects" table
CREATE TABLE `prospects` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `first_name` text NULL, `last_name` text NULL, `company` text NULL, `org_id` integer NOT NULL, CONSTRAINT `prospects_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "prospects" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("prospects", 21474836480);
-- Create index "prospect_org_id_email" to table: "prospects"
CREATE UNIQUE INDEX `prospect_org_id_email` ON `prospects` (`org_id`, `email`);
-- Create "scheduled_emails" table
CREATE TABLE `scheduled_emails` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `step` integer NOT NULL, `state` text NOT NULL DEFAULT ('SCHEDULED'), `to_address` text NOT NULL, `subject` text NOT NULL, `body` text NOT NULL, `send_at` datetime NULL, `attempt_id` text NULL, `lease_until` datetime NULL, `draft_id` text NULL, `internet_message_id` text NULL, `send_requested_at` datetime NULL, `submitted_at` datetime NULL, `graph_message_id` text NULL, `sent_at` datetime NULL, `bounced_at` datetime NULL, `error_code` text NULL, `error_message` text NULL, `org_id` integer NOT NULL, `sequence_state_id` integer NOT NULL, `mailbox_id` integer NOT NULL, CONSTRAINT `scheduled_emails_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `scheduled_emails_sequence_states_sequence_state` FOREIGN KEY (`sequence_state_id`) REFERENCES `sequence_states` (`id`) ON DELETE NO ACTION, CONSTRAINT `scheduled_emails_mailboxes_mailbox` FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes` (`id`) ON DELETE NO ACTION);
-- Set sequence for "scheduled_emails" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("scheduled_emails", 25769803776);
-- Create index "scheduledemail_sequence_state_id_step" to table: "scheduled_emails"
CREATE UNIQUE INDEX `scheduledemail_sequence_state_id_step` ON `scheduled_emails` (`sequence_state_id`, `step`);
-- Create index "scheduledemail_mailbox_id_state" to table: "scheduled_emails"
CREATE INDEX `scheduledemail_mailbox_id_state` ON `scheduled_emails` (`mailbox_id`, `state`);
-- Create index "scheduledemail_state_send_at" to table: "scheduled_emails"
CREATE INDEX `scheduledemail_state_send_at` ON `scheduled_emails` (`state`, `send_at`);
-- Create "sequences" table
CREATE TABLE `sequences` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `step_count` integer NOT NULL DEFAULT (1), `org_id` integer NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `sequences_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequences_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Set sequence for "sequences" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sequences", 30064771072);
-- Create index "sequence_org_id_name" to table: "sequences"
CREATE INDEX `sequence_org_id_name` ON `sequences` (`org_id`, `name`);
-- Create "sequence_states" table
CREATE TABLE `sequence_states` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `state` text NOT NULL DEFAULT ('ACTIVE'), `state_reason` text NULL, `current_step` integer NOT NULL DEFAULT (1), `org_id` integer NOT NULL, `sequence_id` integer NOT NULL, `prospect_id` integer NOT NULL, `user_id` integer NOT NULL, `mailbox_id` integer NOT NULL, CONSTRAINT `sequence_states_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequence_states_sequences_sequence` FOREIGN KEY (`sequence_id`) REFERENCES `sequences` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequence_states_prospects_prospect` FOREIGN KEY (`prospect_id`) REFERENCES `prospects` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequence_states_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `sequence_states_mailboxes_mailbox` FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes` (`id`) ON DELETE NO ACTION);
-- Set sequence for "sequence_states" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sequence_states", 34359738368);
-- Create index "sequencestate_sequence_id_prospect_id" to table: "sequence_states"
CREATE UNIQUE INDEX `sequencestate_sequence_id_prospect_id` ON `sequence_states` (`sequence_id`, `prospect_id`);
-- Create index "sequencestate_org_id_mailbox_id_state" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_mailbox_id_state` ON `sequence_states` (`org_id`, `mailbox_id`, `state`);
-- Create index "sequencestate_org_id_user_id_state" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_user_id_state` ON `sequence_states` (`org_id`, `user_id`, `state`);
-- Create index "sequencestate_org_id_created_at" to table: "sequence_states"
CREATE INDEX `sequencestate_org_id_created_at` ON `sequence_states` (`org_id`, `created_at`);
-- Create "sessions" table
CREATE TABLE `sessions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `token_hash` blob NOT NULL, `created_at` datetime NOT NULL, `last_seen_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `user_agent` text NULL, `user_id` integer NOT NULL, CONSTRAINT `sessions_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Set sequence for "sessions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sessions", 38654705664);
-- Create index "session_token_hash" to table: "sessions"
CREATE UNIQUE INDEX `session_token_hash` ON `sessions` (`token_hash`);
-- Create index "session_expires_at" to table: "sessions"
CREATE INDEX `session_expires_at` ON `sessions` (`expires_at`);
-- Create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `name` text NOT NULL, `role` text NOT NULL DEFAULT ('USER'), `time_zone` text NOT NULL DEFAULT ('UTC'), `outlook_addin_version` text NULL, `outlook_addin_reported_at` datetime NULL, `org_id` integer NOT NULL, CONSTRAINT `users_organizations_organization` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "users" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("users", 42949672960);
-- Create index "user_org_id_email" to table: "users"
CREATE UNIQUE INDEX `user_org_id_email` ON `users` (`org_id`, `email`);
