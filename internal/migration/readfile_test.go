package migration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestReadFilesReadsWholeFiles: the directory reader returns every file as os.ReadFile does,
// whether it is empty, fits the reader's first read, fills it exactly, or is longer, and with
// one reader or several.
func TestReadFilesReadsWholeFiles(t *testing.T) {
	sizes := []int{0, 1, 100, readBuffer - 1, readBuffer, readBuffer + 1, 3*readBuffer + 7}
	for _, count := range []int{len(sizes), 300} { // 300 files: read by several goroutines
		t.Run(fmt.Sprintf("%d files", count), func(t *testing.T) {
			dir := t.TempDir()
			var names []string
			for i := range count {
				b := bytes.Repeat([]byte{byte('a' + i%26)}, sizes[i%len(sizes)])
				name := fmt.Sprintf("%03d_f.sql", i)
				assert.NilError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
				names = append(names, name)
			}
			files, err := readFiles(dir, names)
			assert.NilError(t, err)
			assert.Equal(t, len(files), count)
			for i, f := range files {
				want, err := os.ReadFile(filepath.Join(dir, names[i]))
				assert.NilError(t, err)
				assert.Check(t, is.Equal(f.Name(), names[i]))
				assert.Check(t, bytes.Equal(f.Bytes(), want), "%s: read %d bytes, want %d", names[i], len(f.Bytes()), len(want))
			}
		})
	}
}
