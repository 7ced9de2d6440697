package flock_test

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/flock"
)

// TestLocksExcludeEachOther: an exclusive lock excludes another file description's exclusive
// lock; shared locks coexist and exclude an exclusive one; closing the file releases its lock.
func TestLocksExcludeEachOther(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	open := func() *os.File {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		assert.NilError(t, err)
		t.Cleanup(func() { f.Close() })
		return f
	}
	a, b, c := open(), open(), open()
	ok, err := flock.TryExclusive(a)
	assert.NilError(t, err)
	assert.Assert(t, ok)
	ok, err = flock.TryExclusive(b)
	assert.NilError(t, err)
	assert.Assert(t, !ok, "two exclusive locks at once")
	assert.NilError(t, flock.Shared(a)) // converts a's lock
	assert.NilError(t, flock.Shared(b))
	ok, err = flock.TryExclusive(c)
	assert.NilError(t, err)
	assert.Assert(t, !ok, "an exclusive lock beside shared ones")
	a.Close()
	b.Close()
	ok, err = flock.TryExclusive(c)
	assert.NilError(t, err)
	assert.Assert(t, ok, "closing the files did not release their locks")
}
