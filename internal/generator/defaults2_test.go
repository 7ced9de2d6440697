package generator_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/sqldb"
)

// defaultsTarget is one dialect of the database-defaults tests: generate options and the
// database the migrations are applied to.
type defaultsTarget struct {
	dialect string
	// options returns the base options of the dialect (the dev database included).
	options func(t *testing.T) kernia.Options
	// url returns a fresh, empty target database.
	url func(t *testing.T) string
}

var defaultsTargets = []defaultsTarget{
	{
		dialect: kernia.SQLite,
		options: func(t *testing.T) kernia.Options { return kernia.Options{Dialects: []string{kernia.SQLite}} },
		url:     func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "app.db") },
	},
	{
		dialect: kernia.Postgres,
		options: func(t *testing.T) kernia.Options {
			return kernia.Options{DevURL: pgtest.NewDatabase(t), Dialects: []string{kernia.Postgres}}
		},
		url: func(t *testing.T) string { return pgtest.NewDatabase(t) },
	},
}

// userRow is one row of users as the tests compare it before and after a migration.
type userRow struct {
	id, name, email  string
	created, updated time.Time
	emailVerified    bool
	joined           sql.NullTime
}

// sameRows checks that after holds the rows of before, unchanged (times compared as instants);
// the joined_at column, absent from before, is not compared.
func sameRows(t *testing.T, before, after []userRow) {
	t.Helper()
	assert.Equal(t, len(after), len(before))
	for i, r := range after {
		b := before[i]
		assert.Check(t, r.id == b.id && r.name == b.name && r.email == b.email && r.emailVerified == b.emailVerified, "row %s changed: %+v -> %+v", b.id, b, r)
		assert.Check(t, r.created.Equal(b.created) && r.updated.Equal(b.updated), "row %s times changed: %+v -> %+v", b.id, b, r)
	}
}

// placeholders rewrites PostgreSQL's $1, $2 … into SQLite's ? for the SQLite target.
func placeholders(dialect, query string) string {
	if dialect != kernia.SQLite {
		return query
	}
	return regexp.MustCompile(`\$[0-9]+`).ReplaceAllString(query, "?")
}

// readMigrations returns the content of every migration file in dir, in order.
func readMigrations(t *testing.T, dir string) string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	assert.NilError(t, err)
	var b strings.Builder
	for _, p := range paths {
		c, err := os.ReadFile(p)
		assert.NilError(t, err)
		b.Write(c)
	}
	return b.String()
}

// snapshotTree returns every file generate writes (the ent tree: schema, client, migrations).
func snapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	return moduletest.Snapshot(t, filepath.Join(dir, "ent"))
}

// readUsers returns every row of users ordered by id, through the connection the generated
// client uses (sqldb.Open: ISO-8601 UTC text on SQLite), so times written by the
// database's DEFAULT and by the client must both scan into time.Time.
func readUsers(t *testing.T, db *sql.DB, joined bool) []userRow {
	t.Helper()
	cols := "id, name, email, email_verified, created_at, updated_at"
	if joined {
		cols += ", joined_at"
	}
	rows, err := db.Query(`SELECT ` + cols + ` FROM users ORDER BY id`)
	assert.NilError(t, err)
	defer rows.Close()
	var out []userRow
	for rows.Next() {
		var r userRow
		dest := []any{&r.id, &r.name, &r.email, &r.emailVerified, &r.created, &r.updated}
		if joined {
			dest = append(dest, &r.joined)
		}
		assert.NilError(t, rows.Scan(dest...))
		out = append(out, r)
	}
	assert.NilError(t, rows.Err())
	return out
}

// populate generates and applies the base schema, then inserts rows into users: one by raw SQL
// that leaves created_at and updated_at to the database's DEFAULT, one with the times written
// as the client writes them (a time.Time parameter).
func populate(t *testing.T, tg defaultsTarget, url string) (*sql.DB, string) {
	t.Helper()
	dir := newModule(t)
	_, err := generator.Run(context.Background(), kernia.New(tg.options(t)), generator.Options{Now: clock})
	assert.NilError(t, err)
	migrations := filepath.Join(dir, "ent/migrate/migrations", tg.dialect)
	_, err = migration.Apply(context.Background(), url, migrations, migration.ApplyOptions{})
	assert.NilError(t, err)
	db, _, err := sqldb.Open(context.Background(), url)
	assert.NilError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Exec(`INSERT INTO users (id, name, email, email_verified) VALUES ('u1', 'Ada', 'ada@example.com', false)`)
	assert.NilError(t, err, "a raw insert without created_at/updated_at needs their database default")
	now := time.Now().UTC().Truncate(time.Microsecond)
	_, err = db.Exec(placeholders(tg.dialect, `INSERT INTO users (id, name, email, email_verified, created_at, updated_at) VALUES ('u2', 'Grace', 'grace@example.com', true, $1, $2)`), now, now)
	assert.NilError(t, err)
	return db, dir
}

// within checks that got lies in [from-1s, to+1s]: SQLite's CURRENT_TIMESTAMP has whole
// seconds.
func within(t *testing.T, what string, got, from, to time.Time) {
	t.Helper()
	assert.Check(t, !got.Before(from.Add(-time.Second)) && !got.After(to.Add(time.Second)), "%s = %s, not between %s and %s", what, got, from, to)
}

// TestDefaults2_RawInsertUsesDatabaseTimestamps: a raw-SQL insert that leaves out created_at
// and updated_at gets CURRENT_TIMESTAMP from the database on SQLite and PostgreSQL, and reads
// back as the same instant as a row the client wrote, through the client's connection.
func TestDefaults2_RawInsertUsesDatabaseTimestamps(t *testing.T) {
	for _, tg := range defaultsTargets {
		t.Run(tg.dialect, func(t *testing.T) {
			url := tg.url(t)
			from := time.Now()
			db, dir := populate(t, tg, url)
			to := time.Now()
			sqlText := readMigrations(t, filepath.Join(dir, "ent/migrate/migrations", tg.dialect))
			want := map[string]string{kernia.SQLite: "`created_at` datetime NOT NULL DEFAULT (CURRENT_TIMESTAMP)", kernia.Postgres: `"created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP`}[tg.dialect]
			assert.Check(t, is.Contains(sqlText, want))
			rows := readUsers(t, db, false)
			assert.Equal(t, len(rows), 2)
			for _, r := range rows {
				within(t, r.id+".created_at", r.created, from, to)
				within(t, r.id+".updated_at", r.updated, from, to)
			}
			// The DEFAULT row and the client's row compare in time order as instants do.
			var n int
			assert.NilError(t, db.QueryRow(placeholders(tg.dialect, `SELECT count(*) FROM users WHERE created_at <= $1`), to.Add(time.Second).UTC()).Scan(&n))
			assert.Equal(t, n, 2, "a DEFAULT CURRENT_TIMESTAMP row does not compare with a time parameter")
		})
	}
}

// TestDefaults2_DefaultNowFieldOnPopulatedTable: a required DefaultNow field added to users,
// which holds rows, through Options.Schema Fields gets DEFAULT CURRENT_TIMESTAMP: generate
// reports nothing, migrate fills the new column of every existing row, and the rows are
// otherwise intact.
func TestDefaults2_DefaultNowFieldOnPopulatedTable(t *testing.T) {
	for _, tg := range defaultsTargets {
		t.Run(tg.dialect, func(t *testing.T) {
			url := tg.url(t)
			db, dir := populate(t, tg, url)
			before := readUsers(t, db, false)

			opts := tg.options(t)
			opts.Schema = map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "joined_at", Type: kernia.FieldTime, Default: kernia.DefaultNow}}}}
			var log strings.Builder
			res, err := generator.Run(context.Background(), kernia.New(opts), generator.Options{Now: clock, Log: &log})
			assert.NilError(t, err)
			assert.Equal(t, len(res.Migrations), 1)
			assert.Check(t, !strings.Contains(log.String(), "warning"), log.String())
			assert.Check(t, is.Contains(res.Migrations[0].SQL, "joined_at"))
			assert.Check(t, is.Contains(res.Migrations[0].SQL, "CURRENT_TIMESTAMP"))

			from := time.Now()
			_, err = migration.Apply(context.Background(), url, filepath.Join(dir, "ent/migrate/migrations", tg.dialect), migration.ApplyOptions{})
			assert.NilError(t, err)
			to := time.Now()
			after := readUsers(t, db, true)
			sameRows(t, before, after)
			for _, r := range after {
				assert.Check(t, r.joined.Valid, "row %s has no joined_at", r.id)
				within(t, r.id+".joined_at", r.joined.Time, from, to)
			}
			// A raw insert after the migration gets the new column's default too.
			_, err = db.Exec(`INSERT INTO users (id, name, email, email_verified) VALUES ('u3', 'Edsger', 'edsger@example.com', false)`)
			assert.NilError(t, err)
			var joined time.Time
			assert.NilError(t, db.QueryRow(`SELECT joined_at FROM users WHERE id = 'u3'`).Scan(&joined))
			within(t, "u3.joined_at", joined, from, time.Now())
		})
	}
}

// TestDefaults2_RequiredWithoutDefaultRefused: a required field without a default added to
// users, which may hold rows, is refused at generate on both dialects with the table, the
// column and both ways out, even with AllowDestructive, and nothing is written; the fields that
// have a database default (a literal, DefaultNow) or are optional pass, as does a required
// field without a default on a new table.
func TestDefaults2_RequiredWithoutDefaultRefused(t *testing.T) {
	cases := []struct {
		name    string
		field   kernia.Field
		refused string            // the example default the message gives, "" when generate passes
		sql     map[string]string // what the passing migration contains, by dialect
	}{
		{name: "string", field: kernia.Field{Name: "company", Type: kernia.FieldString}, refused: `Default: "..."`},
		{name: "int", field: kernia.Field{Name: "company", Type: kernia.FieldInt}, refused: "Default: 0"},
		{name: "time", field: kernia.Field{Name: "company", Type: kernia.FieldTime}, refused: "Default: kernia.DefaultNow"},
		{name: "string default", field: kernia.Field{Name: "company", Type: kernia.FieldString, Default: "acme"}, sql: map[string]string{kernia.SQLite: "`company` text NOT NULL DEFAULT ('acme')", kernia.Postgres: `"company" character varying NOT NULL DEFAULT 'acme'`}},
		{name: "int default", field: kernia.Field{Name: "company", Type: kernia.FieldInt, Default: 7}, sql: map[string]string{kernia.SQLite: "`company` integer NOT NULL DEFAULT (7)", kernia.Postgres: `"company" bigint NOT NULL DEFAULT 7`}},
		{name: "bool default", field: kernia.Field{Name: "company", Type: kernia.FieldBool, Default: true}, sql: map[string]string{kernia.SQLite: "`company` bool NOT NULL DEFAULT (true)", kernia.Postgres: `"company" boolean NOT NULL DEFAULT true`}},
		{name: "optional", field: kernia.Field{Name: "company", Type: kernia.FieldString, Optional: true}, sql: map[string]string{kernia.SQLite: "`company` text NULL", kernia.Postgres: `"company" character varying NULL`}},
	}
	for _, tg := range defaultsTargets {
		t.Run(tg.dialect, func(t *testing.T) {
			url := tg.url(t)
			db, dir := populate(t, tg, url)
			before := readUsers(t, db, false)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					opts := tg.options(t)
					opts.Schema = map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{tc.field}}}
					files := snapshotTree(t, dir)
					res, err := generator.Run(context.Background(), kernia.New(opts), generator.Options{Now: clock, AllowDestructive: true, DryRun: tc.refused == ""})
					if tc.refused == "" {
						assert.NilError(t, err)
						assert.Equal(t, len(res.Migrations), 1)
						assert.Check(t, is.Contains(res.Migrations[0].SQL, tc.sql[tg.dialect]))
						return
					}
					assert.Check(t, errors.Is(err, generator.ErrRequiredWithoutDefault), "%v", err)
					for _, want := range []string{
						"generate " + tg.dialect,
						"adds required column users.company without a database default to table users",
						"may hold rows",
						tc.refused + " in its kernia.Field, or the plugin field's Default",
						"make it optional (Optional: true), generate and migrate, backfill users.company, then make it required",
					} {
						assert.Check(t, is.ErrorContains(err, want))
					}
					assert.DeepEqual(t, snapshotTree(t, dir), files)
				})
			}
			sameRows(t, before, readUsers(t, db, false))
		})
	}
	t.Run("new table", func(t *testing.T) {
		newModule(t)
		opts := defaultsTargets[0].options(t)
		opts.Schema = map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "company", Type: kernia.FieldString}}}}
		_, err := generator.Run(context.Background(), kernia.New(opts), generator.Options{Now: clock})
		assert.NilError(t, err)
	})
}

// TestDefaults2_UpgradeAddsDatabaseDefaults: a project whose core tables were generated before
// created_at and updated_at had database defaults (testdata/defaults2: the core migration as
// Kernia wrote it then) and hold rows gets a migration that adds the defaults; it applies on
// SQLite (a table rebuild) and PostgreSQL (ALTER COLUMN … SET DEFAULT) with every row intact,
// after which a raw insert without the timestamps works, and nothing is left to generate.
func TestDefaults2_UpgradeAddsDatabaseDefaults(t *testing.T) {
	for _, tg := range defaultsTargets {
		t.Run(tg.dialect, func(t *testing.T) {
			url := tg.url(t)
			dir := newModule(t)
			migrations := filepath.Join(dir, "ent/migrate/migrations", tg.dialect)
			old, err := os.ReadFile(filepath.Join(testdata, "defaults2", "before."+tg.dialect+".sql"))
			assert.NilError(t, err)
			assert.NilError(t, os.MkdirAll(migrations, 0o755))
			const first = "20260101000000_kernia.sql"
			assert.NilError(t, os.WriteFile(filepath.Join(migrations, first), old, 0o644))
			sum, err := atlasmigrate.NewHashFile([]atlasmigrate.File{atlasmigrate.NewLocalFile(first, old)})
			assert.NilError(t, err)
			text, err := sum.MarshalText()
			assert.NilError(t, err)
			assert.NilError(t, os.WriteFile(filepath.Join(migrations, "atlas.sum"), text, 0o644))
			_, err = migration.Apply(context.Background(), url, migrations, migration.ApplyOptions{})
			assert.NilError(t, err)
			db, _, err := sqldb.Open(context.Background(), url)
			assert.NilError(t, err)
			defer db.Close()
			_, err = db.Exec(`INSERT INTO users (id, name, email, email_verified) VALUES ('u0', 'Old', 'old@example.com', false)`)
			assert.Check(t, err != nil, "the old schema has no database default for created_at")
			now := time.Now().UTC().Truncate(time.Microsecond)
			for _, q := range []string{
				`INSERT INTO users (id, name, email, email_verified, created_at, updated_at) VALUES ('u1', 'Ada', 'ada@example.com', false, $1, $1)`,
				`INSERT INTO sessions (id, expires_at, token, created_at, updated_at, user_id) VALUES ('s1', $1, 't1', $1, $1, 'u1')`,
				`INSERT INTO accounts (id, account_id, provider_id, issuer, user_id, created_at, updated_at) VALUES ('a1', 'x', 'credential', 'https://example.com', 'u1', $1, $1)`,
				`INSERT INTO verifications (id, identifier, value, expires_at, created_at, updated_at) VALUES ('v1', 'i', 'v', $1, $1, $1)`,
			} {
				_, err := db.Exec(placeholders(tg.dialect, q), args(tg.dialect, q, now)...)
				assert.NilError(t, err, q)
			}
			before := readUsers(t, db, false)

			res, err := generator.Run(context.Background(), kernia.New(tg.options(t)), generator.Options{Now: clock})
			assert.NilError(t, err)
			// The old core also had accounts.issuer NOT NULL with a unique (issuer, account_id)
			// index (Better Auth 1.7.0-1.7.2): the upgrade drops both, on PostgreSQL the index
			// CONCURRENTLY in a last, txmode none file, after one transactional file for each of
			// the four tables (one table locked at a time). On SQLite the directory predates
			// Kernia's storage format: the storage migration follows the schema change
			// (internal/diff).
			if tg.dialect == kernia.SQLite {
				assert.Equal(t, len(res.Migrations), 2)
				assert.Check(t, is.Contains(res.Migrations[0].SQL, "CURRENT_TIMESTAMP"))
				assert.Check(t, is.Contains(res.Migrations[0].SQL, "account_issuer_account_id"))
				assert.Check(t, strings.HasSuffix(res.Migrations[1].Path, "_sqlite_storage.sql"), res.Migrations[1].Path)
			} else {
				assert.Equal(t, len(res.Migrations), 5)
				for _, m := range res.Migrations[:4] {
					assert.Check(t, is.Contains(m.SQL, "CURRENT_TIMESTAMP"))
					assert.Check(t, is.Equal(strings.Count(m.SQL, "\nALTER TABLE "), 1), "one table a file:\n%s", m.SQL)
				}
				assert.Check(t, is.Contains(res.Migrations[4].SQL, "account_issuer_account_id"))
			}
			_, err = migration.Apply(context.Background(), url, migrations, migration.ApplyOptions{})
			assert.NilError(t, err)
			sameRows(t, before, readUsers(t, db, false))
			var n int
			assert.NilError(t, db.QueryRow(`SELECT (SELECT count(*) FROM sessions WHERE user_id = 'u1') + (SELECT count(*) FROM accounts WHERE user_id = 'u1') + (SELECT count(*) FROM verifications)`).Scan(&n))
			assert.Equal(t, n, 3, "rows of sessions, accounts or verifications lost")
			for _, q := range []string{
				`INSERT INTO users (id, name, email, email_verified) VALUES ('u2', 'Grace', 'grace@example.com', false)`,
				`INSERT INTO verifications (id, identifier, value, expires_at) VALUES ('v2', 'i', 'v', CURRENT_TIMESTAMP)`,
			} {
				_, err := db.Exec(q)
				assert.NilError(t, err, q)
			}
			res, err = generator.Run(context.Background(), kernia.New(tg.options(t)), generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.Assert(t, res.UpToDate(), "%v", res.Changed)
		})
	}
}

// args returns the arguments of q: on SQLite one per $1 (its ? placeholders are positional),
// on PostgreSQL one.
func args(dialect, q string, v any) []any {
	n := 1
	if dialect == kernia.SQLite {
		n = strings.Count(q, "$1")
	}
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}
