// Package phonenumber is the phone number plugin (id "phone-number"): sign-in and
// verification by phone number with one-time codes (kept in the core verifications table).
//
// Columns added to users: phone_number (unique) and phone_number_verified. It adds no table.
package phonenumber

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
)

// ID is the plugin id.
const ID = "phone-number"

// Plugin is the phone number plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the phone number plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Extensions implements kernia.Plugin: the phone number columns of User.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
}

// UserFields is what phone-number adds to User.
type UserFields struct{ mixin.Schema }

// Fields adds phone_number, unique (sign-in looks the user up by it; NULLs do not collide),
// and phone_number_verified, which has no default as in Better Auth (NULL until a code is
// sent).
func (UserFields) Fields() []ent.Field {
	return []ent.Field{
		field.String("phone_number").Optional().Nillable().Unique(),
		field.Bool("phone_number_verified").Optional().Nillable(),
	}
}
