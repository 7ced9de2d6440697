package workdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/workdir"
)

func TestEnsureCreatesTheDirectories(t *testing.T) {
	root := t.TempDir()
	dir, err := workdir.Ensure(root, "loader")
	assert.NilError(t, err)
	assert.Equal(t, dir, filepath.Join(root, ".kernia", "loader"))
	st, err := os.Lstat(dir)
	assert.NilError(t, err)
	assert.Assert(t, st.IsDir())
	// A second call finds them and accepts them.
	again, err := workdir.Ensure(root, "loader")
	assert.NilError(t, err)
	assert.Equal(t, again, dir)
}

// TestEnsureRefusesWhatIsNotARealDirectory: a .kernia (or a directory below it) that a
// repository committed as a link out of the module, or that is a file or a FIFO, is refused and
// nothing is written through it.
func TestEnsureRefusesWhatIsNotARealDirectory(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root, outside string)
		want  string
	}{
		{".kernia links out of the module", func(t *testing.T, root, outside string) {
			assert.NilError(t, os.Symlink(outside, filepath.Join(root, ".kernia")))
		}, "is a symbolic link"},
		{".kernia/loader links out of the module", func(t *testing.T, root, outside string) {
			assert.NilError(t, os.Mkdir(filepath.Join(root, ".kernia"), 0o755))
			assert.NilError(t, os.Symlink(outside, filepath.Join(root, ".kernia", "loader")))
		}, "is a symbolic link"},
		{".kernia links inside the module", func(t *testing.T, root, _ string) {
			assert.NilError(t, os.Mkdir(filepath.Join(root, "elsewhere"), 0o755))
			assert.NilError(t, os.Symlink("elsewhere", filepath.Join(root, ".kernia")))
		}, "is a symbolic link"},
		{".kernia is a file", func(t *testing.T, root, _ string) {
			assert.NilError(t, os.WriteFile(filepath.Join(root, ".kernia"), []byte("x"), 0o644))
		}, "is not a directory (a regular file)"},
		{".kernia is a FIFO", func(t *testing.T, root, _ string) {
			assert.NilError(t, syscall.Mkfifo(filepath.Join(root, ".kernia"), 0o644))
		}, "is not a directory (a named pipe (FIFO))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, outside := t.TempDir(), t.TempDir()
			tc.setup(t, root, outside)
			_, err := workdir.Ensure(root, "loader")
			assert.ErrorContains(t, err, tc.want)
			assert.Assert(t, strings.Contains(err.Error(), filepath.Join(root, ".kernia")), err)
			entries, rerr := os.ReadDir(outside)
			assert.NilError(t, rerr)
			assert.Equal(t, len(entries), 0, "something was written outside the module")
		})
	}
}
