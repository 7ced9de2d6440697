package e2e_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
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

// passwordDatabase creates a login role with a password (and CREATEDB, so generate can make its
// temporary diff database) owning a fresh database, and returns the database URL with the
// password in it.
func passwordDatabase(t *testing.T) (dbURL, password string) {
	t.Helper()
	server := pgtest.Server(t)
	suffix := randomHex(4)
	role, db := "kernia_ops_"+suffix, "kernia_ops_"+suffix
	password = "Pw" + randomHex(10)
	_, err := server.Exec("CREATE ROLE " + role + " LOGIN CREATEDB PASSWORD '" + password + "'")
	assert.NilError(t, err)
	t.Cleanup(func() { _, _ = server.Exec("DROP ROLE IF EXISTS " + role) })
	_, err = server.Exec("CREATE DATABASE " + db + " OWNER " + role)
	assert.NilError(t, err)
	t.Cleanup(func() { _, _ = server.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)") })
	u, err := url.Parse(pgtest.URLFor(db))
	assert.NilError(t, err)
	u.User = url.UserPassword(role, password)
	return u.String(), password
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cleanEnv is the environment of a new user's shell: no KERNIA_ variable set, so .env counts.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KERNIA_") {
			env = append(env, kv)
		}
	}
	return append(append(env, "GOFLAGS=-mod=mod"), extra...)
}

type infoJSON struct {
	App struct {
		Name     string `json:"name"`
		BaseURL  string `json:"base_url"`
		BasePath string `json:"base_path"`
	} `json:"app"`
	Adapter struct {
		Dialect     string `json:"dialect"`
		DatabaseURL string `json:"database_url"`
		Source      string `json:"source"`
		Reachable   *bool  `json:"reachable"`
		Applied     int    `json:"applied"`
		Pending     int    `json:"pending"`
	} `json:"adapter"`
	Secret struct {
		Status   string `json:"status"`
		Source   string `json:"source"`
		Length   int    `json:"length"`
		Strength string `json:"strength"`
	} `json:"secret"`
	Plugins []struct {
		ID string `json:"id"`
	} `json:"plugins"`
	Contributors []struct {
		Table   string `json:"table"`
		Owner   string `json:"owner"`
		Columns []struct {
			Name        string `json:"name"`
			Contributor string `json:"contributor"`
		} `json:"columns"`
	} `json:"contributors"`
	Schema struct {
		UpToDate bool `json:"up_to_date"`
	} `json:"schema"`
	Migrations []struct {
		Dialect    string `json:"dialect"`
		Files      int    `json:"files"`
		ChecksumOK bool   `json:"checksum_ok"`
	} `json:"migrations"`
	Problems []string `json:"problems"`
}

// TestOperationsAsANewUser: an empty module → init → generate → migrate → info (kernia and
// mage agree) → check passes → a hand edit of a generated schema file makes check fail, naming
// it. No output ever holds the secret or the database password.
func TestOperationsAsANewUser(t *testing.T) {
	dbURL, password := passwordDatabase(t)
	dir := moduletest.New(t, "example.com/shop", map[string]string{})
	// A new user has only the kernia tool: init adds Mage.
	moduletest.Run(t, dir, "go", "mod", "edit", "-droptool=github.com/magefile/mage")

	var secret string
	type output struct{ cmd, text string }
	var outputs []output
	run := func(env []string, args ...string) *icmd.Result {
		t.Helper()
		res := icmd.RunCmd(icmd.Command(args[0], args[1:]...), icmd.Dir(dir), icmd.WithEnv(cleanEnv(env...)...))
		outputs = append(outputs, output{strings.Join(args[:min(len(args), 4)], " "), res.Combined()})
		return res
	}
	kernia := func(args ...string) *icmd.Result {
		return run(nil, append([]string{"go", "tool", "kernia"}, args...)...)
	}

	res := kernia("init", "--plugins", "two-factor,organization", "--database-url", dbURL)
	res.Assert(t, icmd.Success)
	for _, f := range []string{".env.example", ".env", "auth/auth.go", "magefile.go", ".gitignore"} {
		assert.Check(t, is.Contains(res.Stderr(), "wrote    "+f), f)
	}
	st, err := os.Stat(filepath.Join(dir, ".env"))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(st.Mode().Perm(), os.FileMode(0o600)))
	env, err := os.ReadFile(filepath.Join(dir, ".env"))
	assert.NilError(t, err)
	m := regexp.MustCompile(`(?m)^KERNIA_SECRET=([0-9a-f]{64})$`).FindSubmatch(env)
	assert.Assert(t, m != nil, string(env))
	secret = string(m[1])
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(gomod), "github.com/magefile/mage"), "init added the Mage tool")
	example, _ := os.ReadFile(filepath.Join(dir, ".env.example"))
	assert.Check(t, !strings.Contains(string(example), password))
	auth, _ := os.ReadFile(filepath.Join(dir, "auth/auth.go"))
	assert.Check(t, is.Contains(string(auth), "twofactor.New()"))
	assert.Check(t, is.Contains(string(auth), "organization.New()"))

	before := moduletest.Snapshot(t, dir)
	res = kernia("init", "--plugins", "two-factor,organization", "--database-url", dbURL)
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "every file exists already: nothing written"))
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)

	res = kernia("generate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "new postgres migration"))

	res = kernia("migrate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "1 file applied"))

	res = kernia("info", "--json")
	res.Assert(t, icmd.Success)
	var info infoJSON
	assert.NilError(t, json.Unmarshal([]byte(res.Stdout()), &info), res.Stdout())
	var ids []string
	for _, p := range info.Plugins {
		ids = append(ids, p.ID)
	}
	assert.DeepEqual(t, ids, []string{"two-factor", "organization"})
	contributor := map[string]string{}
	owner := map[string]string{}
	for _, tb := range info.Contributors {
		owner[tb.Table] = tb.Owner
		for _, c := range tb.Columns {
			contributor[tb.Table+"."+c.Name] = c.Contributor
		}
	}
	assert.Check(t, is.Equal(owner["users"], "core"))
	assert.Check(t, is.Equal(owner["two_factors"], "two-factor"))
	assert.Check(t, is.Equal(owner["organizations"], "organization"))
	assert.Check(t, is.Equal(owner["members"], "organization"))
	assert.Check(t, is.Equal(contributor["users.email"], "core"))
	assert.Check(t, is.Equal(contributor["users.two_factor_enabled"], "two-factor"))
	assert.Check(t, is.Equal(contributor["sessions.active_organization_id"], "organization"))
	assert.Check(t, is.Equal(info.App.Name, "shop"))
	assert.Check(t, is.Equal(info.App.BasePath, "/api/auth"))
	assert.Check(t, is.Equal(info.Adapter.Dialect, "postgres"))
	assert.Check(t, is.Equal(info.Adapter.Source, "KERNIA_DATABASE_URL from .env"))
	assert.Check(t, info.Adapter.Reachable != nil && *info.Adapter.Reachable)
	assert.Check(t, is.Equal(info.Adapter.Applied, 1))
	assert.Check(t, is.Equal(info.Adapter.Pending, 0))
	assert.Check(t, is.Equal(info.Secret.Status, "set"))
	assert.Check(t, is.Equal(info.Secret.Source, "KERNIA_SECRET from .env"))
	assert.Check(t, is.Equal(info.Secret.Strength, "strong"))
	assert.Check(t, is.Equal(info.Secret.Length, 64))
	assert.Check(t, info.Schema.UpToDate)
	assert.Check(t, len(info.Migrations) == 1 && info.Migrations[0].ChecksumOK && info.Migrations[0].Files == 1, "%+v", info.Migrations)
	assert.Check(t, is.Len(info.Problems, 0))

	res = run(nil, "go", "tool", "mage", "info", "-json")
	res.Assert(t, icmd.Success)
	var mageInfo infoJSON
	assert.NilError(t, json.Unmarshal([]byte(res.Stdout()), &mageInfo), res.Stdout())
	assert.DeepEqual(t, mageInfo, info)

	res = kernia("info")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stdout(), "problems: none"))

	res = kernia("check")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "check: ok"))

	res = kernia("secret")
	res.Assert(t, icmd.Success)
	assert.Check(t, regexp.MustCompile(`^KERNIA_SECRET=[0-9a-f]{64}\n$`).MatchString(res.Stdout()), res.Stdout())

	// The database down: info still reports everything else and says so; not a --strict problem.
	down := strings.Replace(dbURL, "127.0.0.1:5432", "127.0.0.1:1", 1)
	res = run([]string{"KERNIA_DATABASE_URL=" + down}, "go", "tool", "kernia", "info", "--strict")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stdout(), "UNREACHABLE"))
	assert.Check(t, is.Contains(res.Stdout(), "two-factor, organization"))
	assert.Check(t, is.Contains(res.Stdout(), "KERNIA_DATABASE_URL from the environment"))

	// Usage.
	kernia("--help").Assert(t, icmd.Expected{ExitCode: 0, Out: "init"})
	kernia("info", "--help").Assert(t, icmd.Expected{ExitCode: 0, Err: "--strict"})
	kernia("info", "--bogus").Assert(t, icmd.Expected{ExitCode: 2})
	kernia("init", "--plugins", "nope").Assert(t, icmd.Expected{ExitCode: 2, Err: "the built-in plugins are: two-factor"})

	// A hand edit of a generated schema file: check fails and names the file, from both sides.
	user := filepath.Join(dir, "ent/schema/user.go")
	src, err := os.ReadFile(user)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(user, append(src, []byte("\n// a hand edit\n")...), 0o644))
	res = kernia("check")
	res.Assert(t, icmd.Expected{ExitCode: 1})
	assert.Check(t, is.Contains(res.Stderr(), "generated files are out of date: ent/schema/user.go"))
	assert.Check(t, is.Contains(res.Stderr(), "schema drift: ent/schema/user.go differs"))
	res = run(nil, "go", "tool", "mage", "check")
	res.Assert(t, icmd.Expected{ExitCode: 1})
	assert.Check(t, is.Contains(res.Stderr(), "ent/schema/user.go"))

	// Every command's output, stdout and stderr, is free of the secret and the password.
	for _, out := range outputs {
		assert.Check(t, !strings.Contains(out.text, secret), "%s: the secret leaked:\n%s", out.cmd, out.text)
		assert.Check(t, !strings.Contains(out.text, password), "%s: the password leaked:\n%s", out.cmd, out.text)
	}
	assert.Check(t, len(outputs) > 15)
}
