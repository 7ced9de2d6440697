// Package passkey is the passkey plugin (id "passkey"): WebAuthn credentials a user signs in
// with instead of a password.
//
// Tables: passkeys (name, public_key, user_id → users ON DELETE CASCADE, credential_id unique,
// counter, device_type, backed_up, transports, created_at, aaguid; indexed by user). It adds no
// column to core tables.
package passkey

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
const ID = "passkey"

// Plugin is the passkey plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the passkey plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: the Passkey entity.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "Passkey", Mixin: Passkey{}}}
}

// Extensions implements kernia.Plugin: the passkeys edge on User.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
}

// Passkey is a user's WebAuthn credential (table passkeys).
type Passkey struct{ mixin.Schema }

// Type marks Passkey as the target of edges to the composed Passkey entity.
func (Passkey) Type() {}

// Fields of Passkey. credential_id is Better Auth's credentialID; counter is the signature
// counter that detects cloned authenticators; transports is a comma-separated list.
func (Passkey) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("name").Optional().Nillable(),
		field.String("public_key"),
		field.String("user_id"),
		field.String("credential_id").Unique().Annotations(core.ModelField("credentialID")),
		field.Int64("counter"),
		field.String("device_type"),
		field.Bool("backed_up"),
		field.String("transports").Optional().Nillable(),
		field.Time("created_at").Optional().Nillable().Default(time.Now).Immutable().Annotations(core.DatabaseNow()),
		field.String("aaguid").Optional().Nillable(),
	}
}

// Edges of Passkey: the user it belongs to.
func (Passkey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("passkeys").Field("user_id").Unique().Required(),
	}
}

// Indexes of Passkey: by user (list a user's passkeys). credential_id is unique, which also
// indexes the sign-in lookup: Better Auth only indexes it, but a WebAuthn credential id
// identifies exactly one credential, and sign-in expects one row.
func (Passkey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}

// UserFields is what passkey adds to User.
type UserFields struct{ mixin.Schema }

// Edges adds the user's passkeys, deleted with the user.
func (UserFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("passkeys", Passkey.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
