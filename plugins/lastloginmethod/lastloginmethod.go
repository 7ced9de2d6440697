// Package lastloginmethod is the last login method plugin (id "last-login-method"): it
// remembers how each user last signed in ("email", "google", "passkey"…), so a sign-in page
// can suggest it.
//
// Columns added to users: last_login_method. It adds no table.
//
// Better Auth keeps the method in a cookie and adds the column only with storeInDatabase;
// the plugin's only schema is that column, so enabling it here is storeInDatabase: true.
package lastloginmethod

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
)

// ID is the plugin id.
const ID = "last-login-method"

// Plugin is the last login method plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the last login method plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Extensions implements kernia.Plugin: last_login_method on User.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
}

// UserFields is what last-login-method adds to User.
type UserFields struct{ mixin.Schema }

// Fields adds last_login_method, NULL until the user first signs in with the plugin enabled.
func (UserFields) Fields() []ent.Field {
	return []ent.Field{field.String("last_login_method").Optional().Nillable()}
}
