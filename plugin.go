package kernia

import "entgo.io/ent"

// Plugin extends the core data model. A plugin owns entities (tables) and may add fields,
// edges and indexes to entities owned by the core or by other plugins, through Ent mixins.
//
// Embed BasePlugin to implement only what a plugin contributes.
type Plugin interface {
	// ID is the plugin's kebab-case identifier, e.g. "two-factor".
	ID() string
	// Requires lists the ids of plugins that must be enabled too.
	Requires() []string
	// Entities returns the entities the plugin owns.
	Entities() []Entity
	// Extensions returns the mixins the plugin adds to entities it does not own.
	Extensions() []Extension
}

// Entity is an entity (a table) owned by the core or a plugin.
//
// Mixin must be a value of a named, exported struct type whose zero value is the mixin: the
// composed schema refers to it as pkg.Type{}.
type Entity struct {
	// Name is the Ent type name, singular CamelCase with upper-case initialisms (TwoFactor,
	// APIKey). Edges of other entities resolve to it by this name.
	Name string
	// Mixin holds the entity's fields, edges and indexes.
	Mixin ent.Mixin
	// Model is the entity's Better Auth model name, its table under Options.Naming
	// BetterAuthNames (apikey for APIKey, jwks for JSONWebKey). Default: the Name with its
	// leading upper-case letters lower-cased, but for the last one when a lower-case letter
	// follows it (TwoFactor: twoFactor, SSOProvider: ssoProvider, SCIMUser: scimUser).
	Model string
}

// Extension adds a mixin to an entity owned by the core or another plugin.
type Extension struct {
	// Entity is the Name of the extended entity, e.g. "User".
	Entity string
	// Mixin holds the added fields, edges and indexes; the same rules as Entity.Mixin apply.
	Mixin ent.Mixin
	// IfPresent applies the extension only when the entity exists, for additions to another
	// plugin's entity that the plugin does not require (stripe's customer id on
	// organizations). Without it, extending an absent entity is an error.
	IfPresent bool
}

// Core is the contributor name of the core entities in plans and reports.
const Core = "core"

// BasePlugin is the no-op base of a plugin: it requires nothing and contributes nothing.
// Embed it and override what the plugin contributes.
type BasePlugin struct{}

// Requires implements Plugin.
func (BasePlugin) Requires() []string { return nil }

// Entities implements Plugin.
func (BasePlugin) Entities() []Entity { return nil }

// Extensions implements Plugin.
func (BasePlugin) Extensions() []Extension { return nil }
