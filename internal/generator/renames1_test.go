package generator_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/plugins/twofactor"
	"github.com/kernia/kernia/sqldb"
)

// renameTarget is one dialect of the rename tests: a fresh dev database (none on SQLite) and
// a fresh target database that holds the rows.
type renameTarget struct {
	dialect string
	dev     func(t *testing.T) string
	url     func(t *testing.T, dir string) string
}

var renameTargets = []renameTarget{
	{kernia.SQLite, func(*testing.T) string { return "" }, func(_ *testing.T, dir string) string { return "sqlite://" + filepath.Join(dir, "app.db") }},
	{kernia.Postgres, func(t *testing.T) string { return pgtest.NewDatabase(t) }, func(t *testing.T, _ string) string { return pgtest.NewDatabase(t) }},
}

// renameAuth is the auth instance of one step of a rename test.
func renameAuth(dialect, dev string, schema map[string]kernia.EntitySchema) *kernia.Auth {
	return kernia.New(kernia.Options{
		DevURL:   dev,
		Dialects: []string{dialect},
		Plugins:  []kernia.Plugin{twofactor.New()},
		Schema:   schema,
	})
}

// renameTables names the tables and columns of the rows the tests insert and compare, under
// the names of one configuration.
type renameTables struct {
	users, email, sessions, sessionUser, twoFactors string
}

func (n renameTables) orDefaults() renameTables {
	if n.users == "" {
		n.users = "users"
	}
	if n.email == "" {
		n.email = "email"
	}
	if n.sessions == "" {
		n.sessions = "sessions"
	}
	if n.sessionUser == "" {
		n.sessionUser = "user_id"
	}
	if n.twoFactors == "" {
		n.twoFactors = "two_factors"
	}
	return n
}

// insertRenameRows fills users, sessions and two_factors (under the names n) with rows.
func insertRenameRows(t *testing.T, db *sql.DB, n renameTables) {
	t.Helper()
	for i := 1; i <= 3; i++ {
		_, err := db.Exec(fmt.Sprintf(`INSERT INTO %s (id, name, %s, email_verified, created_at, updated_at, two_factor_enabled) VALUES ('u%d', 'User %d', 'u%d@example.com', %t, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, true)`, n.users, n.email, i, i, i, i%2 == 0))
		assert.NilError(t, err)
		_, err = db.Exec(fmt.Sprintf(`INSERT INTO %s (id, expires_at, token, created_at, updated_at, %s) VALUES ('s%d', CURRENT_TIMESTAMP, 'token%d', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'u%d')`, n.sessions, n.sessionUser, i, i, i))
		assert.NilError(t, err)
		_, err = db.Exec(fmt.Sprintf(`INSERT INTO %s (id, secret, backup_codes, user_id) VALUES ('m%d', 'secret%d', 'codes%d', 'u%d')`, n.twoFactors, i, i, i, i))
		assert.NilError(t, err)
	}
}

// renameRows reads every row the tests inserted, as text, under the names n.
func renameRows(t *testing.T, db *sql.DB, n renameTables) []string {
	t.Helper()
	queries := []string{
		fmt.Sprintf(`SELECT id, name, %s, CAST(email_verified AS TEXT), CAST(created_at AS TEXT), CAST(updated_at AS TEXT), CAST(two_factor_enabled AS TEXT) FROM %s ORDER BY id`, n.email, n.users),
		fmt.Sprintf(`SELECT id, token, %s, CAST(expires_at AS TEXT), CAST(created_at AS TEXT), CAST(updated_at AS TEXT), '', '' FROM %s ORDER BY id`, n.sessionUser, n.sessions),
		fmt.Sprintf(`SELECT id, secret, backup_codes, user_id, '', '', '' FROM %s ORDER BY id`, n.twoFactors),
	}
	var out []string
	for _, q := range queries {
		rows, err := db.Query(q)
		assert.NilError(t, err, q)
		cols, err := rows.Columns()
		assert.NilError(t, err)
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			dest := make([]any, len(cols))
			for i := range vals {
				dest[i] = &vals[i]
			}
			assert.NilError(t, rows.Scan(dest...))
			var parts []string
			for _, v := range vals {
				parts = append(parts, v.String)
			}
			out = append(out, strings.Join(parts, "|"))
		}
		assert.NilError(t, rows.Err())
		rows.Close()
	}
	return out
}

// TestRenames1_MigratesWithEveryRow: each rename through Options.Schema, generated from the
// committed schema alone, is emitted as ALTER TABLE … RENAME, never a drop and an add; on a
// SQLite and a PostgreSQL database holding rows it migrates with every row intact, the foreign
// keys hold under the new names, and the next generate finds nothing to do.
func TestRenames1_MigratesWithEveryRow(t *testing.T) {
	tests := []struct {
		name          string
		before, after map[string]kernia.EntitySchema
		oldN, newN    renameTables
		allow         bool
		// want are statements (or parts) the rename migration has, per dialect.
		want map[string][]string
	}{
		{
			name:  "table",
			after: map[string]kernia.EntitySchema{"User": {Table: "app_users"}},
			newN:  renameTables{users: "app_users"},
			want: map[string][]string{
				kernia.SQLite:   {"ALTER TABLE `users` RENAME TO `app_users`"},
				kernia.Postgres: {`ALTER TABLE "users" RENAME TO "app_users"`},
			},
		},
		{
			name:  "plugin table",
			after: map[string]kernia.EntitySchema{"TwoFactor": {Table: "mfa_secrets"}},
			newN:  renameTables{twoFactors: "mfa_secrets"},
			want: map[string][]string{
				kernia.SQLite:   {"ALTER TABLE `two_factors` RENAME TO `mfa_secrets`"},
				kernia.Postgres: {`ALTER TABLE "two_factors" RENAME TO "mfa_secrets"`},
			},
		},
		{
			name:  "column with a unique index",
			after: map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "email_address"}}},
			newN:  renameTables{email: "email_address"},
			want: map[string][]string{
				kernia.SQLite:   {"ALTER TABLE `users` RENAME COLUMN `email` TO `email_address`"},
				kernia.Postgres: {`ALTER TABLE "users" RENAME COLUMN "email" TO "email_address"`},
			},
		},
		{
			name:  "table and column",
			after: map[string]kernia.EntitySchema{"User": {Table: "app_users", Columns: map[string]string{"email": "email_address"}}},
			newN:  renameTables{users: "app_users", email: "email_address"},
			want: map[string][]string{
				kernia.SQLite:   {"ALTER TABLE `users` RENAME TO `app_users`", "ALTER TABLE `app_users` RENAME COLUMN `email` TO `email_address`"},
				kernia.Postgres: {`ALTER TABLE "users" RENAME TO "app_users"`, `ALTER TABLE "app_users" RENAME COLUMN "email" TO "email_address"`},
			},
		},
		{
			name:  "column with an index and a foreign key",
			after: map[string]kernia.EntitySchema{"Session": {Columns: map[string]string{"user_id": "owner_id"}}},
			newN:  renameTables{sessionUser: "owner_id"},
			want: map[string][]string{
				kernia.SQLite:   {"ALTER TABLE `sessions` RENAME COLUMN `user_id` TO `owner_id`"},
				kernia.Postgres: {`ALTER TABLE "sessions" RENAME COLUMN "user_id" TO "owner_id"`},
			},
		},
		{
			name:   "rename and a real drop, allowed",
			before: map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "nickname", Type: kernia.FieldString, Optional: true}}}},
			after:  map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "email_address"}}},
			newN:   renameTables{email: "email_address"},
			allow:  true,
			want: map[string][]string{
				// SQLite drops a column by a rebuild that copies every row, the renamed column among them.
				kernia.SQLite:   {"ALTER TABLE `users` RENAME COLUMN `email` TO `email_address`", "INSERT INTO `new_users` (`id`, `name`, `email_address`,"},
				kernia.Postgres: {`ALTER TABLE "users" RENAME COLUMN "email" TO "email_address"`, `DROP COLUMN "nickname"`},
			},
		},
	}
	for _, tg := range renameTargets {
		for _, tc := range tests {
			t.Run(tg.dialect+"/"+tc.name, func(t *testing.T) {
				dir := newModule(t)
				dev := tg.dev(t)
				url := tg.url(t, dir)
				ctx := context.Background()
				migrations := filepath.Join(dir, "ent/migrate/migrations", tg.dialect)
				_, err := generator.Run(ctx, renameAuth(tg.dialect, dev, tc.before), generator.Options{Now: clock})
				assert.NilError(t, err)
				_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
				assert.NilError(t, err)
				db, _, err := sqldb.Open(ctx, url)
				assert.NilError(t, err)
				defer db.Close()
				oldN, newN := tc.oldN.orDefaults(), tc.newN.orDefaults()
				insertRenameRows(t, db, oldN)
				before := renameRows(t, db, oldN)
				assert.Equal(t, len(before), 9)

				after := renameAuth(tg.dialect, dev, tc.after)
				if tc.allow {
					// The real drop is still refused without consent, and nothing is written.
					snap := moduletest.Snapshot(t, dir)
					_, err := generator.Run(ctx, after, generator.Options{Now: clock})
					assert.Assert(t, errors.Is(err, diff.ErrDestructive), "%v", err)
					assert.Check(t, is.Contains(err.Error(), "drops column users.nickname"))
					assert.Check(t, !strings.Contains(err.Error(), "email"), "the rename is reported as a drop: %v", err)
					assert.DeepEqual(t, moduletest.Snapshot(t, dir), snap)
				}
				res, err := generator.Run(ctx, after, generator.Options{Now: clock, AllowDestructive: tc.allow})
				assert.NilError(t, err)
				var sqlText strings.Builder
				for _, m := range res.Migrations {
					sqlText.WriteString(m.SQL)
				}
				t.Logf("the rename migration:\n%s", sqlText.String())
				for _, w := range tc.want[tg.dialect] {
					assert.Check(t, is.Contains(sqlText.String(), w))
				}
				for _, col := range []string{"email", "user_id"} {
					for _, q := range []string{"`", `"`} {
						assert.Check(t, !strings.Contains(sqlText.String(), "DROP COLUMN "+q+col+q), "a renamed column is dropped:\n%s", sqlText.String())
					}
				}
				for _, table := range []string{oldN.users, oldN.twoFactors} {
					if table == newN.users || table == newN.twoFactors {
						continue
					}
					for _, q := range []string{"`", `"`} {
						assert.Check(t, !strings.Contains(sqlText.String(), "DROP TABLE "+q+table+q), "a renamed table is dropped:\n%s", sqlText.String())
					}
				}

				_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
				assert.NilError(t, err, sqlText.String())
				assert.DeepEqual(t, renameRows(t, db, newN), before)
				// The foreign keys hold under the new names.
				_, err = db.Exec(fmt.Sprintf(`INSERT INTO %s (id, expires_at, token, created_at, updated_at, %s) VALUES ('s9', CURRENT_TIMESTAMP, 'token9', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'nobody')`, newN.sessions, newN.sessionUser))
				assert.Check(t, err != nil, "a session of no user was accepted after the rename")
				_, err = db.Exec(fmt.Sprintf(`INSERT INTO %s (id, secret, backup_codes, user_id) VALUES ('m9', 's', 'c', 'nobody')`, newN.twoFactors))
				assert.Check(t, err != nil, "a two-factor row of no user was accepted after the rename")

				again, err := generator.Run(ctx, after, generator.Options{Now: clock})
				assert.NilError(t, err)
				assert.Assert(t, again.UpToDate(), "the generate after the rename changed %v: %+v", again.Changed, again.Migrations)
			})
		}
	}
}

// TestRenames1_BadInputWritesNothing: a rename onto a column dropped in the same change, a
// swap of two columns, a rename chain, a table renamed onto a table renamed away, and a rename
// of a column a plugin owns are refused before anything is written, naming the columns and the
// fix.
func TestRenames1_BadInputWritesNothing(t *testing.T) {
	tests := []struct {
		name          string
		before, after map[string]kernia.EntitySchema
		want          []string
	}{
		{
			name:   "onto an existing column",
			before: map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "contact", Type: kernia.FieldString, Optional: true}}}},
			after:  map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "contact"}}},
			want:   []string{"renaming column users.email to contact", "contact is an existing column (field contact)", "first remove field contact, generate with --allow-destructive; then rename email to contact"},
		},
		{
			name:  "swap",
			after: map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "name", "name": "email"}}},
			want:  []string{"renaming column users.email to name swaps it with column name", "first rename email to a temporary name"},
		},
		{
			name:  "chain",
			after: map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "name", "name": "full_name"}}},
			want:  []string{"column name (field name) is renamed to full_name in the same change", "first rename name to full_name"},
		},
		{
			name:  "table onto a renamed table",
			after: map[string]kernia.EntitySchema{"User": {Table: "people"}, "Account": {Table: "users"}},
			want:  []string{"renaming table accounts to users", "first rename table users to people"},
		},
		{
			name:  "plugin column",
			after: map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"two_factor_enabled": "mfa_on"}}},
			want:  []string{"renaming column users.two_factor_enabled to mfa_on", "plugin two-factor owns field User.two_factor_enabled"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := newModule(t)
			_, err := generator.Run(context.Background(), renameAuth(kernia.SQLite, "", tc.before), generator.Options{Now: clock})
			assert.NilError(t, err)
			snap := moduletest.Snapshot(t, dir)
			_, err = generator.Run(context.Background(), renameAuth(kernia.SQLite, "", tc.after), generator.Options{Now: clock})
			assert.Assert(t, err != nil)
			for _, w := range tc.want {
				assert.Check(t, is.Contains(err.Error(), w))
			}
			assert.DeepEqual(t, moduletest.Snapshot(t, dir), snap)
		})
	}
}

// widgets is a plugin whose entity Widget names its own table; version 2 renames it.
type widgets struct {
	kernia.BasePlugin
	version int
}

func (widgets) ID() string { return "widgets" }
func (p widgets) Entities() []kernia.Entity {
	if p.version == 2 {
		return []kernia.Entity{{Name: "Widget", Mixin: WidgetV2{}}}
	}
	return []kernia.Entity{{Name: "Widget", Mixin: WidgetV1{}}}
}

// WidgetV1 is Widget as version 1 of the plugin stores it, in table widgets.
type WidgetV1 struct{ mixin.Schema }

// Fields of Widget.
func (WidgetV1) Fields() []ent.Field {
	return []ent.Field{field.String("id"), field.String("label")}
}

// Indexes of Widget.
func (WidgetV1) Indexes() []ent.Index { return []ent.Index{index.Fields("label")} }

// Annotations of Widget: version 1's table.
func (WidgetV1) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("widgets")}
}

// WidgetV2 is Widget as version 2 of the plugin stores it, in table gadgets.
type WidgetV2 struct{ WidgetV1 }

// Annotations of Widget: version 2's table.
func (WidgetV2) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("gadgets")}
}

// TestRenames1_PluginRenamesItsTable: a plugin whose new version names its entity's table
// differently gets ALTER TABLE … RENAME TO, on SQLite and PostgreSQL databases holding rows,
// every row kept, and the next generate finds nothing to do.
func TestRenames1_PluginRenamesItsTable(t *testing.T) {
	for _, tg := range renameTargets {
		t.Run(tg.dialect, func(t *testing.T) {
			dir := newModule(t)
			dev := tg.dev(t)
			url := tg.url(t, dir)
			ctx := context.Background()
			migrations := filepath.Join(dir, "ent/migrate/migrations", tg.dialect)
			at := func(version int) *kernia.Auth {
				return kernia.New(kernia.Options{DevURL: dev, Dialects: []string{tg.dialect}, Plugins: []kernia.Plugin{widgets{version: version}}})
			}
			res, err := generator.Run(ctx, at(1), generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.Check(t, is.Contains(res.Migrations[0].SQL, "widgets"))
			_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
			assert.NilError(t, err)
			db, _, err := sqldb.Open(ctx, url)
			assert.NilError(t, err)
			defer db.Close()
			want := []string{"w1|one", "w2|two", "w3|three"}
			for _, r := range want {
				id, label, _ := strings.Cut(r, "|")
				_, err := db.Exec(fmt.Sprintf(`INSERT INTO widgets (id, label) VALUES ('%s', '%s')`, id, label))
				assert.NilError(t, err)
			}

			res, err = generator.Run(ctx, at(2), generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.Equal(t, len(res.Migrations), 1)
			q := map[string]string{kernia.SQLite: "`", kernia.Postgres: `"`}[tg.dialect]
			assert.Check(t, is.Contains(res.Migrations[0].SQL, "ALTER TABLE "+q+"widgets"+q+" RENAME TO "+q+"gadgets"+q))
			assert.Check(t, !strings.Contains(res.Migrations[0].SQL, "DROP TABLE"), res.Migrations[0].SQL)
			_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
			assert.NilError(t, err)
			rows, err := db.Query(`SELECT id, label FROM gadgets ORDER BY id`)
			assert.NilError(t, err)
			defer rows.Close()
			var got []string
			for rows.Next() {
				var id, label string
				assert.NilError(t, rows.Scan(&id, &label))
				got = append(got, id+"|"+label)
			}
			assert.NilError(t, rows.Err())
			assert.DeepEqual(t, got, want)

			again, err := generator.Run(ctx, at(2), generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.Assert(t, again.UpToDate(), "the generate after the rename changed %v: %+v", again.Changed, again.Migrations)
		})
	}
}
