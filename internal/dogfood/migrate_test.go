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
// mage migrate` applies the committed MySQL directory to a new MariaDB database and creates
// every table of the dogfood composition (every plugin's); a second run has nothing to apply,
// and status agrees. A database that does not exist is refused with the statement that
// creates it, and is not created.
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

	missing := "kernia_missing_" + strings.ReplaceAll(filepath.Base(t.TempDir()), "-", "_")
	_, stderr, err := mage(t, mysqltest.URLFor(missing), "migrate")
	assert.Assert(t, err != nil, "migrate to a database that does not exist succeeded:\n%s", stderr)
	assert.Check(t, is.Contains(stderr, "database does not exist: Kernia does not create databases"))
	assert.Check(t, is.Contains(stderr, "CREATE DATABASE "+missing+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
	var n int
	assert.NilError(t, server.QueryRow("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", missing).Scan(&n))
	assert.Equal(t, n, 0, "migrate created the database")

	url := mysqltest.NewDatabase(t)
	_, stderr, err = mage(t, url, "migrate")
	assert.NilError(t, err, stderr)
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
