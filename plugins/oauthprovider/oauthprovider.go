// Package oauthprovider is the OAuth 2.1 / OpenID Connect provider plugin (id
// "oauth-provider", Better Auth's @better-auth/oauth-provider): the application becomes an
// authorization server that registered clients send their users to.
//
// Tables:
//   - oauth_clients (client_id unique, client_secret, client_discovery_id, disabled default
//     false, skip_consent, enable_end_session, subject_type, scopes, client_credentials_scopes,
//     user_id → users ON DELETE CASCADE, created_at, updated_at, name, uri, icon, contacts, tos,
//     policy, software_id, software_version, software_statement, redirect_uris,
//     post_logout_redirect_uris, backchannel_logout_uri, backchannel_logout_session_required,
//     token_endpoint_auth_method, application_type, jwks, jwks_uri, grant_types,
//     response_types, require_pkce, dpop_bound_access_tokens default false, reference_id,
//     metadata; indexed by user).
//   - oauth_resources (identifier unique, name, access_token_ttl, refresh_token_ttl,
//     signing_algorithm, signing_key_id, allowed_scopes, custom_claims,
//     dpop_bound_access_tokens_required default false, disabled default false, created_at,
//     updated_at, policy_version default 1, metadata).
//   - oauth_client_resources (client_id, resource_id, metadata, created_at; unique per client
//     and resource, indexed by resource).
//   - oauth_refresh_tokens (token unique, client_id, session_id → sessions ON DELETE SET
//     NULL, user_id → users ON DELETE CASCADE, reference_id, authorization_code_id, resources,
//     requested_user_info_claims, expires_at, created_at, revoked, rotated_at,
//     rotation_replay_response, rotation_replay_expires_at, auth_time, confirmation, scopes;
//     indexed by client, session, user and authorization code).
//   - oauth_access_tokens (token unique, client_id, session_id → sessions ON DELETE SET NULL,
//     user_id → users ON DELETE CASCADE, reference_id, authorization_code_id, resources,
//     requested_user_info_claims, refresh_id → oauth_refresh_tokens ON DELETE CASCADE,
//     expires_at, created_at, revoked, confirmation, scopes; indexed by client, session, user,
//     authorization code and refresh token).
//   - oauth_consents (client_id, user_id → users ON DELETE CASCADE, reference_id, resources,
//     requested_user_info_claims, scopes, created_at, updated_at; indexed by client and user,
//     and by user).
//   - oauth_client_assertions (expires_at): the ids of the private_key_jwt client assertions
//     already used, so a replayed assertion fails on the primary key.
//
// It adds no column to core tables. Better Auth's provider signs ID tokens and JWT access
// tokens with the jwt plugin's keys unless its disableJwtPlugin is set: enable jwt beside it
// for that (the schema does not require it).
//
// Lists (string[] in Better Auth: scopes, redirect_uris, resources…) are JSON arrays and
// metadata, custom_claims and confirmation are JSON objects: jsonb on PostgreSQL, as Better
// Auth's own migrations create them. Better Auth's client_id and resource_id reference
// oauth_clients.client_id and oauth_resources.identifier, unique columns that are not the
// primary key; Ent's foreign keys reference the primary key only, so those columns are indexed
// but are not foreign keys here: an application deleting a client or a resource deletes its
// client resources, tokens and consents by client_id (or resource_id) in the same transaction.
package oauthprovider

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
)

// ID is the plugin id.
const ID = "oauth-provider"

// Plugin is the OAuth provider plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the OAuth provider plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: OAuthClient, OAuthResource, OAuthClientResource,
// OAuthRefreshToken, OAuthAccessToken, OAuthConsent and OAuthClientAssertion.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{
		{Name: "OAuthClient", Mixin: OAuthClient{}, Model: "oauthClient"},
		{Name: "OAuthResource", Mixin: OAuthResource{}, Model: "oauthResource"},
		{Name: "OAuthClientResource", Mixin: OAuthClientResource{}, Model: "oauthClientResource"},
		{Name: "OAuthRefreshToken", Mixin: OAuthRefreshToken{}, Model: "oauthRefreshToken"},
		{Name: "OAuthAccessToken", Mixin: OAuthAccessToken{}, Model: "oauthAccessToken"},
		{Name: "OAuthConsent", Mixin: OAuthConsent{}, Model: "oauthConsent"},
		{Name: "OAuthClientAssertion", Mixin: OAuthClientAssertion{}, Model: "oauthClientAssertion"},
	}
}

// Extensions implements kernia.Plugin: the client, token and consent edges on User and the
// token edges on Session.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{
		{Entity: "User", Mixin: UserFields{}},
		{Entity: "Session", Mixin: SessionFields{}},
	}
}

// optionalCreatedAt is the creation time of the tables where Better Auth makes it optional:
// set on insert by the client or the database, NULL only when a writer stores NULL.
func optionalCreatedAt() ent.Field {
	return field.Time("created_at").Optional().Nillable().Default(time.Now).Immutable().Annotations(core.DatabaseNow())
}

// optionalUpdatedAt is the update time of the tables where Better Auth makes it optional.
func optionalUpdatedAt() ent.Field {
	return field.Time("updated_at").Optional().Nillable().Default(time.Now).UpdateDefault(time.Now).Annotations(core.DatabaseNow())
}

// OAuthClient is a registered OAuth client (table oauth_clients).
type OAuthClient struct{ mixin.Schema }

// Type marks OAuthClient as the target of edges to the composed OAuthClient entity.
func (OAuthClient) Type() {}

// Fields of OAuthClient: RFC 7591 dynamic client registration metadata, plus Better Auth's
// own settings. client_secret (hashed or encrypted by Better Auth) is Sensitive; user_id is
// the user who registered the client, reference_id the organization or other owner it
// belongs to.
func (OAuthClient) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("client_id").Unique(),
		field.String("client_secret").Optional().Nillable().Sensitive(),
		field.String("client_discovery_id").Optional().Nillable(),
		field.Bool("disabled").Optional().Default(false),
		field.Bool("skip_consent").Optional().Nillable(),
		field.Bool("enable_end_session").Optional().Nillable(),
		field.String("subject_type").Optional().Nillable(),
		field.Strings("scopes").Optional(),
		field.Strings("client_credentials_scopes").Optional().Default([]string{}).Annotations(entsql.Default("[]")),
		field.String("user_id").Optional().Nillable(),
		optionalCreatedAt(),
		optionalUpdatedAt(),
		field.String("name").Optional().Nillable(),
		field.String("uri").Optional().Nillable(),
		field.String("icon").Optional().Nillable(),
		field.Strings("contacts").Optional(),
		field.String("tos").Optional().Nillable(),
		field.String("policy").Optional().Nillable(),
		field.String("software_id").Optional().Nillable(),
		field.String("software_version").Optional().Nillable(),
		field.String("software_statement").Optional().Nillable(),
		field.Strings("redirect_uris"),
		field.Strings("post_logout_redirect_uris").Optional(),
		field.String("backchannel_logout_uri").Optional().Nillable(),
		field.Bool("backchannel_logout_session_required").Optional().Nillable(),
		field.String("token_endpoint_auth_method").Optional().Nillable(),
		field.String("application_type").Optional().Nillable(),
		field.String("jwks").Optional().Nillable(),
		field.String("jwks_uri").Optional().Nillable(),
		field.Strings("grant_types").Optional(),
		field.Strings("response_types").Optional(),
		field.Bool("require_pkce").Optional().Nillable().Annotations(core.ModelField("requirePKCE")),
		field.Bool("dpop_bound_access_tokens").Optional().Default(false),
		field.String("reference_id").Optional().Nillable(),
		field.JSON("metadata", map[string]any{}).Optional(),
	}
}

// Edges of OAuthClient: the user who registered it.
func (OAuthClient) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("oauth_clients").Field("user_id").Unique(),
	}
}

// Indexes of OAuthClient: by user (a user's clients). client_id is unique, which indexes
// every token request's lookup.
func (OAuthClient) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}

// OAuthResource is a protected resource (an API audience) tokens are issued for (table
// oauth_resources).
type OAuthResource struct{ mixin.Schema }

// Type marks OAuthResource as the target of edges to the composed OAuthResource entity.
func (OAuthResource) Type() {}

// Fields of OAuthResource. identifier is the resource indicator (RFC 8707, the audience of
// its tokens); the TTLs and signing settings override the provider's for its tokens.
func (OAuthResource) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("identifier").Unique(),
		field.String("name"),
		field.Int("access_token_ttl").Optional().Nillable(),
		field.Int("refresh_token_ttl").Optional().Nillable(),
		field.String("signing_algorithm").Optional().Nillable(),
		field.String("signing_key_id").Optional().Nillable(),
		field.Strings("allowed_scopes").Optional(),
		field.JSON("custom_claims", map[string]any{}).Optional(),
		field.Bool("dpop_bound_access_tokens_required").Optional().Default(false),
		field.Bool("disabled").Optional().Default(false),
		optionalCreatedAt(),
		optionalUpdatedAt(),
		field.Int("policy_version").Optional().Default(1),
		field.JSON("metadata", map[string]any{}).Optional(),
	}
}

// OAuthClientResource allows a client to request tokens for a resource (table
// oauth_client_resources).
type OAuthClientResource struct{ mixin.Schema }

// Type marks OAuthClientResource as the target of edges to the composed OAuthClientResource
// entity.
func (OAuthClientResource) Type() {}

// Fields of OAuthClientResource. client_id is oauth_clients.client_id and resource_id is
// oauth_resources.identifier (not foreign keys: see the package documentation).
func (OAuthClientResource) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("client_id"),
		field.String("resource_id"),
		field.JSON("metadata", map[string]any{}).Optional(),
		optionalCreatedAt(),
	}
}

// Indexes of OAuthClientResource: one row per client and resource (which indexes the
// client's lookup too, as Better Auth's unique index does) and by resource.
func (OAuthClientResource) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "resource_id").Unique(),
		index.Fields("resource_id"),
	}
}

// OAuthRefreshToken is a refresh token issued to a client (table oauth_refresh_tokens).
type OAuthRefreshToken struct{ mixin.Schema }

// Type marks OAuthRefreshToken as the target of edges to the composed OAuthRefreshToken
// entity.
func (OAuthRefreshToken) Type() {}

// Fields of OAuthRefreshToken. token (stored hashed by Better Auth) and the replayed
// rotation response are Sensitive; revoked is the revocation time; confirmation holds the
// DPoP key binding (cnf).
func (OAuthRefreshToken) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("token").Unique().Sensitive(),
		field.String("client_id"),
		field.String("session_id").Optional().Nillable(),
		field.String("user_id"),
		field.String("reference_id").Optional().Nillable(),
		field.String("authorization_code_id").Optional().Nillable(),
		field.Strings("resources").Optional(),
		field.Strings("requested_user_info_claims").Optional(),
		field.Time("expires_at"),
		core.CreatedAt(),
		field.Time("revoked").Optional().Nillable(),
		field.Time("rotated_at").Optional().Nillable(),
		field.String("rotation_replay_response").Optional().Nillable().Sensitive(),
		field.Time("rotation_replay_expires_at").Optional().Nillable(),
		field.Time("auth_time").Optional().Nillable(),
		field.JSON("confirmation", map[string]any{}).Optional(),
		field.Strings("scopes"),
	}
}

// Edges of OAuthRefreshToken: the user it was issued for, the session it came from (kept,
// with session_id NULL, when the session ends) and the access tokens issued with it.
func (OAuthRefreshToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("oauth_refresh_tokens").Field("user_id").Unique().Required(),
		edge.From("session", core.Session.Type).Ref("oauth_refresh_tokens").Field("session_id").Unique(),
		edge.To("access_tokens", OAuthAccessToken.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of OAuthRefreshToken: by client, session and user (revocation of each) and by
// authorization code (a replayed code revokes its tokens). token is unique, which indexes
// the refresh grant's lookup.
func (OAuthRefreshToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id"),
		index.Fields("session_id"),
		index.Fields("user_id"),
		index.Fields("authorization_code_id"),
	}
}

// OAuthAccessToken is an opaque access token issued to a client (table
// oauth_access_tokens).
type OAuthAccessToken struct{ mixin.Schema }

// Type marks OAuthAccessToken as the target of edges to the composed OAuthAccessToken entity.
func (OAuthAccessToken) Type() {}

// Fields of OAuthAccessToken. token (stored hashed by Better Auth) is Sensitive; user_id is
// NULL for client-credentials tokens; refresh_id is the refresh token it was issued with.
func (OAuthAccessToken) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("token").Unique().Sensitive(),
		field.String("client_id"),
		field.String("session_id").Optional().Nillable(),
		field.String("user_id").Optional().Nillable(),
		field.String("reference_id").Optional().Nillable(),
		field.String("authorization_code_id").Optional().Nillable(),
		field.Strings("resources").Optional(),
		field.Strings("requested_user_info_claims").Optional(),
		field.String("refresh_id").Optional().Nillable(),
		field.Time("expires_at"),
		core.CreatedAt(),
		field.Time("revoked").Optional().Nillable(),
		field.JSON("confirmation", map[string]any{}).Optional(),
		field.Strings("scopes"),
	}
}

// Edges of OAuthAccessToken: the user, the session (kept, with session_id NULL, when the
// session ends) and the refresh token it was issued with.
func (OAuthAccessToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("oauth_access_tokens").Field("user_id").Unique(),
		edge.From("session", core.Session.Type).Ref("oauth_access_tokens").Field("session_id").Unique(),
		edge.From("refresh_token", OAuthRefreshToken.Type).Ref("access_tokens").Field("refresh_id").Unique(),
	}
}

// Indexes of OAuthAccessToken: by client, session, user, authorization code and refresh
// token (revocation of each). token is unique, which indexes introspection's lookup.
func (OAuthAccessToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id"),
		index.Fields("session_id"),
		index.Fields("user_id"),
		index.Fields("authorization_code_id"),
		index.Fields("refresh_id"),
	}
}

// OAuthConsent is the scopes a user granted a client (table oauth_consents).
type OAuthConsent struct{ mixin.Schema }

// Type marks OAuthConsent as the target of edges to the composed OAuthConsent entity.
func (OAuthConsent) Type() {}

// Fields of OAuthConsent.
func (OAuthConsent) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("client_id"),
		field.String("user_id").Optional().Nillable(),
		field.String("reference_id").Optional().Nillable(),
		field.Strings("resources").Optional(),
		field.Strings("requested_user_info_claims").Optional(),
		field.Strings("scopes"),
		core.CreatedAt(),
		core.UpdatedAt(),
	}
}

// Edges of OAuthConsent: the user who granted it.
func (OAuthConsent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("oauth_consents").Field("user_id").Unique(),
	}
}

// Indexes of OAuthConsent: by client and user (the authorize endpoint's lookup, which also
// serves the client's) and by user (a user's consents).
func (OAuthConsent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "user_id"),
		index.Fields("user_id"),
	}
}

// OAuthClientAssertion is a used private_key_jwt client assertion (table
// oauth_client_assertions): its id is Better Auth's digest of the assertion's jti, so a
// replay fails on the primary key.
type OAuthClientAssertion struct{ mixin.Schema }

// Type marks OAuthClientAssertion as the target of edges to the composed
// OAuthClientAssertion entity.
func (OAuthClientAssertion) Type() {}

// Fields of OAuthClientAssertion: expires_at is the assertion's exp, after which the row may
// be deleted.
func (OAuthClientAssertion) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.Time("expires_at"),
	}
}

// UserFields is what oauth-provider adds to User.
type UserFields struct{ mixin.Schema }

// Edges adds the user's clients, tokens and consents, deleted with the user.
func (UserFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("oauth_clients", OAuthClient.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("oauth_refresh_tokens", OAuthRefreshToken.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("oauth_access_tokens", OAuthAccessToken.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("oauth_consents", OAuthConsent.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// SessionFields is what oauth-provider adds to Session.
type SessionFields struct{ mixin.Schema }

// Edges adds the tokens issued in the session, which outlive it with session_id set to NULL.
func (SessionFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("oauth_refresh_tokens", OAuthRefreshToken.Type).Annotations(entsql.OnDelete(entsql.SetNull)),
		edge.To("oauth_access_tokens", OAuthAccessToken.Type).Annotations(entsql.OnDelete(entsql.SetNull)),
	}
}
