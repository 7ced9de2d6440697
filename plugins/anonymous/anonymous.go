// Package anonymous is the anonymous sign-in plugin (id "anonymous"): a user without
// credentials, linked to a real account later.
//
// Columns added to users: is_anonymous (default false). It adds no table.
package anonymous

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
)

// ID is the plugin id.
const ID = "anonymous"

// Plugin is the anonymous plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the anonymous plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Extensions implements kernia.Plugin: is_anonymous on User.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
}

// UserFields is what anonymous adds to User.
type UserFields struct{ mixin.Schema }

// Fields adds is_anonymous.
func (UserFields) Fields() []ent.Field {
	return []ent.Field{field.Bool("is_anonymous").Optional().Default(false)}
}
