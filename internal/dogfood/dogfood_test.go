package dogfood_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/dogfood"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/mysqltest"
	"github.com/kernia/kernia/internal/pgtest"
)

// TestCommittedTreeIsWhatGenerateWrites is the drift test: `go tool mage generate -check` on
// the dogfood configuration finds no file to change, and replaying the committed SQLite,
// PostgreSQL and MySQL migrations on clean dev databases (a new PostgreSQL database and a new
// MariaDB one, named by one dev database list) leaves nothing to diff. It runs the real mage
// binary because Ent stamps its version into ent/runtime from the running binary's build
// info, which test binaries lack.
func TestCommittedTreeIsWhatGenerateWrites(t *testing.T) {
	root := moduletest.Root(t)
	before := moduletest.Snapshot(t, root+"/ent")
	// The repository's own go.sum is complete: no GOFLAGS=-mod=mod here (moduletest.Command's
	// setting for scratch modules), which would let the Go command add go.sum lines and leave
	// the checkout dirty.
	// The fingerprint cache would skip codegen and the diffs when the inputs match the last
	// run's; in this repository Kernia's own code is (devel) and not part of it, so a change
	// to the generator would go unnoticed. The cache is ignored by git and rebuilt by the run.
	if err := os.Remove(filepath.Join(root, generator.FingerprintFile)); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "mage", "generate", "-check")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), kernia.EnvDevURL+"="+pgtest.NewDatabase(t)+" "+mysqltest.NewDatabase(t))
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, "run `go tool mage generate` and commit the result:\n%s", out)
	assert.Assert(t, len(out) > 0)
	assert.DeepEqual(t, moduletest.Snapshot(t, root+"/ent"), before)
}

// TestDevURLDefaults: the dogfood fills in the local server of each server dialect
// KERNIA_DEV_URL names no URL of, and keeps the URLs it names.
func TestDevURLDefaults(t *testing.T) {
	const pg, my = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "mysql://root@127.0.0.1:3306/"
	for _, tc := range []struct{ env, want string }{
		{"", pg + " " + my},
		{"postgres://dev@127.0.0.1:5432/dev", "postgres://dev@127.0.0.1:5432/dev " + my},
		{"mysql://root@127.0.0.1:3306/dev", "mysql://root@127.0.0.1:3306/dev " + pg},
		{" mysql://a@h/x\tpostgres://b@h/y ", "mysql://a@h/x postgres://b@h/y"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(kernia.EnvDevURL, tc.env)
			assert.Equal(t, dogfood.Auth().Options().DevURL, tc.want)
		})
	}
}
