// Package sso is the single sign-on plugin (id "sso"): OIDC and SAML identity providers that
// users of a domain or an organization sign in through.
//
// Tables: sso_providers (issuer, oidc_config, saml_config, user_id → users ON DELETE CASCADE,
// provider_id unique, organization_id, domain; indexed by domain, by organization and by user),
// plus domain_verified with WithDomainVerification. It adds no column to core tables.
//
// organization_id is not a foreign key, as in Better Auth: the plugin works without the
// organization plugin. A provider is deleted with the user who registered it (user_id).
package sso

import (
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
const ID = "sso"

// Plugin is the SSO plugin. Build it with New.
type Plugin struct {
	kernia.BasePlugin
	domainVerification bool
}

var _ kernia.Plugin = Plugin{}

// Option configures the SSO plugin.
type Option func(*Plugin)

// WithDomainVerification records whether a provider's domain was verified (Better Auth's
// domainVerification.enabled): the domain_verified column.
func WithDomainVerification() Option { return func(p *Plugin) { p.domainVerification = true } }

// New returns the SSO plugin with the given options.
func New(opts ...Option) Plugin {
	var p Plugin
	for _, o := range opts {
		o(&p)
	}
	return p
}

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: the SSOProvider entity.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "SSOProvider", Mixin: SSOProvider{}}}
}

// Extensions implements kernia.Plugin: the sso_providers edge on User, and domain_verified
// with domain verification.
func (p Plugin) Extensions() []kernia.Extension {
	xs := []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
	if p.domainVerification {
		xs = append(xs, kernia.Extension{Entity: "SSOProvider", Mixin: DomainVerificationFields{}})
	}
	return xs
}

// SSOProvider is an OIDC or SAML identity provider (table sso_providers).
type SSOProvider struct{ mixin.Schema }

// Type marks SSOProvider as the target of edges to the composed SSOProvider entity.
func (SSOProvider) Type() {}

// Fields of SSOProvider. oidc_config and saml_config are JSON stored as strings; they hold
// client secrets and are Sensitive.
func (SSOProvider) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("issuer"),
		field.String("oidc_config").Optional().Nillable().Sensitive(),
		field.String("saml_config").Optional().Nillable().Sensitive(),
		field.String("user_id"),
		field.String("provider_id").Unique(),
		field.String("organization_id").Optional().Nillable(),
		field.String("domain"),
	}
}

// Edges of SSOProvider: the user who registered it.
func (SSOProvider) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("sso_providers").Field("user_id").Unique().Required(),
	}
}

// Indexes of SSOProvider: by domain (sign-in by email domain), by organization and by user.
// provider_id is unique, which indexes the callback lookup.
func (SSOProvider) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("domain"),
		index.Fields("organization_id"),
		index.Fields("user_id"),
	}
}

// DomainVerificationFields is what domain verification adds to SSOProvider.
type DomainVerificationFields struct{ mixin.Schema }

// Fields adds domain_verified.
func (DomainVerificationFields) Fields() []ent.Field {
	return []ent.Field{field.Bool("domain_verified").Optional().Nillable()}
}

// UserFields is what SSO adds to User.
type UserFields struct{ mixin.Schema }

// Edges adds the providers a user registered, deleted with the user.
func (UserFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sso_providers", SSOProvider.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
