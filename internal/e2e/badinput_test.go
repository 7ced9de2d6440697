package e2e_test

import (
	"os"
	"path/filepath"
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
// exit, nothing written or applied, and never the password.
func TestBadInput(t *testing.T) {
	dir := moduletest.New(t, "example.com/bad", map[string]string{"auth/auth.go": sqliteAuthGo})
	kernia := func(args ...string) *icmd.Result {
		cmd := icmd.Command("go", append([]string{"tool", "kernia"}, args...)...)
		return icmd.RunCmd(cmd, icmd.Dir(dir), icmd.WithEnv(append(os.Environ(), "GOFLAGS=-mod=mod", "KERNIA_DATABASE_URL=")...))
	}
	kernia("generate").Assert(t, icmd.Success)
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
		{name: "unknown flag", args: []string{"migrate", "--frob"}, exitCode: 2, want: "flag provided but not defined: -frob"},
		{name: "unknown scheme", args: []string{"migrate", "--url", "mysql://root:s3cret@127.0.0.1/db"}, exitCode: 1, want: `unsupported scheme "mysql"`},
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
