package generator_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/codegen"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/plugins/twofactor"
	"github.com/kernia/kernia/sqldb"
)

// testdata is absolute: the tests run inside temporary modules.
var testdata, _ = filepath.Abs("testdata")

var clock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// authModule stands for the user's auth module: it keeps Kernia and its plugins required.
const authModule = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/twofactor"
)

// Auth is the app's auth instance.
var Auth = kernia.New(kernia.Options{Plugins: []kernia.Plugin{twofactor.New()}})
`

// newModule creates an empty user module and makes it the working directory.
func newModule(t *testing.T) string {
	t.Helper()
	dir := moduletest.New(t, "example.com/app", map[string]string{"auth/auth.go": authModule})
	t.Chdir(dir)
	return dir
}

func auth(t *testing.T, plugins ...kernia.Plugin) *kernia.Auth {
	return kernia.New(kernia.Options{
		DevURL:   pgtest.NewDatabase(t),
		Dialects: []string{kernia.SQLite, kernia.Postgres},
		Plugins:  plugins,
	})
}

func TestGenerateGoldenAndIdempotent(t *testing.T) {
	tests := []struct {
		name    string
		plugins []kernia.Plugin
	}{
		{"core", nil},
		{"two-factor", []kernia.Plugin{twofactor.New()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := newModule(t)
			a := auth(t, tc.plugins...)
			res, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.Assert(t, res.Written)
			assert.Equal(t, len(res.Migrations), 2)
			for _, m := range res.Migrations {
				assert.Equal(t, m.Path, "ent/migrate/migrations/"+m.Dialect+"/20260102030405_kernia.sql")
				golden.Assert(t, m.SQL, filepath.Join(testdata, tc.name, m.Dialect+".sql.golden"))
			}
			moduletest.Build(t, dir, "./...")
			before := moduletest.Snapshot(t, dir)

			again, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
			assert.NilError(t, err)
			assert.Assert(t, again.UpToDate(), "second run changed %v", again.Changed)
			assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)
		})
	}
}

func TestGenerateAddsOnlyThePluginChange(t *testing.T) {
	newModule(t)
	dev := pgtest.NewDatabase(t)
	core := kernia.New(kernia.Options{DevURL: dev, Dialects: []string{kernia.SQLite, kernia.Postgres}})
	_, err := generator.Run(context.Background(), core, generator.Options{Now: clock})
	assert.NilError(t, err)

	withTwoFactor := kernia.New(kernia.Options{DevURL: dev, Dialects: []string{kernia.SQLite, kernia.Postgres}, Plugins: []kernia.Plugin{twofactor.New()}})
	res, err := generator.Run(context.Background(), withTwoFactor, generator.Options{Now: clock, Name: "two_factor"})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Migrations), 2)
	for _, m := range res.Migrations {
		assert.Equal(t, m.Path, "ent/migrate/migrations/"+m.Dialect+"/20260102030406_two_factor.sql")
		golden.Assert(t, m.SQL, filepath.Join(testdata, "add-two-factor", m.Dialect+".sql.golden"))
	}
}

func TestCheckAndDryRunWriteNothing(t *testing.T) {
	dir := newModule(t)
	dev := pgtest.NewDatabase(t)
	core := kernia.New(kernia.Options{DevURL: dev, Dialects: []string{kernia.SQLite, kernia.Postgres}})
	_, err := generator.Run(context.Background(), core, generator.Options{Now: clock})
	assert.NilError(t, err)
	before := moduletest.Snapshot(t, dir)

	res, err := generator.Run(context.Background(), core, generator.Options{Check: true})
	assert.NilError(t, err)
	assert.Assert(t, res.UpToDate())

	changed := kernia.New(kernia.Options{DevURL: dev, Dialects: []string{kernia.SQLite, kernia.Postgres}, Plugins: []kernia.Plugin{twofactor.New()}})
	res, err = generator.Run(context.Background(), changed, generator.Options{Check: true})
	assert.Assert(t, errors.Is(err, generator.ErrDrift), "%v", err)
	assert.Check(t, is.Contains(err.Error(), "ent/schema/two_factor.go"))
	assert.Equal(t, len(res.Migrations), 2)
	assert.Check(t, is.Contains(res.Migrations[0].SQL, "two_factors"))
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)

	res, err = generator.Run(context.Background(), changed, generator.Options{DryRun: true})
	assert.NilError(t, err)
	assert.Assert(t, !res.Written && len(res.Migrations) == 2)
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)
}

func TestFailedRunLeavesEveryFileAsItWas(t *testing.T) {
	dir := newModule(t)
	dev := pgtest.NewDatabase(t)
	core := kernia.New(kernia.Options{DevURL: dev, Dialects: []string{kernia.SQLite, kernia.Postgres}})
	_, err := generator.Run(context.Background(), core, generator.Options{Now: clock})
	assert.NilError(t, err)
	before := moduletest.Snapshot(t, dir)

	// The SQLite diff succeeds and the client is staged; the PostgreSQL diff then fails.
	broken := kernia.New(kernia.Options{
		DevURL:      "postgres://nobody:secret@127.0.0.1:1/dev?sslmode=disable",
		DatabaseURL: "sqlite://app.db",
		Dialects:    []string{kernia.SQLite, kernia.Postgres},
		Plugins:     []kernia.Plugin{twofactor.New()},
	})
	_, err = generator.Run(context.Background(), broken, generator.Options{Now: clock})
	assert.ErrorContains(t, err, "127.0.0.1:1")
	assert.Check(t, !strings.Contains(err.Error(), "secret"))
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)
}

func TestDestructiveChangesNeedConsent(t *testing.T) {
	dir := newModule(t)
	a := kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}, Plugins: []kernia.Plugin{twofactor.New()}})
	_, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
	assert.NilError(t, err)
	before := moduletest.Snapshot(t, dir)

	without := kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}})
	_, err = generator.Run(context.Background(), without, generator.Options{Now: clock})
	assert.Assert(t, errors.Is(err, diff.ErrDestructive), "%v", err)
	assert.Check(t, is.Contains(err.Error(), "drops table two_factors"))
	assert.Check(t, is.Contains(err.Error(), "drops column users.two_factor_enabled"))
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)

	res, err := generator.Run(context.Background(), without, generator.Options{Now: clock, AllowDestructive: true})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Migrations), 1)
	assert.Check(t, is.Contains(res.Migrations[0].SQL, "DROP TABLE `two_factors`"))
	_, err = os.Stat(filepath.Join(dir, "ent/twofactor"))
	assert.Assert(t, os.IsNotExist(err), "stale generated package was not removed")
	_, err = os.Stat(filepath.Join(dir, "ent/schema/two_factor.go"))
	assert.Assert(t, os.IsNotExist(err), "stale schema file was not removed")
	moduletest.Build(t, dir, "./...")
}

func TestUserSchemaFilesAreLeftAlone(t *testing.T) {
	dir := newModule(t)
	user := "package schema\n\nimport (\n\t\"entgo.io/ent\"\n\t\"entgo.io/ent/schema/field\"\n)\n\n// Note is the app's own entity, beside Kernia's.\ntype Note struct{ ent.Schema }\n\n// Fields of Note.\nfunc (Note) Fields() []ent.Field { return []ent.Field{field.String(\"body\")} }\n"
	assert.NilError(t, os.MkdirAll(filepath.Join(dir, "ent/schema"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "ent/schema/notes.go"), []byte(user), 0o644))
	a := kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}})
	res, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
	assert.NilError(t, err)
	// The user's entity is part of the client (Ent's loader reads the whole package), but its
	// table is the application's: Kernia's migration never plans it (see TestShared_*).
	assert.Check(t, is.Contains(res.Changed, "ent/note.go"))
	assert.Check(t, !strings.Contains(res.Migrations[0].SQL, "notes"), res.Migrations[0].SQL)
	b, err := os.ReadFile(filepath.Join(dir, "ent/schema/notes.go"))
	assert.NilError(t, err)
	assert.Equal(t, string(b), user)

	// A user file where Kernia writes an entity is refused, not overwritten.
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "ent/schema/user.go"), []byte(user), 0o644))
	_, err = generator.Run(context.Background(), a, generator.Options{Now: clock})
	assert.ErrorContains(t, err, "ent/schema/user.go exists and was not generated by Kernia")
}

func TestPostgresNeedsADevDatabase(t *testing.T) {
	newModule(t)
	t.Setenv(kernia.EnvDevURL, "")
	a := kernia.New(kernia.Options{DatabaseURL: "sqlite://app.db", Dialects: []string{kernia.Postgres}})
	_, err := generator.Run(context.Background(), a, generator.Options{})
	assert.ErrorContains(t, err, "KERNIA_DEV_URL")
}

// TestDevURLListRefused: a dev database list the rule refuses stops generate before it writes
// anything, whichever dialects it generates.
func TestDevURLListRefused(t *testing.T) {
	for _, tc := range []struct{ name, list, want string }{
		{"SQLite", "sqlite://dev.db", "the dev database URL is a SQLite URL"},
		{"two PostgreSQL", "postgres://a@127.0.0.1/a postgres://b@127.0.0.1/b", "dev database URL 2 of 2 is a second postgres URL"},
		{"garbage", "postgres://a@127.0.0.1/a garbage", "dev database URL 2 of 2 is no database URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newModule(t)
			t.Setenv(kernia.EnvDevURL, tc.list)
			a := kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}})
			_, err := generator.Run(context.Background(), a, generator.Options{})
			assert.ErrorContains(t, err, "generate: "+tc.want)
			assert.ErrorContains(t, err, "one dev database URL per server dialect")
			_, err = os.Stat(filepath.Join(dir, "ent"))
			assert.Assert(t, os.IsNotExist(err), "nothing written: %v", err)
		})
	}
}

func TestPostgresTemporaryDatabaseOnTargetServer(t *testing.T) {
	newModule(t)
	t.Setenv(kernia.EnvDevURL, "")
	target := pgtest.NewDatabase(t)
	a := kernia.New(kernia.Options{DatabaseURL: target})
	res, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Migrations), 1)
	assert.Equal(t, res.Migrations[0].Dialect, kernia.Postgres)
	// The target database itself is untouched.
	db := pgtest.Server(t)
	var n int
	name := target[strings.LastIndex(target, "/")+1 : strings.Index(target, "?")]
	// This process's temporary dev databases (kernia_dev_<time>_<host>_<pid>_<random>): other
	// test packages running at the same time create and drop their own on the same server.
	assert.NilError(t, db.QueryRow(`SELECT count(*) FROM pg_database WHERE datname ~ ('^kernia_dev_[0-9]+_[0-9a-f]{8}_' || $1 || '_[0-9a-f]+$')`, strconv.Itoa(os.Getpid())).Scan(&n))
	assert.Equal(t, n, 0, "temporary dev database left behind")
	tdb := pgtest.Open(t, name)
	assert.NilError(t, tdb.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n))
	assert.Equal(t, n, 0, "generate changed the target database")
}

func TestNonEmptyDevDatabaseIsRefused(t *testing.T) {
	newModule(t)
	dev := pgtest.NewDatabase(t)
	db := pgtest.Open(t, dev[strings.LastIndex(dev, "/")+1:strings.Index(dev, "?")])
	_, err := db.Exec(`CREATE TABLE precious (id int)`)
	assert.NilError(t, err)
	a := kernia.New(kernia.Options{DevURL: dev, Dialects: []string{kernia.Postgres}})
	_, err = generator.Run(context.Background(), a, generator.Options{})
	assert.ErrorContains(t, err, "is not empty (found table public.precious)")
	var n int
	assert.NilError(t, db.QueryRow(`SELECT count(*) FROM precious`).Scan(&n))
}

// TestCustomizedSchemaReachesTheDatabase: table and column renames (a foreign key among them)
// and added fields end up in both databases under their new names, and the client compiles.
func TestCustomizedSchemaReachesTheDatabase(t *testing.T) {
	dir := newModule(t)
	a := kernia.New(kernia.Options{
		DevURL:   pgtest.NewDatabase(t),
		Dialects: []string{kernia.SQLite, kernia.Postgres},
		Plugins:  []kernia.Plugin{twofactor.New()},
		Schema: map[string]kernia.EntitySchema{
			"User": {
				Table:   "user",
				Columns: map[string]string{"email": "email_address", "two_factor_enabled": "mfa_enabled"},
				Fields: []kernia.Field{
					{Name: "nickname", Type: kernia.FieldString, Optional: true, Unique: true},
					{Name: "joined_at", Type: kernia.FieldTime, Default: kernia.DefaultNow},
					{Name: "preferences", Type: kernia.FieldJSON, Optional: true},
				},
			},
			"Session":   {Columns: map[string]string{"user_id": "owner_id"}},
			"TwoFactor": {Table: "mfa_secrets"},
		},
	})
	res, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
	assert.NilError(t, err)
	for _, m := range res.Migrations {
		golden.Assert(t, m.SQL, filepath.Join(testdata, "customized", m.Dialect+".sql.golden"))
	}
	moduletest.Build(t, dir, "./...")

	pgURL := pgtest.NewDatabase(t)
	for _, tc := range []struct{ dialect, url string }{
		{kernia.SQLite, "sqlite://" + filepath.Join(dir, "app.db")},
		{kernia.Postgres, pgURL},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			_, err := migration.Apply(context.Background(), tc.url, filepath.Join(dir, "ent/migrate/migrations", tc.dialect), migration.ApplyOptions{})
			assert.NilError(t, err)
			db, _, err := sqldb.Open(context.Background(), tc.url)
			assert.NilError(t, err)
			defer db.Close()
			quote := func(s string) string { return `"` + s + `"` }
			// The renamed columns answer under their new names, and the foreign key follows.
			_, err = db.Exec(`INSERT INTO ` + quote("user") + ` (id, name, email_address, email_verified, created_at, updated_at, joined_at, mfa_enabled) VALUES ('u1', 'Ada', 'ada@example.com', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, true)`)
			assert.NilError(t, err)
			_, err = db.Exec(`INSERT INTO sessions (id, expires_at, token, created_at, updated_at, owner_id) VALUES ('s1', CURRENT_TIMESTAMP, 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'u1')`)
			assert.NilError(t, err)
			_, err = db.Exec(`INSERT INTO mfa_secrets (id, secret, backup_codes, user_id) VALUES ('m1', 's', 'c', 'u1')`)
			assert.NilError(t, err)
			_, err = db.Exec(`INSERT INTO sessions (id, expires_at, token, created_at, updated_at, owner_id) VALUES ('s2', CURRENT_TIMESTAMP, 't2', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'nobody')`)
			assert.Assert(t, err != nil, "the renamed foreign key does not hold")
			_, err = db.Exec(`DELETE FROM ` + quote("user") + ` WHERE id = 'u1'`)
			assert.NilError(t, err)
			var n int
			assert.NilError(t, db.QueryRow(`SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM mfa_secrets)`).Scan(&n))
			assert.Equal(t, n, 0, "rows did not cascade through the renamed foreign keys")
		})
	}
}

// TestInProcessSchemasMatchEntsLoader: the schemas generate marshals in-process are exactly
// what Ent's loader reads from the rendered ent/schema package.
func TestInProcessSchemasMatchEntsLoader(t *testing.T) {
	newModule(t)
	a := kernia.New(kernia.Options{
		Dialects: []string{kernia.SQLite},
		Plugins:  []kernia.Plugin{twofactor.New()},
		Schema: map[string]kernia.EntitySchema{
			"User":    {Table: "user", Columns: map[string]string{"email": "email_address"}, Fields: []kernia.Field{{Name: "joined_at", Type: kernia.FieldTime, Default: kernia.DefaultNow}}},
			"Session": {Columns: map[string]string{"user_id": "owner_id"}},
		},
	})
	_, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
	assert.NilError(t, err)
	plan, err := compose.Build(a)
	assert.NilError(t, err)
	inProcess, err := compose.Schemas(plan)
	assert.NilError(t, err)
	spec, err := codegen.Load("./" + generator.SchemaDir)
	assert.NilError(t, err)
	assert.Equal(t, spec.PkgPath, "example.com/app/ent/schema")
	want, err := json.Marshal(spec.Schemas)
	assert.NilError(t, err)
	got, err := json.Marshal(inProcess)
	assert.NilError(t, err)
	assert.Equal(t, string(got), string(want))
}

// TestKilledRunsScratchIsRemoved: Ent codegen's scratch directory lives in the module's
// .kernia/codegen, and what a killed run left there is removed by the next run, which holds
// the generate lock; its own scratch goes when it ends.
func TestKilledRunsScratchIsRemoved(t *testing.T) {
	dir := newModule(t)
	left := filepath.Join(dir, generator.ScratchDir, codegen.ScratchPrefix+"123456")
	assert.NilError(t, os.MkdirAll(left, 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(left, "template"), []byte("x"), 0o644))
	_, err := generator.Run(context.Background(), kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}}), generator.Options{Now: clock})
	assert.NilError(t, err)
	entries, err := os.ReadDir(filepath.Join(dir, generator.ScratchDir))
	assert.NilError(t, err)
	assert.Check(t, is.Len(entries, 0))
}
