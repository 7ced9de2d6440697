// Package admin is the admin plugin (id "admin"): user management by administrators, with
// roles, bans and impersonation.
//
// Columns added to users: role, banned (default false), ban_reason, ban_expires. Columns
// added to sessions: impersonated_by (the id of the impersonating admin; not a foreign key,
// as in Better Auth). It adds no table.
package admin

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
)

// ID is the plugin id.
const ID = "admin"

// Plugin is the admin plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the admin plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Extensions implements kernia.Plugin: the role and ban columns of User and
// impersonated_by on Session.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{
		{Entity: "User", Mixin: UserFields{}},
		{Entity: "Session", Mixin: SessionFields{}},
	}
}

// UserFields is what admin adds to User.
type UserFields struct{ mixin.Schema }

// Fields adds role, banned, ban_reason and ban_expires. role has no column default: as in
// Better Auth, the default role ("user") is configuration applied when a user is created, and
// a NULL role means that default. role may hold several comma-separated roles.
func (UserFields) Fields() []ent.Field {
	return []ent.Field{
		field.String("role").Optional().Nillable(),
		field.Bool("banned").Optional().Default(false),
		field.String("ban_reason").Optional().Nillable(),
		field.Time("ban_expires").Optional().Nillable(),
	}
}

// SessionFields is what admin adds to Session.
type SessionFields struct{ mixin.Schema }

// Fields adds impersonated_by.
func (SessionFields) Fields() []ent.Field {
	return []ent.Field{field.String("impersonated_by").Optional().Nillable()}
}
