package dogfood_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
)

// TestCommittedTreeIsWhatGenerateWrites is the drift test: `go tool mage generate -check` on
// the dogfood configuration finds no file to change, and replaying the committed SQLite and
// PostgreSQL migrations on clean dev databases leaves nothing to diff. It runs the real mage
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
	cmd.Env = append(os.Environ(), kernia.EnvDevURL+"="+pgtest.NewDatabase(t))
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, "run `go tool mage generate` and commit the result:\n%s", out)
	assert.Assert(t, len(out) > 0)
	assert.DeepEqual(t, moduletest.Snapshot(t, root+"/ent"), before)
}
