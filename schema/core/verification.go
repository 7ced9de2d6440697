package core

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// Verification is the core verification entity (table verifications): a short-lived value
// (email verification, password reset, OTP) looked up by its identifier.
type Verification struct{ mixin.Schema }

// Type marks Verification as the target of edges to the composed Verification entity.
func (Verification) Type() {}

// Fields of Verification.
func (Verification) Fields() []ent.Field {
	return []ent.Field{
		ID(),
		field.String("identifier"),
		field.String("value").Sensitive(),
		field.Time("expires_at"),
		CreatedAt(),
		UpdatedAt(),
	}
}

// Indexes of Verification: lookup by identifier.
func (Verification) Indexes() []ent.Index {
	return []ent.Index{index.Fields("identifier")}
}
