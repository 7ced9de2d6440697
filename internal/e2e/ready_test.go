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
	"github.com/kernia/kernia/internal/pgtest"
)

// readyAuthGo is the shop's auth module before and after it enables two-factor.
const readyAuthGo = `package auth

import (
	"github.com/kernia/kernia"
	/*import*/
)

// Auth is the shop's auth instance.
var Auth = kernia.New(kernia.Options{
	AppName:  "shop",
	Dialects: []string{kernia.SQLite, kernia.Postgres},
	Plugins:  []kernia.Plugin{ /*plugins*/ },
})
`

// readyServerGo is the application: it refuses to start on a database that is not ready, as
// the README shows.
const readyServerGo = `package main

import (
	"context"
	"fmt"
	"io/fs"
	"log"

	entsql "entgo.io/ent/dialect/sql"

	shop "example.com/shop"
	"example.com/shop/ent"
	"github.com/kernia/kernia/sqldb"
)

func main() {
	ctx := context.Background()
	db, dialect, err := sqldb.FromEnv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	migrations, err := fs.Sub(shop.Migrations, "ent/migrate/migrations")
	if err != nil {
		log.Fatal(err)
	}
	if err := sqldb.Ready(ctx, db, dialect, migrations); err != nil {
		log.Fatal(err)
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect, db)))
	defer client.Close()
	fmt.Printf("ready %s users=%d\n", dialect, client.User.Query().CountX(ctx))
}
`

// readyMigrationsGo embeds the migration directories in the module's root package.
const readyMigrationsGo = `package shop

import "embed"

// Migrations holds ent/migrate/migrations, so the server checks its database without files.
//
//go:embed ent/migrate/migrations
var Migrations embed.FS
`

// TestApplicationRefusesToStartUntilMigrated: a real program built in a user's module with
// sqldb.FromEnv and sqldb.Ready, run from cmd/server/, exits non-zero before `kernia migrate`
// and zero after, on SQLite (the .env of the module root, a relative path) and PostgreSQL (the
// environment over .env); a binary built with a new migration refuses the database again until
// it is migrated.
func TestApplicationRefusesToStartUntilMigrated(t *testing.T) {
	devURL := pgtest.NewDatabase(t)
	pgURL := pgtest.NewDatabase(t)
	auth := func(imp, plugins string) string {
		return strings.NewReplacer("/*import*/", imp, "/*plugins*/", plugins).Replace(readyAuthGo)
	}
	dir := moduletest.New(t, "example.com/shop", map[string]string{
		"auth/auth.go": auth("", ""),
		".env":         "KERNIA_DATABASE_URL=sqlite://app.db\n",
	})
	server := filepath.Join(dir, "cmd", "server")
	bin := filepath.Join(t.TempDir(), "server")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KERNIA_") {
			env = append(env, kv)
		}
	}
	env = append(env, "GOFLAGS=-mod=mod", "KERNIA_DEV_URL="+devURL)
	run := func(in string, extra []string, args ...string) *icmd.Result {
		return icmd.RunCmd(icmd.Command(args[0], args[1:]...), icmd.Dir(in), icmd.WithEnv(append(env, extra...)...))
	}
	onPG := []string{"KERNIA_DATABASE_URL=" + pgURL}
	generate := func() {
		t.Helper()
		run(dir, nil, "go", "tool", "kernia", "generate").Assert(t, icmd.Success)
		run(dir, nil, "go", "build", "-o", bin, "./cmd/server").Assert(t, icmd.Success)
	}
	newest := func(dialect string) string {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, "ent/migrate/migrations", dialect, "*.sql"))
		assert.NilError(t, err)
		assert.Assert(t, len(files) > 0)
		return filepath.Base(files[len(files)-1])
	}

	run(dir, nil, "go", "tool", "kernia", "generate").Assert(t, icmd.Success)
	for name, content := range map[string]string{"migrations.go": readyMigrationsGo, "cmd/server/main.go": readyServerGo} {
		p := filepath.Join(dir, name)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	run(dir, nil, "go", "build", "-o", bin, "./cmd/server").Assert(t, icmd.Success)

	// SQLite: the database does not exist yet; the server refuses it and creates nothing.
	res := run(server, nil, bin)
	res.Assert(t, icmd.Expected{ExitCode: 1})
	assert.Check(t, is.Contains(res.Stderr(), "SQLite database "+filepath.Join(dir, "app.db")+" does not exist"))
	assert.Check(t, is.Contains(res.Stderr(), "go tool kernia migrate"))
	for _, p := range []string{filepath.Join(dir, "app.db"), filepath.Join(server, "app.db")} {
		_, err := os.Stat(p)
		assert.Check(t, os.IsNotExist(err), "the server created %s", p)
	}
	// PostgreSQL, from the environment over .env: the database has no migration.
	res = run(server, onPG, bin)
	res.Assert(t, icmd.Expected{ExitCode: 1})
	assert.Check(t, is.Contains(res.Stderr(), "database is missing 1 migration: "+newest("postgres")+"; run `go tool kernia migrate`"))

	// migrate, at the module root, then the server starts on both, from cmd/server/.
	run(dir, nil, "go", "tool", "kernia", "migrate").Assert(t, icmd.Success)
	run(dir, onPG, "go", "tool", "kernia", "migrate").Assert(t, icmd.Success)
	run(server, nil, bin).Assert(t, icmd.Expected{ExitCode: 0, Out: "ready sqlite3 users=0"})
	run(server, onPG, bin).Assert(t, icmd.Expected{ExitCode: 0, Out: "ready postgres users=0"})

	// A new migration (two-factor enabled) built into the server: it refuses both databases,
	// naming the file, until they are migrated.
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "auth/auth.go"),
		[]byte(auth(`"github.com/kernia/kernia/plugins/twofactor"`, "twofactor.New()")), 0o644))
	generate()
	for _, tc := range []struct {
		dialect string
		env     []string
		out     string
	}{{"sqlite", nil, "ready sqlite3 users=0"}, {"postgres", onPG, "ready postgres users=0"}} {
		res := run(server, tc.env, bin)
		res.Assert(t, icmd.Expected{ExitCode: 1})
		assert.Check(t, is.Contains(res.Stderr(), tc.dialect+" database not ready: database is missing 1 migration: "+newest(tc.dialect)+"; run `go tool kernia migrate`"))
		run(dir, tc.env, "go", "tool", "kernia", "migrate").Assert(t, icmd.Success)
		run(server, tc.env, bin).Assert(t, icmd.Expected{ExitCode: 0, Out: tc.out})
	}
}
