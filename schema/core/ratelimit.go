package core

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// RateLimit is the optional core rate-limit entity (table rate_limits), present when
// Options.DatabaseRateLimit is set: one counter per client and rule, Better Auth's rateLimit
// with storage "database".
type RateLimit struct{ mixin.Schema }

// Type marks RateLimit as the target of edges to the composed RateLimit entity.
func (RateLimit) Type() {}

// Fields of RateLimit. key names the client and the rule (an IP address and a path, by
// default) and is unique: every rate-limited request looks its counter up by it. count is the
// number of requests in the current window; last_request is the time of the last one in
// Unix milliseconds (a bigint, as in Better Auth), set by the client on insert.
func (RateLimit) Fields() []ent.Field {
	return []ent.Field{
		ID(),
		field.String("key").Unique(),
		field.Int("count"),
		field.Int64("last_request").DefaultFunc(nowMillis),
	}
}

// nowMillis returns the current time in Unix milliseconds, Better Auth's Date.now().
func nowMillis() int64 { return time.Now().UnixMilli() }
