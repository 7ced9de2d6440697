// Package stripe is the Stripe plugin (id "stripe"): Stripe customers for users (and
// organizations) and, optionally, their subscriptions.
//
// Columns added to users: stripe_customer_id (indexed: webhooks look the user up by it).
// Columns added to organizations, when the organization plugin is enabled: stripe_customer_id
// (indexed). Tables, with WithSubscriptions: subscriptions (plan, reference_id,
// stripe_customer_id, stripe_subscription_id, status default "incomplete", period_start,
// period_end, trial_start, trial_end, cancel_at_period_end, cancel_at, canceled_at, ended_at,
// seats, billing_interval, stripe_schedule_id; indexed by reference_id, stripe_customer_id and
// stripe_subscription_id).
//
// The organization column arrived in Better Auth 1.5.0 with organization billing; Kernia adds it
// whenever organizations exist, so that enabling organization billing later needs no
// migration. cancel_at, canceled_at, ended_at, billing_interval and stripe_schedule_id (1.5.0)
// are present. subscriptions.reference_id names a user or an organization, so it is not a
// foreign key (as in Better Auth): an application deleting one deletes its subscriptions by
// reference_id.
package stripe

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
)

// ID is the plugin id.
const ID = "stripe"

// Plugin is the Stripe plugin. Build it with New.
type Plugin struct {
	kernia.BasePlugin
	subscriptions bool
}

var _ kernia.Plugin = Plugin{}

// Option configures the Stripe plugin.
type Option func(*Plugin)

// WithSubscriptions enables subscriptions (Better Auth's subscription.enabled): the
// Subscription entity.
func WithSubscriptions() Option { return func(p *Plugin) { p.subscriptions = true } }

// New returns the Stripe plugin with the given options.
func New(opts ...Option) Plugin {
	var p Plugin
	for _, o := range opts {
		o(&p)
	}
	return p
}

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin: Subscription, with subscriptions.
func (p Plugin) Entities() []kernia.Entity {
	if !p.subscriptions {
		return nil
	}
	return []kernia.Entity{{Name: "Subscription", Mixin: Subscription{}}}
}

// Extensions implements kernia.Plugin: stripe_customer_id on User, and on Organization when
// the organization plugin is enabled.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{
		{Entity: "User", Mixin: CustomerFields{}},
		{Entity: "Organization", Mixin: CustomerFields{}, IfPresent: true},
	}
}

// CustomerFields is what Stripe adds to User and Organization.
type CustomerFields struct{ mixin.Schema }

// Fields adds stripe_customer_id.
func (CustomerFields) Fields() []ent.Field {
	return []ent.Field{field.String("stripe_customer_id").Optional().Nillable()}
}

// Indexes adds the lookup by Stripe customer id.
func (CustomerFields) Indexes() []ent.Index {
	return []ent.Index{index.Fields("stripe_customer_id")}
}

// Subscription is a Stripe subscription of a user or an organization (table subscriptions).
type Subscription struct{ mixin.Schema }

// Type marks Subscription as the target of edges to the composed Subscription entity.
func (Subscription) Type() {}

// Fields of Subscription.
func (Subscription) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("plan"),
		field.String("reference_id"),
		field.String("stripe_customer_id").Optional().Nillable(),
		field.String("stripe_subscription_id").Optional().Nillable(),
		field.String("status").Default("incomplete"),
		field.Time("period_start").Optional().Nillable(),
		field.Time("period_end").Optional().Nillable(),
		field.Time("trial_start").Optional().Nillable(),
		field.Time("trial_end").Optional().Nillable(),
		field.Bool("cancel_at_period_end").Optional().Default(false),
		field.Time("cancel_at").Optional().Nillable(),
		field.Time("canceled_at").Optional().Nillable(),
		field.Time("ended_at").Optional().Nillable(),
		field.Int("seats").Optional().Nillable(),
		field.String("billing_interval").Optional().Nillable(),
		field.String("stripe_schedule_id").Optional().Nillable(),
	}
}

// Indexes of Subscription: by reference (the subscriptions of a user or organization), and by
// Stripe customer and subscription id (webhooks).
func (Subscription) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("reference_id"),
		index.Fields("stripe_customer_id"),
		index.Fields("stripe_subscription_id"),
	}
}
