// Package twofactor is the two-factor plugin (id "two-factor"): TOTP secrets and backup codes
// that a user must present after the first factor.
//
// Tables: two_factors (secret, backup_codes, user_id → users ON DELETE CASCADE, verified,
// failed_verification_count, locked_until; indexed by secret and by user).
// Columns added to users: two_factor_enabled.
package twofactor

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
const ID = "two-factor"

// Plugin is the two-factor plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the two-factor plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: the TwoFactor entity.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "TwoFactor", Mixin: TwoFactor{}}}
}

// Extensions implements kernia.Plugin: two_factor_enabled and the two_factors edge on User.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
}

// TwoFactor is a user's second factor (table two_factors).
type TwoFactor struct{ mixin.Schema }

// Type marks TwoFactor as the target of edges to the composed TwoFactor entity.
func (TwoFactor) Type() {}

// Fields of TwoFactor. verified, failed_verification_count and locked_until arrived in Better
// Auth 1.7.0; verified defaults to true so rows written before it count as verified.
func (TwoFactor) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("secret").Sensitive(),
		field.String("backup_codes").Sensitive(),
		field.String("user_id"),
		field.Bool("verified").Optional().Default(true),
		field.Int("failed_verification_count").Optional().Default(0),
		field.Time("locked_until").Optional().Nillable(),
	}
}

// Edges of TwoFactor: the user it belongs to.
func (TwoFactor) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("two_factors").Field("user_id").Unique().Required(),
	}
}

// Indexes of TwoFactor: by secret (verification) and by user.
func (TwoFactor) Indexes() []ent.Index {
	return []ent.Index{index.Fields("secret"), index.Fields("user_id")}
}

// UserFields is what two-factor adds to User.
type UserFields struct{ mixin.Schema }

// Fields adds two_factor_enabled.
func (UserFields) Fields() []ent.Field {
	return []ent.Field{field.Bool("two_factor_enabled").Optional().Default(false)}
}

// Edges adds the user's two-factor rows, deleted with the user.
func (UserFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("two_factors", TwoFactor.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
