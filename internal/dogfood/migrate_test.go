package dogfood_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/dogfood"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/mysqltest"
)

// mage runs `go tool mage args...` at the repository's root with KERNIA_DATABASE_URL=url, as
// the README's quick start has a user run it from a fresh clone.
func mage(t *testing.T, url string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "mage"}, args...)...)
	cmd.Dir = moduletest.Root(t)
	cmd.Env = append(os.Environ(), kernia.EnvDatabaseURL+"="+url)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// TestMigrateMySQL is issue 15's "done means": `KERNIA_DATABASE_URL=mysql://…/shop go tool
// mage migrate` on a MariaDB server where shop does not exist yet creates the database (utf8mb4,
// Kernia's collation), applies the committed MySQL directory and creates every table of the
// dogfood composition (every plugin's); a second run has nothing to apply, and status agrees.
func TestMigrateMySQL(t *testing.T) {
	server := mysqltest.Server(t)
	plan, err := compose.Build(dogfood.Auth())
	assert.NilError(t, err)
	var want []string
	for table := range plan.Contributors() {
		want = append(want, table)
	}
	slices.Sort(want)
	files, err := filepath.Glob(filepath.Join(moduletest.Root(t), "ent/migrate/migrations/mysql/*.sql"))
	assert.NilError(t, err)
	assert.Assert(t, len(files) > 0, "no committed MySQL migration: run `go tool mage generate`")

	shop := "kernia_shop_" + strings.ReplaceAll(filepath.Base(t.TempDir()), "-", "_")
	t.Cleanup(func() { _, _ = server.Exec("DROP DATABASE IF EXISTS `" + shop + "`") })
	url := mysqltest.URLFor(shop)
	_, stderr, err := mage(t, url, "migrate")
	assert.NilError(t, err, stderr)
	assert.Check(t, is.Contains(stderr, "migrate: created the database mysql://root@127.0.0.1:3306/"+shop+" (CHARACTER SET utf8mb4 COLLATE utf8mb4_bin)"), stderr)
	var collation string
	assert.NilError(t, server.QueryRow("SELECT default_collation_name FROM information_schema.schemata WHERE schema_name = ?", shop).Scan(&collation))
	assert.Equal(t, collation, "utf8mb4_bin")
	db := mysqltest.Open(t, url)
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'atlas_schema_revisions' ORDER BY 1")
	assert.NilError(t, err)
	var got []string
	for rows.Next() {
		var name string
		assert.NilError(t, rows.Scan(&name))
		got = append(got, name)
	}
	assert.NilError(t, rows.Err())
	slices.Sort(got)
	assert.DeepEqual(t, got, want)

	_, stderr, err = mage(t, url, "migrate")
	assert.NilError(t, err, stderr)
	assert.Check(t, is.Contains(stderr, "nothing to apply"))

	stdout, stderr, err := mage(t, url, "status", "-json")
	assert.NilError(t, err, stderr)
	var status struct {
		Dialect string            `json:"dialect"`
		Applied []json.RawMessage `json:"applied"`
		Pending []json.RawMessage `json:"pending"`
	}
	assert.NilError(t, json.Unmarshal([]byte(stdout), &status), stdout)
	assert.Equal(t, status.Dialect, kernia.MySQL)
	assert.Equal(t, len(status.Applied), len(files))
	assert.Equal(t, len(status.Pending), 0)
}
