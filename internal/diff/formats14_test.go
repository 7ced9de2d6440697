package diff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	entschema "entgo.io/ent/dialect/sql/schema"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migformat"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/pgtest"
)

// The real tools the interop test applies Kernia's files with, built from the Go module proxy
// in a temporary module (Kernia's go.mod never gains them), once per test run.
const (
	gooseModule   = "github.com/pressly/goose/v3@v3.29.0"
	gooseTags     = "no_clickhouse,no_mssql,no_azuresql,no_mysql,no_turso,no_vertica,no_ydb" // postgres (pgx) and sqlite (modernc)
	migrateModule = "github.com/golang-migrate/migrate/v4@v4.20.1"
	migrateTags   = "postgres sqlite" // lib/pq and modernc.org/sqlite
)

// buildTools returns goose and golang-migrate, built into the user cache directory
// (kernia-test-tools/<versions, tags, Go version>) the first time and reused by later runs: a
// cold build compiles modernc.org/sqlite (minutes on a busy machine), a warm one is a file
// check. They are built in a temporary module, so Kernia's go.mod never gains them.
func buildTools(t *testing.T) (goose, golangMigrate string) {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	key := sha256.Sum256([]byte(strings.Join([]string{gooseModule, gooseTags, migrateModule, migrateTags, runtime.Version(), runtime.GOOS, runtime.GOARCH}, "\n")))
	dir := filepath.Join(cache, "kernia-test-tools", hex.EncodeToString(key[:8]))
	goose, golangMigrate = filepath.Join(dir, "goose"), filepath.Join(dir, "migrate")
	if _, err := os.Stat(golangMigrate); err == nil {
		if _, err := os.Stat(goose); err == nil {
			return goose, golangMigrate
		}
	}
	assert.NilError(t, os.MkdirAll(dir, 0o700))
	mod := t.TempDir()
	out, err := os.MkdirTemp(dir, ".build-") // beside the binaries: the renames stay on one file system
	assert.NilError(t, err)
	defer os.RemoveAll(out)
	tmpGoose, tmpMigrate := filepath.Join(out, "goose"), filepath.Join(out, "migrate")
	for _, args := range [][]string{
		{"mod", "init", "kernia-formats-tools"},
		{"get", gooseModule, migrateModule},
		{"build", "-tags", gooseTags, "-o", tmpGoose, "github.com/pressly/goose/v3/cmd/goose"},
		{"build", "-tags", migrateTags, "-o", tmpMigrate, "github.com/golang-migrate/migrate/v4/cmd/migrate"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		assert.NilError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	}
	// Renamed into place, each binary is whole or absent for a concurrent run.
	assert.NilError(t, os.Rename(tmpGoose, goose))
	assert.NilError(t, os.Rename(tmpMigrate, golangMigrate))
	return goose, golangMigrate
}

// formats14Steps are the scenario's schemas: users and orgs; then what enabling username and
// organizations adds (new columns, unique indexes and foreign keys on existing tables, which
// on PostgreSQL take the online no-transaction file, and a new table); then a drop of a
// column, whose down cannot bring its data back.
func formats14Steps() [][]*entschema.Table {
	dropped := online3Tables(true)
	for _, tb := range dropped {
		if tb.Name == "orgs" {
			tb.Columns = slices.DeleteFunc(tb.Columns, func(c *entschema.Column) bool { return c.Name == "owner_username" })
			tb.ForeignKeys = nil
		}
	}
	return [][]*entschema.Table{online3Tables(false), online3Tables(true), dropped}
}

// TestFormats14_RealToolsApplyEachFormat writes the scenario in every format on SQLite and
// PostgreSQL and applies it three ways: the Atlas directory with `kernia migrate` (the
// reference), the format's directory with its real tool (goose, golang-migrate; Flyway needs a
// JVM, so its files are applied with Kernia's reader only), and the format's directory with
// `kernia migrate`. After every step the inspected catalogs must be equal (Atlas's SchemaDiff
// finds no change), the next diff of the format's directory (which replays what generate
// wrote) finds nothing, and the real tool's down of the step returns to the previous catalog
// (then up again). The last step drops a column: its down fails on purpose, saying so.
func TestFormats14_RealToolsApplyEachFormat(t *testing.T) {
	ctx := context.Background()
	if testing.Short() {
		t.Skip("builds goose and golang-migrate")
	}
	goose, golangMigrate := buildTools(t)
	steps := formats14Steps()
	for _, dialect := range []string{kernia.SQLite, kernia.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			newDB := func() string {
				if dialect == kernia.Postgres {
					return pgtest.NewDatabase(t)
				}
				return "sqlite://" + filepath.Join(t.TempDir(), "app.db")
			}
			devURL := ""
			if dialect == kernia.Postgres {
				devURL = pgtest.NewDatabase(t)
			}
			root := t.TempDir()
			formats := []migformat.Format{migformat.Atlas, migformat.GolangMigrate, migformat.Goose, migformat.Flyway}
			dirs, kerniaDBs, toolDBs := map[migformat.Format]string{}, map[migformat.Format]string{}, map[migformat.Format]string{}
			for _, f := range formats {
				dirs[f] = filepath.Join(root, string(f))
				kerniaDBs[f] = newDB()
				if f == migformat.Goose || f == migformat.GolangMigrate {
					toolDBs[f] = newDB()
				}
			}
			var previous *atlas.Schema                  // the reference catalog before the step
			versions := map[migformat.Format][]string{} // the up versions written by the earlier steps
			for i, tables := range steps {
				now := time.Date(2026, 1, 2, 3, 4, 5+10*i, 0, time.UTC)
				written := map[migformat.Format][]File{}
				for _, f := range formats {
					opts := Options{Dir: dirs[f], Tables: tables, Name: "kernia", Now: func() time.Time { return now }, Format: f, AllowDestructive: true}
					res := online3Diff(t, dialect, devURL, opts)
					assert.Check(t, len(res.Files) > 0, "%s step %d", f, i)
					writeResult(t, dirs[f], res)
					written[f] = res.Files
					if dialect == kernia.Postgres && i == 1 {
						assertNoTxMarkers(t, f, res.Files)
					}
					if i == 1 || i == 2 {
						for _, file := range res.Files {
							t.Logf("%s %s:\n%s", f, file.Name, file.SQL)
						}
					}
					// generate reads back what it wrote: nothing more to do.
					again := online3Diff(t, dialect, devURL, opts)
					assert.Check(t, is.Len(again.Files, 0), "%s step %d: the directory does not replay to the schema", f, i)
				}
				for _, f := range formats {
					_, err := migration.Apply(ctx, kerniaDBs[f], dirs[f], migration.ApplyOptions{})
					assert.NilError(t, err, "kernia migrate %s step %d", f, i)
				}
				reference := inspect(t, dialect, kerniaDBs[migformat.Atlas])
				for _, f := range formats[1:] {
					assertSameCatalog(t, dialect, reference, inspect(t, dialect, kerniaDBs[f]), fmt.Sprintf("kernia migrate of the %s directory, step %d", f, i))
					// What an application's Ready reads: the embedded directory's up migrations.
					embedded, _, err := migration.VerifyFS(os.DirFS(dirs[f]), dirs[f])
					assert.NilError(t, err)
					assert.Check(t, is.Len(embedded, len(versions[f])+len(upVersions(t, f, written[f]))))
					st, err := migration.Status(ctx, kerniaDBs[f], dirs[f])
					assert.NilError(t, err)
					assert.Check(t, is.Len(st.Pending, 0), "%s", f)
					assert.Check(t, is.Len(st.Problems, 0), "%s: %v", f, st.Problems)
				}
				for _, f := range []migformat.Format{migformat.GolangMigrate, migformat.Goose} {
					run := toolRunner(t, f, goose, golangMigrate, dirs[f], dialect, toolDBs[f])
					run.run("up")
					assertSameCatalog(t, dialect, reference, inspect(t, dialect, toolDBs[f]), fmt.Sprintf("%s up, step %d", f, i))
					if previous == nil {
						continue
					}
					// The step's down, with the real tool: back to the last version before it.
					before := versions[f][len(versions[f])-1]
					if i == 2 {
						out, err := run.try(downTo(f, before)...)
						assert.Check(t, err != nil, "%s: the irreversible down must fail:\n%s", f, out)
						assert.Check(t, is.Contains(out, "cannot be reversed: it drops column orgs.owner_username"))
						assertSameCatalog(t, dialect, reference, inspect(t, dialect, toolDBs[f]), fmt.Sprintf("%s: a failed down changes nothing, step %d", f, i))
						continue
					}
					run.run(downTo(f, before)...)
					assertSameCatalog(t, dialect, previous, inspect(t, dialect, toolDBs[f]), fmt.Sprintf("%s down of step %d", f, i))
					run.run("up")
					assertSameCatalog(t, dialect, reference, inspect(t, dialect, toolDBs[f]), fmt.Sprintf("%s up again, step %d", f, i))
				}
				previous = reference
				for _, f := range formats {
					versions[f] = append(versions[f], upVersions(t, f, written[f])...)
				}
			}
		})
	}
}

// assertNoTxMarkers checks how the online PostgreSQL step (two transactional files, one
// existing table altered in each, then the concurrent index builds and validations outside a
// transaction) is written in format f.
func assertNoTxMarkers(t *testing.T, f migformat.Format, files []File) {
	t.Helper()
	byName := map[string]string{}
	var names []string
	for _, file := range files {
		byName[file.Name] = string(file.SQL)
		names = append(names, file.Name)
	}
	switch f {
	case migformat.Atlas:
		assert.DeepEqual(t, names, []string{"20260102030415_kernia.sql", "20260102030416_kernia.sql", "20260102030417_kernia.sql"})
		assert.Check(t, !strings.Contains(byName["20260102030416_kernia.sql"], TxModeNone))
		assert.Check(t, strings.HasPrefix(byName["20260102030417_kernia.sql"], TxModeNone+"\n"))
	case migformat.Goose:
		assert.DeepEqual(t, names, []string{"20260102030415_kernia.sql", "20260102030416_kernia.sql", "20260102030417_kernia.sql"})
		assert.Check(t, !strings.Contains(byName["20260102030415_kernia.sql"], "NO TRANSACTION"))
		assert.Check(t, !strings.Contains(byName["20260102030416_kernia.sql"], "NO TRANSACTION"))
		assert.Check(t, strings.HasPrefix(byName["20260102030417_kernia.sql"], "-- +goose NO TRANSACTION\n"))
	case migformat.Flyway:
		assert.DeepEqual(t, names, []string{"V20260102030415__kernia.sql", "U20260102030415__kernia.sql",
			"V20260102030416__kernia.sql", "U20260102030416__kernia.sql",
			"V20260102030417__kernia.sql", "U20260102030417__kernia.sql", "V20260102030417__kernia.sql.conf"})
		assert.Equal(t, byName["V20260102030417__kernia.sql.conf"], "executeInTransaction=false\n")
		assert.Check(t, strings.HasPrefix(byName["V20260102030417__kernia.sql"], TxModeNone+"\n"))
	case migformat.GolangMigrate:
		// One migration per statement of the online file: golang-migrate runs a file as one
		// multi-statement query, where CREATE INDEX CONCURRENTLY cannot run.
		ups := 0
		for _, n := range names {
			if !strings.HasSuffix(n, ".up.sql") {
				continue
			}
			ups++
			stmts, err := migrate.NewLocalFile(n, []byte(byName[n])).Stmts()
			assert.NilError(t, err)
			if strings.Contains(byName[n], "CONCURRENTLY") || strings.Contains(byName[n], "VALIDATE") {
				assert.Check(t, is.Len(stmts, 1), n)
				assert.Check(t, strings.HasPrefix(byName[n], TxModeNone+"\n"), n)
			}
		}
		assert.Equal(t, ups, 7, "%v", names) // two transactional files, then five online statements
	}
}

// writeResult writes a diff's files and atlas.sum into dir.
func writeResult(t *testing.T, dir string, res *Result) {
	t.Helper()
	assert.NilError(t, os.MkdirAll(dir, 0o755))
	for _, f := range res.Files {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, f.Name), f.SQL, 0o644))
	}
	assert.NilError(t, os.WriteFile(filepath.Join(dir, migrate.HashFileName), res.Sum, 0o644))
}

// tool runs a real migration tool on a directory and a database.
type tool struct {
	t    *testing.T
	name string
	cmd  func(args ...string) *exec.Cmd
}

// run runs the tool and fails the test when it fails.
func (r tool) run(args ...string) {
	r.t.Helper()
	out, err := r.try(args...)
	assert.NilError(r.t, err, "%s %s:\n%s", r.name, strings.Join(args, " "), out)
}

// try runs the tool and returns its output and error.
func (r tool) try(args ...string) (string, error) {
	b, err := r.cmd(args...).CombinedOutput()
	return string(b), err
}

// toolRunner returns format f's tool on dir and the database url.
func toolRunner(t *testing.T, f migformat.Format, goose, golangMigrate, dir, dialect, url string) tool {
	return tool{t: t, name: string(f), cmd: func(args ...string) *exec.Cmd {
		if f == migformat.Goose {
			driver, dsn := "postgres", url
			if dialect == kernia.SQLite {
				driver, dsn = "sqlite3", strings.TrimPrefix(url, "sqlite://")
			}
			return exec.Command(goose, append([]string{"-dir", dir, driver, dsn}, args...)...)
		}
		return exec.Command(golangMigrate, append([]string{"-path", dir, "-database", url}, args...)...)
	}}
}

// upVersions returns the versions of the up migrations among files, in order.
func upVersions(t *testing.T, f migformat.Format, files []File) []string {
	t.Helper()
	var out []string
	for _, file := range files {
		if e, err := migformat.Classify(f, file.Name); err == nil && e.Role == migformat.Up && strings.HasSuffix(file.Name, ".sql") {
			out = append(out, e.Version)
		}
	}
	slices.Sort(out)
	return out
}

// downTo is the tool's command that migrates down to version, the last migration of the
// previous step.
func downTo(f migformat.Format, version string) []string {
	if f == migformat.Goose {
		return []string{"down-to", version}
	}
	return []string{"goto", version}
}

// inspect returns the catalog of the database at url, without the migration tools' tables.
func inspect(t *testing.T, dialect, url string) *atlas.Schema {
	t.Helper()
	db := online3Open(t, url)
	var drv migrate.Driver
	var err error
	if dialect == kernia.Postgres {
		drv, err = postgres.Open(db)
		catalogDriverPG = drv
	} else {
		drv, err = sqlite.Open(db)
		catalogDriver = drv
	}
	assert.NilError(t, err)
	s, err := drv.InspectSchema(context.Background(), "", nil)
	assert.NilError(t, err)
	s.Tables = slices.DeleteFunc(s.Tables, func(tb *atlas.Table) bool {
		switch tb.Name {
		case migration.RevisionsTable, "goose_db_version", "schema_migrations":
			return true
		}
		return false
	})
	return s
}

// catalogDriver and catalogDriverPG diff inspected catalogs: the last driver inspect opened.
var catalogDriver, catalogDriverPG migrate.Driver

// assertSameCatalog checks that Atlas finds no change between the two catalogs, and that they
// hold the same tables, columns and indexes by name.
func assertSameCatalog(t *testing.T, dialect string, want, got *atlas.Schema, what string) {
	t.Helper()
	drv := catalogDriver
	if dialect == kernia.Postgres {
		drv = catalogDriverPG
	}
	var err error
	changes, err := drv.SchemaDiff(want, got)
	assert.NilError(t, err)
	assert.Check(t, is.Len(changes, 0), "%s: the catalog differs: %s", what, describeChanges(changes))
	assert.Check(t, is.DeepEqual(catalogNames(got), catalogNames(want)), "%s", what)
}

func catalogNames(s *atlas.Schema) []string {
	var out []string
	for _, tb := range s.Tables {
		for _, c := range tb.Columns {
			out = append(out, tb.Name+"."+c.Name)
		}
		for _, ix := range tb.Indexes {
			out = append(out, tb.Name+" index "+ix.Name)
		}
		for _, fk := range tb.ForeignKeys {
			out = append(out, tb.Name+" fk "+fk.Symbol)
		}
	}
	slices.Sort(out)
	return out
}

func describeChanges(changes []atlas.Change) string {
	var b strings.Builder
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.AddTable:
			fmt.Fprintf(&b, "add table %s; ", c.T.Name)
		case *atlas.DropTable:
			fmt.Fprintf(&b, "drop table %s; ", c.T.Name)
		case *atlas.ModifyTable:
			for _, tc := range c.Changes {
				fmt.Fprintf(&b, "%s: %T; ", c.T.Name, tc)
			}
		default:
			fmt.Fprintf(&b, "%T; ", c)
		}
	}
	return b.String()
}

// TestFormats14_DirectoryKeepsItsFormat: a directory of one format is refused for another
// (no conversion), an empty Format follows the directory, and a directory mixing formats is
// refused by the diff and by migrate, naming a file of each.
func TestFormats14_DirectoryKeepsItsFormat(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "sqlite")
	tables := formats14Steps()
	at := func(s int) func() time.Time {
		return func() time.Time { return time.Date(2026, 1, 2, 3, 4, s, 0, time.UTC) }
	}
	opts := Options{Dir: dir, Tables: tables[0], Name: "kernia", Now: at(5), Format: migformat.Goose}
	writeResult(t, dir, online3Diff(t, kernia.SQLite, "", opts))

	dev, err := OpenDev(ctx, kernia.SQLite, "", "")
	assert.NilError(t, err)
	defer dev.Close()
	opts.Dev, opts.Tables, opts.Now, opts.Format = dev, tables[1], at(15), migformat.Flyway
	_, err = Diff(ctx, opts)
	assert.Check(t, is.ErrorContains(err, "holds goose files, but the migration format is flyway: a directory keeps its format; set Options.MigrationFormat (or generate --format) to \"goose\""))

	opts.Format = ""
	res, err := Diff(ctx, opts)
	assert.NilError(t, err)
	assert.Equal(t, len(res.Files), 1)
	assert.Check(t, is.Contains(string(res.Files[0].SQL), "-- +goose Up"), "an empty Format follows the directory")

	assert.NilError(t, os.WriteFile(filepath.Join(dir, "20260102030409_app.up.sql"), []byte("CREATE TABLE app (id int);\n"), 0o644))
	ld, err := migrate.NewLocalDir(dir) // kernia hash
	assert.NilError(t, err)
	sum, err := ld.Checksum()
	assert.NilError(t, err)
	assert.NilError(t, migrate.WriteSumFile(ld, sum))
	_, err = Diff(ctx, opts)
	assert.Check(t, is.ErrorContains(err, "mixes migration formats"))
	_, err = migration.Apply(ctx, "sqlite://"+filepath.Join(t.TempDir(), "app.db"), dir, migration.ApplyOptions{})
	assert.Check(t, is.ErrorContains(err, "the directory mixes migration formats: 20260102030405_kernia.sql is a goose file and 20260102030409_app.up.sql a golang-migrate file"))
}
