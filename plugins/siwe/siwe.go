// Package siwe is the Sign-In with Ethereum plugin (id "siwe", EIP-4361): users sign in by
// signing a message with an Ethereum wallet.
//
// Tables: wallet_addresses (user_id → users ON DELETE CASCADE, address, chain_id, is_primary
// default false, created_at; unique per address and chain, indexed by user). It adds no
// column to core tables.
//
// Sign-in looks the wallet up by address and chain id and expects one row (a wallet on a
// chain belongs to one user), and by address alone to link the same wallet on another chain
// to its user: the unique (address, chain_id) index serves both, and is stricter than Better
// Auth, which declares no index on them.
package siwe

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
const ID = "siwe"

// Plugin is the Sign-In with Ethereum plugin. Build it with New.
type Plugin struct{ kernia.BasePlugin }

var _ kernia.Plugin = Plugin{}

// New returns the Sign-In with Ethereum plugin.
func New() Plugin { return Plugin{} }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: the WalletAddress entity.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "WalletAddress", Mixin: WalletAddress{}}}
}

// Extensions implements kernia.Plugin: the wallet_addresses edge on User.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
}

// WalletAddress is a user's wallet address on one chain (table wallet_addresses).
type WalletAddress struct{ mixin.Schema }

// Type marks WalletAddress as the target of edges to the composed WalletAddress entity.
func (WalletAddress) Type() {}

// Fields of WalletAddress. chain_id is the EIP-155 chain id (1 for Ethereum mainnet);
// is_primary marks the wallet the user signed up with.
func (WalletAddress) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("user_id"),
		field.String("address"),
		field.Int("chain_id"),
		field.Bool("is_primary").Default(false),
		core.CreatedAt(),
	}
}

// Edges of WalletAddress: the user it belongs to.
func (WalletAddress) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("wallet_addresses").Field("user_id").Unique().Required(),
	}
}

// Indexes of WalletAddress: one row per address and chain (sign-in), and by user (list a
// user's wallets).
func (WalletAddress) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("address", "chain_id").Unique(),
		index.Fields("user_id"),
	}
}

// UserFields is what siwe adds to User.
type UserFields struct{ mixin.Schema }

// Edges adds the user's wallet addresses, deleted with the user.
func (UserFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("wallet_addresses", WalletAddress.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
