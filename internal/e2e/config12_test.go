package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"

	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
)

// userEnv is a user's shell: the machine's environment without any KERNIA_ variable, plus
// extra. Unlike cleanEnv it sets no GOFLAGS: the module's committed go.mod and go.sum must do.
func userEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KERNIA_") && !strings.HasPrefix(kv, "GOFLAGS=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// kerniaAt runs go tool kernia in dir with the environment env.
func kerniaAt(dir string, env []string, args ...string) *icmd.Result {
	return icmd.RunCmd(icmd.Command("go", append([]string{"tool", "kernia"}, args...)...), icmd.Dir(dir), icmd.WithEnv(env...))
}

// binAt runs bin, the binary go tool kernia runs (moduletest.Tool), in dir with the
// environment env: what kerniaAt does without the go command's staleness check of the whole
// tool, for a test's many runs after its first ones went through go tool kernia.
func binAt(bin, dir string, env []string, args ...string) *icmd.Result {
	return icmd.RunCmd(icmd.Command(bin, args...), icmd.Dir(dir), icmd.WithEnv(env...))
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	res := icmd.RunCmd(icmd.Command("git", append([]string{"-c", "user.name=Kernia Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...),
		icmd.Dir(dir), icmd.WithEnv(userEnv()...))
	res.Assert(t, icmd.Success)
	return res.Stdout()
}

// TestWeek12_PostgresCloneChecksGreen: init for PostgreSQL commits the dialect to
// auth/auth.go; after generate and a commit, a clean clone given only what the README's CI
// recipe sets (a CI-only KERNIA_SECRET and KERNIA_DEV_URL) runs check green. Without the
// committed dialect, the same clone fails and the warning names the PostgreSQL directory, the
// configured dialect and the fix.
func TestWeek12_PostgresCloneChecksGreen(t *testing.T) {
	target := pgtest.NewDatabase(t)
	ciDev := pgtest.NewDatabase(t)
	dir := moduletest.New(t, "example.com/shop", map[string]string{})
	dev := userEnv()

	res := kerniaAt(dir, dev, "init", "--plugins", "two-factor", "--database-url", target)
	res.Assert(t, icmd.Success)
	auth, err := os.ReadFile(filepath.Join(dir, "auth/auth.go"))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(auth), "Dialects: []string{kernia.Postgres},"), string(auth))
	ignore, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(string(ignore), ".kernia/\n.env\nkernia.db\nkernia.db-wal\nkernia.db-shm\n"))

	res = kerniaAt(dir, dev, "generate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "new postgres migration"))
	assert.Check(t, !strings.Contains(res.Stderr(), "warning"), res.Stderr())
	_, err = os.Stat(filepath.Join(dir, "ent/migrate/migrations/sqlite"))
	assert.Check(t, os.IsNotExist(err), "generate started a sqlite/ directory")

	git(t, dir, "init", "-q")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "kernia init and generate")
	tracked := git(t, dir, "ls-files")
	assert.Check(t, !regexp.MustCompile(`(?m)^\.env$`).MatchString(tracked), "the .env holding the secret is committed")
	assert.Check(t, !strings.Contains(tracked, ".kernia/"))
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, dir, "clone", "-q", dir, clone)
	_, err = os.Stat(filepath.Join(clone, ".env"))
	assert.Check(t, os.IsNotExist(err), "the clone has a .env: the test proves nothing")

	// Exactly what the README's CI recipe sets.
	secret := strings.TrimPrefix(strings.TrimSpace(kerniaAt(dir, dev, "secret").Stdout()), "KERNIA_SECRET=")
	assert.Assert(t, len(secret) == 64, secret)
	ci := userEnv("KERNIA_SECRET="+secret, "KERNIA_DEV_URL="+ciDev)
	res = kerniaAt(clone, ci, "check")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "check: ok"))
	assert.Check(t, !strings.Contains(res.Stderr(), "warning"), res.Stderr())
	assert.Check(t, !strings.Contains(res.Combined(), secret), "check printed the secret")

	// An auth module without the committed dialect: the clone targets SQLite, check fails,
	// and the warning says why and what to do.
	p := filepath.Join(clone, "auth/auth.go")
	b, err := os.ReadFile(p)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(p, []byte(strings.Replace(string(b), "Dialects: []string{kernia.Postgres},", "", 1)), 0o644))
	res = kerniaAt(clone, ci, "check")
	res.Assert(t, icmd.Expected{ExitCode: 1})
	assert.Check(t, is.Contains(res.Stderr(), "kernia: warning: migration directory ent/migrate/migrations/postgres/ holds postgres migrations, but the configuration targets sqlite only, from the dialect of the database URL (the default sqlite://kernia.db; Options.Dialects is not set): to keep postgres, set Dialects: []string{kernia.Postgres} in kernia.Options (auth/auth.go) and commit it"))
	for _, cmd := range []string{"info", "generate"} {
		res = kerniaAt(clone, ci, cmd, "--dry-run")
		if cmd == "info" {
			res = kerniaAt(clone, ci, cmd)
		}
		assert.Check(t, is.Contains(res.Stderr(), "kernia: warning: migration directory ent/migrate/migrations/postgres/"), cmd)
	}
}

// TestWeek12_SubdirectoryAgreesWithRoot: every command run from cmd/server gives the answers
// it gives at the module root (the relative sqlite://kernia.db included); init on the
// initialised module adds a plugin to the unmodified scaffold; status exits 1 once it lists a
// problem; --version and version --json work. Init, generate and migrate go through go tool
// kernia; the 16 runs after them start the binary it runs.
func TestWeek12_SubdirectoryAgreesWithRoot(t *testing.T) {
	dir := moduletest.New(t, "example.com/shop", map[string]string{"cmd/server/main.go": "package main\n\nfunc main() {}\n"})
	sub := filepath.Join(dir, "cmd", "server")
	env := userEnv()

	res := kerniaAt(sub, env, "init", "--plugins", "two-factor", "--dir", dir)
	res.Assert(t, icmd.Success)
	res = kerniaAt(dir, env, "init", "--plugins", "jwt")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "updated  auth/auth.go: added plugin jwt (it was Kernia's unmodified scaffold, so rewriting it is safe; review the change)"))
	assert.Check(t, is.Contains(res.Stderr(), "skipped  .gitignore (already ignores"))

	res = kerniaAt(sub, env, "generate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "new sqlite migration: ent/migrate/migrations/sqlite/"))
	res = kerniaAt(sub, env, "migrate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "1 file applied"))
	_, err := os.Stat(filepath.Join(dir, "kernia.db"))
	assert.Check(t, err == nil, "migrate from cmd/server did not use the root's kernia.db")
	entries, err := os.ReadDir(sub)
	assert.NilError(t, err)
	assert.Check(t, is.Len(entries, 1), "commands wrote into cmd/server: %v", entries)

	// The comparisons and the rest start the tool binary itself, in the same directories.
	bin := moduletest.Tool(t, dir, "kernia")
	for _, args := range [][]string{
		{"info", "--json"},
		{"status", "--json"},
		{"status", "--url", "sqlite://kernia.db"},
		{"generate", "--check"},
		{"check", "--json"},
	} {
		atRoot := binAt(bin, dir, env, args...)
		atRoot.Assert(t, icmd.Success)
		inSub := binAt(bin, sub, env, args...)
		inSub.Assert(t, icmd.Success)
		assert.Check(t, is.Equal(inSub.Stdout(), atRoot.Stdout()), strings.Join(args, " "))
		assert.Check(t, !strings.Contains(inSub.Stdout()+inSub.Stderr(), "DRIFT"), strings.Join(args, " "))
	}
	var status struct {
		Applied []struct{ Version string } `json:"applied"`
	}
	assert.NilError(t, json.Unmarshal([]byte(binAt(bin, sub, env, "status", "--json").Stdout()), &status))
	assert.Check(t, is.Len(status.Applied, 1))

	// An applied file edited (and rehashed) is a problem: status lists it and exits 1.
	files, err := filepath.Glob(filepath.Join(dir, "ent/migrate/migrations/sqlite/*.sql"))
	assert.NilError(t, err)
	assert.Assert(t, len(files) == 1)
	f, err := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
	assert.NilError(t, err)
	_, err = f.WriteString("\n-- an edit after the file was applied\n")
	assert.NilError(t, err)
	assert.NilError(t, f.Close())
	binAt(bin, sub, env, "hash").Assert(t, icmd.Success)
	res = binAt(bin, sub, env, "status")
	res.Assert(t, icmd.Expected{ExitCode: 1})
	assert.Check(t, is.Contains(res.Stdout(), "problem: "))
	assert.Check(t, is.Contains(res.Stderr(), "status: the migration history has problems (1)"))
	res = binAt(bin, sub, env, "status", "--json")
	res.Assert(t, icmd.Expected{ExitCode: 1})
	var withProblem struct {
		Problems []string `json:"problems"`
	}
	assert.NilError(t, json.Unmarshal([]byte(res.Stdout()), &withProblem), res.Stdout())
	assert.Check(t, is.Len(withProblem.Problems, 1))

	res = binAt(bin, sub, env, "--version")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stdout(), "kernia (devel) (github.com/kernia/kernia, go1."))
	res = binAt(bin, sub, env, "version", "--json")
	res.Assert(t, icmd.Success)
	var v map[string]string
	assert.NilError(t, json.Unmarshal([]byte(res.Stdout()), &v), res.Stdout())
	assert.Check(t, is.Equal(v["version"], "(devel)"), "a module replacing Kernia by a directory runs a development build")
	assert.Check(t, is.Equal(v["module_path"], "github.com/kernia/kernia"))
	assert.Check(t, strings.HasPrefix(v["go_version"], "go1."), v["go_version"])
}
