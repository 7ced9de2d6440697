-- Create "accounts" table
CREATE TABLE `accounts` (`id` text NOT NULL, `issuer` text NOT NULL, `account_id` text NOT NULL, `provider_id` text NOT NULL, `access_token` text NULL, `refresh_token` text NULL, `id_token` text NULL, `access_token_expires_at` datetime NULL, `refresh_token_expires_at` datetime NULL, `scope` text NULL, `password` text NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `accounts_users_accounts` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "account_user_id" to table: "accounts"
CREATE INDEX `account_user_id` ON `accounts` (`user_id`);
-- Create index "account_provider_id_account_id" to table: "accounts"
CREATE INDEX `account_provider_id_account_id` ON `accounts` (`provider_id`, `account_id`);
-- Create index "account_issuer_account_id" to table: "accounts"
CREATE UNIQUE INDEX `account_issuer_account_id` ON `accounts` (`issuer`, `account_id`);
-- Create "sessions" table
CREATE TABLE `sessions` (`id` text NOT NULL, `expires_at` datetime NOT NULL, `token` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `ip_address` text NULL, `user_agent` text NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sessions_users_sessions` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "sessions_token_key" to table: "sessions"
CREATE UNIQUE INDEX `sessions_token_key` ON `sessions` (`token`);
-- Create index "session_user_id" to table: "sessions"
CREATE INDEX `session_user_id` ON `sessions` (`user_id`);
-- Create "users" table
CREATE TABLE `users` (`id` text NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `email_verified` bool NOT NULL DEFAULT (false), `image` text NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create "verifications" table
CREATE TABLE `verifications` (`id` text NOT NULL, `identifier` text NOT NULL, `value` text NOT NULL, `expires_at` datetime NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "verification_identifier" to table: "verifications"
CREATE INDEX `verification_identifier` ON `verifications` (`identifier`);
