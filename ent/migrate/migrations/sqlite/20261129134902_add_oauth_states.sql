-- Create "oauth_states" table
CREATE TABLE `oauth_states` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `state_hash` blob NOT NULL, `purpose` text NOT NULL, `org_id` integer NULL, `user_id` integer NULL, `mailbox_id` integer NULL, `code_verifier` text NOT NULL, `nonce` text NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL);
-- Set sequence for "oauth_states" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("oauth_states", 51539607552);
-- Create index "oauthstate_state_hash" to table: "oauth_states"
CREATE UNIQUE INDEX `oauthstate_state_hash` ON `oauth_states` (`state_hash`);
-- Create index "oauthstate_expires_at" to table: "oauth_states"
CREATE INDEX `oauthstate_expires_at` ON `oauth_states` (`expires_at`);
