package diff

import (
	"fmt"
	"strings"
	"testing"

	atlas "ariga.io/atlas/sql/schema"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// renameSchema builds a schema of users (id, email with a unique index named after the table
// and column) and sessions (user_id with an index), under the given names.
func renameSchema(users, email, sessionUser string) *atlas.Schema {
	u := atlas.NewTable(users).AddColumns(atlas.NewStringColumn("id", "text"), atlas.NewStringColumn(email, "text"))
	u.AddIndexes(atlas.NewUniqueIndex(users + "_" + email + "_key").AddColumns(u.Columns[1]))
	s := atlas.NewTable("sessions").AddColumns(atlas.NewStringColumn("id", "text"), atlas.NewStringColumn(sessionUser, "text"))
	s.AddIndexes(atlas.NewIndex("session_" + sessionUser).AddColumns(s.Columns[1]))
	return atlas.New("main").AddTables(u, s)
}

// describeRenames renders changes as short lines for comparison.
func describeRenames(changes []atlas.Change) []string {
	var out []string
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.RenameTable:
			out = append(out, fmt.Sprintf("table %s->%s", c.From.Name, c.To.Name))
		case *atlas.ModifyTable:
			for _, tc := range c.Changes {
				switch tc := tc.(type) {
				case *atlas.RenameColumn:
					out = append(out, fmt.Sprintf("column %s.%s->%s", c.T.Name, tc.From.Name, tc.To.Name))
				case *atlas.RenameIndex:
					out = append(out, fmt.Sprintf("index %s.%s->%s", c.T.Name, tc.From.Name, tc.To.Name))
				default:
					out = append(out, fmt.Sprintf("%T", tc))
				}
			}
		default:
			out = append(out, fmt.Sprintf("%T", c))
		}
	}
	return out
}

func TestRenames1_RenameChanges(t *testing.T) {
	tests := []struct {
		name    string
		current *atlas.Schema
		desired *atlas.Schema
		renames Renames
		want    []string
		wantErr string
	}{
		{
			name:    "none",
			current: renameSchema("users", "email", "user_id"),
			desired: renameSchema("users", "email", "user_id"),
		},
		{
			name:    "table: its derived index name follows",
			current: renameSchema("users", "email", "user_id"),
			desired: renameSchema("app_users", "email", "user_id"),
			renames: Renames{Tables: map[string]string{"users": "app_users"}},
			want:    []string{"table users->app_users", "index app_users.users_email_key->app_users_email_key"},
		},
		{
			name:    "column: its index follows",
			current: renameSchema("users", "email", "user_id"),
			desired: renameSchema("users", "email", "owner_id"),
			renames: Renames{Columns: map[string]map[string]string{"sessions": {"user_id": "owner_id"}}},
			want:    []string{"column sessions.user_id->owner_id", "index sessions.session_user_id->session_owner_id"},
		},
		{
			name:    "table and column, the column keyed by the new table",
			current: renameSchema("users", "email", "user_id"),
			desired: renameSchema("app_users", "email_address", "user_id"),
			renames: Renames{Tables: map[string]string{"users": "app_users"}, Columns: map[string]map[string]string{"app_users": {"email": "email_address"}}},
			want:    []string{"table users->app_users", "column app_users.email->email_address", "index app_users.users_email_key->app_users_email_address_key"},
		},
		{
			name:    "the directory never had the old names: skipped",
			current: renameSchema("people", "mail", "uid"),
			desired: renameSchema("app_users", "email_address", "user_id"),
			renames: Renames{Tables: map[string]string{"users": "app_users"}, Columns: map[string]map[string]string{"app_users": {"email": "email_address"}}},
		},
		{
			name:    "onto an existing table",
			current: atlas.New("main").AddTables(atlas.NewTable("users"), atlas.NewTable("app_users")),
			desired: atlas.New("main").AddTables(atlas.NewTable("app_users")),
			renames: Renames{Tables: map[string]string{"users": "app_users"}},
			wantErr: "renaming table users to app_users: the migration directory already has a table app_users",
		},
		{
			name:    "onto an existing column",
			current: atlas.New("main").AddTables(atlas.NewTable("users").AddColumns(atlas.NewStringColumn("email", "text"), atlas.NewStringColumn("contact", "text"))),
			desired: atlas.New("main").AddTables(atlas.NewTable("users").AddColumns(atlas.NewStringColumn("contact", "text"))),
			renames: Renames{Columns: map[string]map[string]string{"users": {"email": "contact"}}},
			wantErr: "renaming column users.email to contact: the migration directory already has a column users.contact",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := renameChanges(tc.current, tc.desired, tc.renames)
			if tc.wantErr != "" {
				assert.Check(t, is.ErrorContains(err, tc.wantErr))
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, describeRenames(changes), tc.want)
			// The current schema now has the new names: nothing of the renames is left to diff.
			for _, line := range tc.want {
				if strings.HasPrefix(line, "table ") {
					_, ok := tc.current.Table(line[strings.Index(line, "->")+2:])
					assert.Check(t, ok, line)
				}
			}
		})
	}
}
