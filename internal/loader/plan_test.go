package loader

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/moduletest"
)

// TestNoPlanForMigrateAndStatus: the loader program of migrate and status leaves the schema
// unresolved (the plugins' mixins are never asked for their fields), and that of info
// resolves it; each command loads the instance, and migrate and status report on its
// migration directory.
func TestNoPlanForMigrateAndStatus(t *testing.T) {
	dir := moduletest.New(t, "example.com/lean", map[string]string{"auth/auth.go": `package auth

import (
	"os"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"github.com/kernia/kernia"
)

// Marked is a mixin that leaves a file behind when its fields are read (resolving the plan).
type Marked struct{ ent.Schema }

// Fields implements ent.Mixin.
func (Marked) Fields() []ent.Field {
	if err := os.WriteFile(os.Getenv("RESOLVED_MARK"), nil, 0o644); err != nil {
		panic(err)
	}
	return []ent.Field{field.String("note")}
}

type plugin struct{ kernia.BasePlugin }

func (plugin) ID() string                { return "marked" }
func (plugin) Entities() []kernia.Entity { return []kernia.Entity{{Name: "Thing", Mixin: Marked{}}} }

// Auth is the instance.
var Auth = kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}, Plugins: []kernia.Plugin{plugin{}}})
`})
	kernia := moduletest.Tool(t, dir, "kernia")
	mark := filepath.Join(t.TempDir(), "resolved")
	for _, tc := range []struct {
		args     []string
		resolved bool
		want     string // in the output
	}{
		{[]string{"migrate", "--url", "sqlite://app.db"}, false, "migration directory ent/migrate/migrations/sqlite does not exist"},
		{[]string{"status", "--url", "sqlite://app.db"}, false, "migration directory"},
		{[]string{"info"}, true, "marked"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			os.Remove(mark)
			cmd := moduletest.Command(dir, kernia, tc.args...)
			cmd.Env = append(cmd.Env, "KERNIA_APP=", "RESOLVED_MARK="+mark)
			out, _ := cmd.CombinedOutput()
			assert.Check(t, is.Contains(string(out), tc.want))
			_, err := os.Stat(mark)
			assert.Check(t, is.Equal(err == nil, tc.resolved), "resolved the plan: %v\n%s", err == nil, out)
		})
	}
}
