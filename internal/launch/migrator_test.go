package launch_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/cmdline"
	"github.com/kernia/kernia/internal/launch"
	"github.com/kernia/kernia/internal/moduletest"
)

// fakeMigrator is the stand-in migration engine: it says so, with its arguments.
const fakeMigrator = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("migrator pid %d args %q\n", os.Getpid(), os.Args[1:]) }
`

// TestMigratorRunsMigrateAndStatus: migrate and status run in the migration engine, every other
// command line in the engine; each is built once into a pool of its own and then exec'd with
// its arguments, cached.
func TestMigratorRunsMigrateAndStatus(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.kernia, "cmd/kernia/internal/migrator/main.go"), fakeMigrator)
	tests := []struct {
		args     []string
		migrator bool
	}{
		{[]string{"migrate", "--url", "sqlite://x.db"}, true},
		{[]string{"status", "--json"}, true},
		{[]string{"generate"}, false},
		{[]string{"info", "migrate"}, false},
		{[]string{"--help"}, false},
		{nil, false},
	}
	built := map[bool]bool{}
	for _, tc := range tests {
		for range 2 {
			r := f.run(t, nil, tc.args...)
			assert.Equal(t, r.code, 0, r.stderr)
			want := "engine v1 pid "
			dir := filepath.Join(f.cache, "kernia", "engine")
			if tc.migrator {
				want, dir = "migrator pid ", filepath.Join(f.cache, "kernia", "migrator")
			}
			assert.Check(t, strings.HasPrefix(r.stdout, want), "%q ran %q", tc.args, r.stdout)
			args := strings.TrimSuffix(r.stdout[strings.Index(r.stdout, " args ")+len(" args "):], "\n")
			assert.Check(t, is.Equal(args, argsText(tc.args)))
			how := "cached"
			if !built[tc.migrator] {
				how, built[tc.migrator] = "built", true
			}
			assert.Check(t, is.Equal(r.how(), how), "%q", tc.args)
			assert.Check(t, is.Contains(r.stderr, "kernia: launch: "+how+" engine "+dir+string(filepath.Separator)+"engine-"))
		}
	}
}

// argsText is %q of args, as the stand-ins print them.
func argsText(args []string) string {
	if args == nil {
		args = []string{}
	}
	var b strings.Builder
	b.WriteString("[")
	for i, a := range args {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(`"` + a + `"`)
	}
	b.WriteString("]")
	return b.String()
}

// TestMigratorCommandsAreTheLeanCommandLine: the launcher sends to the migration engine exactly
// the commands its command line (internal/cmdline's Lean) defines.
func TestMigratorCommandsAreTheLeanCommandLine(t *testing.T) {
	var names []string
	for _, c := range cmdline.Lean {
		names = append(names, c.Name)
	}
	assert.DeepEqual(t, names, launch.MigratorCommands)
}

// TestRealMigrator: the real migration engine, built in a module that requires this checkout,
// runs migrate and status against an SQLite database as the engine would, and links none of
// Ent's code generator, Atlas's planner or the report.
func TestRealMigrator(t *testing.T) {
	if testing.Short() {
		t.Skip("links the real migration engine")
	}
	dir := moduletest.New(t, "example.com/launchmigrator", map[string]string{"auth/auth.go": `package auth

import "github.com/kernia/kernia"

// Auth is the instance.
var Auth = kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}})
`})
	mig := filepath.Join(dir, "ent", "migrate", "migrations", "sqlite")
	write(t, filepath.Join(mig, "20260101000000_a.sql"), "CREATE TABLE a (id integer);\n")
	ld, err := migrate.NewLocalDir(mig)
	assert.NilError(t, err)
	sum, err := ld.Checksum()
	assert.NilError(t, err)
	assert.NilError(t, migrate.WriteSumFile(ld, sum))
	for i, args := range [][]string{{"migrate", "--url", "sqlite://app.db"}, {"migrate", "--url", "sqlite://app.db"}, {"status", "--url", "sqlite://app.db"}} {
		cmd := exec.Command(launcherBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=", "KERNIA_APP=", launch.DebugEnv+"=1")
		r := runCmd(t, cmd)
		assert.Equal(t, r.code, 0, r.stderr)
		assert.Check(t, is.Contains(r.stderr, string(filepath.Separator)+"migrator"+string(filepath.Separator)+"engine-"))
		switch i {
		case 0:
			assert.Check(t, is.Contains(r.stderr, "applied 20260101000000_a.sql"))
		case 1:
			assert.Check(t, is.Contains(r.stderr, "nothing to apply"))
		case 2:
			assert.Check(t, is.Contains(r.stdout, "applied   20260101000000_a.sql"))
		}
	}
	deps, err := exec.Command("go", "list", "-deps", launch.MigratorPackage).Output()
	assert.NilError(t, err)
	for _, heavy := range []string{"entgo.io/ent/entc/gen", "entgo.io/ent/entc/load", "ariga.io/atlas/sql/postgres", "github.com/kernia/kernia/internal/diff", "github.com/kernia/kernia/internal/generator", "github.com/kernia/kernia/internal/report"} {
		assert.Check(t, !slices.Contains(strings.Fields(string(deps)), heavy), "the migration engine links %s", heavy)
	}
}
