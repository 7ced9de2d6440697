// Package deviceauthorization is the device authorization plugin (id
// "device-authorization"): the OAuth 2.0 device authorization grant (RFC 8628), where a device
// without a browser shows a user code that the user approves on another device.
//
// Tables: device_codes (device_code unique, user_code unique, user_id, expires_at, status,
// last_polled_at, polling_interval, client_id, scope). It adds no column to core tables.
//
// user_id is not a foreign key, as in Better Auth: it is empty until the user approves the
// code, and a code expires within minutes. device_code and user_code are unique, as in Better
// Auth, which indexes the two lookups: the device polls by device code, the user enters the
// user code.
package deviceauthorization

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
)

// ID is the plugin id.
const ID = "device-authorization"

// Plugin is the device authorization plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the device authorization plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: the DeviceCode entity.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "DeviceCode", Mixin: DeviceCode{}}}
}

// DeviceCode is a pending, approved or denied device authorization (table device_codes).
type DeviceCode struct{ mixin.Schema }

// Type marks DeviceCode as the target of edges to the composed DeviceCode entity.
func (DeviceCode) Type() {}

// Fields of DeviceCode. device_code is the secret the device polls with and is Sensitive;
// status is "pending", "approved" or "denied"; polling_interval is in milliseconds, as in
// Better Auth; last_polled_at enforces it (slow_down).
func (DeviceCode) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("device_code").Unique().Sensitive().Annotations(core.ModelIndex{}),
		field.String("user_code").Unique().Annotations(core.ModelIndex{}),
		field.String("user_id").Optional().Nillable(),
		field.Time("expires_at"),
		field.String("status"),
		field.Time("last_polled_at").Optional().Nillable(),
		field.Int("polling_interval").Optional().Nillable(),
		field.String("client_id").Optional().Nillable(),
		field.String("scope").Optional().Nillable(),
	}
}
