package core

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// Session is the core session entity (table sessions): a signed-in user agent.
type Session struct{ mixin.Schema }

// Type marks Session as the target of edges to the composed Session entity.
func (Session) Type() {}

// Fields of Session. The token is unique: every request looks its session up by it.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		ID(),
		field.Time("expires_at"),
		field.String("token").Unique().Sensitive(),
		CreatedAt(),
		UpdatedAt(),
		field.String("ip_address").Optional().Nillable(),
		field.String("user_agent").Optional().Nillable(),
		field.String("user_id"),
	}
}

// Edges of Session: the user it belongs to.
func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required(),
	}
}

// Indexes of Session: sessions by user (list and revoke a user's sessions).
func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}
