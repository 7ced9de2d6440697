// Package organization is the organization plugin (id "organization"): organizations, their
// members and invitations, and optionally teams inside an organization and roles defined per
// organization at run time (dynamic access control).
//
// Tables:
//   - organizations (name, slug unique, logo, created_at, metadata).
//   - members (organization_id → organizations ON DELETE CASCADE, user_id → users ON DELETE
//     CASCADE, role default "member", created_at; one membership per organization and user,
//     indexed by user).
//   - invitations (organization_id → organizations ON DELETE CASCADE, email, role, status
//     default "pending", expires_at, created_at, inviter_id → users ON DELETE CASCADE; indexed
//     by email, organization and inviter), plus team_id with teams.
//   - With WithTeams: teams (name, member_count, organization_id → organizations ON DELETE
//     CASCADE, created_at, updated_at) and team_members (team_id → teams ON DELETE CASCADE,
//     user_id → users ON DELETE CASCADE, membership_key unique, created_at).
//   - With WithDynamicAccessControl: organization_roles (organization_id → organizations ON
//     DELETE CASCADE, role, permission, created_at, updated_at; unique per organization and role).
//
// Columns added to sessions: active_organization_id, and active_team_id with teams. Neither is
// a foreign key, as in Better Auth: deleting an organization must not delete the sessions that
// had it active.
package organization

import (
	"time"

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
const ID = "organization"

// Plugin is the organization plugin. Build it with New.
type Plugin struct {
	kernia.BasePlugin
	teams                bool
	dynamicAccessControl bool
}

var _ kernia.Plugin = Plugin{}

// Option configures the organization plugin.
type Option func(*Plugin)

// WithTeams enables teams: the Team and TeamMember entities, invitations.team_id and
// sessions.active_team_id (Better Auth's teams.enabled).
func WithTeams() Option { return func(p *Plugin) { p.teams = true } }

// WithDynamicAccessControl enables roles defined per organization at run time: the
// OrganizationRole entity (Better Auth's dynamicAccessControl.enabled).
func WithDynamicAccessControl() Option { return func(p *Plugin) { p.dynamicAccessControl = true } }

// New returns the organization plugin with the given options.
func New(opts ...Option) Plugin {
	var p Plugin
	for _, o := range opts {
		o(&p)
	}
	return p
}

// ID implements kernia.Plugin.
func (Plugin) ID() string { return ID }

// Teams reports whether teams are enabled.
func (p Plugin) Teams() bool { return p.teams }

// DynamicAccessControl reports whether per-organization roles are enabled.
func (p Plugin) DynamicAccessControl() bool { return p.dynamicAccessControl }

// Entities implements kernia.Plugin: Organization, Member and Invitation, plus Team and
// TeamMember with teams and OrganizationRole with dynamic access control.
func (p Plugin) Entities() []kernia.Entity {
	es := []kernia.Entity{
		{Name: "Organization", Mixin: Organization{}},
		{Name: "Member", Mixin: Member{}},
		{Name: "Invitation", Mixin: Invitation{}},
	}
	if p.teams {
		es = append(es,
			kernia.Entity{Name: "Team", Mixin: Team{}},
			kernia.Entity{Name: "TeamMember", Mixin: TeamMember{}},
		)
	}
	if p.dynamicAccessControl {
		es = append(es, kernia.Entity{Name: "OrganizationRole", Mixin: OrganizationRole{}})
	}
	return es
}

// Extensions implements kernia.Plugin: the active organization (and team) on Session, the
// membership and invitation edges on User, and with teams the team edges and
// invitations.team_id.
func (p Plugin) Extensions() []kernia.Extension {
	xs := []kernia.Extension{
		{Entity: "Session", Mixin: SessionFields{}},
		{Entity: "User", Mixin: UserFields{}},
	}
	if p.teams {
		xs = append(xs,
			kernia.Extension{Entity: "Session", Mixin: SessionTeamFields{}},
			kernia.Extension{Entity: "User", Mixin: UserTeamFields{}},
			kernia.Extension{Entity: "Organization", Mixin: OrganizationTeamFields{}},
			kernia.Extension{Entity: "Invitation", Mixin: InvitationTeamFields{}},
		)
	}
	if p.dynamicAccessControl {
		xs = append(xs, kernia.Extension{Entity: "Organization", Mixin: OrganizationRoleFields{}})
	}
	return xs
}

// Organization is an organization (table organizations).
type Organization struct{ mixin.Schema }

// Type marks Organization as the target of edges to the composed Organization entity.
func (Organization) Type() {}

// Fields of Organization. The slug is unique: organizations are looked up by it. metadata is
// JSON stored as a string, as in Better Auth.
func (Organization) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("name"),
		field.String("slug").Unique(),
		field.String("logo").Optional().Nillable(),
		core.CreatedAt(),
		field.String("metadata").Optional().Nillable(),
	}
}

// Edges of Organization: its members and invitations, deleted with it.
func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("members", Member.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("invitations", Invitation.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Member is a user's membership of an organization (table members).
type Member struct{ mixin.Schema }

// Type marks Member as the target of edges to the composed Member entity.
func (Member) Type() {}

// Fields of Member.
func (Member) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("organization_id"),
		field.String("user_id"),
		field.String("role").Default("member"),
		core.CreatedAt(),
	}
}

// Edges of Member: its organization and user.
func (Member) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("members").Field("organization_id").Unique().Required(),
		edge.From("user", core.User.Type).Ref("memberships").Field("user_id").Unique().Required(),
	}
}

// Indexes of Member: one membership per organization and user (the lookup of a user's role
// in an organization; Better Auth indexes both columns separately and relies on its API not to
// insert twice), and the organizations of a user.
func (Member) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "user_id").Unique(),
		index.Fields("user_id"),
	}
}

// Invitation is an invitation to join an organization (table invitations).
type Invitation struct{ mixin.Schema }

// Type marks Invitation as the target of edges to the composed Invitation entity.
func (Invitation) Type() {}

// Fields of Invitation. role is optional as in Better Auth's runtime schema; status is one of
// pending, accepted, rejected and canceled.
func (Invitation) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("organization_id"),
		field.String("email"),
		field.String("role").Optional().Nillable(),
		field.String("status").Default("pending"),
		field.Time("expires_at"),
		core.CreatedAt(),
		field.String("inviter_id"),
	}
}

// Edges of Invitation: its organization and the user who sent it.
func (Invitation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("invitations").Field("organization_id").Unique().Required(),
		edge.From("inviter", core.User.Type).Ref("sent_invitations").Field("inviter_id").Unique().Required(),
	}
}

// Indexes of Invitation: by email (the invitations of a signing-in user), by organization
// and by inviter.
func (Invitation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("email"),
		index.Fields("organization_id"),
		index.Fields("inviter_id"),
	}
}

// Team is a team inside an organization (table teams), with WithTeams.
type Team struct{ mixin.Schema }

// Type marks Team as the target of edges to the composed Team entity.
func (Team) Type() {}

// Fields of Team. member_count arrived in Better Auth 1.7.0 (it enforces the team size limit
// without counting rows); it defaults to 0 so that adding it to existing rows is safe.
func (Team) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("name"),
		field.Int("member_count").Default(0),
		field.String("organization_id"),
		core.CreatedAt(),
		field.Time("updated_at").Optional().Nillable().UpdateDefault(time.Now),
	}
}

// Edges of Team: its organization and its members, deleted with it.
func (Team) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("teams").Field("organization_id").Unique().Required(),
		edge.To("members", TeamMember.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of Team: the teams of an organization.
func (Team) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id")}
}

// TeamMember is a user's membership of a team (table team_members), with WithTeams.
type TeamMember struct{ mixin.Schema }

// Type marks TeamMember as the target of edges to the composed TeamMember entity.
func (TeamMember) Type() {}

// Fields of TeamMember. membership_key (1.7.0) is a unique key derived from team and user
// that makes a double insert fail; it is optional so that rows from before 1.7 stay valid.
func (TeamMember) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("team_id"),
		field.String("user_id"),
		field.String("membership_key").Optional().Nillable().Unique(),
		field.Time("created_at").Optional().Nillable().Default(time.Now).Immutable().Annotations(core.DatabaseNow()),
	}
}

// Edges of TeamMember: its team and user.
func (TeamMember) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("team", Team.Type).Ref("members").Field("team_id").Unique().Required(),
		edge.From("user", core.User.Type).Ref("team_memberships").Field("user_id").Unique().Required(),
	}
}

// Indexes of TeamMember: the members of a team (and a user's membership of it) and the teams
// of a user.
func (TeamMember) Indexes() []ent.Index {
	return []ent.Index{index.Fields("team_id", "user_id"), index.Fields("user_id")}
}

// OrganizationRole is a role defined by an organization at run time (table
// organization_roles), with WithDynamicAccessControl.
type OrganizationRole struct{ mixin.Schema }

// Type marks OrganizationRole as the target of edges to the composed OrganizationRole entity.
func (OrganizationRole) Type() {}

// Fields of OrganizationRole. permission is JSON (resource → actions) stored as a string.
func (OrganizationRole) Fields() []ent.Field {
	return []ent.Field{
		core.ID(),
		field.String("organization_id"),
		field.String("role"),
		field.String("permission"),
		core.CreatedAt(),
		field.Time("updated_at").Optional().Nillable().UpdateDefault(time.Now),
	}
}

// Edges of OrganizationRole: its organization.
func (OrganizationRole) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("roles").Field("organization_id").Unique().Required(),
	}
}

// Indexes of OrganizationRole: a role name is defined once per organization (the lookup when
// checking a member's permissions).
func (OrganizationRole) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "role").Unique()}
}

// SessionFields is what organization adds to Session.
type SessionFields struct{ mixin.Schema }

// Fields adds active_organization_id.
func (SessionFields) Fields() []ent.Field {
	return []ent.Field{field.String("active_organization_id").Optional().Nillable()}
}

// SessionTeamFields is what teams add to Session.
type SessionTeamFields struct{ mixin.Schema }

// Fields adds active_team_id.
func (SessionTeamFields) Fields() []ent.Field {
	return []ent.Field{field.String("active_team_id").Optional().Nillable()}
}

// UserFields is what organization adds to User: the edges of its memberships and of the
// invitations it sent, deleted with the user.
type UserFields struct{ mixin.Schema }

// Edges adds memberships and sent_invitations.
func (UserFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("memberships", Member.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("sent_invitations", Invitation.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// UserTeamFields is what teams add to User: its team memberships, deleted with the user.
type UserTeamFields struct{ mixin.Schema }

// Edges adds team_memberships.
func (UserTeamFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("team_memberships", TeamMember.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// OrganizationTeamFields is what teams add to Organization: its teams, deleted with it.
type OrganizationTeamFields struct{ mixin.Schema }

// Edges adds teams.
func (OrganizationTeamFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("teams", Team.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// OrganizationRoleFields is what dynamic access control adds to Organization: its roles,
// deleted with it.
type OrganizationRoleFields struct{ mixin.Schema }

// Edges adds roles.
func (OrganizationRoleFields) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("roles", OrganizationRole.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// InvitationTeamFields is what teams add to Invitation.
type InvitationTeamFields struct{ mixin.Schema }

// Fields adds team_id: the team the invitee joins. It is not a foreign key, as in Better
// Auth: a deleted team leaves the invitation to the organization valid.
func (InvitationTeamFields) Fields() []ent.Field {
	return []ent.Field{field.String("team_id").Optional().Nillable()}
}
