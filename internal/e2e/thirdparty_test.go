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

// auditGo is a plugin outside this repository, written the way the README's "Writing a plugin"
// tells: against kernia and github.com/kernia/kernia/schema/core only.
const auditGo = `// Package audit is a third-party Kernia plugin: an audit_events table owned by users.
package audit

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
)

// Plugin is the audit plugin.
type Plugin struct{ kernia.BasePlugin }

// ID implements kernia.Plugin.
func (Plugin) ID() string { return "audit" }

// Entities implements kernia.Plugin.
func (Plugin) Entities() []kernia.Entity {
	return []kernia.Entity{{Name: "AuditEvent", Mixin: AuditEvent{}}}
}

// Extensions implements kernia.Plugin.
func (Plugin) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "User", Mixin: UserFields{}}}
}

// AuditEvent is one audited action (table audit_events).
type AuditEvent struct{ mixin.Schema }

// Type marks AuditEvent as the target of edges to the composed AuditEvent entity.
func (AuditEvent) Type() {}

// Fields of AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{core.ID(), field.String("action"), field.String("user_id"), core.CreatedAt()}
}

// Edges of AuditEvent.
func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{edge.From("user", core.User.Type).Ref("audit_events").Field("user_id").Unique().Required()}
}

// Indexes of AuditEvent.
func (AuditEvent) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id")} }

// UserFields is what audit adds to User.
type UserFields struct{ mixin.Schema }

// Edges adds the user's audit events, deleted with the user.
func (UserFields) Edges() []ent.Edge {
	return []ent.Edge{edge.To("audit_events", AuditEvent.Type).Annotations(entsql.OnDelete(entsql.Cascade))}
}
`

// thirdPartyAuthGo enables the third-party plugin beside built-in ones, and renames one of its
// columns and adds a user field through Options.Schema, so the generated schema also imports
// github.com/kernia/kernia/schema/options.
const thirdPartyAuthGo = `package auth

import (
	"example.com/audit"
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/twofactor"
	"github.com/kernia/kernia/plugins/username"
)

// Auth is the application's auth instance.
var Auth = kernia.New(kernia.Options{
	AppName: "thirdparty",
	Plugins: []kernia.Plugin{twofactor.New(), audit.Plugin{}, username.New()},
	Schema: map[string]kernia.EntitySchema{
		"AuditEvent": {Columns: map[string]string{"action": "event_action"}},
		"User":       {Fields: []kernia.Field{{Name: "nickname", Type: kernia.FieldString, Optional: true}}},
	},
})
`

// thirdPartyMainGo writes and reads the plugin's rows through the generated client.
const thirdPartyMainGo = `package main

import (
	"context"
	"fmt"
	"os"

	entsql "entgo.io/ent/dialect/sql"

	"example.com/app/ent"
	"example.com/app/ent/user"
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
	u := client.User.Create().SetName("Ada").SetEmail("ada@example.com").SetNickname("ada").SaveX(ctx)
	client.AuditEvent.Create().SetUser(u).SetAction("sign-in").SaveX(ctx)
	got := client.User.Query().Where(user.Email("ada@example.com")).WithAuditEvents().OnlyX(ctx)
	fmt.Printf("events=%d action=%s\n", len(got.Edges.AuditEvents), got.Edges.AuditEvents[0].Action)
	client.User.DeleteOne(got).ExecX(ctx)
	fmt.Printf("after delete: events=%d\n", client.AuditEvent.Query().CountX(ctx))
}
`

// TestThirdPartyPluginComposesWithBuiltins: a plugin in its own module, written against
// github.com/kernia/kernia/schema/core, enabled beside two-factor and username in an
// application module: kernia generate writes its table and the core tables, the generated
// schema imports schema/core and schema/options, the module builds, and the migrated SQLite
// database takes the plugin's rows (cascading with their user).
func TestThirdPartyPluginComposesWithBuiltins(t *testing.T) {
	root := moduletest.Root(t)
	dir := moduletest.New(t, "example.com/app", map[string]string{
		"audit/go.mod":   "module example.com/audit\n\nrequire github.com/kernia/kernia v0.0.0\n\nreplace github.com/kernia/kernia => " + root + "\n",
		"audit/audit.go": auditGo,
	})
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "KERNIA_DATABASE_URL=", "KERNIA_APP=")
	run := func(args ...string) *icmd.Result {
		return icmd.RunCmd(icmd.Command(args[0], args[1:]...), icmd.Dir(dir), icmd.WithEnv(env...))
	}
	write := func(name, content string) {
		t.Helper()
		assert.NilError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	// The plugin is its own module (example.com/audit), required through a local replace as an
	// application requires a published plugin.
	run("go", "mod", "edit", "-require=example.com/audit@v0.0.0", "-replace=example.com/audit=./audit").Assert(t, icmd.Success)
	write("auth/auth.go", thirdPartyAuthGo)
	run("go", "mod", "tidy").Assert(t, icmd.Success)

	res := run("go", "tool", "kernia", "generate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "new sqlite migration"))

	files, err := filepath.Glob(filepath.Join(dir, "ent/migrate/migrations/sqlite/*.sql"))
	assert.NilError(t, err)
	assert.Assert(t, is.Len(files, 1))
	sqlText, err := os.ReadFile(files[0])
	assert.NilError(t, err)
	for _, want := range []string{
		"CREATE TABLE `audit_events`", "`event_action` text NOT NULL",
		"CREATE TABLE `users`", "`nickname` text NULL", "`username` text NULL",
		"CREATE TABLE `sessions`", "CREATE TABLE `accounts`", "CREATE TABLE `verifications`",
		"CREATE TABLE `two_factors`",
	} {
		assert.Check(t, is.Contains(string(sqlText), want))
	}
	assert.Check(t, is.Contains(string(sqlText), "REFERENCES `users` (`id`) ON DELETE CASCADE"))

	schemaFile := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, "ent/schema", name))
		assert.NilError(t, err)
		return string(b)
	}
	auditSchema := schemaFile("audit_event.go")
	assert.Check(t, is.Contains(auditSchema, `audit "example.com/audit"`))
	assert.Check(t, is.Contains(auditSchema, `options "github.com/kernia/kernia/schema/options"`))
	userSchema := schemaFile("user.go")
	assert.Check(t, is.Contains(userSchema, `core "github.com/kernia/kernia/schema/core"`))
	assert.Check(t, is.Contains(userSchema, "audit.UserFields{}"))
	for _, name := range []string{"audit_event.go", "user.go", "session.go", "account.go", "verification.go", "two_factor.go"} {
		assert.Check(t, !strings.Contains(schemaFile(name), "kernia/ent/"), name)
	}

	write("cmd/smoke/main.go", thirdPartyMainGo)
	run("go", "build", "./...").Assert(t, icmd.Success)

	db := "sqlite://" + filepath.Join(dir, "app.db")
	res = run("go", "tool", "kernia", "migrate", "--url", db)
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "1 file applied"))
	res = run("go", "run", "./cmd/smoke", db)
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Equal(res.Stdout(), "events=1 action=sign-in\nafter delete: events=0\n"))
}
