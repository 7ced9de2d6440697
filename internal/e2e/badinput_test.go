package e2e_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"

	"github.com/kernia/kernia/internal/moduletest"
)

const sqliteAuthGo = `package auth

import "github.com/kernia/kernia"

// Auth is the app's auth instance.
var Auth = kernia.New(kernia.Options{})

// NotAuth is something else.
var NotAuth = "hello"
`

// TestBadInput: each mistake gets one clear message naming the thing and the fix, a non-zero
// exit, nothing written or applied, and never the password. The first generate goes through
// go tool kernia; the mistakes start the binary it runs (moduletest.Tool), without the go
// command's staleness check of the whole tool around each.
func TestBadInput(t *testing.T) {
	dir := moduletest.New(t, "example.com/bad", map[string]string{"auth/auth.go": sqliteAuthGo})
	env := icmd.WithEnv(append(os.Environ(), "GOFLAGS=-mod=mod", "KERNIA_DATABASE_URL=")...)
	icmd.RunCmd(icmd.Command("go", "tool", "kernia", "generate"), icmd.Dir(dir), env).Assert(t, icmd.Success)
	kerniaBin := moduletest.Tool(t, dir, "kernia")
	kernia := func(args ...string) *icmd.Result {
		return icmd.RunCmd(icmd.Command(kerniaBin, args...), icmd.Dir(dir), env)
	}
	migrations := filepath.Join(dir, "ent/migrate/migrations/sqlite")
	files, err := filepath.Glob(filepath.Join(migrations, "*.sql"))
	assert.NilError(t, err)
	assert.Equal(t, len(files), 1)

	tests := []struct {
		name string
		args []string
		// prepare changes the module before the command and returns a function undoing it.
		prepare  func(t *testing.T) func()
		exitCode int
		want     string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, exitCode: 2, want: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"migrate", "--frob"}, exitCode: 2, want: "flag provided but not defined: --frob"},
		{name: "unknown scheme", args: []string{"migrate", "--url", "oracle://root:s3cret@127.0.0.1/db"}, exitCode: 1, want: `unsupported scheme "oracle"`},
		{name: "no scheme", args: []string{"migrate", "--url", "root:s3cret@127.0.0.1/db"}, exitCode: 1, want: "has no scheme"},
		{name: "unreachable database", args: []string{"migrate", "--dir", "ent/migrate/migrations/sqlite", "--url", "postgres://alice:s3cret@127.0.0.1:1/db?sslmode=disable"}, exitCode: 1, want: "127.0.0.1:1"},
		{name: "missing migration directory", args: []string{"migrate", "--dir", "nope"}, exitCode: 1, want: "nope does not exist"},
		{name: "edited migration file", args: []string{"migrate"}, exitCode: 1, want: "atlas.sum", prepare: func(t *testing.T) func() {
			return edit(t, files[0], func(s string) string { return s + "\n-- sneaky edit\n" })
		}},
		{name: "edited atlas.sum", args: []string{"migrate"}, exitCode: 1, want: "atlas.sum", prepare: func(t *testing.T) func() {
			return edit(t, filepath.Join(migrations, "atlas.sum"), func(s string) string { return strings.Replace(s, "h1:", "h1:AAAA", 1) })
		}},
		{name: "missing package", args: []string{"migrate", "--app", "./nowhere:Auth"}, exitCode: 1, want: "package directory ./nowhere does not exist"},
		{name: "missing variable", args: []string{"migrate", "--app", "./auth:Missing"}, exitCode: 1, want: "has no exported variable Missing"},
		{name: "not an instance", args: []string{"migrate", "--app", "./auth:NotAuth"}, exitCode: 1, want: "is not a *kernia.Auth"},
		{name: "malformed app", args: []string{"migrate", "--app", "auth"}, exitCode: 2, want: "want <package>:<Var>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prepare != nil {
				defer tc.prepare(t)()
			}
			before := moduletest.Snapshot(t, filepath.Join(dir, "ent"))
			res := kernia(tc.args...)
			res.Assert(t, icmd.Expected{ExitCode: tc.exitCode})
			assert.Check(t, is.Contains(res.Stderr(), tc.want))
			assert.Check(t, !strings.Contains(res.Combined(), "s3cret"), res.Combined())
			assert.DeepEqual(t, moduletest.Snapshot(t, filepath.Join(dir, "ent")), before)
			_, err := os.Stat(filepath.Join(dir, "kernia.db"))
			assert.Check(t, os.IsNotExist(err), "a database was created")
		})
	}
}

func edit(t *testing.T, path string, change func(string) string) func() {
	t.Helper()
	orig, err := os.ReadFile(path)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(path, []byte(change(string(orig))), 0o644))
	return func() { assert.NilError(t, os.WriteFile(path, orig, 0o644)) }
}

// hostileApps are --app / KERNIA_APP values that try to become code in the loader program,
// reach outside the module or hide bytes; each is refused with exit 2 and nothing written,
// built or run.
var hostileApps = []struct {
	value string
	want  string
}{
	{`x";func init(){os.WriteFile("pwned",nil,0o644)}//:Auth`, "want <package>:<Var>"},
	{"example.com/bad/auth\";func init(){os.WriteFile(\"pwned\",nil,0o644)}//:Auth", "want <package>:<Var>"},
	{"./auth\nfunc init() { os.WriteFile(\"pwned\", nil, 0o644) }\n//:Auth", "want <package>:<Var>"},
	{"./auth:Auth\nfunc init(){}", "want <package>:<Var>"},
	{"./au\"th:Auth", "want <package>:<Var>"},
	{"./au`th:Auth", "want <package>:<Var>"},
	{"./auth*/:Auth", "want <package>:<Var>"},
	{"./au th:Auth", "want <package>:<Var>"},
	{"./au\\th:Auth", "want <package>:<Var>"},
	{"./au\x1bth:Auth", "want <package>:<Var>"},
	{"./auth\u202e:Auth", "want <package>:<Var>"},
	{"./аuth:Auth", "want <package>:<Var>"}, // Cyrillic а
	{"./auth\u200b:Auth", "want <package>:<Var>"},
	{"./auth:Auth\u200b", "want <package>:<Var>"},
	{"./auth:auth", "want <package>:<Var>"},
	{"/etc:Auth", "want <package>:<Var>"},
	{"/tmp/x:Auth", "want <package>:<Var>"},
	{"../:Auth", "outside the module"},
	{"..:Auth", "outside the module"},
	{"../../../../etc:Auth", "outside the module"},
	{"./escape:Auth", "outside the module"}, // a symbolic link to a package outside
}

// TestInputs1_AppValueNeverBecomesCode: every hostile --app or KERNIA_APP value gets exit 2
// and one message naming the value (quoted) and the rule; no loader program is written, built
// or run, so its code never runs. The 48 hostile runs start the module's kernia tool binary,
// the one `go tool kernia` runs (moduletest.Tool), without the go command's staleness check
// around each: exit codes and output are the same; the ordinary forms at the end go through
// `go tool kernia`.
func TestInputs1_AppValueNeverBecomesCode(t *testing.T) {
	dir := moduletest.New(t, "example.com/bad", map[string]string{"auth/auth.go": sqliteAuthGo})
	// ./escape leads to a package outside the module that would compile.
	outside := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(outside, "x.go"), []byte(sqliteAuthGo), 0o644))
	assert.NilError(t, os.Symlink(outside, filepath.Join(dir, "escape")))
	kerniaBin := moduletest.Tool(t, dir, "kernia")
	runWith := func(name string, prefix []string, env []string, args ...string) *icmd.Result {
		cmd := icmd.Command(name, append(prefix, args...)...)
		return icmd.RunCmd(cmd, icmd.Dir(dir), icmd.WithEnv(append(os.Environ(), append([]string{"GOFLAGS=-mod=mod", "KERNIA_DATABASE_URL=", "KERNIA_APP="}, env...)...)...))
	}
	run := func(env []string, args ...string) *icmd.Result { return runWith(kerniaBin, nil, env, args...) }
	goTool := func(args ...string) *icmd.Result { return runWith("go", []string{"tool", "kernia"}, nil, args...) }
	for _, tc := range hostileApps {
		t.Run(strconv.Quote(tc.value), func(t *testing.T) {
			for _, res := range []*icmd.Result{
				run(nil, "info", "--app", tc.value),
				run([]string{"KERNIA_APP=" + tc.value}, "generate"),
			} {
				res.Assert(t, icmd.Expected{ExitCode: 2})
				assert.Check(t, is.Contains(res.Stderr(), tc.want))
				if tc.want == "want <package>:<Var>" {
					assert.Check(t, is.Contains(res.Stderr(), strconv.Quote(tc.value)))
				}
				assert.Check(t, !strings.ContainsAny(strings.TrimSuffix(res.Stderr(), "\n"), "\x1b\u202e\u200b"), "raw control characters in %q", res.Stderr())
				for _, p := range []string{".kernia/loader", "pwned", "ent", "kernia.db"} {
					_, err := os.Lstat(filepath.Join(dir, p))
					assert.Check(t, os.IsNotExist(err), "%s exists", p)
				}
			}
		})
	}
	// The rule still lets the ordinary forms through, and `go tool kernia` says the same of a
	// hostile value as the tool binary.
	goTool("info", "--app", "./auth:Auth").Assert(t, icmd.Success)
	goTool("info", "--app", "example.com/bad/auth:Auth").Assert(t, icmd.Success)
	res := goTool("info", "--app", hostileApps[0].value)
	res.Assert(t, icmd.Expected{ExitCode: 2})
	assert.Check(t, is.Contains(res.Stderr(), strconv.Quote(hostileApps[0].value)))
}

const schemaNamesAuthGo = `package auth

import "github.com/kernia/kernia"

// Collides renames the verifications table to the name Ent gives the index of sessions.user_id.
var Collides = kernia.New(kernia.Options{
	Schema: map[string]kernia.EntitySchema{"Verification": {Table: "session_user_id"}},
})

// Cut gives sessions a name whose unique index on token PostgreSQL would cut at 63 bytes.
var Cut = kernia.New(kernia.Options{
	Schema: map[string]kernia.EntitySchema{"Session": {Table: "` + "sessions_of_the_application_that_has_a_very_long_table_name" + `"}},
})

// Reserved names a table as SQLite's own.
var Reserved = kernia.New(kernia.Options{
	Schema: map[string]kernia.EntitySchema{"User": {Table: "sqlite_users"}},
})
`

// TestInputs4_SchemaNamesRefusedByEveryCommand: Options.Schema names that collide with a
// derived index name, that PostgreSQL would cut, or that SQLite reserves are refused by
// generate, check and info, with an error naming both sides and no panic; nothing is written.
func TestInputs4_SchemaNamesRefusedByEveryCommand(t *testing.T) {
	dir := moduletest.New(t, "example.com/names", map[string]string{"auth/auth.go": schemaNamesAuthGo})
	// The first run goes through go tool kernia, the others start the binary it runs.
	var kerniaBin string
	run := func(args ...string) *icmd.Result {
		cmd := icmd.Command("go", append([]string{"tool", "kernia"}, args...)...)
		if kerniaBin != "" {
			cmd = icmd.Command(kerniaBin, args...)
		}
		res := icmd.RunCmd(cmd, icmd.Dir(dir), icmd.WithEnv(append(os.Environ(), "GOFLAGS=-mod=mod", "KERNIA_DATABASE_URL=", "KERNIA_APP=")...))
		if kerniaBin == "" {
			kerniaBin = moduletest.Tool(t, dir, "kernia")
		}
		return res
	}
	tests := []struct {
		app  string
		want []string
	}{
		{app: "./auth:Collides", want: []string{"table session_user_id", "index session_user_id of table sessions (columns user_id)"}},
		{app: "./auth:Cut", want: []string{"sessions_of_the_application_that_has_a_very_long_table_name_token_key", "PostgreSQL cuts names over 63 bytes"}},
		{app: "./auth:Reserved", want: []string{"sqlite_users", "SQLite reserves"}},
	}
	for _, tc := range tests {
		t.Run(tc.app, func(t *testing.T) {
			for _, args := range [][]string{{"generate"}, {"generate", "--dry-run"}, {"check"}, {"info"}, {"info", "--json"}} {
				res := run(append(args, "--app", tc.app)...)
				assert.Check(t, res.ExitCode != 0 || args[0] == "info", "%v: exit 0", args)
				for _, w := range tc.want {
					assert.Check(t, is.Contains(res.Combined(), w), "%v", args)
				}
				assert.Check(t, !strings.Contains(res.Combined(), "panic"), res.Combined())
				assert.Check(t, !strings.Contains(res.Combined(), "kernia: kernia:"), "the prefix twice:\n%s", res.Combined())
			}
			for _, p := range []string{"ent", "kernia.db"} {
				_, err := os.Stat(filepath.Join(dir, p))
				assert.Check(t, os.IsNotExist(err), "%s exists", p)
			}
		})
	}
}

// TestInputs2_NameThroughMageAndKernia: --name values that would leave the migration
// directory or break the naming rule are usage errors (exit 2) under go tool mage and go tool
// kernia alike, and so is an --output leaving the module; nothing is written anywhere in or
// beside the module.
func TestInputs2_NameThroughMageAndKernia(t *testing.T) {
	dir := moduletest.New(t, "example.com/names", map[string]string{"auth/auth.go": sqliteAuthGo, "magefile.go": moduletest.Magefile})
	env := icmd.WithEnv(append(os.Environ(), "GOFLAGS=-mod=mod", "KERNIA_DATABASE_URL=", "KERNIA_APP=")...)
	parent := filepath.Dir(dir)
	beside := func() []string {
		entries, err := os.ReadDir(parent)
		assert.NilError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	before, besideBefore := moduletest.Snapshot(t, dir), beside()
	// The names' kernia runs start the binary go tool kernia runs; the --output runs below go
	// through go tool kernia.
	kerniaBin := moduletest.Tool(t, dir, "kernia")
	for _, name := range []string{"../../x", "a/b", "A", "x.sql", strings.Repeat("n", 200)} {
		t.Run(strconv.Quote(name), func(t *testing.T) {
			for _, cmd := range []icmd.Cmd{
				icmd.Command("go", "tool", "mage", "generate", "-name="+name),
				icmd.Command(kerniaBin, "generate", "--name", name),
			} {
				args := cmd.Command
				res := icmd.RunCmd(cmd, icmd.Dir(dir), env)
				res.Assert(t, icmd.Expected{ExitCode: 2})
				assert.Check(t, is.Contains(res.Stderr(), "[a-z0-9_]+"), args)
				// One message, the tool's: Mage adds no "Error: …" line of its own.
				assert.Check(t, is.Equal(strings.Count(strings.TrimSpace(res.Stderr()), "\n"), 0), "%v:\n%s", args, res.Stderr())
			}
		})
	}
	// --output, the migrations directory, stays inside the module too (kernia.CheckMigrationsDir).
	for _, output := range []string{"../outside", parent} {
		res := icmd.RunCmd(icmd.Command("go", "tool", "kernia", "generate", "--output", output), icmd.Dir(dir), env)
		res.Assert(t, icmd.Expected{ExitCode: 2})
		assert.Check(t, is.Contains(res.Stderr(), "generate: --output: "), output)
		assert.Check(t, is.Contains(res.Stderr(), "is not a directory inside the module"), output)
	}
	after := moduletest.Snapshot(t, dir)
	for p := range after {
		// The loader program and Mage's own build state are not outputs of generate.
		if strings.HasPrefix(p, ".kernia/") {
			delete(after, p)
		}
	}
	assert.DeepEqual(t, after, before)
	assert.DeepEqual(t, beside(), besideBefore)
}

// TestInputs7_KerniaDirectoryLinkNeverFollowed: a repository that commits .kernia (or
// .kernia/loader) as a symbolic link cannot make go tool kernia write its loader program
// outside the module: the command is refused, naming the link, and the link's target stays
// empty.
func TestInputs7_KerniaDirectoryLinkNeverFollowed(t *testing.T) {
	for _, link := range []string{".kernia", ".kernia/loader"} {
		t.Run(link, func(t *testing.T) {
			dir := moduletest.New(t, "example.com/linked", map[string]string{"auth/auth.go": sqliteAuthGo})
			outside := t.TempDir()
			if link == ".kernia/loader" {
				assert.NilError(t, os.Mkdir(filepath.Join(dir, ".kernia"), 0o755))
			}
			assert.NilError(t, os.Symlink(outside, filepath.Join(dir, link)))
			for _, args := range [][]string{{"info"}, {"generate"}, {"migrate", "--dry-run"}} {
				cmd := icmd.Command("go", append([]string{"tool", "kernia"}, args...)...)
				res := icmd.RunCmd(cmd, icmd.Dir(dir), icmd.WithEnv(append(os.Environ(), "GOFLAGS=-mod=mod", "KERNIA_DATABASE_URL=", "KERNIA_APP=")...))
				res.Assert(t, icmd.Expected{ExitCode: 1})
				assert.Check(t, is.Contains(res.Stderr(), filepath.Join(dir, link)+" is a symbolic link"))
				assert.Check(t, is.Contains(res.Stderr(), "remove the link"))
				entries, err := os.ReadDir(outside)
				assert.NilError(t, err)
				assert.Check(t, len(entries) == 0, "%v wrote through the link: %v", args, entries)
			}
		})
	}
}
