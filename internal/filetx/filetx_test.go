package filetx_test

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/fs"

	"github.com/kernia/kernia/internal/filetx"
)

func TestRollbackRestoresEverything(t *testing.T) {
	dir := fs.NewDir(t, "filetx",
		fs.WithFile("keep.txt", "original"),
		fs.WithFile("gone.txt", "was here"),
		fs.WithDir("pkg", fs.WithFile("only.go", "package pkg")),
	)
	before := fs.ManifestFromDir(t, dir.Path())
	tx := filetx.Begin()
	changed, err := tx.Write(dir.Join("keep.txt"), []byte("changed"), 0o644)
	assert.NilError(t, err)
	assert.Assert(t, changed)
	_, err = tx.Write(dir.Join("new", "deep", "file.txt"), []byte("new"), 0o644)
	assert.NilError(t, err)
	_, err = tx.Remove(dir.Join("gone.txt"))
	assert.NilError(t, err)
	_, err = tx.Remove(dir.Join("pkg", "only.go"))
	assert.NilError(t, err)
	_, err = os.Stat(dir.Join("pkg"))
	assert.Assert(t, os.IsNotExist(err), "emptied directory kept")
	assert.Equal(t, len(tx.Changed()), 4)

	assert.NilError(t, tx.Rollback())
	assert.Assert(t, fs.Equal(dir.Path(), before))
}

func TestWriteIdenticalContentIsNoChange(t *testing.T) {
	dir := fs.NewDir(t, "filetx", fs.WithFile("a.txt", "same"))
	tx := filetx.Begin()
	changed, err := tx.Write(dir.Join("a.txt"), []byte("same"), 0o644)
	assert.NilError(t, err)
	assert.Assert(t, !changed)
	assert.Equal(t, len(tx.Changed()), 0)
}

func TestCommitKeepsChanges(t *testing.T) {
	dir := t.TempDir()
	tx := filetx.Begin()
	_, err := tx.Write(filepath.Join(dir, "a.txt"), []byte("v1"), 0o600)
	assert.NilError(t, err)
	tx.Commit()
	assert.NilError(t, tx.Rollback())
	b, err := os.ReadFile(filepath.Join(dir, "a.txt"))
	assert.NilError(t, err)
	assert.Equal(t, string(b), "v1")
	st, err := os.Stat(filepath.Join(dir, "a.txt"))
	assert.NilError(t, err)
	assert.Equal(t, st.Mode().Perm(), os.FileMode(0o600))
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 1, "temporary files left behind")
}
