package betterauthtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/authoring"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/plugins/passkey"
	"github.com/kernia/kernia/plugins/twofactor"
)

// adoptInput is peerInput with the migrate switch: peer.mjs then creates the database with
// Better Auth's own migration (getMigrations(options).runMigrations(), what `npx auth migrate`
// runs) and exits.
type adoptInput struct {
	peerInput
	Migrate bool `json:"migrate"`
}

// adoptModule keeps Kernia and the plugins the test enables required in the temporary module
// generate runs Ent codegen in.
const adoptModule = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/passkey"
	"github.com/kernia/kernia/plugins/twofactor"
)

// Auth is the app's auth instance.
var Auth = kernia.New(kernia.Options{Plugins: []kernia.Plugin{twofactor.New(), passkey.New()}})
`

// TestAdoptBetterAuth: a database Better Auth 1.7.25 created with its own migration (core and
// two-factor, snake_case through Better Auth's modelName/fields mapping) is adopted by `kernia
// adopt` against the directory generate writes for the same configuration, on PostgreSQL and
// SQLite: the baseline is recorded, status shows nothing pending, the database is then exactly
// the schema the directory builds, and after enabling passkey, generate and migrate apply only
// the new file. A database with one column missing (SQLite) or of another type (PostgreSQL) is
// refused with the difference listed, in --json too, and nothing written; adopting twice is
// refused. And in Better Auth names: Better Auth without any mapping creates the database,
// Kernia with Options.Naming = kernia.BetterAuthNames adopts it.
func TestAdoptBetterAuth(t *testing.T) {
	in := install(t)
	entities := kerniaEntities(t)
	goldens, err := filepath.Abs(filepath.Join("..", "plugintest", "testdata", "migrations", "two-factor"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	module := moduletest.New(t, "example.com/adopt", map[string]string{"auth/auth.go": adoptModule})
	dev := pgtest.NewDatabase(t)
	migrations := filepath.Join(module, "migrations")
	// The directory generate writes for core + two-factor: internal/plugintest's goldens, which
	// its TestPipeline proves are generate's output.
	const first = "20260102030405_kernia.sql"
	for _, dialect := range []string{kernia.SQLite, kernia.Postgres} {
		b, err := os.ReadFile(filepath.Join(goldens, dialect+".sql.golden"))
		if err != nil {
			t.Fatal(err)
		}
		writeMigrations(t, filepath.Join(migrations, dialect), first, b)
	}
	// Options.MigrationsDir is relative to the module root (the one path rule); the commands below
	// get the absolute directory through their flags.
	auth := kernia.New(kernia.Options{DevURL: dev, MigrationsDir: "migrations"})

	type peerDB struct {
		dialect, url string
		dir          string // the migration directory to adopt against
		input        adoptInput
	}
	newDB := func(t *testing.T, dialect string, edit ...func(*adoptInput)) peerDB {
		d := peerDB{dialect: dialect, dir: filepath.Join(migrations, dialect), input: adoptInput{Migrate: true, peerInput: peerInput{Dialect: dialect, Plugins: []string{"two-factor"}, Entities: entities}}}
		for _, e := range edit {
			e(&d.input)
		}
		if dialect == kernia.Postgres {
			d.url = pgtest.NewDatabase(t)
			d.input.URL = d.url
		} else {
			f := filepath.Join(t.TempDir(), "app.db")
			d.url, d.input.File = "sqlite://"+f, f
		}
		b, _ := json.Marshal(d.input)
		input := filepath.Join(t.TempDir(), "input.json")
		if err := os.WriteFile(input, b, 0o600); err != nil {
			t.Fatal(err)
		}
		var out struct{ Migrated struct{ Created []string } }
		if err := json.Unmarshal(runPeer(t, in, input), &out); err != nil {
			t.Fatal(err)
		}
		t.Logf("[%s] Better Auth's migration created %s", dialect, strings.Join(out.Migrated.Created, ", "))
		return d
	}
	adopt := func(d peerDB, f authoring.AdoptFlags) (stdout, stderr string, err error) {
		var o, e bytes.Buffer
		f.URL, f.Dir = d.url, d.dir
		err = authoring.Adopt(ctx, auth, f, command.IO{Stdout: &o, Stderr: &e})
		return o.String(), e.String(), err
	}

	// The databases to adopt live until the end: migrate runs on them after generate.
	adopted := map[string]peerDB{kernia.Postgres: newDB(t, kernia.Postgres), kernia.SQLite: newDB(t, kernia.SQLite)}
	for _, dialect := range []string{kernia.Postgres, kernia.SQLite} {
		t.Run(dialect, func(t *testing.T) {
			d := adopted[dialect]
			before := catalog(t, d.dialect, d.url)
			out, _, err := adopt(d, authoring.AdoptFlags{DryRun: true, JSON: true})
			if err != nil {
				t.Fatalf("adopt --dry-run: %v", err)
			}
			var dry map[string]any
			if err := json.Unmarshal([]byte(out), &dry); err != nil {
				t.Fatalf("adopt --dry-run --json: %v\n%s", err, out)
			}
			for _, k := range []string{"database", "dialect", "dir", "baseline", "baseline_name", "history_table"} {
				if _, ok := dry[k].(string); !ok {
					t.Errorf("adopt --dry-run --json: %s is %v, want a string", k, dry[k])
				}
			}
			if st, _ := dry["statements"].([]any); len(st) == 0 || dry["dry_run"] != true || dry["recorded"] != false || dry["error"] != nil || len(dry["differences"].([]any)) == 0 {
				t.Errorf("adopt --dry-run --json: %s", out)
			}
			if after := catalog(t, d.dialect, d.url); after != before {
				t.Fatalf("adopt --dry-run changed the database:\n%s\nbefore:\n%s", after, before)
			}
			out, stderr, err := adopt(d, authoring.AdoptFlags{})
			if err != nil {
				t.Fatalf("adopt: %v\n%s", err, stderr)
			}
			t.Logf("[%s] kernia adopt:\n%s%s", dialect, out, stderr)
			if !strings.Contains(stderr, "adopt: recorded version 20260102030405 ("+first+") as the baseline in atlas_schema_revisions") {
				t.Errorf("adopt said:\n%s", stderr)
			}
			st, err := migration.Status(ctx, d.url, filepath.Join(migrations, dialect))
			if err != nil {
				t.Fatal(err)
			}
			if st.Current != "20260102030405" || len(st.Pending) != 0 || len(st.Problems) != 0 || len(st.Applied) != 1 || st.Applied[0].Type != "baseline" {
				t.Errorf("status after adopt: current %q, applied %+v, pending %+v, problems %q", st.Current, st.Applied, st.Pending, st.Problems)
			}
			// The database is now what the directory builds: nothing left to close or refuse.
			if left := compareWith(t, d.dialect, d.url, dev, filepath.Join(migrations, dialect)); len(left) > 0 {
				t.Errorf("after adopt the database still differs from the migrations:\n  %s", strings.Join(left, "\n  "))
			}
			before = catalog(t, d.dialect, d.url)
			if _, _, err := adopt(d, authoring.AdoptFlags{}); err == nil || !strings.Contains(err.Error(), "already has a migration history in atlas_schema_revisions (1 revision, at version 20260102030405), so there is nothing to adopt") {
				t.Errorf("adopting twice: %v", err)
			}
			if after := catalog(t, d.dialect, d.url); after != before {
				t.Errorf("adopting twice changed the database")
			}
		})
	}

	// One column missing (SQLite) or of another type (PostgreSQL): refused, listed, nothing written.
	for _, c := range []struct {
		dialect, change, want string
	}{
		{kernia.SQLite, "ALTER TABLE `users` DROP COLUMN `image`", "users.image: missing column (migrations: text NULL)"},
		{kernia.Postgres, `ALTER TABLE "sessions" ALTER COLUMN "ip_address" TYPE integer USING NULL`, "sessions.ip_address: column type (database: integer; migrations: character varying)"},
	} {
		t.Run(c.dialect+"/refused", func(t *testing.T) {
			d := newDB(t, c.dialect)
			db := open(t, d.url)
			if _, err := db.ExecContext(ctx, c.change); err != nil {
				t.Fatalf("%s: %v", c.change, err)
			}
			before := catalog(t, d.dialect, d.url)
			_, _, err := adopt(d, authoring.AdoptFlags{})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("adopt after %s: %v; want the difference %q", c.change, err, c.want)
			}
			t.Logf("[%s] after %s: %v", c.dialect, c.change, err)
			out, _, err := adopt(d, authoring.AdoptFlags{JSON: true})
			if err == nil {
				t.Fatal("adopt --json succeeded")
			}
			var obj struct {
				Differences []struct{ Action, Text string } `json:"differences"`
				Recorded    bool                            `json:"recorded"`
				Error       *command.JSONError
			}
			if err := json.Unmarshal([]byte(out), &obj); err != nil {
				t.Fatalf("adopt --json: %v\n%s", err, out)
			}
			if obj.Recorded || obj.Error == nil || obj.Error.ExitCode != 1 || !slices.ContainsFunc(obj.Differences, func(x struct{ Action, Text string }) bool { return x.Action == diff.ActionRefuse && x.Text == c.want }) {
				t.Errorf("adopt --json: %s", out)
			}
			if after := catalog(t, d.dialect, d.url); after != before {
				t.Errorf("a refused adopt changed the database:\n%s\nbefore:\n%s", after, before)
			}
		})
	}
	if t.Failed() {
		return
	}

	// Better Auth names: Better Auth without any mapping creates the database, Kernia with
	// Options.Naming = BetterAuthNames adopts it.
	names := filepath.Join(module, "migrations-names")
	t.Run("better-auth-names/generate", func(t *testing.T) {
		t.Chdir(module)
		a := kernia.New(kernia.Options{Naming: kernia.BetterAuthNames, Plugins: []kernia.Plugin{twofactor.New()}, DevURL: dev, MigrationsDir: "migrations-names",
			Dialects: []string{kernia.SQLite, kernia.Postgres}})
		if _, err := generator.Run(ctx, a, generator.Options{Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}); err != nil {
			t.Fatalf("generate in Better Auth names: %v", err)
		}
	})
	for _, dialect := range []string{kernia.Postgres, kernia.SQLite} {
		t.Run("better-auth-names/"+dialect, func(t *testing.T) {
			d := newDB(t, dialect, func(in *adoptInput) { in.Naming = "better-auth" })
			d.dir = filepath.Join(names, dialect)
			out, stderr, err := adopt(d, authoring.AdoptFlags{})
			if err != nil {
				t.Fatalf("adopt in Better Auth names: %v\n%s", err, stderr)
			}
			t.Logf("[%s, Better Auth names] kernia adopt:\n%s%s", dialect, out, stderr)
			st, err := migration.Status(ctx, d.url, d.dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Pending) != 0 || len(st.Problems) != 0 || len(st.Applied) != 1 || st.Applied[0].Type != "baseline" {
				t.Errorf("status after adopt: applied %+v, pending %+v, problems %q", st.Applied, st.Pending, st.Problems)
			}
			if left := compareWith(t, dialect, d.url, dev, d.dir); len(left) > 0 {
				t.Errorf("after adopt the database still differs from the migrations:\n  %s", strings.Join(left, "\n  "))
			}
		})
	}
	if t.Failed() {
		return
	}

	// Enable passkey: generate writes one new file per dialect; migrate applies only it.
	// (Generate runs in the module; the peer script is read relative to this package, so only
	// from here on.)
	t.Chdir(module)
	next := kernia.New(kernia.Options{Plugins: []kernia.Plugin{twofactor.New(), passkey.New()}, DevURL: dev, MigrationsDir: "migrations",
		Dialects: []string{kernia.SQLite, kernia.Postgres}})
	res, err := generator.Run(ctx, next, generator.Options{Now: func() time.Time { return time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	written := map[string][]string{}
	for _, m := range res.Migrations {
		written[m.Dialect] = append(written[m.Dialect], filepath.Base(m.Path))
	}
	for _, dialect := range []string{kernia.Postgres, kernia.SQLite} {
		d := adopted[dialect]
		dir := filepath.Join(migrations, dialect)
		ap, err := migration.Apply(ctx, d.url, dir, migration.ApplyOptions{})
		if err != nil {
			t.Fatalf("[%s] migrate after enabling passkey: %v", dialect, err)
		}
		var applied []string
		for _, f := range ap.Applied {
			applied = append(applied, f.Name)
		}
		if len(applied) == 0 || !slices.Equal(applied, written[dialect]) {
			t.Errorf("[%s] migrate applied %v; generate wrote %v", dialect, applied, written[dialect])
		}
		t.Logf("[%s] enabling passkey: generate wrote %v, migrate applied %v", dialect, written[dialect], applied)
		if left := compareWith(t, dialect, d.url, dev, dir); len(left) > 0 {
			t.Errorf("[%s] after migrate the database differs from the migrations:\n  %s", dialect, strings.Join(left, "\n  "))
		}
	}
}

// writeMigrations writes one migration file and its atlas.sum.
func writeMigrations(t *testing.T, dir, name string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := migrate.NewHashFile([]migrate.File{migrate.NewLocalFile(name, content)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sum.MarshalText()
	if err := os.WriteFile(filepath.Join(dir, migrate.HashFileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	u, err := database.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// catalog is everything a write could change: tables, columns, indexes, constraints and the
// migration history tables' rows.
func catalog(t *testing.T, dialect, url string) string {
	t.Helper()
	db := open(t, url)
	q := "SELECT coalesce(group_concat(type || ' ' || name || ' ' || coalesce(sql, ''), char(10)), '') FROM (SELECT * FROM sqlite_master ORDER BY name)"
	if dialect == kernia.Postgres {
		q = `SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
			SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS x
				FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
			UNION ALL SELECT 'index ' || schemaname || '.' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
			UNION ALL SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid <> 0
				AND connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
			UNION ALL SELECT 'schema ' || nspname FROM pg_namespace) s`
	}
	var s string
	if err := db.QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("read the catalog: %v", err)
	}
	return s
}

// compareWith returns the differences between the database and the schema dir builds that
// are not spellings of the same thing.
func compareWith(t *testing.T, dialect, url, devURL, dir string) []string {
	t.Helper()
	ctx := context.Background()
	dev, err := diff.OpenDev(ctx, dialect, devURL, url)
	if err != nil {
		t.Fatal(err)
	}
	want, err := diff.Replay(ctx, dev, dir)
	dev.Close()
	if err != nil {
		t.Fatal(err)
	}
	db := open(t, url)
	live, drv, err := diff.Inspect(ctx, dialect, db)
	if err != nil {
		t.Fatal(err)
	}
	c, err := diff.Compare(dialect, drv, live, want)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range c.Differences {
		if d.Action != diff.ActionSame {
			out = append(out, d.Action+" "+d.String())
		}
	}
	return out
}
