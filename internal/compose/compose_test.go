package compose_test

import (
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/plugins/twofactor"
)

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name    string
		plugins []kernia.Plugin
	}{
		{name: "core", plugins: nil},
		{name: "two-factor", plugins: []kernia.Plugin{twofactor.New()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := compose.Build(kernia.New(kernia.Options{Plugins: tc.plugins}))
			assert.NilError(t, err)
			files, err := compose.Render(plan)
			assert.NilError(t, err)
			for _, f := range files {
				assert.Assert(t, compose.IsGenerated(f.Content), f.Name)
				golden.Assert(t, string(f.Content), filepath.Join(tc.name, f.Name+".golden"))
			}
			again, err := compose.Render(plan)
			assert.NilError(t, err)
			assert.DeepEqual(t, files, again)
		})
	}
}

func TestBuildContributors(t *testing.T) {
	plan, err := compose.Build(kernia.New(kernia.Options{Plugins: []kernia.Plugin{twofactor.New()}}))
	assert.NilError(t, err)
	var names []string
	for _, e := range plan.Entities {
		names = append(names, e.Name+":"+e.Table+":"+e.Owner)
	}
	assert.DeepEqual(t, names, []string{
		"Account:accounts:core", "Session:sessions:core", "TwoFactor:two_factors:two-factor",
		"User:users:core", "Verification:verifications:core",
	})
	users := plan.Contributors()["users"]
	assert.Check(t, is.Contains(users, compose.Column{Name: "email", Field: "email", Contributor: kernia.Core}))
	assert.Check(t, is.Contains(users, compose.Column{Name: "two_factor_enabled", Field: "two_factor_enabled", Contributor: "two-factor"}))
}

// clash is a plugin whose user mixin claims a core column.
type clash struct{ kernia.BasePlugin }

func (clash) ID() string { return "clash" }
func (clash) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: EmailAgain{}}}
}

// EmailAgain claims users.email a second time.
type EmailAgain struct{ mixin.Schema }

func (EmailAgain) Fields() []ent.Field { return []ent.Field{field.String("email")} }

type needsOther struct{ kernia.BasePlugin }

func (needsOther) ID() string         { return "needs-other" }
func (needsOther) Requires() []string { return []string{"organization"} }

type orphan struct{ kernia.BasePlugin }

func (orphan) ID() string { return "orphan" }
func (orphan) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "Team", Mixin: EmailAgain{}}}
}

type configured struct{ kernia.BasePlugin }

// WithValue is a mixin carrying configuration, which the composed schema cannot express.
type WithValue struct {
	mixin.Schema
	Column string
}

func (configured) ID() string { return "configured" }
func (configured) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "Thing", Mixin: WithValue{Column: "x"}}}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name    string
		plugins []kernia.Plugin
		want    []string
	}{
		{"field claimed twice", []kernia.Plugin{clash{}}, []string{"User.email", "core", "clash"}},
		{"unmet dependency", []kernia.Plugin{needsOther{}}, []string{`"needs-other" requires plugin "organization"`}},
		{"unknown entity", []kernia.Plugin{orphan{}}, []string{"orphan extends entity Team"}},
		{"mixin with values", []kernia.Plugin{configured{}}, []string{"configured", "carries field values"}},
		{"enabled twice", []kernia.Plugin{twofactor.New(), twofactor.New()}, []string{`"two-factor" is enabled twice`}},
		{"nil plugin", []kernia.Plugin{nil}, []string{"Options.Plugins[0] is nil"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compose.Build(kernia.New(kernia.Options{Plugins: tc.plugins}))
			assert.Assert(t, err != nil)
			for _, w := range tc.want {
				assert.Check(t, strings.Contains(err.Error(), w), "%q lacks %q", err, w)
			}
		})
	}
}

// customized renames a core and a plugin table and columns (a foreign key among them) and adds
// fields of every type.
var customized = kernia.Options{
	Plugins: []kernia.Plugin{twofactor.New()},
	Schema: map[string]kernia.EntitySchema{
		"User": {
			Table:   "user",
			Columns: map[string]string{"email": "email_address", "two_factor_enabled": "mfa_enabled"},
			Fields: []kernia.Field{
				{Name: "nickname", Type: kernia.FieldString, Optional: true, Unique: true},
				{Name: "plan", Type: kernia.FieldString, Default: "free"},
				{Name: "age", Type: kernia.FieldInt, Optional: true},
				{Name: "newsletter", Type: kernia.FieldBool, Default: false},
				{Name: "joined_at", Type: kernia.FieldTime, Default: kernia.DefaultNow},
				{Name: "preferences", Type: kernia.FieldJSON, Optional: true},
			},
		},
		"Session":   {Columns: map[string]string{"user_id": "owner_id"}},
		"TwoFactor": {Table: "mfa_secrets"},
	},
}

func TestCustomizedGolden(t *testing.T) {
	plan, err := compose.Build(kernia.New(customized))
	assert.NilError(t, err)
	files, err := compose.Render(plan)
	assert.NilError(t, err)
	for _, f := range files {
		golden.Assert(t, string(f.Content), filepath.Join("customized", f.Name+".golden"))
	}
	tables := map[string]string{}
	for _, e := range plan.Entities {
		tables[e.Name] = e.Table
	}
	assert.Equal(t, tables["User"], "user")
	assert.Equal(t, tables["TwoFactor"], "mfa_secrets")
	users := plan.Contributors()["user"]
	assert.Check(t, is.Contains(users, compose.Column{Name: "email_address", Field: "email", Contributor: kernia.Core}))
	assert.Check(t, is.Contains(users, compose.Column{Name: "mfa_enabled", Field: "two_factor_enabled", Contributor: "two-factor"}))
	assert.Check(t, is.Contains(users, compose.Column{Name: "preferences", Field: "preferences", Contributor: compose.Options}))
	assert.Check(t, is.Contains(plan.Contributors()["sessions"], compose.Column{Name: "owner_id", Field: "user_id", Contributor: kernia.Core}))
}

func TestCustomizationErrors(t *testing.T) {
	tests := []struct {
		name   string
		schema map[string]kernia.EntitySchema
		want   []string
	}{
		{"unknown entity", map[string]kernia.EntitySchema{"Team": {Table: "teams"}}, []string{"Options.Schema[Team]: no such entity", "User"}},
		{"unknown field", map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"mail": "x"}}}, []string{`renames field "mail"`}},
		{"rename onto a taken column", map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "name"}}}, []string{"column users.name is claimed by both core (field name) and core (field email)"}},
		{"added field onto a taken column", map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "email", Type: kernia.FieldString}}}}, []string{"User.email is claimed by both core and options"}},
		{"table onto a taken table", map[string]kernia.EntitySchema{"User": {Table: "sessions"}}, []string{`both map to table "sessions"`}},
		{"invalid table", map[string]kernia.EntitySchema{"User": {Table: "Users; DROP"}}, []string{"Options.Schema[User].Table", "not a valid table name"}},
		{"invalid column", map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "E-Mail"}}}, []string{"Columns[email]", "not a valid column name"}},
		{"invalid field", map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "9lives", Type: kernia.FieldInt}}}}, []string{"Fields[0]", "not a valid field name"}},
		{"unknown type", map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "x", Type: "decimal"}}}}, []string{`unknown type "decimal"`}},
		{"default of the wrong type", map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "x", Type: kernia.FieldInt, Default: "1"}}}}, []string{"is not an int"}},
		{"unique bool", map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "x", Type: kernia.FieldBool, Unique: true}}}}, []string{"cannot be unique"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compose.Build(kernia.New(kernia.Options{Schema: tc.schema}))
			assert.Assert(t, err != nil)
			for _, w := range tc.want {
				assert.Check(t, strings.Contains(err.Error(), w), "%q lacks %q", err, w)
			}
		})
	}
}
