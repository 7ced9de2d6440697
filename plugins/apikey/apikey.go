// Package apikey is the API key plugin (id "api-key"): long-lived keys that authenticate
// requests in place of a session, each with its own rate limit, quota and permissions.
//
// Tables: api_keys (config_id default "default", name, start, reference_id, prefix, key,
// refill_interval, refill_amount, last_refill_at, enabled, rate_limit_enabled,
// rate_limit_time_window, rate_limit_max, request_count, remaining, last_request, expires_at,
// created_at, updated_at, permissions, metadata; indexed by key, by reference_id and by
// config_id). It adds no column to core tables.
//
// Kernia follows Better Auth 1.5+, where a key belongs to a reference (a user or an
// organization, per configuration) through reference_id, rather than 1.4's user_id foreign
// key: the same table then serves user and organization keys, and rows move unchanged
// between Better Auth 1.7 and Kernia databases. Because reference_id may name either, it is
// not a foreign key: an application deleting a user or an organization deletes its keys by
// reference_id (Better Auth does the same).
package apikey

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
)

// ID is the plugin id.
const ID = "api-key"

// Plugin is the API key plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the API key plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: the APIKey entity.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "APIKey", Mixin: APIKey{}, Model: "apikey"}}
}

// APIKey is an API key (table api_keys).
type APIKey struct{ mixin.Schema }

// Type marks APIKey as the target of edges to the composed APIKey entity.
func (APIKey) Type() {}

// Fields of APIKey. key holds the hashed key and is Sensitive; start is the first characters
// of the plain key, kept for display. Durations (refill_interval, rate_limit_time_window) are
// milliseconds, as in Better Auth. permissions and metadata are JSON stored as strings.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("config_id").Default("default"),
		field.String("name").Optional().Nillable(),
		field.String("start").Optional().Nillable(),
		field.String("reference_id"),
		field.String("prefix").Optional().Nillable(),
		field.String("key").Sensitive(),
		field.Int("refill_interval").Optional().Nillable(),
		field.Int("refill_amount").Optional().Nillable(),
		field.Time("last_refill_at").Optional().Nillable(),
		field.Bool("enabled").Optional().Default(true),
		field.Bool("rate_limit_enabled").Optional().Default(true),
		field.Int64("rate_limit_time_window").Optional().Default(86400000),
		field.Int("rate_limit_max").Optional().Default(10),
		field.Int("request_count").Optional().Default(0),
		field.Int("remaining").Optional().Nillable(),
		field.Time("last_request").Optional().Nillable(),
		field.Time("expires_at").Optional().Nillable(),
		core.CreatedAt(),
		core.UpdatedAt(),
		field.String("permissions").Optional().Nillable(),
		field.String("metadata").Optional().Nillable(),
	}
}

// Indexes of APIKey: by hashed key (every authenticated request), by reference (list and
// delete the keys of a user or organization) and by configuration.
func (APIKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("key"),
		index.Fields("reference_id"),
		index.Fields("config_id"),
	}
}
