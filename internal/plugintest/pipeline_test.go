package plugintest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/mysqltest"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/plugins/builtin"
	"github.com/kernia/kernia/sqldb"
)

// testdata is absolute: the pipeline tests run inside a temporary module.
var testdata, _ = filepath.Abs("testdata")

var clock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// authModule keeps Kernia and every plugin package required in the temporary module.
const authModule = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/builtin"
)

// Auth is the app's auth instance.
var Auth = kernia.New(kernia.Options{Plugins: builtin.All()})
`

// TestPipeline shares one temporary module (go mod tidy and Ent's package loading are the
// slow parts) across its subtests, which run in order:
//   - generate: each configuration from an empty migration directory of its own; the
//     migrations match testdata/migrations and apply to a new SQLite and PostgreSQL database.
//   - enable: starting from the core on databases holding rows, enable the built-in plugins
//     one at a time, then the core's rate_limits table: each step writes exactly one
//     migration per dialect with only that plugin's tables and columns, and applying it keeps
//     every row.
//   - client: the all-plugins client inserts and reads back every entity, and deleting a user
//     and an organization cascades to their plugin rows, on SQLite and PostgreSQL.
func TestPipeline(t *testing.T) {
	dir := moduletest.New(t, "example.com/app", map[string]string{"auth/auth.go": authModule})
	t.Chdir(dir)
	dev := pgtest.NewDatabase(t)
	ctx := context.Background()
	newAuth := func(migrations string, c config) *kernia.Auth {
		o := c.options()
		o.DevURL = dev
		o.Dialects = []string{kernia.SQLite, kernia.Postgres}
		o.MigrationsDir = migrations
		return kernia.New(o)
	}

	t.Run("generate", func(t *testing.T) {
		for _, c := range configs() {
			t.Run(c.name, func(t *testing.T) {
				migrations := filepath.Join("migrations", c.name)
				res, err := generator.Run(ctx, newAuth(migrations, c), generator.Options{Now: clock})
				assert.NilError(t, err)
				assert.Equal(t, len(res.Migrations), 2)
				for _, m := range res.Migrations {
					golden.Assert(t, m.SQL, filepath.Join(testdata, "migrations", c.name, m.Dialect+".sql.golden"))
				}
				plan, err := compose.Build(newAuth(migrations, c))
				assert.NilError(t, err)
				for _, d := range []string{kernia.SQLite, kernia.Postgres} {
					url := newDatabase(t, d)
					_, err := migration.Apply(ctx, url, filepath.Join(migrations, d), migration.ApplyOptions{})
					assert.NilError(t, err)
					db := open(t, url)
					for _, e := range plan.Entities {
						assert.DeepEqual(t, columns(t, db, d, e.Table), sorted(e.Columns))
					}
				}
			})
		}
	})

	t.Run("enable", func(t *testing.T) {
		migrations := filepath.Join("migrations", "enable")
		_, err := generator.Run(ctx, newAuth(migrations, config{}), generator.Options{Now: clock})
		assert.NilError(t, err)
		dbs := map[string]*sql.DB{}
		urls := map[string]string{}
		for _, d := range []string{kernia.SQLite, kernia.Postgres} {
			urls[d] = newDatabase(t, d)
			_, err := migration.Apply(ctx, urls[d], filepath.Join(migrations, d), migration.ApplyOptions{})
			assert.NilError(t, err)
			dbs[d] = open(t, urls[d])
			seedCore(t, dbs[d])
		}
		// One step per built-in plugin, then the core's rate_limits table.
		type step struct {
			id     string // a plugin id, or rate-limit
			plugin kernia.Plugin
		}
		var steps []step
		for _, p := range builtin.All() {
			steps = append(steps, step{p.ID(), p})
		}
		steps = append(steps, step{id: "rate-limit"})
		var enabled config
		prev, err := compose.Build(newAuth(migrations, config{}))
		assert.NilError(t, err)
		for i, p := range steps {
			if p.plugin != nil {
				enabled.plugins = append(enabled.plugins, p.plugin)
			} else {
				enabled.databaseRateLimit = true
			}
			name := strings.ReplaceAll(p.id, "-", "_")
			now := func() time.Time { return clock().Add(time.Duration(i+1) * time.Second) }
			a := newAuth(migrations, enabled)
			res, err := generator.Run(ctx, a, generator.Options{Now: now, Name: name})
			assert.NilError(t, err, p.id)
			next, err := compose.Build(a)
			assert.NilError(t, err)
			added := addedColumns(prev, next)
			// One file per dialect; on PostgreSQL a second, txmode none file when the plugin
			// indexes a table that exists already (online DDL: internal/diff's online.go).
			files := map[string][]string{}
			for _, m := range res.Migrations {
				suffix := ""
				if n := len(files[m.Dialect]); n > 0 {
					suffix = fmt.Sprintf(".%d", n+1)
				}
				files[m.Dialect] = append(files[m.Dialect], m.SQL)
				golden.Assert(t, m.SQL, filepath.Join(testdata, "enable", fmt.Sprintf("%02d_%s.%s%s.sql.golden", i+1, name, m.Dialect, suffix)))
			}
			assert.Equal(t, len(files), 2, p.id)
			assert.Equal(t, len(files[kernia.SQLite]), 1, p.id)
			for _, m := range res.Migrations {
				if len(files[m.Dialect]) == 0 {
					continue // applied with the dialect's first file
				}
				sqlText := strings.Join(files[m.Dialect], "\n")
				checkOnly(t, sqlText, m.Dialect, added, p.id)
				before := counts(t, dbs[m.Dialect], prev)
				r, err := migration.Apply(ctx, urls[m.Dialect], filepath.Join(migrations, m.Dialect), migration.ApplyOptions{})
				assert.NilError(t, err, "%s on %s", p.id, m.Dialect)
				assert.Equal(t, len(r.Applied), len(files[m.Dialect]))
				delete(files, m.Dialect)
				assert.DeepEqual(t, counts(t, dbs[m.Dialect], prev), before)
				for _, e := range next.Entities {
					assert.DeepEqual(t, columns(t, dbs[m.Dialect], m.Dialect, e.Table), sorted(e.Columns))
				}
				// Rows in plugin tables that later steps must keep, through SQLite's rebuilds of
				// users and sessions too.
				for _, q := range pluginSeeds[p.id] {
					var args []any
					if strings.Contains(q, "$1") {
						args = append(args, time.Now().UTC())
					}
					_, err := dbs[m.Dialect].Exec(q, args...)
					assert.NilError(t, err, q)
				}
			}
			prev = next
		}
		// Nothing is left to generate.
		res, err := generator.Run(ctx, newAuth(migrations, enabled), generator.Options{Now: clock})
		assert.NilError(t, err)
		assert.Assert(t, res.UpToDate(), "%v", res.Changed)

		// Disabling a plugin drops its tables and columns: refused without consent, and
		// nothing is written.
		before := moduletest.Snapshot(t, dir)
		without := enabled
		without.plugins = slices.DeleteFunc(slices.Clone(enabled.plugins), func(p kernia.Plugin) bool { return p.ID() == "organization" })
		_, err = generator.Run(ctx, newAuth(migrations, without), generator.Options{Now: clock})
		assert.Assert(t, errors.Is(err, diff.ErrDestructive), "%v", err)
		assert.Check(t, is.Contains(err.Error(), "drops table members"))
		assert.Check(t, is.Contains(err.Error(), "drops column sessions.active_organization_id"))
		assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)
		// So does turning the rate_limits table off.
		without = enabled
		without.databaseRateLimit = false
		_, err = generator.Run(ctx, newAuth(migrations, without), generator.Options{Now: clock})
		assert.Assert(t, errors.Is(err, diff.ErrDestructive), "%v", err)
		assert.Check(t, is.Contains(err.Error(), "drops table rate_limits"))
		assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)
	})

	t.Run("client", func(t *testing.T) {
		// The enable subtest left the all-plugins client in ent/.
		smoke := filepath.Join(dir, "cmd/smoke/main.go")
		assert.NilError(t, os.MkdirAll(filepath.Dir(smoke), 0o755))
		assert.NilError(t, os.WriteFile(smoke, []byte(smokeGo), 0o644))
		moduletest.Build(t, dir, "-o", "smoke", "./cmd/smoke")
		outputs := map[string]string{}
		for _, d := range []string{kernia.SQLite, kernia.Postgres} {
			t.Run(d, func(t *testing.T) {
				url := newDatabase(t, d)
				_, err := migration.Apply(ctx, url, filepath.Join("migrations", "all", d), migration.ApplyOptions{})
				assert.NilError(t, err)
				out := moduletest.Run(t, dir, "./smoke", url)
				golden.Assert(t, out, filepath.Join(testdata, "smoke.golden"))
				outputs[d] = out
			})
		}
		assert.Check(t, is.Equal(outputs[kernia.SQLite], outputs[kernia.Postgres]))
	})

	t.Run("mysql", func(t *testing.T) {
		// MySQL is not in the dialects above (each of their steps would need a MySQL server):
		// the core is generated for MySQL alone, applied to a database that then gets rows,
		// then every plugin at once (the all-plugins configuration), with no KERNIA_DEV_URL:
		// the diffs run on a temporary database on the target's server. The smoke program of
		// the client subtest then runs on it as on the other dialects.
		target := mysqltest.NewDatabase(t)
		mysqlAuth := func(c config) *kernia.Auth {
			o := c.options()
			o.DatabaseURL = target
			o.Dialects = []string{kernia.MySQL}
			o.MigrationsDir = filepath.Join("migrations", "mysql")
			return kernia.New(o)
		}
		mdir := filepath.Join("migrations", "mysql", kernia.MySQL)
		res, err := generator.Run(ctx, mysqlAuth(config{}), generator.Options{Now: clock})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Migrations), 1)
		golden.Assert(t, res.Migrations[0].SQL, filepath.Join(testdata, "migrations", "mysql", "core.sql.golden"))
		_, err = migration.Apply(ctx, target, mdir, migration.ApplyOptions{})
		assert.NilError(t, err)
		db := open(t, target)
		seedCore(t, mysqlDB{db})
		all := config{"all", builtin.All(), true}
		res, err = generator.Run(ctx, mysqlAuth(all), generator.Options{Now: func() time.Time { return clock().Add(time.Hour) }})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Migrations), 1)
		golden.Assert(t, res.Migrations[0].SQL, filepath.Join(testdata, "migrations", "mysql", "all.sql.golden"))
		applied, err := migration.Apply(ctx, target, mdir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Equal(t, len(applied.Applied), 1)
		plan, err := compose.Build(mysqlAuth(all))
		assert.NilError(t, err)
		for _, e := range plan.Entities {
			assert.DeepEqual(t, columns(t, db, kernia.MySQL, e.Table), sorted(e.Columns))
		}
		// The core's rows survived the plugin columns added to their tables.
		for table, want := range map[string]int{"users": 2, "sessions": 1, "accounts": 1, "verifications": 1} {
			var n int
			assert.NilError(t, db.QueryRow("SELECT count(*) FROM "+table).Scan(&n))
			assert.Check(t, is.Equal(n, want), table)
		}
		// No temporary dev database of this process (kernia_dev_<time>_<host>_<pid>_<random>)
		// is left on the server; other test packages create and drop their own meanwhile.
		var left int
		assert.NilError(t, db.QueryRow(`SELECT count(*) FROM information_schema.schemata WHERE schema_name REGEXP CONCAT('^kernia_dev_[0-9]+_[0-9a-f]{8}_', ?, '_[0-9a-f]+$')`, strconv.Itoa(os.Getpid())).Scan(&left))
		assert.Check(t, is.Equal(left, 0))

		client := mysqltest.NewDatabase(t)
		_, err = migration.Apply(ctx, client, mdir, migration.ApplyOptions{})
		assert.NilError(t, err)
		if _, err := os.Stat(filepath.Join(dir, "smoke")); err != nil { // the client subtest did not run
			smoke := filepath.Join(dir, "cmd/smoke/main.go")
			assert.NilError(t, os.MkdirAll(filepath.Dir(smoke), 0o755))
			assert.NilError(t, os.WriteFile(smoke, []byte(smokeGo), 0o644))
			moduletest.Build(t, dir, "-o", "smoke", "./cmd/smoke")
		}
		out := moduletest.Run(t, dir, "./smoke", client)
		golden.Assert(t, out, filepath.Join(testdata, "smoke.golden"))
	})
}

// mysqlDB runs the $n-placeholder statements of the seeds on MySQL, which takes ?.
type mysqlDB struct{ *sql.DB }

var dollarN = regexp.MustCompile(`\$[0-9]+`)

// Exec runs query with its $n placeholders as ?; the arguments are in order in every seed.
func (db mysqlDB) Exec(query string, args ...any) (sql.Result, error) {
	return db.DB.Exec(dollarN.ReplaceAllString(query, "?"), args...)
}

// newDatabase returns the URL of a new, empty database of the dialect.
func newDatabase(t *testing.T, dialect string) string {
	if dialect == kernia.Postgres {
		return pgtest.NewDatabase(t)
	}
	return "sqlite://" + filepath.Join(t.TempDir(), "app.db")
}

func open(t *testing.T, url string) *sql.DB {
	db, _, err := sqldb.Open(context.Background(), url)
	assert.NilError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// columns lists a table's columns, sorted.
func columns(t *testing.T, db *sql.DB, dialect, table string) []string {
	q := `SELECT name FROM pragma_table_info(?)`
	switch dialect {
	case kernia.Postgres:
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`
	case kernia.MySQL:
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?`
	}
	rows, err := db.Query(q, table)
	assert.NilError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		assert.NilError(t, rows.Scan(&c))
		out = append(out, c)
	}
	assert.NilError(t, rows.Err())
	slices.Sort(out)
	return out
}

func sorted(cs []compose.Column) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}

// execer is what seedCore writes with: a *sql.DB, or mysqlDB.
type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

// seedCore writes a user with a session, an account and a verification.
func seedCore(t *testing.T, db execer) {
	now := time.Now().UTC()
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO users (id, name, email, email_verified, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			[]any{"u1", "Ada", "ada@example.com", true, now, now}},
		{`INSERT INTO users (id, name, email, email_verified, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			[]any{"u2", "Grace", "grace@example.com", false, now, now}},
		{`INSERT INTO sessions (id, expires_at, token, created_at, updated_at, user_id) VALUES ($1, $2, $3, $4, $5, $6)`,
			[]any{"s1", now.Add(time.Hour), "tok", now, now, "u1"}},
		{`INSERT INTO accounts (id, issuer, account_id, provider_id, user_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			[]any{"a1", "https://accounts.example.com", "42", "credential", "u1", now, now}},
		{`INSERT INTO verifications (id, identifier, value, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			[]any{"v1", "ada@example.com", "code", now.Add(time.Hour), now, now}},
	}
	for _, s := range stmts {
		_, err := db.Exec(s.q, s.args...)
		assert.NilError(t, err, s.q)
	}
}

// pluginSeeds are rows written once a plugin's tables exist ($1 is the current time).
var pluginSeeds = map[string][]string{
	"two-factor": {
		`INSERT INTO two_factors (id, secret, backup_codes, user_id) VALUES ('t1', 'totp', 'a,b', 'u1')`,
	},
	"organization": {
		`INSERT INTO organizations (id, name, slug, created_at) VALUES ('o1', 'Acme', 'acme', $1)`,
		`INSERT INTO members (id, organization_id, user_id, created_at) VALUES ('m1', 'o1', 'u1', $1)`,
		`INSERT INTO invitations (id, organization_id, email, expires_at, created_at, inviter_id) VALUES ('i1', 'o1', 'bob@example.com', $1, $1, 'u1')`,
		`INSERT INTO teams (id, name, organization_id, created_at) VALUES ('t1', 'Core', 'o1', $1)`,
		`INSERT INTO team_members (id, team_id, user_id, created_at) VALUES ('tm1', 't1', 'u2', $1)`,
	},
	"passkey": {
		`INSERT INTO passkeys (id, public_key, user_id, credential_id, counter, device_type, backed_up, created_at) VALUES ('p1', 'pk', 'u1', 'cred', 0, 'singleDevice', false, $1)`,
	},
	"device-authorization": {
		`INSERT INTO device_codes (id, device_code, user_code, expires_at, status) VALUES ('d1', 'device', 'ABCD-EFGH', $1, 'pending')`,
	},
	"siwe": {
		`INSERT INTO wallet_addresses (id, user_id, address, chain_id, created_at) VALUES ('w1', 'u1', '0x52908400098527886E0F7030069857D2E4169EE7', 1, $1)`,
	},
	"oauth-provider": {
		`INSERT INTO oauth_clients (id, client_id, redirect_uris, user_id, created_at) VALUES ('c1', 'client', '["https://app.example.com/callback"]', 'u1', $1)`,
		`INSERT INTO oauth_refresh_tokens (id, token, client_id, session_id, user_id, expires_at, scopes) VALUES ('r1', 'refresh', 'client', 's1', 'u1', $1, '["openid"]')`,
	},
	"rate-limit": {
		`INSERT INTO rate_limits (id, key, count, last_request) VALUES ('l1', '127.0.0.1/sign-in/email', 1, 1767322800000)`,
	},
}

// counts returns the row count of every table of the plan.
func counts(t *testing.T, db *sql.DB, plan *compose.Plan) map[string]int {
	out := map[string]int{}
	for _, e := range plan.Entities {
		var n int
		assert.NilError(t, db.QueryRow(`SELECT count(*) FROM `+e.Table).Scan(&n), e.Table)
		out[e.Table] = n
	}
	return out
}

// added is what a step adds to the schema: new tables, and new columns of existing tables.
type added struct {
	tables  map[string]bool
	columns map[string]map[string]bool // existing table → new columns
}

func addedColumns(prev, next *compose.Plan) added {
	old := map[string]map[string]bool{}
	for _, e := range prev.Entities {
		old[e.Table] = map[string]bool{}
		for _, c := range e.Columns {
			old[e.Table][c.Name] = true
		}
	}
	a := added{tables: map[string]bool{}, columns: map[string]map[string]bool{}}
	for _, e := range next.Entities {
		cols, ok := old[e.Table]
		if !ok {
			a.tables[e.Table] = true
			continue
		}
		for _, c := range e.Columns {
			if !cols[c.Name] {
				if a.columns[e.Table] == nil {
					a.columns[e.Table] = map[string]bool{}
				}
				a.columns[e.Table][c.Name] = true
			}
		}
	}
	return a
}

var (
	createTable = regexp.MustCompile("(?m)^CREATE TABLE [`\"]([a-z_]+)[`\"]")
	alterLine   = regexp.MustCompile("(?m)^ALTER TABLE [`\"]([a-z_]+)[`\"] .*$")
	addColumn   = regexp.MustCompile("ADD COLUMN [`\"]([a-z_]+)[`\"]")
	alterTable  = regexp.MustCompile("(?m)^ALTER TABLE [`\"]([a-z_]+)[`\"]")
	dropTable   = regexp.MustCompile("(?m)^DROP TABLE [`\"]([a-z_]+)[`\"]")
	createIndex = regexp.MustCompile("(?m)^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?[`\"][a-z_]+[`\"] ON [`\"]([a-z_]+)[`\"]")
)

// checkOnly checks that a migration creates every table and column of the step and touches
// no other table. A SQLite table that gains a column it cannot add in place is rebuilt:
// created as new_<table>, copied, dropped and renamed.
func checkOnly(t *testing.T, sqlText, dialect string, a added, plugin string) {
	t.Helper()
	created := map[string]bool{}
	for _, m := range createTable.FindAllStringSubmatch(sqlText, -1) {
		created[m[1]] = true
	}
	touched := func(table string) bool {
		return a.tables[table] || a.columns[table] != nil ||
			(dialect == kernia.SQLite && strings.HasPrefix(table, "new_") && a.columns[strings.TrimPrefix(table, "new_")] != nil)
	}
	for table := range a.tables {
		assert.Check(t, created[table], "%s %s: table %s is not created", plugin, dialect, table)
	}
	for table := range created {
		assert.Check(t, touched(table), "%s %s: creates table %s", plugin, dialect, table)
	}
	for _, re := range []*regexp.Regexp{alterTable, dropTable, createIndex} {
		for _, m := range re.FindAllStringSubmatch(sqlText, -1) {
			assert.Check(t, touched(m[1]), "%s %s: touches table %s:\n%s", plugin, dialect, m[1], sqlText)
		}
	}
	for _, line := range alterLine.FindAllStringSubmatch(sqlText, -1) {
		for _, m := range addColumn.FindAllStringSubmatch(line[0], -1) {
			assert.Check(t, a.columns[line[1]][m[1]], "%s %s: adds column %s.%s", plugin, dialect, line[1], m[1])
		}
	}
	for table, cols := range a.columns {
		for c := range cols {
			assert.Check(t, strings.Contains(sqlText, "`"+c+"`") || strings.Contains(sqlText, `"`+c+`"`),
				"%s %s: column %s.%s is not added", plugin, dialect, table, c)
		}
	}
}
