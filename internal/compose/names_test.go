package compose_test

import (
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/plugins/builtin"
)

// TestInputs4_SchemaNames: table and column names a dialect or Kernia reserves, and names
// whose derived index, unique or foreign-key names would collide or be cut at PostgreSQL's
// 63 bytes, are refused by Build with an error naming both sides; the rest are accepted.
func TestInputs4_SchemaNames(t *testing.T) {
	long := func(n int) string { return strings.Repeat("t", n) }
	tests := []struct {
		name   string
		schema map[string]kernia.EntitySchema
		// want are pieces of the error; none means accepted.
		want []string
	}{
		{name: "default names", schema: nil},
		{name: "renames", schema: map[string]kernia.EntitySchema{"User": {Table: "app_users", Columns: map[string]string{"email": "email_address"}}}},
		{name: "sqlite_ prefix", schema: map[string]kernia.EntitySchema{"User": {Table: "sqlite_users"}},
			want: []string{`"sqlite_users"`, "SQLite reserves"}},
		{name: "sqlite_ prefix in upper case", schema: map[string]kernia.EntitySchema{"User": {Table: "SQLITE_users"}},
			want: []string{"SQLITE_users"}},
		{name: "revisions table", schema: map[string]kernia.EntitySchema{"Session": {Table: "atlas_schema_revisions"}},
			want: []string{`"atlas_schema_revisions"`, "records the applied migrations"}},
		{name: "system column", schema: map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"name": "xmin"}}},
			want: []string{"users.xmin", "system column"}},
		{name: "table name equal to an index name", schema: map[string]kernia.EntitySchema{"Verification": {Table: "session_user_id"}},
			want: []string{"table session_user_id", "index session_user_id of table sessions (columns user_id)"}},
		{name: "table name equal to a unique index name", schema: map[string]kernia.EntitySchema{"Account": {Table: "users_email_key"}},
			want: []string{"table users_email_key", "unique index of column users.email"}},
		{name: "table name equal to a primary key's index", schema: map[string]kernia.EntitySchema{"Account": {Table: "users_pkey"}},
			want: []string{"primary key of table users", "table users_pkey"}},
		{name: "two unique indexes named alike", schema: map[string]kernia.EntitySchema{
			"User":    {Table: "a", Fields: []kernia.Field{{Name: "b_c", Type: kernia.FieldString, Unique: true, Optional: true}}},
			"Account": {Table: "a_b", Fields: []kernia.Field{{Name: "c", Type: kernia.FieldString, Unique: true, Optional: true}}}},
			want: []string{"unique index of column a.b_c", "unique index of column a_b.c", `"a_b_c_key"`}},
		{name: "unique index name over 63 bytes", schema: map[string]kernia.EntitySchema{"Session": {Table: long(55)}},
			want: []string{long(55) + ".token", long(55) + "_token_key", "PostgreSQL cuts names over 63 bytes"}},
		{name: "unique additional field over 63 bytes", schema: map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "x" + long(58), Type: kernia.FieldString, Unique: true, Optional: true}}}},
			want: []string{"users.x" + long(58), "_key"}},
		{name: "long table: foreign keys and indexes shortened by Ent", schema: map[string]kernia.EntitySchema{"Account": {Table: "a" + long(52)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compose.Build(kernia.New(kernia.Options{Schema: tc.schema}))
			if len(tc.want) == 0 {
				assert.NilError(t, err)
				return
			}
			assert.Assert(t, err != nil, "accepted")
			for _, w := range tc.want {
				assert.Check(t, is.Contains(err.Error(), w))
			}
		})
	}
}

// TestBuildEveryPluginNamesFit: the names every built-in plugin derives pass the checks.
func TestBuildEveryPluginNamesFit(t *testing.T) {
	_, err := compose.Build(kernia.New(kernia.Options{Plugins: builtin.All()}))
	assert.NilError(t, err)
}

// BenchmarkBuildEveryPlugin measures Build, name checks included, on the largest schema.
func BenchmarkBuildEveryPlugin(b *testing.B) {
	auth := kernia.New(kernia.Options{Plugins: builtin.All()})
	for b.Loop() {
		if _, err := compose.Build(auth); err != nil {
			b.Fatal(err)
		}
	}
}
