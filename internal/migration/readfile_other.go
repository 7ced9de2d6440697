//go:build !linux

package migration

import (
	"os"
	"path/filepath"
)

// dirReader reads files of one directory.
type dirReader struct{ dir string }

func openDirReader(dir string) (*dirReader, error) { return &dirReader{dir: dir}, nil }

// read returns the content of the file name of the directory.
func (d *dirReader) read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.dir, name))
}

func (d *dirReader) close() {}

// fork returns a reader of the same directory for another goroutine.
func (d *dirReader) fork() *dirReader { return d }
