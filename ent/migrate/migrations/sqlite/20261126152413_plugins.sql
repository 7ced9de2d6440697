-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Add column "active_organization_id" to table: "sessions"
ALTER TABLE `sessions` ADD COLUMN `active_organization_id` text NULL;
-- Add column "active_team_id" to table: "sessions"
ALTER TABLE `sessions` ADD COLUMN `active_team_id` text NULL;
-- Add column "impersonated_by" to table: "sessions"
ALTER TABLE `sessions` ADD COLUMN `impersonated_by` text NULL;
-- Create "new_users" table
CREATE TABLE `new_users` (`id` text NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `email_verified` bool NOT NULL DEFAULT (false), `image` text NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `two_factor_enabled` bool NULL DEFAULT (false), `stripe_customer_id` text NULL, `phone_number` text NULL, `phone_number_verified` bool NULL, `role` text NULL, `banned` bool NULL DEFAULT (false), `ban_reason` text NULL, `ban_expires` datetime NULL, `username` text NULL, `display_username` text NULL, `is_anonymous` bool NULL DEFAULT (false), PRIMARY KEY (`id`));
-- Copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `name`, `email`, `email_verified`, `image`, `created_at`, `updated_at`, `two_factor_enabled`) SELECT `id`, `name`, `email`, `email_verified`, `image`, `created_at`, `updated_at`, `two_factor_enabled` FROM `users`;
-- Drop "users" table after copying rows
DROP TABLE `users`;
-- Rename temporary table "new_users" to "users"
ALTER TABLE `new_users` RENAME TO `users`;
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create index "users_phone_number_key" to table: "users"
CREATE UNIQUE INDEX `users_phone_number_key` ON `users` (`phone_number`);
-- Create index "users_username_key" to table: "users"
CREATE UNIQUE INDEX `users_username_key` ON `users` (`username`);
-- Create index "user_stripe_customer_id" to table: "users"
CREATE INDEX `user_stripe_customer_id` ON `users` (`stripe_customer_id`);
-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` text NOT NULL, `config_id` text NOT NULL DEFAULT ('default'), `name` text NULL, `start` text NULL, `reference_id` text NOT NULL, `prefix` text NULL, `key` text NOT NULL, `refill_interval` integer NULL, `refill_amount` integer NULL, `last_refill_at` datetime NULL, `enabled` bool NULL DEFAULT (true), `rate_limit_enabled` bool NULL DEFAULT (true), `rate_limit_time_window` integer NULL DEFAULT (86400000), `rate_limit_max` integer NULL DEFAULT (10), `request_count` integer NULL DEFAULT (0), `remaining` integer NULL, `last_request` datetime NULL, `expires_at` datetime NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `permissions` text NULL, `metadata` text NULL, PRIMARY KEY (`id`));
-- Create index "apikey_key" to table: "api_keys"
CREATE INDEX `apikey_key` ON `api_keys` (`key`);
-- Create index "apikey_reference_id" to table: "api_keys"
CREATE INDEX `apikey_reference_id` ON `api_keys` (`reference_id`);
-- Create index "apikey_config_id" to table: "api_keys"
CREATE INDEX `apikey_config_id` ON `api_keys` (`config_id`);
-- Create "invitations" table
CREATE TABLE `invitations` (`id` text NOT NULL, `email` text NOT NULL, `role` text NULL, `status` text NOT NULL DEFAULT ('pending'), `expires_at` datetime NOT NULL, `created_at` datetime NOT NULL, `team_id` text NULL, `organization_id` text NOT NULL, `inviter_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `invitations_organizations_invitations` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `invitations_users_sent_invitations` FOREIGN KEY (`inviter_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "invitation_email" to table: "invitations"
CREATE INDEX `invitation_email` ON `invitations` (`email`);
-- Create index "invitation_organization_id" to table: "invitations"
CREATE INDEX `invitation_organization_id` ON `invitations` (`organization_id`);
-- Create index "invitation_inviter_id" to table: "invitations"
CREATE INDEX `invitation_inviter_id` ON `invitations` (`inviter_id`);
-- Create "json_web_keys" table
CREATE TABLE `json_web_keys` (`id` text NOT NULL, `public_key` text NOT NULL, `private_key` text NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NULL, `alg` text NULL, `crv` text NULL, PRIMARY KEY (`id`));
-- Create index "jsonwebkey_created_at" to table: "json_web_keys"
CREATE INDEX `jsonwebkey_created_at` ON `json_web_keys` (`created_at`);
-- Create "members" table
CREATE TABLE `members` (`id` text NOT NULL, `role` text NOT NULL DEFAULT ('member'), `created_at` datetime NOT NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `members_organizations_members` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `members_users_memberships` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "member_organization_id_user_id" to table: "members"
CREATE UNIQUE INDEX `member_organization_id_user_id` ON `members` (`organization_id`, `user_id`);
-- Create index "member_user_id" to table: "members"
CREATE INDEX `member_user_id` ON `members` (`user_id`);
-- Create "organizations" table
CREATE TABLE `organizations` (`id` text NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `logo` text NULL, `created_at` datetime NOT NULL, `metadata` text NULL, `stripe_customer_id` text NULL, PRIMARY KEY (`id`));
-- Create index "organizations_slug_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_slug_key` ON `organizations` (`slug`);
-- Create index "organization_stripe_customer_id" to table: "organizations"
CREATE INDEX `organization_stripe_customer_id` ON `organizations` (`stripe_customer_id`);
-- Create "organization_roles" table
CREATE TABLE `organization_roles` (`id` text NOT NULL, `role` text NOT NULL, `permission` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `organization_roles_organizations_roles` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "organizationrole_organization_id_role" to table: "organization_roles"
CREATE UNIQUE INDEX `organizationrole_organization_id_role` ON `organization_roles` (`organization_id`, `role`);
-- Create "passkeys" table
CREATE TABLE `passkeys` (`id` text NOT NULL, `name` text NULL, `public_key` text NOT NULL, `credential_id` text NOT NULL, `counter` integer NOT NULL, `device_type` text NOT NULL, `backed_up` bool NOT NULL, `transports` text NULL, `created_at` datetime NULL, `aaguid` text NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `passkeys_users_passkeys` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "passkeys_credential_id_key" to table: "passkeys"
CREATE UNIQUE INDEX `passkeys_credential_id_key` ON `passkeys` (`credential_id`);
-- Create index "passkey_user_id" to table: "passkeys"
CREATE INDEX `passkey_user_id` ON `passkeys` (`user_id`);
-- Create "scim_connection_bindings" table
CREATE TABLE `scim_connection_bindings` (`id` text NOT NULL, `connection_id` text NOT NULL, `connection_key` text NOT NULL, `provisioning_domain_id` text NOT NULL, `created_at` datetime NOT NULL, `decommissioned_at` datetime NULL, `decommission_status` text NOT NULL DEFAULT ('active'), `decommission_cursor_user_id` text NULL, `decommission_reconciled_user_count` integer NOT NULL DEFAULT (0), `decommission_batch_count` integer NOT NULL DEFAULT (0), `decommission_revision` integer NOT NULL DEFAULT (0), `decommission_completed_at` datetime NULL, `decommission_lease_id` text NULL, `decommission_lease_expires_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "scim_connection_bindings_connection_key_key" to table: "scim_connection_bindings"
CREATE UNIQUE INDEX `scim_connection_bindings_connection_key_key` ON `scim_connection_bindings` (`connection_key`);
-- Create index "scimconnectionbinding_connection_id" to table: "scim_connection_bindings"
CREATE INDEX `scimconnectionbinding_connection_id` ON `scim_connection_bindings` (`connection_id`);
-- Create "scim_groups" table
CREATE TABLE `scim_groups` (`id` text NOT NULL, `connection_id` text NOT NULL, `provisioning_domain_id` text NOT NULL, `revision` integer NOT NULL DEFAULT (0), `display_name` text NOT NULL, `display_name_key` text NOT NULL, `external_id` text NULL, `external_id_key` text NULL, `order_key` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "scim_groups_display_name_key_key" to table: "scim_groups"
CREATE UNIQUE INDEX `scim_groups_display_name_key_key` ON `scim_groups` (`display_name_key`);
-- Create index "scim_groups_external_id_key_key" to table: "scim_groups"
CREATE UNIQUE INDEX `scim_groups_external_id_key_key` ON `scim_groups` (`external_id_key`);
-- Create index "scim_groups_order_key_key" to table: "scim_groups"
CREATE UNIQUE INDEX `scim_groups_order_key_key` ON `scim_groups` (`order_key`);
-- Create index "scimgroup_connection_id" to table: "scim_groups"
CREATE INDEX `scimgroup_connection_id` ON `scim_groups` (`connection_id`);
-- Create index "scimgroup_provisioning_domain_id" to table: "scim_groups"
CREATE INDEX `scimgroup_provisioning_domain_id` ON `scim_groups` (`provisioning_domain_id`);
-- Create "scim_group_members" table
CREATE TABLE `scim_group_members` (`id` text NOT NULL, `connection_id` text NOT NULL, `membership_key` text NOT NULL, `created_at` datetime NOT NULL, `group_id` text NOT NULL, `scim_user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_group_members_scim_groups_members` FOREIGN KEY (`group_id`) REFERENCES `scim_groups` (`id`) ON DELETE CASCADE, CONSTRAINT `scim_group_members_scim_users_group_memberships` FOREIGN KEY (`scim_user_id`) REFERENCES `scim_users` (`id`) ON DELETE CASCADE);
-- Create index "scim_group_members_membership_key_key" to table: "scim_group_members"
CREATE UNIQUE INDEX `scim_group_members_membership_key_key` ON `scim_group_members` (`membership_key`);
-- Create index "scimgroupmember_connection_id" to table: "scim_group_members"
CREATE INDEX `scimgroupmember_connection_id` ON `scim_group_members` (`connection_id`);
-- Create index "scimgroupmember_group_id" to table: "scim_group_members"
CREATE INDEX `scimgroupmember_group_id` ON `scim_group_members` (`group_id`);
-- Create index "scimgroupmember_scim_user_id" to table: "scim_group_members"
CREATE INDEX `scimgroupmember_scim_user_id` ON `scim_group_members` (`scim_user_id`);
-- Create "scim_identity_tombstones" table
CREATE TABLE `scim_identity_tombstones` (`id` text NOT NULL, `connection_id` text NOT NULL, `provisioning_domain_id` text NOT NULL, `external_id` text NOT NULL, `external_id_key` text NOT NULL, `profile` text NOT NULL, `deleted_at` datetime NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_identity_tombstones_users_scim_identity_tombstones` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "scim_identity_tombstones_external_id_key_key" to table: "scim_identity_tombstones"
CREATE UNIQUE INDEX `scim_identity_tombstones_external_id_key_key` ON `scim_identity_tombstones` (`external_id_key`);
-- Create index "scimidentitytombstone_connection_id" to table: "scim_identity_tombstones"
CREATE INDEX `scimidentitytombstone_connection_id` ON `scim_identity_tombstones` (`connection_id`);
-- Create index "scimidentitytombstone_provisioning_domain_id" to table: "scim_identity_tombstones"
CREATE INDEX `scimidentitytombstone_provisioning_domain_id` ON `scim_identity_tombstones` (`provisioning_domain_id`);
-- Create index "scimidentitytombstone_user_id" to table: "scim_identity_tombstones"
CREATE INDEX `scimidentitytombstone_user_id` ON `scim_identity_tombstones` (`user_id`);
-- Create "scim_managed_connections" table
CREATE TABLE `scim_managed_connections` (`id` text NOT NULL, `creation_request_id` text NOT NULL, `connection_id` text NOT NULL, `provisioning_domain_id` text NOT NULL, `status` text NOT NULL, `revision` integer NOT NULL, `created_at` datetime NOT NULL, `created_by` text NOT NULL, `decommission_started_at` datetime NULL, `decommission_started_by` text NULL, `decommissioned_at` datetime NULL, `decommissioned_by` text NULL, PRIMARY KEY (`id`));
-- Create index "scim_managed_connections_creation_request_id_key" to table: "scim_managed_connections"
CREATE UNIQUE INDEX `scim_managed_connections_creation_request_id_key` ON `scim_managed_connections` (`creation_request_id`);
-- Create index "scim_managed_connections_connection_id_key" to table: "scim_managed_connections"
CREATE UNIQUE INDEX `scim_managed_connections_connection_id_key` ON `scim_managed_connections` (`connection_id`);
-- Create index "scimmanagedconnection_provisioning_domain_id" to table: "scim_managed_connections"
CREATE INDEX `scimmanagedconnection_provisioning_domain_id` ON `scim_managed_connections` (`provisioning_domain_id`);
-- Create "scim_managed_connection_events" table
CREATE TABLE `scim_managed_connection_events` (`id` text NOT NULL, `event_key` text NOT NULL, `sequence` integer NOT NULL, `type` text NOT NULL, `actor_id` text NOT NULL, `credential_id` text NULL, `created_at` datetime NOT NULL, `connection_record_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_managed_connection_events_scim_managed_connections_events` FOREIGN KEY (`connection_record_id`) REFERENCES `scim_managed_connections` (`id`) ON DELETE CASCADE);
-- Create index "scim_managed_connection_events_event_key_key" to table: "scim_managed_connection_events"
CREATE UNIQUE INDEX `scim_managed_connection_events_event_key_key` ON `scim_managed_connection_events` (`event_key`);
-- Create index "scimmanagedconnectionevent_connection_record_id" to table: "scim_managed_connection_events"
CREATE INDEX `scimmanagedconnectionevent_connection_record_id` ON `scim_managed_connection_events` (`connection_record_id`);
-- Create "scim_managed_credentials" table
CREATE TABLE `scim_managed_credentials` (`id` text NOT NULL, `credential_id` text NOT NULL, `token_digest` text NOT NULL, `hash_version` text NOT NULL, `active_slot_key` text NOT NULL, `status` text NOT NULL, `serialized_scopes` text NOT NULL, `expires_at` datetime NOT NULL, `created_at` datetime NOT NULL, `created_by` text NOT NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL, `revoked_by` text NULL, `decommissioned_at` datetime NULL, `connection_record_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_managed_credentials_scim_managed_connections_credentials` FOREIGN KEY (`connection_record_id`) REFERENCES `scim_managed_connections` (`id`) ON DELETE CASCADE);
-- Create index "scim_managed_credentials_credential_id_key" to table: "scim_managed_credentials"
CREATE UNIQUE INDEX `scim_managed_credentials_credential_id_key` ON `scim_managed_credentials` (`credential_id`);
-- Create index "scim_managed_credentials_active_slot_key_key" to table: "scim_managed_credentials"
CREATE UNIQUE INDEX `scim_managed_credentials_active_slot_key_key` ON `scim_managed_credentials` (`active_slot_key`);
-- Create index "scimmanagedcredential_connection_record_id" to table: "scim_managed_credentials"
CREATE INDEX `scimmanagedcredential_connection_record_id` ON `scim_managed_credentials` (`connection_record_id`);
-- Create "scim_projection_grants" table
CREATE TABLE `scim_projection_grants` (`id` text NOT NULL, `connection_id` text NOT NULL, `provisioning_domain_id` text NOT NULL, `source_kind` text NOT NULL, `source_id` text NOT NULL, `source_value` text NULL, `role` text NOT NULL, `grant_key` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `scim_user_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_projection_grants_scim_users_projection_grants` FOREIGN KEY (`scim_user_id`) REFERENCES `scim_users` (`id`) ON DELETE CASCADE, CONSTRAINT `scim_projection_grants_users_scim_projection_grants` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "scim_projection_grants_grant_key_key" to table: "scim_projection_grants"
CREATE UNIQUE INDEX `scim_projection_grants_grant_key_key` ON `scim_projection_grants` (`grant_key`);
-- Create index "scimprojectiongrant_connection_id" to table: "scim_projection_grants"
CREATE INDEX `scimprojectiongrant_connection_id` ON `scim_projection_grants` (`connection_id`);
-- Create index "scimprojectiongrant_provisioning_domain_id" to table: "scim_projection_grants"
CREATE INDEX `scimprojectiongrant_provisioning_domain_id` ON `scim_projection_grants` (`provisioning_domain_id`);
-- Create index "scimprojectiongrant_scim_user_id" to table: "scim_projection_grants"
CREATE INDEX `scimprojectiongrant_scim_user_id` ON `scim_projection_grants` (`scim_user_id`);
-- Create index "scimprojectiongrant_user_id" to table: "scim_projection_grants"
CREATE INDEX `scimprojectiongrant_user_id` ON `scim_projection_grants` (`user_id`);
-- Create "scim_subjects" table
CREATE TABLE `scim_subjects` (`id` text NOT NULL, `profile_source_id` text NULL, `revision` integer NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_subjects_users_scim_subject` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "scim_subjects_user_id_key" to table: "scim_subjects"
CREATE UNIQUE INDEX `scim_subjects_user_id_key` ON `scim_subjects` (`user_id`);
-- Create index "scimsubject_profile_source_id" to table: "scim_subjects"
CREATE INDEX `scimsubject_profile_source_id` ON `scim_subjects` (`profile_source_id`);
-- Create "scim_users" table
CREATE TABLE `scim_users` (`id` text NOT NULL, `connection_id` text NOT NULL, `provisioning_domain_id` text NOT NULL, `connection_user_key` text NOT NULL, `user_name` text NOT NULL, `user_name_key` text NOT NULL, `primary_email` text NOT NULL, `work_email_value_index` text NOT NULL, `email_value_index` text NOT NULL, `display_name` text NOT NULL, `formatted_name` text NOT NULL, `given_name` text NULL, `family_name` text NULL, `serialized_emails` text NOT NULL, `serialized_attributes` text NULL, `external_id` text NULL, `external_id_key` text NULL, `active` bool NOT NULL, `order_key` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_users_users_scim_users` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "scim_users_connection_user_key_key" to table: "scim_users"
CREATE UNIQUE INDEX `scim_users_connection_user_key_key` ON `scim_users` (`connection_user_key`);
-- Create index "scim_users_user_name_key_key" to table: "scim_users"
CREATE UNIQUE INDEX `scim_users_user_name_key_key` ON `scim_users` (`user_name_key`);
-- Create index "scim_users_external_id_key_key" to table: "scim_users"
CREATE UNIQUE INDEX `scim_users_external_id_key_key` ON `scim_users` (`external_id_key`);
-- Create index "scim_users_order_key_key" to table: "scim_users"
CREATE UNIQUE INDEX `scim_users_order_key_key` ON `scim_users` (`order_key`);
-- Create index "scimuser_connection_id" to table: "scim_users"
CREATE INDEX `scimuser_connection_id` ON `scim_users` (`connection_id`);
-- Create index "scimuser_provisioning_domain_id" to table: "scim_users"
CREATE INDEX `scimuser_provisioning_domain_id` ON `scim_users` (`provisioning_domain_id`);
-- Create index "scimuser_user_id" to table: "scim_users"
CREATE INDEX `scimuser_user_id` ON `scim_users` (`user_id`);
-- Create "sso_providers" table
CREATE TABLE `sso_providers` (`id` text NOT NULL, `issuer` text NOT NULL, `oidc_config` text NULL, `saml_config` text NULL, `provider_id` text NOT NULL, `organization_id` text NULL, `domain` text NOT NULL, `domain_verified` bool NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sso_providers_users_sso_providers` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "sso_providers_provider_id_key" to table: "sso_providers"
CREATE UNIQUE INDEX `sso_providers_provider_id_key` ON `sso_providers` (`provider_id`);
-- Create index "ssoprovider_domain" to table: "sso_providers"
CREATE INDEX `ssoprovider_domain` ON `sso_providers` (`domain`);
-- Create index "ssoprovider_organization_id" to table: "sso_providers"
CREATE INDEX `ssoprovider_organization_id` ON `sso_providers` (`organization_id`);
-- Create index "ssoprovider_user_id" to table: "sso_providers"
CREATE INDEX `ssoprovider_user_id` ON `sso_providers` (`user_id`);
-- Create "subscriptions" table
CREATE TABLE `subscriptions` (`id` text NOT NULL, `plan` text NOT NULL, `reference_id` text NOT NULL, `stripe_customer_id` text NULL, `stripe_subscription_id` text NULL, `status` text NOT NULL DEFAULT ('incomplete'), `period_start` datetime NULL, `period_end` datetime NULL, `trial_start` datetime NULL, `trial_end` datetime NULL, `cancel_at_period_end` bool NULL DEFAULT (false), `cancel_at` datetime NULL, `canceled_at` datetime NULL, `ended_at` datetime NULL, `seats` integer NULL, `billing_interval` text NULL, `stripe_schedule_id` text NULL, PRIMARY KEY (`id`));
-- Create index "subscription_reference_id" to table: "subscriptions"
CREATE INDEX `subscription_reference_id` ON `subscriptions` (`reference_id`);
-- Create index "subscription_stripe_customer_id" to table: "subscriptions"
CREATE INDEX `subscription_stripe_customer_id` ON `subscriptions` (`stripe_customer_id`);
-- Create index "subscription_stripe_subscription_id" to table: "subscriptions"
CREATE INDEX `subscription_stripe_subscription_id` ON `subscriptions` (`stripe_subscription_id`);
-- Create "teams" table
CREATE TABLE `teams` (`id` text NOT NULL, `name` text NOT NULL, `member_count` integer NOT NULL DEFAULT (0), `created_at` datetime NOT NULL, `updated_at` datetime NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `teams_organizations_teams` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "team_organization_id" to table: "teams"
CREATE INDEX `team_organization_id` ON `teams` (`organization_id`);
-- Create "team_members" table
CREATE TABLE `team_members` (`id` text NOT NULL, `membership_key` text NULL, `created_at` datetime NULL, `team_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `team_members_teams_members` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE CASCADE, CONSTRAINT `team_members_users_team_memberships` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Create index "team_members_membership_key_key" to table: "team_members"
CREATE UNIQUE INDEX `team_members_membership_key_key` ON `team_members` (`membership_key`);
-- Create index "teammember_team_id_user_id" to table: "team_members"
CREATE INDEX `teammember_team_id_user_id` ON `team_members` (`team_id`, `user_id`);
-- Create index "teammember_user_id" to table: "team_members"
CREATE INDEX `teammember_user_id` ON `team_members` (`user_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
