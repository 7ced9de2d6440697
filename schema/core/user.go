package core

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// User is the core user entity (table users).
type User struct{ mixin.Schema }

// Type marks User as the target of edges to the composed User entity.
func (User) Type() {}

// Fields of User: name, email (unique), email_verified, image and timestamps.
func (User) Fields() []ent.Field {
	return []ent.Field{
		ID(),
		field.String("name"),
		field.String("email").Unique(),
		field.Bool("email_verified").Default(false),
		field.String("image").Optional().Nillable(),
		CreatedAt(),
		UpdatedAt(),
	}
}

// Edges of User: its sessions and accounts, deleted with the user.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sessions", Session.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("accounts", Account.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
