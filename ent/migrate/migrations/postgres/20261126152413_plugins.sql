-- Create "subscriptions" table
CREATE TABLE "subscriptions" ("id" character varying NOT NULL, "plan" character varying NOT NULL, "reference_id" character varying NOT NULL, "stripe_customer_id" character varying NULL, "stripe_subscription_id" character varying NULL, "status" character varying NOT NULL DEFAULT 'incomplete', "period_start" timestamptz NULL, "period_end" timestamptz NULL, "trial_start" timestamptz NULL, "trial_end" timestamptz NULL, "cancel_at_period_end" boolean NULL DEFAULT false, "cancel_at" timestamptz NULL, "canceled_at" timestamptz NULL, "ended_at" timestamptz NULL, "seats" bigint NULL, "billing_interval" character varying NULL, "stripe_schedule_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "subscription_reference_id" to table: "subscriptions"
CREATE INDEX "subscription_reference_id" ON "subscriptions" ("reference_id");
-- Create index "subscription_stripe_customer_id" to table: "subscriptions"
CREATE INDEX "subscription_stripe_customer_id" ON "subscriptions" ("stripe_customer_id");
-- Create index "subscription_stripe_subscription_id" to table: "subscriptions"
CREATE INDEX "subscription_stripe_subscription_id" ON "subscriptions" ("stripe_subscription_id");
-- Create "api_keys" table
CREATE TABLE "api_keys" ("id" character varying NOT NULL, "config_id" character varying NOT NULL DEFAULT 'default', "name" character varying NULL, "start" character varying NULL, "reference_id" character varying NOT NULL, "prefix" character varying NULL, "key" character varying NOT NULL, "refill_interval" bigint NULL, "refill_amount" bigint NULL, "last_refill_at" timestamptz NULL, "enabled" boolean NULL DEFAULT true, "rate_limit_enabled" boolean NULL DEFAULT true, "rate_limit_time_window" bigint NULL DEFAULT 86400000, "rate_limit_max" bigint NULL DEFAULT 10, "request_count" bigint NULL DEFAULT 0, "remaining" bigint NULL, "last_request" timestamptz NULL, "expires_at" timestamptz NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "permissions" character varying NULL, "metadata" character varying NULL, PRIMARY KEY ("id"));
-- Create index "apikey_config_id" to table: "api_keys"
CREATE INDEX "apikey_config_id" ON "api_keys" ("config_id");
-- Create index "apikey_key" to table: "api_keys"
CREATE INDEX "apikey_key" ON "api_keys" ("key");
-- Create index "apikey_reference_id" to table: "api_keys"
CREATE INDEX "apikey_reference_id" ON "api_keys" ("reference_id");
-- Create "json_web_keys" table
CREATE TABLE "json_web_keys" ("id" character varying NOT NULL, "public_key" character varying NOT NULL, "private_key" character varying NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NULL, "alg" character varying NULL, "crv" character varying NULL, PRIMARY KEY ("id"));
-- Create index "jsonwebkey_created_at" to table: "json_web_keys"
CREATE INDEX "jsonwebkey_created_at" ON "json_web_keys" ("created_at");
-- Create "organizations" table
CREATE TABLE "organizations" ("id" character varying NOT NULL, "name" character varying NOT NULL, "slug" character varying NOT NULL, "logo" character varying NULL, "created_at" timestamptz NOT NULL, "metadata" character varying NULL, "stripe_customer_id" character varying NULL, PRIMARY KEY ("id"));
-- Create index "organization_stripe_customer_id" to table: "organizations"
CREATE INDEX "organization_stripe_customer_id" ON "organizations" ("stripe_customer_id");
-- Create index "organizations_slug_key" to table: "organizations"
CREATE UNIQUE INDEX "organizations_slug_key" ON "organizations" ("slug");
-- Create "scim_connection_bindings" table
CREATE TABLE "scim_connection_bindings" ("id" character varying NOT NULL, "connection_id" character varying NOT NULL, "connection_key" character varying NOT NULL, "provisioning_domain_id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "decommissioned_at" timestamptz NULL, "decommission_status" character varying NOT NULL DEFAULT 'active', "decommission_cursor_user_id" character varying NULL, "decommission_reconciled_user_count" bigint NOT NULL DEFAULT 0, "decommission_batch_count" bigint NOT NULL DEFAULT 0, "decommission_revision" bigint NOT NULL DEFAULT 0, "decommission_completed_at" timestamptz NULL, "decommission_lease_id" character varying NULL, "decommission_lease_expires_at" timestamptz NULL, PRIMARY KEY ("id"));
-- Create index "scim_connection_bindings_connection_key_key" to table: "scim_connection_bindings"
CREATE UNIQUE INDEX "scim_connection_bindings_connection_key_key" ON "scim_connection_bindings" ("connection_key");
-- Create index "scimconnectionbinding_connection_id" to table: "scim_connection_bindings"
CREATE INDEX "scimconnectionbinding_connection_id" ON "scim_connection_bindings" ("connection_id");
-- Modify "sessions" table
ALTER TABLE "sessions" ADD COLUMN "active_organization_id" character varying NULL, ADD COLUMN "active_team_id" character varying NULL, ADD COLUMN "impersonated_by" character varying NULL;
-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "stripe_customer_id" character varying NULL, ADD COLUMN "phone_number" character varying NULL, ADD COLUMN "phone_number_verified" boolean NULL, ADD COLUMN "role" character varying NULL, ADD COLUMN "banned" boolean NULL DEFAULT false, ADD COLUMN "ban_reason" character varying NULL, ADD COLUMN "ban_expires" timestamptz NULL, ADD COLUMN "username" character varying NULL, ADD COLUMN "display_username" character varying NULL, ADD COLUMN "is_anonymous" boolean NULL DEFAULT false;
-- Create index "user_stripe_customer_id" to table: "users"
CREATE INDEX "user_stripe_customer_id" ON "users" ("stripe_customer_id");
-- Create index "users_phone_number_key" to table: "users"
CREATE UNIQUE INDEX "users_phone_number_key" ON "users" ("phone_number");
-- Create index "users_username_key" to table: "users"
CREATE UNIQUE INDEX "users_username_key" ON "users" ("username");
-- Create "invitations" table
CREATE TABLE "invitations" ("id" character varying NOT NULL, "email" character varying NOT NULL, "role" character varying NULL, "status" character varying NOT NULL DEFAULT 'pending', "expires_at" timestamptz NOT NULL, "created_at" timestamptz NOT NULL, "team_id" character varying NULL, "organization_id" character varying NOT NULL, "inviter_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "invitations_organizations_invitations" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "invitations_users_sent_invitations" FOREIGN KEY ("inviter_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "invitation_email" to table: "invitations"
CREATE INDEX "invitation_email" ON "invitations" ("email");
-- Create index "invitation_inviter_id" to table: "invitations"
CREATE INDEX "invitation_inviter_id" ON "invitations" ("inviter_id");
-- Create index "invitation_organization_id" to table: "invitations"
CREATE INDEX "invitation_organization_id" ON "invitations" ("organization_id");
-- Create "members" table
CREATE TABLE "members" ("id" character varying NOT NULL, "role" character varying NOT NULL DEFAULT 'member', "created_at" timestamptz NOT NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "members_organizations_members" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "members_users_memberships" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "member_organization_id_user_id" to table: "members"
CREATE UNIQUE INDEX "member_organization_id_user_id" ON "members" ("organization_id", "user_id");
-- Create index "member_user_id" to table: "members"
CREATE INDEX "member_user_id" ON "members" ("user_id");
-- Create "organization_roles" table
CREATE TABLE "organization_roles" ("id" character varying NOT NULL, "role" character varying NOT NULL, "permission" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NULL, "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "organization_roles_organizations_roles" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "organizationrole_organization_id_role" to table: "organization_roles"
CREATE UNIQUE INDEX "organizationrole_organization_id_role" ON "organization_roles" ("organization_id", "role");
-- Create "passkeys" table
CREATE TABLE "passkeys" ("id" character varying NOT NULL, "name" character varying NULL, "public_key" character varying NOT NULL, "credential_id" character varying NOT NULL, "counter" bigint NOT NULL, "device_type" character varying NOT NULL, "backed_up" boolean NOT NULL, "transports" character varying NULL, "created_at" timestamptz NULL, "aaguid" character varying NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "passkeys_users_passkeys" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "passkey_user_id" to table: "passkeys"
CREATE INDEX "passkey_user_id" ON "passkeys" ("user_id");
-- Create index "passkeys_credential_id_key" to table: "passkeys"
CREATE UNIQUE INDEX "passkeys_credential_id_key" ON "passkeys" ("credential_id");
-- Create "scim_groups" table
CREATE TABLE "scim_groups" ("id" character varying NOT NULL, "connection_id" character varying NOT NULL, "provisioning_domain_id" character varying NOT NULL, "revision" bigint NOT NULL DEFAULT 0, "display_name" character varying NOT NULL, "display_name_key" character varying NOT NULL, "external_id" character varying NULL, "external_id_key" character varying NULL, "order_key" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "scim_groups_display_name_key_key" to table: "scim_groups"
CREATE UNIQUE INDEX "scim_groups_display_name_key_key" ON "scim_groups" ("display_name_key");
-- Create index "scim_groups_external_id_key_key" to table: "scim_groups"
CREATE UNIQUE INDEX "scim_groups_external_id_key_key" ON "scim_groups" ("external_id_key");
-- Create index "scim_groups_order_key_key" to table: "scim_groups"
CREATE UNIQUE INDEX "scim_groups_order_key_key" ON "scim_groups" ("order_key");
-- Create index "scimgroup_connection_id" to table: "scim_groups"
CREATE INDEX "scimgroup_connection_id" ON "scim_groups" ("connection_id");
-- Create index "scimgroup_provisioning_domain_id" to table: "scim_groups"
CREATE INDEX "scimgroup_provisioning_domain_id" ON "scim_groups" ("provisioning_domain_id");
-- Create "scim_users" table
CREATE TABLE "scim_users" ("id" character varying NOT NULL, "connection_id" character varying NOT NULL, "provisioning_domain_id" character varying NOT NULL, "connection_user_key" character varying NOT NULL, "user_name" character varying NOT NULL, "user_name_key" character varying NOT NULL, "primary_email" character varying NOT NULL, "work_email_value_index" character varying NOT NULL, "email_value_index" character varying NOT NULL, "display_name" character varying NOT NULL, "formatted_name" character varying NOT NULL, "given_name" character varying NULL, "family_name" character varying NULL, "serialized_emails" character varying NOT NULL, "serialized_attributes" character varying NULL, "external_id" character varying NULL, "external_id_key" character varying NULL, "active" boolean NOT NULL, "order_key" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_users_users_scim_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "scim_users_connection_user_key_key" to table: "scim_users"
CREATE UNIQUE INDEX "scim_users_connection_user_key_key" ON "scim_users" ("connection_user_key");
-- Create index "scim_users_external_id_key_key" to table: "scim_users"
CREATE UNIQUE INDEX "scim_users_external_id_key_key" ON "scim_users" ("external_id_key");
-- Create index "scim_users_order_key_key" to table: "scim_users"
CREATE UNIQUE INDEX "scim_users_order_key_key" ON "scim_users" ("order_key");
-- Create index "scim_users_user_name_key_key" to table: "scim_users"
CREATE UNIQUE INDEX "scim_users_user_name_key_key" ON "scim_users" ("user_name_key");
-- Create index "scimuser_connection_id" to table: "scim_users"
CREATE INDEX "scimuser_connection_id" ON "scim_users" ("connection_id");
-- Create index "scimuser_provisioning_domain_id" to table: "scim_users"
CREATE INDEX "scimuser_provisioning_domain_id" ON "scim_users" ("provisioning_domain_id");
-- Create index "scimuser_user_id" to table: "scim_users"
CREATE INDEX "scimuser_user_id" ON "scim_users" ("user_id");
-- Create "scim_group_members" table
CREATE TABLE "scim_group_members" ("id" character varying NOT NULL, "connection_id" character varying NOT NULL, "membership_key" character varying NOT NULL, "created_at" timestamptz NOT NULL, "group_id" character varying NOT NULL, "scim_user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_group_members_scim_groups_members" FOREIGN KEY ("group_id") REFERENCES "scim_groups" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "scim_group_members_scim_users_group_memberships" FOREIGN KEY ("scim_user_id") REFERENCES "scim_users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "scim_group_members_membership_key_key" to table: "scim_group_members"
CREATE UNIQUE INDEX "scim_group_members_membership_key_key" ON "scim_group_members" ("membership_key");
-- Create index "scimgroupmember_connection_id" to table: "scim_group_members"
CREATE INDEX "scimgroupmember_connection_id" ON "scim_group_members" ("connection_id");
-- Create index "scimgroupmember_group_id" to table: "scim_group_members"
CREATE INDEX "scimgroupmember_group_id" ON "scim_group_members" ("group_id");
-- Create index "scimgroupmember_scim_user_id" to table: "scim_group_members"
CREATE INDEX "scimgroupmember_scim_user_id" ON "scim_group_members" ("scim_user_id");
-- Create "scim_identity_tombstones" table
CREATE TABLE "scim_identity_tombstones" ("id" character varying NOT NULL, "connection_id" character varying NOT NULL, "provisioning_domain_id" character varying NOT NULL, "external_id" character varying NOT NULL, "external_id_key" character varying NOT NULL, "profile" character varying NOT NULL, "deleted_at" timestamptz NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_identity_tombstones_users_scim_identity_tombstones" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "scim_identity_tombstones_external_id_key_key" to table: "scim_identity_tombstones"
CREATE UNIQUE INDEX "scim_identity_tombstones_external_id_key_key" ON "scim_identity_tombstones" ("external_id_key");
-- Create index "scimidentitytombstone_connection_id" to table: "scim_identity_tombstones"
CREATE INDEX "scimidentitytombstone_connection_id" ON "scim_identity_tombstones" ("connection_id");
-- Create index "scimidentitytombstone_provisioning_domain_id" to table: "scim_identity_tombstones"
CREATE INDEX "scimidentitytombstone_provisioning_domain_id" ON "scim_identity_tombstones" ("provisioning_domain_id");
-- Create index "scimidentitytombstone_user_id" to table: "scim_identity_tombstones"
CREATE INDEX "scimidentitytombstone_user_id" ON "scim_identity_tombstones" ("user_id");
-- Create "scim_managed_connections" table
CREATE TABLE "scim_managed_connections" ("id" character varying NOT NULL, "creation_request_id" character varying NOT NULL, "connection_id" character varying NOT NULL, "provisioning_domain_id" character varying NOT NULL, "status" character varying NOT NULL, "revision" bigint NOT NULL, "created_at" timestamptz NOT NULL, "created_by" character varying NOT NULL, "decommission_started_at" timestamptz NULL, "decommission_started_by" character varying NULL, "decommissioned_at" timestamptz NULL, "decommissioned_by" character varying NULL, PRIMARY KEY ("id"));
-- Create index "scim_managed_connections_connection_id_key" to table: "scim_managed_connections"
CREATE UNIQUE INDEX "scim_managed_connections_connection_id_key" ON "scim_managed_connections" ("connection_id");
-- Create index "scim_managed_connections_creation_request_id_key" to table: "scim_managed_connections"
CREATE UNIQUE INDEX "scim_managed_connections_creation_request_id_key" ON "scim_managed_connections" ("creation_request_id");
-- Create index "scimmanagedconnection_provisioning_domain_id" to table: "scim_managed_connections"
CREATE INDEX "scimmanagedconnection_provisioning_domain_id" ON "scim_managed_connections" ("provisioning_domain_id");
-- Create "scim_managed_connection_events" table
CREATE TABLE "scim_managed_connection_events" ("id" character varying NOT NULL, "event_key" character varying NOT NULL, "sequence" bigint NOT NULL, "type" character varying NOT NULL, "actor_id" character varying NOT NULL, "credential_id" character varying NULL, "created_at" timestamptz NOT NULL, "connection_record_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_managed_connection_events_scim_managed_connections_events" FOREIGN KEY ("connection_record_id") REFERENCES "scim_managed_connections" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "scim_managed_connection_events_event_key_key" to table: "scim_managed_connection_events"
CREATE UNIQUE INDEX "scim_managed_connection_events_event_key_key" ON "scim_managed_connection_events" ("event_key");
-- Create index "scimmanagedconnectionevent_connection_record_id" to table: "scim_managed_connection_events"
CREATE INDEX "scimmanagedconnectionevent_connection_record_id" ON "scim_managed_connection_events" ("connection_record_id");
-- Create "scim_managed_credentials" table
CREATE TABLE "scim_managed_credentials" ("id" character varying NOT NULL, "credential_id" character varying NOT NULL, "token_digest" character varying NOT NULL, "hash_version" character varying NOT NULL, "active_slot_key" character varying NOT NULL, "status" character varying NOT NULL, "serialized_scopes" character varying NOT NULL, "expires_at" timestamptz NOT NULL, "created_at" timestamptz NOT NULL, "created_by" character varying NOT NULL, "last_used_at" timestamptz NULL, "revoked_at" timestamptz NULL, "revoked_by" character varying NULL, "decommissioned_at" timestamptz NULL, "connection_record_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_managed_credentials_scim_managed_connections_credentials" FOREIGN KEY ("connection_record_id") REFERENCES "scim_managed_connections" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "scim_managed_credentials_active_slot_key_key" to table: "scim_managed_credentials"
CREATE UNIQUE INDEX "scim_managed_credentials_active_slot_key_key" ON "scim_managed_credentials" ("active_slot_key");
-- Create index "scim_managed_credentials_credential_id_key" to table: "scim_managed_credentials"
CREATE UNIQUE INDEX "scim_managed_credentials_credential_id_key" ON "scim_managed_credentials" ("credential_id");
-- Create index "scimmanagedcredential_connection_record_id" to table: "scim_managed_credentials"
CREATE INDEX "scimmanagedcredential_connection_record_id" ON "scim_managed_credentials" ("connection_record_id");
-- Create "scim_projection_grants" table
CREATE TABLE "scim_projection_grants" ("id" character varying NOT NULL, "connection_id" character varying NOT NULL, "provisioning_domain_id" character varying NOT NULL, "source_kind" character varying NOT NULL, "source_id" character varying NOT NULL, "source_value" character varying NULL, "role" character varying NOT NULL, "grant_key" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "scim_user_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_projection_grants_scim_users_projection_grants" FOREIGN KEY ("scim_user_id") REFERENCES "scim_users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "scim_projection_grants_users_scim_projection_grants" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "scim_projection_grants_grant_key_key" to table: "scim_projection_grants"
CREATE UNIQUE INDEX "scim_projection_grants_grant_key_key" ON "scim_projection_grants" ("grant_key");
-- Create index "scimprojectiongrant_connection_id" to table: "scim_projection_grants"
CREATE INDEX "scimprojectiongrant_connection_id" ON "scim_projection_grants" ("connection_id");
-- Create index "scimprojectiongrant_provisioning_domain_id" to table: "scim_projection_grants"
CREATE INDEX "scimprojectiongrant_provisioning_domain_id" ON "scim_projection_grants" ("provisioning_domain_id");
-- Create index "scimprojectiongrant_scim_user_id" to table: "scim_projection_grants"
CREATE INDEX "scimprojectiongrant_scim_user_id" ON "scim_projection_grants" ("scim_user_id");
-- Create index "scimprojectiongrant_user_id" to table: "scim_projection_grants"
CREATE INDEX "scimprojectiongrant_user_id" ON "scim_projection_grants" ("user_id");
-- Create "scim_subjects" table
CREATE TABLE "scim_subjects" ("id" character varying NOT NULL, "profile_source_id" character varying NULL, "revision" bigint NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_subjects_users_scim_subject" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "scim_subjects_user_id_key" to table: "scim_subjects"
CREATE UNIQUE INDEX "scim_subjects_user_id_key" ON "scim_subjects" ("user_id");
-- Create index "scimsubject_profile_source_id" to table: "scim_subjects"
CREATE INDEX "scimsubject_profile_source_id" ON "scim_subjects" ("profile_source_id");
-- Create "sso_providers" table
CREATE TABLE "sso_providers" ("id" character varying NOT NULL, "issuer" character varying NOT NULL, "oidc_config" character varying NULL, "saml_config" character varying NULL, "provider_id" character varying NOT NULL, "organization_id" character varying NULL, "domain" character varying NOT NULL, "domain_verified" boolean NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sso_providers_users_sso_providers" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "sso_providers_provider_id_key" to table: "sso_providers"
CREATE UNIQUE INDEX "sso_providers_provider_id_key" ON "sso_providers" ("provider_id");
-- Create index "ssoprovider_domain" to table: "sso_providers"
CREATE INDEX "ssoprovider_domain" ON "sso_providers" ("domain");
-- Create index "ssoprovider_organization_id" to table: "sso_providers"
CREATE INDEX "ssoprovider_organization_id" ON "sso_providers" ("organization_id");
-- Create index "ssoprovider_user_id" to table: "sso_providers"
CREATE INDEX "ssoprovider_user_id" ON "sso_providers" ("user_id");
-- Create "teams" table
CREATE TABLE "teams" ("id" character varying NOT NULL, "name" character varying NOT NULL, "member_count" bigint NOT NULL DEFAULT 0, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NULL, "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "teams_organizations_teams" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "team_organization_id" to table: "teams"
CREATE INDEX "team_organization_id" ON "teams" ("organization_id");
-- Create "team_members" table
CREATE TABLE "team_members" ("id" character varying NOT NULL, "membership_key" character varying NULL, "created_at" timestamptz NULL, "team_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "team_members_teams_members" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "team_members_users_team_memberships" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "team_members_membership_key_key" to table: "team_members"
CREATE UNIQUE INDEX "team_members_membership_key_key" ON "team_members" ("membership_key");
-- Create index "teammember_team_id_user_id" to table: "team_members"
CREATE INDEX "teammember_team_id_user_id" ON "team_members" ("team_id", "user_id");
-- Create index "teammember_user_id" to table: "team_members"
CREATE INDEX "teammember_user_id" ON "team_members" ("user_id");
