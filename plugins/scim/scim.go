// Package scim is the SCIM plugin (id "scim"): SCIM 2.0 provisioning, through which an
// identity provider creates, updates, deactivates and groups the users of a connection.
//
// Kernia mirrors the SCIM schema of Better Auth 1.7, not the single scim_providers table
// (provider_id, scim_token, organization_id) of 1.4–1.6: 1.7 rewrote provisioning around
// connections, per-connection user and group projections and decommissioning, and a 1.7
// deployment keeps its data in these tables. The lookup keys (*_key columns) are unique
// normalized values that make concurrent provisioning requests idempotent.
//
// Tables:
//   - scim_connection_bindings (connection_id, connection_key unique, provisioning_domain_id,
//     created_at, decommissioned_at, decommission_status default "active",
//     decommission_cursor_user_id, decommission_reconciled_user_count,
//     decommission_batch_count, decommission_revision, decommission_completed_at,
//     decommission_lease_id, decommission_lease_expires_at; indexed by connection).
//   - scim_identity_tombstones (connection_id, provisioning_domain_id, external_id,
//     external_id_key unique, user_id → users ON DELETE CASCADE, profile, deleted_at).
//   - scim_subjects (user_id unique → users ON DELETE CASCADE, profile_source_id, revision,
//     created_at, updated_at).
//   - scim_users (connection_id, provisioning_domain_id, user_id → users ON DELETE CASCADE,
//     connection_user_key unique, user_name, user_name_key unique, primary_email,
//     work_email_value_index, email_value_index, display_name, formatted_name, given_name,
//     family_name, serialized_emails, serialized_attributes, external_id, external_id_key
//     unique, active, order_key unique, created_at, updated_at).
//   - scim_projection_grants (connection_id, provisioning_domain_id, scim_user_id → scim_users
//     ON DELETE CASCADE, user_id → users ON DELETE CASCADE, source_kind, source_id,
//     source_value, role, grant_key unique, created_at, updated_at).
//   - scim_groups (connection_id, provisioning_domain_id, revision, display_name,
//     display_name_key unique, external_id, external_id_key unique, order_key unique,
//     created_at, updated_at).
//   - scim_group_members (connection_id, group_id → scim_groups ON DELETE CASCADE,
//     scim_user_id → scim_users ON DELETE CASCADE, membership_key unique, created_at).
//   - With WithManagedConnections: scim_managed_connections (creation_request_id unique,
//     connection_id unique, provisioning_domain_id, status, revision, created_at, created_by,
//     decommission_started_at, decommission_started_by, decommissioned_at, decommissioned_by),
//     scim_managed_credentials (connection_record_id → scim_managed_connections ON DELETE
//     CASCADE, credential_id unique, token_digest, hash_version, active_slot_key unique, status,
//     serialized_scopes, expires_at, created_at, created_by, last_used_at, revoked_at,
//     revoked_by, decommissioned_at) and scim_managed_connection_events (connection_record_id →
//     scim_managed_connections ON DELETE CASCADE, event_key unique, sequence, type, actor_id,
//     credential_id, created_at).
//
// Every column Better Auth indexes is indexed (connection_id, provisioning_domain_id,
// profile_source_id and the foreign keys). It adds no column to core tables.
package scim

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
const ID = "scim"

// Plugin is the SCIM plugin. Build it with New.
type Plugin struct {
	kernia.BasePlugin
	managedConnections bool
}

var _ kernia.Plugin = Plugin{}

// Option configures the SCIM plugin.
type Option func(*Plugin)

// WithManagedConnections enables connections managed through the API, with their credentials
// and audit events (Better Auth's managedConnections).
func WithManagedConnections() Option { return func(p *Plugin) { p.managedConnections = true } }

// New returns the SCIM plugin with the given options.
func New(opts ...Option) Plugin {
	var p Plugin
	for _, o := range opts {
		o(&p)
	}
	return p
}

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Entities implements kernia.Plugin.
func (p Plugin) Entities() []kernia.Entity {
	es := []kernia.Entity{
		{Name: "SCIMConnectionBinding", Mixin: SCIMConnectionBinding{}},
		{Name: "SCIMIdentityTombstone", Mixin: SCIMIdentityTombstone{}},
		{Name: "SCIMSubject", Mixin: SCIMSubject{}},
		{Name: "SCIMUser", Mixin: SCIMUser{}},
		{Name: "SCIMProjectionGrant", Mixin: SCIMProjectionGrant{}},
		{Name: "SCIMGroup", Mixin: SCIMGroup{}},
		{Name: "SCIMGroupMember", Mixin: SCIMGroupMember{}},
	}
	if p.managedConnections {
		es = append(es,
			kernia.Entity{Name: "SCIMManagedConnection", Mixin: SCIMManagedConnection{}},
			kernia.Entity{Name: "SCIMManagedCredential", Mixin: SCIMManagedCredential{}},
			kernia.Entity{Name: "SCIMManagedConnectionEvent", Mixin: SCIMManagedConnectionEvent{}},
		)
	}
	return es
}

// Extensions implements kernia.Plugin: the edges of User to its SCIM rows.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
}

// SCIMConnectionBinding binds a SCIM connection to a provisioning domain and tracks its
// decommissioning (table scim_connection_bindings).
type SCIMConnectionBinding struct{ mixin.Schema }

// Type marks SCIMConnectionBinding as the target of edges.
func (SCIMConnectionBinding) Type() {}

// Fields of SCIMConnectionBinding.
func (SCIMConnectionBinding) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("connection_id"),
		field.String("connection_key").Unique(),
		field.String("provisioning_domain_id"),
		core.CreatedAt(),
		field.Time("decommissioned_at").Optional().Nillable(),
		field.String("decommission_status").Default("active"),
		field.String("decommission_cursor_user_id").Optional().Nillable(),
		field.Int("decommission_reconciled_user_count").Default(0),
		field.Int("decommission_batch_count").Default(0),
		field.Int("decommission_revision").Default(0),
		field.Time("decommission_completed_at").Optional().Nillable(),
		field.String("decommission_lease_id").Optional().Nillable(),
		field.Time("decommission_lease_expires_at").Optional().Nillable(),
	}
}

// Indexes of SCIMConnectionBinding: by connection.
func (SCIMConnectionBinding) Indexes() []ent.Index {
	return []ent.Index{index.Fields("connection_id")}
}

// SCIMIdentityTombstone remembers a deprovisioned identity so that it is not re-linked by
// mistake (table scim_identity_tombstones).
type SCIMIdentityTombstone struct{ mixin.Schema }

// Type marks SCIMIdentityTombstone as the target of edges.
func (SCIMIdentityTombstone) Type() {}

// Fields of SCIMIdentityTombstone. profile is the last SCIM profile, serialized.
func (SCIMIdentityTombstone) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("connection_id"),
		field.String("provisioning_domain_id"),
		field.String("external_id"),
		field.String("external_id_key").Unique(),
		field.String("user_id"),
		field.String("profile"),
		field.Time("deleted_at"),
	}
}

// Edges of SCIMIdentityTombstone: the user.
func (SCIMIdentityTombstone) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("scim_identity_tombstones").Field("user_id").Unique().Required(),
	}
}

// Indexes of SCIMIdentityTombstone.
func (SCIMIdentityTombstone) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("connection_id"),
		index.Fields("provisioning_domain_id"),
		index.Fields("user_id"),
	}
}

// SCIMSubject is the SCIM state of a user across connections (table scim_subjects): one per
// user.
type SCIMSubject struct{ mixin.Schema }

// Type marks SCIMSubject as the target of edges.
func (SCIMSubject) Type() {}

// Fields of SCIMSubject. user_id is unique.
func (SCIMSubject) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("user_id").Unique(),
		field.String("profile_source_id").Optional().Nillable(),
		field.Int("revision"),
		core.CreatedAt(),
		core.UpdatedAt(),
	}
}

// Edges of SCIMSubject: the user.
func (SCIMSubject) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("scim_subject").Field("user_id").Unique().Required(),
	}
}

// Indexes of SCIMSubject: by profile source.
func (SCIMSubject) Indexes() []ent.Index {
	return []ent.Index{index.Fields("profile_source_id")}
}

// SCIMUser is a user as provisioned by one connection (table scim_users).
type SCIMUser struct{ mixin.Schema }

// Type marks SCIMUser as the target of edges.
func (SCIMUser) Type() {}

// Fields of SCIMUser. serialized_emails and serialized_attributes are JSON stored as strings.
func (SCIMUser) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("connection_id"),
		field.String("provisioning_domain_id"),
		field.String("user_id"),
		field.String("connection_user_key").Unique(),
		field.String("user_name"),
		field.String("user_name_key").Unique(),
		field.String("primary_email"),
		field.String("work_email_value_index"),
		field.String("email_value_index"),
		field.String("display_name"),
		field.String("formatted_name"),
		field.String("given_name").Optional().Nillable(),
		field.String("family_name").Optional().Nillable(),
		field.String("serialized_emails"),
		field.String("serialized_attributes").Optional().Nillable(),
		field.String("external_id").Optional().Nillable(),
		field.String("external_id_key").Optional().Nillable().Unique(),
		field.Bool("active"),
		field.String("order_key").Unique(),
		core.CreatedAt(),
		core.UpdatedAt(),
	}
}

// Edges of SCIMUser: the user, and its grants and group memberships, deleted with it.
func (SCIMUser) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", core.User.Type).Ref("scim_users").Field("user_id").Unique().Required(),
		edge.To("projection_grants", SCIMProjectionGrant.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("group_memberships", SCIMGroupMember.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of SCIMUser.
func (SCIMUser) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("connection_id"),
		index.Fields("provisioning_domain_id"),
		index.Fields("user_id"),
	}
}

// SCIMProjectionGrant is a role granted to a user through a SCIM source (table
// scim_projection_grants).
type SCIMProjectionGrant struct{ mixin.Schema }

// Type marks SCIMProjectionGrant as the target of edges.
func (SCIMProjectionGrant) Type() {}

// Fields of SCIMProjectionGrant.
func (SCIMProjectionGrant) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("connection_id"),
		field.String("provisioning_domain_id"),
		field.String("scim_user_id"),
		field.String("user_id"),
		field.String("source_kind"),
		field.String("source_id"),
		field.String("source_value").Optional().Nillable(),
		field.String("role"),
		field.String("grant_key").Unique(),
		core.CreatedAt(),
		core.UpdatedAt(),
	}
}

// Edges of SCIMProjectionGrant: the SCIM user and the user.
func (SCIMProjectionGrant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("scim_user", SCIMUser.Type).Ref("projection_grants").Field("scim_user_id").Unique().Required(),
		edge.From("user", core.User.Type).Ref("scim_projection_grants").Field("user_id").Unique().Required(),
	}
}

// Indexes of SCIMProjectionGrant.
func (SCIMProjectionGrant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("connection_id"),
		index.Fields("provisioning_domain_id"),
		index.Fields("scim_user_id"),
		index.Fields("user_id"),
	}
}

// SCIMGroup is a group provisioned by a connection (table scim_groups).
type SCIMGroup struct{ mixin.Schema }

// Type marks SCIMGroup as the target of edges.
func (SCIMGroup) Type() {}

// Fields of SCIMGroup.
func (SCIMGroup) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("connection_id"),
		field.String("provisioning_domain_id"),
		field.Int("revision").Default(0),
		field.String("display_name"),
		field.String("display_name_key").Unique(),
		field.String("external_id").Optional().Nillable(),
		field.String("external_id_key").Optional().Nillable().Unique(),
		field.String("order_key").Unique(),
		core.CreatedAt(),
		core.UpdatedAt(),
	}
}

// Edges of SCIMGroup: its members, deleted with it.
func (SCIMGroup) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("members", SCIMGroupMember.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of SCIMGroup.
func (SCIMGroup) Indexes() []ent.Index {
	return []ent.Index{index.Fields("connection_id"), index.Fields("provisioning_domain_id")}
}

// SCIMGroupMember is a SCIM user's membership of a SCIM group (table scim_group_members).
type SCIMGroupMember struct{ mixin.Schema }

// Type marks SCIMGroupMember as the target of edges.
func (SCIMGroupMember) Type() {}

// Fields of SCIMGroupMember.
func (SCIMGroupMember) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("connection_id"),
		field.String("group_id"),
		field.String("scim_user_id"),
		field.String("membership_key").Unique(),
		core.CreatedAt(),
	}
}

// Edges of SCIMGroupMember: the group and the SCIM user.
func (SCIMGroupMember) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("group", SCIMGroup.Type).Ref("members").Field("group_id").Unique().Required(),
		edge.From("scim_user", SCIMUser.Type).Ref("group_memberships").Field("scim_user_id").Unique().Required(),
	}
}

// Indexes of SCIMGroupMember.
func (SCIMGroupMember) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("connection_id"),
		index.Fields("group_id"),
		index.Fields("scim_user_id"),
	}
}

// SCIMManagedConnection is a SCIM connection managed through the API (table
// scim_managed_connections), with WithManagedConnections.
type SCIMManagedConnection struct{ mixin.Schema }

// Type marks SCIMManagedConnection as the target of edges.
func (SCIMManagedConnection) Type() {}

// Fields of SCIMManagedConnection.
func (SCIMManagedConnection) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("creation_request_id").Unique(),
		field.String("connection_id").Unique(),
		field.String("provisioning_domain_id"),
		field.String("status"),
		field.Int("revision"),
		core.CreatedAt(),
		field.String("created_by"),
		field.Time("decommission_started_at").Optional().Nillable(),
		field.String("decommission_started_by").Optional().Nillable(),
		field.Time("decommissioned_at").Optional().Nillable(),
		field.String("decommissioned_by").Optional().Nillable(),
	}
}

// Edges of SCIMManagedConnection: its credentials and events, deleted with it.
func (SCIMManagedConnection) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("credentials", SCIMManagedCredential.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("events", SCIMManagedConnectionEvent.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of SCIMManagedConnection.
func (SCIMManagedConnection) Indexes() []ent.Index {
	return []ent.Index{index.Fields("provisioning_domain_id")}
}

// SCIMManagedCredential is a bearer credential of a managed connection (table
// scim_managed_credentials).
type SCIMManagedCredential struct{ mixin.Schema }

// Type marks SCIMManagedCredential as the target of edges.
func (SCIMManagedCredential) Type() {}

// Fields of SCIMManagedCredential. token_digest is the hashed token and is Sensitive;
// serialized_scopes is JSON stored as a string.
func (SCIMManagedCredential) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("connection_record_id"),
		field.String("credential_id").Unique(),
		field.String("token_digest").Sensitive(),
		field.String("hash_version"),
		field.String("active_slot_key").Unique(),
		field.String("status"),
		field.String("serialized_scopes"),
		field.Time("expires_at"),
		core.CreatedAt(),
		field.String("created_by"),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("revoked_by").Optional().Nillable(),
		field.Time("decommissioned_at").Optional().Nillable(),
	}
}

// Edges of SCIMManagedCredential: its connection.
func (SCIMManagedCredential) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("connection", SCIMManagedConnection.Type).Ref("credentials").Field("connection_record_id").Unique().Required(),
	}
}

// Indexes of SCIMManagedCredential.
func (SCIMManagedCredential) Indexes() []ent.Index {
	return []ent.Index{index.Fields("connection_record_id")}
}

// SCIMManagedConnectionEvent is an audit event of a managed connection (table
// scim_managed_connection_events).
type SCIMManagedConnectionEvent struct{ mixin.Schema }

// Type marks SCIMManagedConnectionEvent as the target of edges.
func (SCIMManagedConnectionEvent) Type() {}

// Fields of SCIMManagedConnectionEvent.
func (SCIMManagedConnectionEvent) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("connection_record_id"),
		field.String("event_key").Unique(),
		field.Int64("sequence"),
		field.String("type"),
		field.String("actor_id"),
		field.String("credential_id").Optional().Nillable(),
		core.CreatedAt(),
	}
}

// Edges of SCIMManagedConnectionEvent: its connection.
func (SCIMManagedConnectionEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("connection", SCIMManagedConnection.Type).Ref("events").Field("connection_record_id").Unique().Required(),
	}
}

// Indexes of SCIMManagedConnectionEvent.
func (SCIMManagedConnectionEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("connection_record_id")}
}

// UserFields is what SCIM adds to User: the edges to its SCIM rows, deleted with the user.
type UserFields struct{ mixin.Schema }

// Edges adds scim_subject, scim_users, scim_projection_grants and scim_identity_tombstones.
func (UserFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("scim_subject", SCIMSubject.Type).Unique().Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("scim_users", SCIMUser.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("scim_projection_grants", SCIMProjectionGrant.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("scim_identity_tombstones", SCIMIdentityTombstone.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
