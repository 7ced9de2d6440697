// Package jwt is the JWT plugin (id "jwt"): it issues JSON Web Tokens for sessions and
// publishes the verifying keys as a JWKS.
//
// Tables: json_web_keys (public_key, private_key, created_at, expires_at, alg, crv; indexed by
// created_at, the lookup of the newest key). It adds no column to core tables.
//
// Better Auth calls the table jwks. Kernia derives table names from entity names, and Ent
// derives "jw_ks" from JWK and "jwk_ss" from JWKS, so the entity is JSONWebKey. alg and crv
// (1.7.0) are present: they record each key's algorithm, so a key ring can hold keys of
// several algorithms; they are optional, so keys created before 1.7 stay valid.
package jwt

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
)

// ID is the plugin id.
const ID = "jwt"

// Plugin is the JWT plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the JWT plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: the JSONWebKey entity.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "JSONWebKey", Mixin: JSONWebKey{}, Model: "jwks"}}
}

// JSONWebKey is a signing key pair (table json_web_keys).
type JSONWebKey struct{ mixin.Schema }

// Type marks JSONWebKey as the target of edges to the composed JSONWebKey entity.
func (JSONWebKey) Type() {}

// Fields of JSONWebKey. Both keys are JWK JSON; the private key is encrypted by default in
// Better Auth and Sensitive here.
func (JSONWebKey) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("public_key"),
		field.String("private_key").Sensitive(),
		core.CreatedAt(),
		field.Time("expires_at").Optional().Nillable(),
		field.String("alg").Optional().Nillable(),
		field.String("crv").Optional().Nillable(),
	}
}

// Indexes of JSONWebKey: by creation time (the newest key signs).
func (JSONWebKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("created_at")}
}
