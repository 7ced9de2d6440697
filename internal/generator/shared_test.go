package generator_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/plugins/twofactor"
	"github.com/kernia/kernia/plugins/username"
	"github.com/kernia/kernia/sqldb"
)

// ordersFile is the application's own migration in the shared directory: its orders table with
// a foreign key to Kernia's users, and a column and an index it adds to users.
const ordersFile = "20260102030500_orders.sql"

const ordersSQL = `-- The shop's own migration, written by hand.
CREATE TABLE orders (
  id varchar(32) NOT NULL PRIMARY KEY,
  user_id varchar NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  total bigint NOT NULL
);
CREATE INDEX orders_user_id ON orders (user_id);
ALTER TABLE users ADD COLUMN loyalty_tier varchar NULL;
CREATE INDEX users_loyalty_tier ON users (loyalty_tier);
`

// kerniaHash runs `kernia hash` over the module's directories.
func kerniaHash(t *testing.T, a *kernia.Auth) {
	t.Helper()
	var stderr bytes.Buffer
	assert.NilError(t, command.Hash(a, command.HashFlags{}, command.IO{Stdout: &bytes.Buffer{}, Stderr: &stderr}), stderr.String())
}

// sharedRows reads the application's rows and the users' rows the test inserted.
func sharedRows(t *testing.T, db *sql.DB, nameColumn string) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT id, user_id, CAST(total AS TEXT) FROM orders ORDER BY id`,
		fmt.Sprintf(`SELECT id, %s || '|' || email, COALESCE(loyalty_tier, '') FROM users ORDER BY id`, nameColumn),
	} {
		rows, err := db.Query(q)
		assert.NilError(t, err, q)
		for rows.Next() {
			var a, b, c string
			assert.NilError(t, rows.Scan(&a, &b, &c))
			out = append(out, a+"|"+b+"|"+c)
		}
		assert.NilError(t, rows.Err())
		rows.Close()
	}
	return out
}

// assertOrdersFK checks that orders' foreign key to users still holds: the database reports no
// violation, refuses an order of no user, and deleting a user cascades to its orders.
func assertOrdersFK(t *testing.T, db *sql.DB, dialect string) {
	t.Helper()
	if dialect == kernia.SQLite {
		rows, err := db.Query(`PRAGMA foreign_key_check`)
		assert.NilError(t, err)
		assert.Check(t, !rows.Next(), "PRAGMA foreign_key_check reports a violation")
		rows.Close()
		var n int
		assert.NilError(t, db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_list('orders') WHERE "table" = 'users' AND "from" = 'user_id' AND "to" = 'id'`).Scan(&n))
		assert.Check(t, is.Equal(n, 1), "orders' foreign key to users is gone")
	} else {
		var n int
		assert.NilError(t, db.QueryRow(`SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated AND conrelid = 'orders'::regclass AND confrelid = 'users'::regclass`).Scan(&n))
		assert.Check(t, is.Equal(n, 1), "orders' foreign key to users is gone")
	}
	_, err := db.Exec(`INSERT INTO orders (id, user_id, total) VALUES ('o9', 'nobody', 1)`)
	assert.Check(t, err != nil, "an order of no user was accepted")
}

// TestShared_ApplicationTablesSurvive: the application's migration creates orders (foreign key
// to users) and adds a column and an index to users in Kernia's directory; enabling a plugin
// that adds columns to users, disabling it again (a SQLite table rebuild of users) and renaming
// a users column through Options.Schema each generate only Kernia's changes, never touching
// orders or the application's column and index; migrate applies the mixed directory in version
// order, every row of orders and users survives, the foreign key holds, and the next generate
// finds nothing to do.
func TestShared_ApplicationTablesSurvive(t *testing.T) {
	for _, tg := range renameTargets {
		t.Run(tg.dialect, func(t *testing.T) {
			dir := newModule(t)
			dev := tg.dev(t)
			url := tg.url(t, dir)
			ctx := context.Background()
			migrations := filepath.Join(dir, "ent/migrate/migrations", tg.dialect)
			at := func(plugins []kernia.Plugin, schema map[string]kernia.EntitySchema) *kernia.Auth {
				return kernia.New(kernia.Options{DevURL: dev, Dialects: []string{tg.dialect}, Plugins: plugins, Schema: schema})
			}
			core := at(nil, nil)
			_, err := generator.Run(ctx, core, generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.NilError(t, os.WriteFile(filepath.Join(migrations, ordersFile), []byte(ordersSQL), 0o644))
			kerniaHash(t, core)
			_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
			assert.NilError(t, err)
			db, _, err := sqldb.Open(ctx, url)
			assert.NilError(t, err)
			defer db.Close()
			for i := 1; i <= 3; i++ {
				_, err := db.Exec(fmt.Sprintf(`INSERT INTO users (id, name, email, email_verified, created_at, updated_at, loyalty_tier) VALUES ('u%d', 'User %d', 'u%d@example.com', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'gold%d')`, i, i, i, i))
				assert.NilError(t, err)
				_, err = db.Exec(fmt.Sprintf(`INSERT INTO orders (id, user_id, total) VALUES ('o%d', 'u%d', %d)`, i, i, 100*i))
				assert.NilError(t, err)
			}
			want := sharedRows(t, db, "name")
			assert.Equal(t, len(want), 6)

			// Nothing of Kernia's changed: the application's file alone plans nothing.
			res, err := generator.Run(ctx, core, generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.Assert(t, is.Len(res.Migrations, 0), "%+v", res.Migrations)

			steps := []struct {
				name    string
				auth    *kernia.Auth
				allow   bool
				nameCol string
				want    []string // statements (or parts) the step's migration has
			}{
				{name: "enable username", auth: at([]kernia.Plugin{username.New()}, nil), nameCol: "name",
					want: []string{"username"}},
				{name: "disable username", auth: core, allow: true, nameCol: "name",
					want: map[string][]string{kernia.SQLite: {"new_users"}, kernia.Postgres: {`DROP COLUMN "username"`}}[tg.dialect]},
				{name: "rename users.name", auth: at(nil, map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"name": "full_name"}}}), nameCol: "full_name",
					want: []string{"RENAME COLUMN"}},
			}
			for _, s := range steps {
				if s.allow {
					snap := moduletest.Snapshot(t, dir)
					_, err := generator.Run(ctx, s.auth, generator.Options{Now: clock})
					assert.Assert(t, errors.Is(err, diff.ErrDestructive), "%s: %v", s.name, err)
					assert.Check(t, !strings.Contains(err.Error(), "orders") && !strings.Contains(err.Error(), "loyalty_tier"), "%s: %v", s.name, err)
					assert.DeepEqual(t, moduletest.Snapshot(t, dir), snap)
				}
				res, err := generator.Run(ctx, s.auth, generator.Options{Now: clock, AllowDestructive: s.allow})
				assert.NilError(t, err, s.name)
				assert.Assert(t, len(res.Migrations) > 0, s.name)
				var text strings.Builder
				for _, m := range res.Migrations {
					text.WriteString(m.SQL)
				}
				t.Logf("%s:\n%s", s.name, text.String())
				for _, w := range s.want {
					assert.Check(t, is.Contains(text.String(), w), s.name)
				}
				for _, never := range []string{"orders", "loyalty_tier"} {
					if tg.dialect == kernia.SQLite && never == "loyalty_tier" && strings.Contains(text.String(), "new_users") {
						// A rebuild of users carries the application's column over, as it is.
						assert.Check(t, is.Contains(text.String(), "CREATE INDEX `users_loyalty_tier` ON `users` (`loyalty_tier`)"), s.name)
						continue
					}
					assert.Check(t, !strings.Contains(text.String(), never), "%s plans the application's %s:\n%s", s.name, never, text.String())
				}
				_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
				assert.NilError(t, err, s.name)
				assert.DeepEqual(t, sharedRows(t, db, s.nameCol), want)
				assertOrdersFK(t, db, tg.dialect)
				again, err := generator.Run(ctx, s.auth, generator.Options{Now: clock})
				assert.NilError(t, err)
				assert.Assert(t, again.UpToDate(), "%s: the next generate changed %v: %+v", s.name, again.Changed, again.Migrations)
			}
			// The application's index on users survived every step.
			var n int
			q := map[string]string{
				kernia.SQLite:   `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'users_loyalty_tier'`,
				kernia.Postgres: `SELECT count(*) FROM pg_indexes WHERE indexname = 'users_loyalty_tier'`,
			}[tg.dialect]
			assert.NilError(t, db.QueryRow(q).Scan(&n))
			assert.Check(t, is.Equal(n, 1), "the application's index on users is gone")
			// Deleting a user still cascades to its orders.
			_, err = db.Exec(`DELETE FROM users WHERE id = 'u1'`)
			assert.NilError(t, err)
			assert.NilError(t, db.QueryRow(`SELECT count(*) FROM orders`).Scan(&n))
			assert.Check(t, is.Equal(n, 2))
		})
	}
}

// TestShared_ConflictsAreRefused: a table, a column of users and an index name that the
// application's migration created and that a plugin needs, and a plugin's table the application
// references, are refused before anything is written, naming the table (or column, or index)
// and the application's file.
func TestShared_ConflictsAreRefused(t *testing.T) {
	const appFile = "20260102030500_shop.sql"
	tests := []struct {
		name     string
		dialects []string
		before   []kernia.Plugin // enabled when the application's file is added
		app      string
		after    []kernia.Plugin
		allow    bool
		want     []string
	}{
		{name: "table", dialects: []string{kernia.SQLite, kernia.Postgres},
			app:   "CREATE TABLE two_factors (id varchar NOT NULL PRIMARY KEY, code varchar NOT NULL);\n",
			after: []kernia.Plugin{twofactor.New()},
			want:  []string{"table two_factors, which Kernia needs (two-factor), was created by the application's migration {file}: "}},
		{name: "column", dialects: []string{kernia.SQLite},
			app:   "ALTER TABLE users ADD COLUMN username varchar NULL;\n",
			after: []kernia.Plugin{username.New()},
			want:  []string{"column users.username, which Kernia needs (username), was added by the application's migration {file}"}},
		{name: "index", dialects: []string{kernia.SQLite},
			app:   "CREATE INDEX users_username_key ON users (name);\n",
			after: []kernia.Plugin{username.New()},
			want:  []string{"index users_username_key, which Kernia needs on table users, was created by the application's migration {file} (on table users)"}},
		{name: "drop of a table the application references", dialects: []string{kernia.SQLite, kernia.Postgres},
			before: []kernia.Plugin{twofactor.New()},
			app:    "CREATE TABLE recovery_audit (id varchar NOT NULL PRIMARY KEY, two_factor_id varchar NOT NULL REFERENCES two_factors (id));\n",
			allow:  true,
			want:   []string{"drops table two_factors, but the application's table recovery_audit (migration {file}) references it with a foreign key (", "recovery_audit.two_factor_id → two_factors.id)", "nothing was written"}},
	}
	for _, tc := range tests {
		for _, tg := range renameTargets {
			if !slicesContains(tc.dialects, tg.dialect) {
				continue
			}
			t.Run(tg.dialect+"/"+tc.name, func(t *testing.T) {
				dir := newModule(t)
				dev := tg.dev(t)
				ctx := context.Background()
				at := func(plugins []kernia.Plugin) *kernia.Auth {
					return kernia.New(kernia.Options{DevURL: dev, Dialects: []string{tg.dialect}, Plugins: plugins})
				}
				_, err := generator.Run(ctx, at(tc.before), generator.Options{Now: clock})
				assert.NilError(t, err)
				migrations := filepath.Join(dir, "ent/migrate/migrations", tg.dialect)
				assert.NilError(t, os.WriteFile(filepath.Join(migrations, appFile), []byte(tc.app), 0o644))
				kerniaHash(t, at(tc.before))
				snap := moduletest.Snapshot(t, dir)
				_, err = generator.Run(ctx, at(tc.after), generator.Options{Now: clock, AllowDestructive: tc.allow})
				assert.Assert(t, err != nil)
				t.Log(err)
				for _, w := range tc.want {
					w = strings.ReplaceAll(w, "{file}", filepath.Join("ent/migrate/migrations", tg.dialect, appFile))
					assert.Check(t, is.Contains(err.Error(), w))
				}
				assert.DeepEqual(t, moduletest.Snapshot(t, dir), snap)
			})
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// orderEntity is the application's own Ent entity in ent/schema, beside Kernia's files: its
// table is the shop's (ordersSQL creates it), with an edge to Kernia's User whose foreign key
// lives in orders.
const orderEntity = `package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Order is the shop's own entity.
type Order struct{ ent.Schema }

// Fields of Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{field.String("id"), field.Int64("total")}
}

// Edges of Order: its user, a foreign key in orders.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{edge.To("user", User.Type).Unique().Required().StorageKey(edge.Column("user_id"))}
}

// Annotations of Order.
func (Order) Annotations() []schema.Annotation { return []schema.Annotation{entsql.Table("orders")} }
`

// TestShared_ApplicationEntity: the application's own entity in ent/schema, with an edge to
// User, composes with Kernia's entities into one client that compiles, and Kernia's diff never
// plans its table (the application's migration creates it); an entity whose edge would put a
// foreign key into users is refused, naming the column.
func TestShared_ApplicationEntity(t *testing.T) {
	dir := newModule(t)
	ctx := context.Background()
	a := kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}})
	assert.NilError(t, os.MkdirAll(filepath.Join(dir, "ent/schema"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "ent/schema/order.go"), []byte(orderEntity), 0o644))
	res, err := generator.Run(ctx, a, generator.Options{Now: clock})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(res.Migrations, 1))
	assert.Check(t, is.Contains(res.Migrations[0].SQL, "CREATE TABLE `users`"))
	assert.Check(t, !strings.Contains(res.Migrations[0].SQL, "orders"), res.Migrations[0].SQL)
	assert.Check(t, is.Contains(res.Changed, "ent/order.go"))
	migrations := filepath.Join(dir, "ent/migrate/migrations", kernia.SQLite)
	assert.NilError(t, os.WriteFile(filepath.Join(migrations, ordersFile), []byte(ordersSQL), 0o644))
	kerniaHash(t, a)
	again, err := generator.Run(ctx, a, generator.Options{Now: clock})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(again.Migrations, 0), "%+v", again.Migrations)
	url := "sqlite://" + filepath.Join(dir, "app.db")
	_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
	assert.NilError(t, err)
	moduletest.Build(t, dir, "./...")

	// An edge from the application's entity whose foreign key Ent puts into users.
	bad := strings.Replace(orderEntity, `edge.To("user", User.Type).Unique().Required().StorageKey(edge.Column("user_id"))`, `edge.To("buyers", User.Type)`, 1)
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "ent/schema/order.go"), []byte(bad), 0o644))
	snap := moduletest.Snapshot(t, dir)
	_, err = generator.Run(ctx, a, generator.Options{Now: clock})
	assert.ErrorContains(t, err, "adds column users.order_buyers")
	t.Log(err)
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), snap)
}

// TestShared_MigrationsDirStaysInTheModule: Options.MigrationsDir (and generate --output, which
// sets it) is one path input, checked where it enters: a path leaving the module, absolute, or
// through a symbolic link, is refused with the rule and the fix, and nothing is written.
func TestShared_MigrationsDirStaysInTheModule(t *testing.T) {
	outside := t.TempDir()
	tests := []struct{ name, dir, want string }{
		{"parent", "../shared-migrations", `Options.MigrationsDir: "../shared-migrations" is not a directory inside the module`},
		{"absolute", filepath.Join(outside, "migrations"), "is not a directory inside the module: give a path relative to the module root"},
		{"control character", "db/\nmigrations", "Options.MigrationsDir: the path holds a control character"},
		{"symbolic link", "db/migrations", "outside the module"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := newModule(t)
			snap := moduletest.Snapshot(t, dir)
			if tc.name == "symbolic link" {
				assert.NilError(t, os.Symlink(outside, filepath.Join(dir, "db")))
			}
			_, err := generator.Run(context.Background(), kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}, MigrationsDir: tc.dir}), generator.Options{Now: clock})
			assert.ErrorContains(t, err, tc.want)
			assert.NilError(t, os.RemoveAll(filepath.Join(dir, "db")))
			after := moduletest.Snapshot(t, dir)
			delete(after, ".kernia/generate.lock") // the module's generate lock, which every run takes first
			assert.DeepEqual(t, after, snap)
			entries, err := os.ReadDir(outside)
			assert.NilError(t, err)
			assert.Check(t, is.Len(entries, 0), "written outside the module")
		})
	}
	// A directory of the module is accepted.
	dir := newModule(t)
	_, err := generator.Run(context.Background(), kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}, MigrationsDir: "db/migrations"}), generator.Options{Now: clock})
	assert.NilError(t, err)
	_, err = os.Stat(filepath.Join(dir, "db/migrations/sqlite/atlas.sum"))
	assert.NilError(t, err)
}

// TestShared_EachFormat: the shared directory works in every migration format: the
// application's own file in the directory's format (creating orders, foreign key to users) is
// never planned when a plugin is enabled, and migrate applies the mixed directory.
func TestShared_EachFormat(t *testing.T) {
	body := "CREATE TABLE orders (id varchar NOT NULL PRIMARY KEY, user_id varchar NOT NULL REFERENCES users (id));\n"
	for _, tc := range []struct{ format, file, content string }{
		{"atlas", ordersFile, body},
		{"golang-migrate", "20260102030500_orders.up.sql", body},
		{"goose", ordersFile, "-- +goose Up\n" + body + "\n-- +goose Down\nDROP TABLE orders;\n"},
		{"flyway", "V20260102030500__orders.sql", body},
	} {
		t.Run(tc.format, func(t *testing.T) {
			dir := newModule(t)
			ctx := context.Background()
			at := func(plugins ...kernia.Plugin) *kernia.Auth {
				return kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}, MigrationFormat: tc.format, Plugins: plugins})
			}
			_, err := generator.Run(ctx, at(), generator.Options{Now: clock})
			assert.NilError(t, err)
			migrations := filepath.Join(dir, "ent/migrate/migrations", kernia.SQLite)
			assert.NilError(t, os.WriteFile(filepath.Join(migrations, tc.file), []byte(tc.content), 0o644))
			kerniaHash(t, at())
			res, err := generator.Run(ctx, at(username.New()), generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.Assert(t, len(res.Migrations) > 0)
			for _, m := range res.Migrations {
				assert.Check(t, !strings.Contains(m.SQL, "orders"), "%s plans the application's table:\n%s", m.Path, m.SQL)
			}
			url := "sqlite://" + filepath.Join(dir, "app.db")
			_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
			assert.NilError(t, err)
			db, _, err := sqldb.Open(ctx, url)
			assert.NilError(t, err)
			defer db.Close()
			var n int
			assert.NilError(t, db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_list('orders') WHERE "table" = 'users'`).Scan(&n))
			assert.Check(t, is.Equal(n, 1))
			assert.NilError(t, db.QueryRow(`SELECT count(*) FROM pragma_table_info('users') WHERE name = 'username'`).Scan(&n))
			assert.Check(t, is.Equal(n, 1))
		})
	}
}
