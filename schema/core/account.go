package core

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// Account is the core account entity (table accounts): a credential or an OAuth/OIDC identity
// linked to a user.
type Account struct{ mixin.Schema }

// Type marks Account as the target of edges to the composed Account entity.
func (Account) Type() {}

// Fields of Account. Tokens and the password hash are Sensitive: Ent never prints them.
//
// issuer arrived in Better Auth 1.7.0 with a unique (issuer, account_id) index and left again
// in 1.7.3; Better Auth 1.7.25 never writes it and refuses a database where it is NOT NULL. It
// stays, nullable and without the index, so databases migrated while it was required keep
// their values and migrate without a drop (DROP NOT NULL, DROP INDEX).
func (Account) Fields() []ent.Field {
	return []ent.Field{
		ID(),
		field.String("issuer").Optional().Nillable(),
		field.String("account_id"),
		field.String("provider_id"),
		field.String("user_id"),
		field.String("access_token").Optional().Nillable().Sensitive(),
		field.String("refresh_token").Optional().Nillable().Sensitive(),
		field.String("id_token").Optional().Nillable().Sensitive(),
		field.Time("access_token_expires_at").Optional().Nillable(),
		field.Time("refresh_token_expires_at").Optional().Nillable(),
		field.String("scope").Optional().Nillable(),
		field.String("password").Optional().Nillable().Sensitive(),
		CreatedAt(),
		UpdatedAt(),
	}
}

// Edges of Account: the user it belongs to.
func (Account) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("accounts").Field("user_id").Unique().Required(),
	}
}

// Indexes of Account: accounts by user, and by provider and provider account id (sign-in).
func (Account) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id"),
		index.Fields("provider_id", "account_id"),
	}
}
