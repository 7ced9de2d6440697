package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"

	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
)

const authGo = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/twofactor"
)

// Auth is the shop's auth instance.
var Auth = kernia.New(kernia.Options{
	AppName:  "shop",
	Dialects: []string{kernia.SQLite, kernia.Postgres},
	Plugins:  []kernia.Plugin{twofactor.New()},
})
`

// smokeGo uses the generated client as the application would.
const smokeGo = `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"example.com/shop/ent"
	"example.com/shop/ent/user"
	"github.com/kernia/kernia/sqldb"
)

func main() {
	ctx := context.Background()
	db, dialect, err := sqldb.Open(ctx, os.Args[1])
	if err != nil {
		panic(err)
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect, db)))
	defer client.Close()
	u := client.User.Create().SetName("Ada").SetEmail("ada@example.com").SaveX(ctx)
	client.Session.Create().SetUser(u).SetToken("tok-1").SetExpiresAt(time.Now().Add(time.Hour)).SaveX(ctx)
	client.TwoFactor.Create().SetUser(u).SetSecret("totp").SetBackupCodes("a,b").SaveX(ctx)
	got := client.User.Query().Where(user.Email("ada@example.com")).WithSessions().WithTwoFactors().OnlyX(ctx)
	fmt.Printf("user=%s id_len=%d sessions=%d two_factors=%d token=%s verified=%v\n",
		got.Name, len(got.ID), len(got.Edges.Sessions), len(got.Edges.TwoFactors),
		got.Edges.Sessions[0].Token, got.Edges.TwoFactors[0].Verified)
	client.User.DeleteOne(got).ExecX(ctx)
	fmt.Printf("after delete: sessions=%d two_factors=%d\n",
		client.Session.Query().CountX(ctx), client.TwoFactor.Query().CountX(ctx))
}
`

func TestNewUserWorkflow(t *testing.T) {
	devURL := pgtest.NewDatabase(t)
	targetPG := pgtest.NewDatabase(t)
	dir := moduletest.New(t, "example.com/shop", map[string]string{
		"auth/auth.go": authGo,
		"magefile.go":  moduletest.Magefile,
	})
	env := []string{"KERNIA_DEV_URL=" + devURL, "KERNIA_DATABASE_URL="}
	run := func(args ...string) *icmd.Result {
		cmd := icmd.Command(args[0], args[1:]...)
		return icmd.RunCmd(cmd, icmd.Dir(dir), icmd.WithEnv(append(os.Environ(), append(env, "GOFLAGS=-mod=mod")...)...))
	}

	res := run("go", "tool", "mage", "-l")
	res.Assert(t, icmd.Success)
	for _, target := range []string{"generate", "migrate", "status"} {
		assert.Check(t, is.Contains(res.Stdout(), target))
	}

	res = run("go", "tool", "mage", "generate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "new sqlite migration"))
	assert.Check(t, is.Contains(res.Stderr(), "new postgres migration"))
	for _, d := range []string{"sqlite", "postgres"} {
		files, err := filepath.Glob(filepath.Join(dir, "ent/migrate/migrations", d, "*.sql"))
		assert.NilError(t, err)
		assert.Equal(t, len(files), 1, d)
		_, err = os.Stat(filepath.Join(dir, "ent/migrate/migrations", d, "atlas.sum"))
		assert.NilError(t, err)
	}
	before := moduletest.Snapshot(t, dir)

	// A second generate writes nothing, and the targets run the engine the first one built
	// without asking the go command (internal/launch's fast path; its debug line says so).
	env = append(env, "KERNIA_LAUNCH_DEBUG=1")
	res = run("go", "tool", "mage", "generate")
	env = env[:len(env)-1]
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "nothing changed"))
	assert.Check(t, is.Contains(res.Stderr(), "kernia: launch: cached engine "))
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)

	// Migrate on the embedded default creates kernia.db.
	res = run("go", "tool", "mage", "migrate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "1 file applied"))
	_, err := os.Stat(filepath.Join(dir, "kernia.db"))
	assert.NilError(t, err)
	res = run("go", "tool", "mage", "migrate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "nothing to apply"))

	// And on PostgreSQL, through the kernia command this time.
	res = run("go", "tool", "kernia", "migrate", "--url", targetPG)
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "1 file applied"))
	res = run("go", "tool", "kernia", "status", "--url", targetPG, "--json")
	res.Assert(t, icmd.Success)
	var status struct {
		Applied []struct{ Version string } `json:"applied"`
		Pending []struct{ Version string } `json:"pending"`
	}
	assert.NilError(t, json.Unmarshal([]byte(res.Stdout()), &status), res.Stdout())
	assert.Check(t, len(status.Applied) == 1 && len(status.Pending) == 0, res.Stdout())

	// The application uses the generated client on both databases.
	smoke := filepath.Join(dir, "cmd/smoke/main.go")
	assert.NilError(t, os.MkdirAll(filepath.Dir(smoke), 0o755))
	assert.NilError(t, os.WriteFile(smoke, []byte(smokeGo), 0o644))
	for _, url := range []string{"sqlite://kernia.db", targetPG} {
		res = run("go", "run", "./cmd/smoke", url)
		res.Assert(t, icmd.Success)
		assert.Check(t, is.Contains(res.Stdout(), "user=Ada id_len=32 sessions=1 two_factors=1 token=tok-1 verified=true"))
		assert.Check(t, is.Contains(res.Stdout(), "after delete: sessions=0 two_factors=0"))
	}

	// The kernia command's generate agrees that nothing changed, and both front ends keep the
	// fast path when the user switches between them: one fingerprint for both.
	res = run("go", "tool", "kernia", "generate", "--check")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "nothing changed"))
	for _, cmd := range [][]string{{"go", "tool", "kernia", "generate"}, {"go", "tool", "mage", "generate"}} {
		res = run(cmd...)
		res.Assert(t, icmd.Success)
		assert.Check(t, is.Contains(res.Stderr(), "inputs unchanged since the last run (fingerprint match)"), "%v: %s", cmd, res.Stderr())
	}
}
