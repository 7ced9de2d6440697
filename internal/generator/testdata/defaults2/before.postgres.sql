-- Create "users" table
CREATE TABLE "users" ("id" character varying NOT NULL, "name" character varying NOT NULL, "email" character varying NOT NULL, "email_verified" boolean NOT NULL DEFAULT false, "image" character varying NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX "users_email_key" ON "users" ("email");
-- Create "verifications" table
CREATE TABLE "verifications" ("id" character varying NOT NULL, "identifier" character varying NOT NULL, "value" character varying NOT NULL, "expires_at" timestamptz NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "verification_identifier" to table: "verifications"
CREATE INDEX "verification_identifier" ON "verifications" ("identifier");
-- Create "accounts" table
CREATE TABLE "accounts" ("id" character varying NOT NULL, "issuer" character varying NOT NULL, "account_id" character varying NOT NULL, "provider_id" character varying NOT NULL, "access_token" character varying NULL, "refresh_token" character varying NULL, "id_token" character varying NULL, "access_token_expires_at" timestamptz NULL, "refresh_token_expires_at" timestamptz NULL, "scope" character varying NULL, "password" character varying NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "accounts_users_accounts" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "account_issuer_account_id" to table: "accounts"
CREATE UNIQUE INDEX "account_issuer_account_id" ON "accounts" ("issuer", "account_id");
-- Create index "account_provider_id_account_id" to table: "accounts"
CREATE INDEX "account_provider_id_account_id" ON "accounts" ("provider_id", "account_id");
-- Create index "account_user_id" to table: "accounts"
CREATE INDEX "account_user_id" ON "accounts" ("user_id");
-- Create "sessions" table
CREATE TABLE "sessions" ("id" character varying NOT NULL, "expires_at" timestamptz NOT NULL, "token" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "ip_address" character varying NULL, "user_agent" character varying NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sessions_users_sessions" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "session_user_id" to table: "sessions"
CREATE INDEX "session_user_id" ON "sessions" ("user_id");
-- Create index "sessions_token_key" to table: "sessions"
CREATE UNIQUE INDEX "sessions_token_key" ON "sessions" ("token");
