package filetx_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/fs"

	"github.com/kernia/kernia/internal/filetx"
)

// tree is the starting tree of the journal tests (see treeAt) in a new directory.
func tree(t *testing.T) string { return treeAt(t, filepath.Join(t.TempDir(), "tree")) }

// ops are the changes of the journal tests, in order.
var ops = []struct {
	name string
	do   func(tx *filetx.Tx, dir string) error
}{
	{"overwrite", func(tx *filetx.Tx, dir string) error {
		_, err := tx.Write(filepath.Join(dir, "keep.txt"), []byte("changed"), 0o644)
		return err
	}},
	{"create deep", func(tx *filetx.Tx, dir string) error {
		_, err := tx.Write(filepath.Join(dir, "new", "deep", "file.txt"), []byte("new"), 0o644)
		return err
	}},
	{"remove", func(tx *filetx.Tx, dir string) error { _, err := tx.Remove(filepath.Join(dir, "gone.txt")); return err }},
	{"remove last of a directory", func(tx *filetx.Tx, dir string) error {
		_, err := tx.Remove(filepath.Join(dir, "pkg", "only.go"))
		return err
	}},
	{"overwrite again", func(tx *filetx.Tx, dir string) error {
		_, err := tx.Write(filepath.Join(dir, "keep.txt"), []byte("changed twice"), 0o600)
		return err
	}},
}

// TestRecoverUndoesAnAbandonedTransaction stands for a process killed after k changes, with a
// temporary file of a write it had begun: Recover restores the starting tree exactly, removes
// only filetx's temporary files, and removes the journal; a second Recover has nothing to do.
func TestRecoverUndoesAnAbandonedTransaction(t *testing.T) {
	for k := 0; k <= len(ops); k++ {
		t.Run(strings.Join([]string{"after", strconv.Itoa(k), "changes"}, " "), func(t *testing.T) {
			dir := tree(t)
			before := fs.ManifestFromDir(t, dir)
			journal := filepath.Join(t.TempDir(), "state", "journal")
			tx, err := filetx.BeginJournal(journal)
			assert.NilError(t, err)
			for _, op := range ops[:k] {
				assert.NilError(t, op.do(tx, dir), op.name)
			}
			if k > 0 {
				// The write the process was in: its temporary file, not yet renamed.
				assert.NilError(t, os.WriteFile(filepath.Join(dir, ".keep.txt.tmp2871263"), []byte("half"), 0o600))
			}
			// Killed: no Commit, no Rollback; the kernel closes the journal.
			rec, err := filetx.Recover(journal)
			assert.NilError(t, err)
			assert.Assert(t, rec != nil)
			assert.Equal(t, rec.PID, os.Getpid())
			assert.Assert(t, fs.Equal(dir, before))
			_, err = os.Stat(journal)
			assert.Assert(t, os.IsNotExist(err), "journal left behind")
			again, err := filetx.Recover(journal)
			assert.NilError(t, err)
			assert.Assert(t, again == nil, "a second Recover found a journal")
		})
	}
}

// TestRecoverIgnoresARecordCutShort stands for a kill while a record was being appended: that
// change had not begun, so Recover undoes the earlier ones and ignores the cut record, wherever
// it was cut.
func TestRecoverIgnoresARecordCutShort(t *testing.T) {
	for k := range len(ops) {
		t.Run(ops[k].name, func(t *testing.T) {
			root := t.TempDir()
			journal := filepath.Join(root, "journal")
			// The whole journal once change k is recorded, from a first pass.
			dir := treeAt(t, filepath.Join(root, "tree"))
			tx, err := filetx.BeginJournal(journal)
			assert.NilError(t, err)
			for _, op := range ops[:k] {
				assert.NilError(t, op.do(tx, dir))
			}
			withK, err := os.ReadFile(journal)
			assert.NilError(t, err)
			assert.NilError(t, ops[k].do(tx, dir))
			full, err := os.ReadFile(journal)
			assert.NilError(t, err)
			assert.NilError(t, tx.Rollback())
			step := max(1, (len(full)-len(withK))/9)
			for cut := len(withK); cut < len(full); cut += step {
				// The tree after the first k changes, and the journal cut inside record k+1.
				dir := treeAt(t, filepath.Join(root, "tree"))
				before := fs.ManifestFromDir(t, dir)
				mem := filetx.Begin()
				for _, op := range ops[:k] {
					assert.NilError(t, op.do(mem, dir))
				}
				assert.NilError(t, os.WriteFile(journal, full[:cut], 0o644))
				_, err = filetx.Recover(journal)
				assert.NilError(t, err, "cut at byte %d of %d", cut, len(full))
				assert.Assert(t, fs.Equal(dir, before), "cut at byte %d of %d", cut, len(full))
			}
		})
	}
}

// treeAt builds the starting tree at path, replacing whatever is there: files that a
// transaction changes, removes and keeps, and user files whose names look like temporary
// files but are not filetx's.
func treeAt(t *testing.T, path string) string {
	t.Helper()
	assert.NilError(t, os.RemoveAll(path))
	for name, content := range map[string]string{
		"keep.txt": "original", "gone.txt": "was here", "pkg/only.go": "package pkg",
		".keep.txt.tmpnotes": "a user file", "keep.txt.tmp123": "a user file too", ".other.txt.tmp42": "not ours",
	} {
		p := filepath.Join(path, name)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	assert.NilError(t, os.Chmod(filepath.Join(path, "gone.txt"), 0o600))
	return path
}

func TestBeginJournalRefusesAnUnrecoveredJournal(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "journal")
	tx, err := filetx.BeginJournal(journal)
	assert.NilError(t, err)
	_, err = filetx.BeginJournal(journal)
	assert.ErrorContains(t, err, "an earlier run was interrupted")
	assert.NilError(t, tx.Commit())
	_, err = os.Stat(journal)
	assert.Assert(t, os.IsNotExist(err), "Commit left the journal")
}

func TestCommitKeepsChangesAndRemovesTheJournal(t *testing.T) {
	dir := tree(t)
	journal := filepath.Join(t.TempDir(), "journal")
	tx, err := filetx.BeginJournal(journal)
	assert.NilError(t, err)
	for _, op := range ops {
		assert.NilError(t, op.do(tx, dir))
	}
	assert.NilError(t, tx.Commit())
	rec, err := filetx.Recover(journal)
	assert.NilError(t, err)
	assert.Assert(t, rec == nil, "a committed transaction was rolled back")
	b, err := os.ReadFile(filepath.Join(dir, "keep.txt"))
	assert.NilError(t, err)
	assert.Equal(t, string(b), "changed twice")
}
