package workdir_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/workdir"
)

// TestModule: the root is the nearest directory at or above dir holding a go.mod file, from
// any depth; a go.mod that is a directory does not count; outside a module, and for a go.mod
// without a module line, the error says what to do.
func TestModule(t *testing.T) {
	top := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(top, rel)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("shop/go.mod", "module example.com/shop\n\ngo 1.26.0\n")
	assert.NilError(t, os.MkdirAll(filepath.Join(top, "shop/cmd/server/go.mod"), 0o755)) // a directory named go.mod
	write("shop/tools/go.mod", "module example.com/shop/tools\n")
	write("broken/go.mod", "go 1.26.0\n")
	assert.NilError(t, os.MkdirAll(filepath.Join(top, "none/deep"), 0o755))

	tests := []struct {
		dir, root, path, err string
	}{
		{dir: "shop", root: "shop", path: "example.com/shop"},
		{dir: "shop/cmd/server", root: "shop", path: "example.com/shop"},
		{dir: "shop/cmd/server/go.mod", root: "shop", path: "example.com/shop"},
		{dir: "shop/tools", root: "shop/tools", path: "example.com/shop/tools"},
		{dir: "broken", err: "has no module line: add one"},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			root, path, err := workdir.Module(filepath.Join(top, tc.dir))
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			assert.NilError(t, err)
			assert.Check(t, is.Equal(root, filepath.Join(top, tc.root)))
			assert.Check(t, is.Equal(path, tc.path))
			got, ok := workdir.ModuleRoot(filepath.Join(top, tc.dir))
			assert.Check(t, ok)
			assert.Check(t, is.Equal(got, root))
		})
	}
	// Outside any module: the test's temporary directory must have no go.mod above it.
	_, ok := workdir.ModuleRoot(filepath.Join(top, "none/deep"))
	assert.Assert(t, !ok, "a go.mod above %s (TMPDIR inside a module?): the outside case cannot be tested", top)
	_, _, err := workdir.Module(filepath.Join(top, "none/deep"))
	assert.Check(t, errors.Is(err, workdir.ErrNoModule))
	assert.ErrorContains(t, err, "none/deep is not inside a Go module (no go.mod in it or any parent directory): create one first with go mod init")
}
