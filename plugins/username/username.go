// Package username is the username plugin (id "username"): sign-in with a username and a
// password.
//
// Columns added to users: username (unique; stored normalized, lower-case by default) and,
// unless WithoutDisplayUsername, display_username (the username as the user typed it). It adds
// no table.
package username

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
)

// ID is the plugin id.
const ID = "username"

// Plugin is the username plugin. Build it with New.
type Plugin struct {
	kernia.BasePlugin
	noDisplayUsername bool
}

var _ kernia.Plugin = Plugin{}

// Option configures the username plugin.
type Option func(*Plugin)

// WithoutDisplayUsername omits users.display_username (Better Auth's displayUsername: false).
func WithoutDisplayUsername() Option { return func(p *Plugin) { p.noDisplayUsername = true } }

// New returns the username plugin with the given options.
func New(opts ...Option) Plugin {
	var p Plugin
	for _, o := range opts {
		o(&p)
	}
	return p
}

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Extensions implements kernia.Plugin: the username columns of User.
func (p Plugin) Extensions() []kernia.Extension {
	xs := []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
	if !p.noDisplayUsername {
		xs = append(xs, kernia.Extension{Entity: "User", Mixin: DisplayUsernameFields{}})
	}
	return xs
}

// UserFields is what username adds to User.
type UserFields struct{ mixin.Schema }

// Fields adds username, unique: sign-in looks the user up by it (NULLs do not collide).
func (UserFields) Fields() []ent.Field {
	return []ent.Field{field.String("username").Optional().Nillable().Unique()}
}

// DisplayUsernameFields is what the display username adds to User.
type DisplayUsernameFields struct{ mixin.Schema }

// Fields adds display_username.
func (DisplayUsernameFields) Fields() []ent.Field {
	return []ent.Field{field.String("display_username").Optional().Nillable()}
}
