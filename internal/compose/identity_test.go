package compose_test

import (
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/plugins/twofactor"
)

func plan(t *testing.T, schema map[string]kernia.EntitySchema) *compose.Plan {
	t.Helper()
	p, err := compose.Build(kernia.New(kernia.Options{Plugins: []kernia.Plugin{twofactor.New()}, Schema: schema}))
	assert.NilError(t, err)
	return p
}

func TestRenames1_Derive(t *testing.T) {
	tests := []struct {
		name        string
		before      map[string]kernia.EntitySchema
		after       map[string]kernia.EntitySchema
		noPrev      bool
		wantTables  map[string]string
		wantColumns map[string]map[string]string
		wantErr     []string
	}{
		{name: "nothing changed"},
		{name: "first generate: no committed schema", noPrev: true, after: map[string]kernia.EntitySchema{"User": {Table: "app_users"}}},
		{
			name:       "table",
			after:      map[string]kernia.EntitySchema{"User": {Table: "app_users"}},
			wantTables: map[string]string{"users": "app_users"},
		},
		{
			name:       "table back to its default",
			before:     map[string]kernia.EntitySchema{"User": {Table: "app_users"}},
			wantTables: map[string]string{"app_users": "users"},
		},
		{
			name:        "column",
			after:       map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "email_address"}}},
			wantColumns: map[string]map[string]string{"users": {"email": "email_address"}},
		},
		{
			name:        "table and column: columns keyed by the new table",
			after:       map[string]kernia.EntitySchema{"User": {Table: "app_users", Columns: map[string]string{"email": "email_address"}}},
			wantTables:  map[string]string{"users": "app_users"},
			wantColumns: map[string]map[string]string{"app_users": {"email": "email_address"}},
		},
		{
			name:        "rename and a real drop: the dropped field is no rename",
			before:      map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "nickname", Type: kernia.FieldString, Optional: true}}}},
			after:       map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "email_address"}}},
			wantColumns: map[string]map[string]string{"users": {"email": "email_address"}},
		},
		{
			name:    "rename onto a column dropped in the same change",
			before:  map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "contact", Type: kernia.FieldString, Optional: true}}}},
			after:   map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "contact"}}},
			wantErr: []string{"renaming column users.email to contact", "existing column (field contact)", "first remove field contact", "--allow-destructive"},
		},
		{
			name:    "swap of two columns",
			after:   map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "name", "name": "email"}}},
			wantErr: []string{"renaming column users.email to name swaps it with column name", "temporary name", "two generate runs"},
		},
		{
			name:    "rename chain",
			after:   map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "name", "name": "full_name"}}},
			wantErr: []string{"renaming column users.email to name: column name (field name) is renamed to full_name", "first rename name to full_name"},
		},
		{
			name:    "table onto a table renamed away in the same change",
			after:   map[string]kernia.EntitySchema{"User": {Table: "people"}, "Account": {Table: "users"}},
			wantErr: []string{"renaming table accounts to users (entity Account)", "table users for entity User, renamed to people", "first rename table users to people"},
		},
		{
			name:    "column a plugin owns",
			after:   map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"two_factor_enabled": "mfa_on"}}},
			wantErr: []string{"renaming column users.two_factor_enabled to mfa_on", "plugin two-factor owns field User.two_factor_enabled", `keep Options.Schema[User].Columns["two_factor_enabled"] = "two_factor_enabled"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var prev []compose.Identity
			if !tc.noPrev {
				// The committed record, as the rendered files carry it.
				files, err := compose.Render(plan(t, tc.before))
				assert.NilError(t, err)
				for _, f := range files {
					id, ok, err := compose.ParseIdentity(f.Content)
					assert.NilError(t, err)
					assert.Assert(t, ok, f.Name)
					prev = append(prev, id)
				}
				assert.DeepEqual(t, prev, plan(t, tc.before).Identities())
			}
			r, err := plan(t, tc.after).Renames(prev)
			if tc.wantErr != nil {
				assert.Assert(t, err != nil)
				for _, s := range tc.wantErr {
					assert.Check(t, is.Contains(err.Error(), s))
				}
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, r.Tables, tc.wantTables)
			assert.DeepEqual(t, r.Columns, tc.wantColumns)
		})
	}
}

func TestRenames1_ParseIdentityMalformed(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"missing table", compose.Header + "\n// kernia:entity User\n", "want a name and table"},
		{"bad key", compose.Header + "\n// kernia:entity User tbl=users\n", "want table=<value>"},
		{"field without entity", compose.Header + "\n// kernia:field email column=email contributor=core\n", "without a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := compose.ParseIdentity([]byte(tc.content))
			assert.Check(t, is.ErrorContains(err, tc.want))
		})
	}
}

// tabled is a plugin whose entity Gadget names its own table through its mixin.
type tabled struct {
	kernia.BasePlugin
	mixin ent.Mixin
}

func (tabled) ID() string { return "tabled" }
func (p tabled) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "Gadget", Mixin: p.mixin}}
}

// GadgetV1 leaves the table to Ent (gadgets).
type GadgetV1 struct{ mixin.Schema }

// Fields of Gadget.
func (GadgetV1) Fields() []ent.Field { return []ent.Field{field.String("label")} }

// GadgetV2 names table plugin_gadgets.
type GadgetV2 struct{ GadgetV1 }

// Annotations of GadgetV2.
func (GadgetV2) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("plugin_gadgets")}
}

// GadgetBad names an invalid table.
type GadgetBad struct{ GadgetV1 }

// Annotations of GadgetBad.
func (GadgetBad) Annotations() []schema.Annotation {
	return []schema.Annotation{&entsql.Annotation{Table: "Bad Name"}}
}

func TestRenames1_PluginOwnTable(t *testing.T) {
	build := func(m ent.Mixin) (*compose.Plan, error) {
		return compose.Build(kernia.New(kernia.Options{Plugins: []kernia.Plugin{tabled{mixin: m}}}))
	}
	v1, err := build(GadgetV1{})
	assert.NilError(t, err)
	v2, err := build(GadgetV2{})
	assert.NilError(t, err)
	tables := func(p *compose.Plan) (out []string) {
		for _, e := range p.Entities {
			out = append(out, e.Table)
		}
		return out
	}
	assert.Check(t, is.Contains(tables(v1), "gadgets"))
	assert.Check(t, is.Contains(tables(v2), "plugin_gadgets"))
	r, err := v2.Renames(v1.Identities())
	assert.NilError(t, err)
	assert.DeepEqual(t, r.Tables, map[string]string{"gadgets": "plugin_gadgets"})
	_, err = build(GadgetBad{})
	assert.Check(t, is.ErrorContains(err, `tabled: the mixin of Gadget names table "Bad Name", which is not a valid table name`))
}
