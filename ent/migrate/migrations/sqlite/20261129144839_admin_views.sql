-- Create index "auditevent_org_id_actor_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_org_id_actor_id_created_at` ON `audit_events` (`org_id`, `actor_id`, `created_at`);
-- Create index "auditevent_org_id_subject_user_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_org_id_subject_user_id_created_at` ON `audit_events` (`org_id`, `subject_user_id`, `created_at`);
-- Create index "mailbox_org_id_connection_state_address" to table: "mailboxes"
CREATE INDEX `mailbox_org_id_connection_state_address` ON `mailboxes` (`org_id`, `connection_state`, `address`);
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
