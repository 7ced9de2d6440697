// Package filetx writes a set of files all or nothing.
//
// A Tx records the original content (or absence) of every path before it first changes it.
// Each write goes to a temporary file in the same directory and is renamed into place, so a
// reader never sees a half-written file; Rollback restores every path the Tx touched.
package filetx

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Tx is a set of file changes that can be rolled back. It is not safe for concurrent use.
type Tx struct {
	orig    map[string]*original
	order   []string
	newDirs []string
	done    bool
}

type original struct {
	exists  bool
	content []byte
	mode    fs.FileMode
}

// Begin starts a file transaction.
func Begin() *Tx { return &Tx{orig: map[string]*original{}} }

// Write writes content to path atomically, creating parent directories. Writing identical
// content is a no-op and reports false.
func (tx *Tx) Write(path string, content []byte, mode fs.FileMode) (bool, error) {
	cur, err := os.ReadFile(path)
	if err == nil && bytes.Equal(cur, content) {
		return false, nil
	}
	if err := tx.remember(path); err != nil {
		return false, err
	}
	if err := tx.mkdirAll(filepath.Dir(path)); err != nil {
		return false, err
	}
	if err := writeAtomic(path, content, mode); err != nil {
		return false, err
	}
	return true, nil
}

// Remove deletes path if it exists, and its directory if that became empty, and reports
// whether it deleted path.
func (tx *Tx) Remove(path string) (bool, error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := tx.remember(path); err != nil {
		return false, err
	}
	if err := os.Remove(path); err != nil {
		return false, fmt.Errorf("remove %s: %w", path, err)
	}
	_ = os.Remove(filepath.Dir(path)) // fails, harmlessly, unless the directory is empty
	return true, nil
}

// Changed returns the paths the transaction changed, in the order it first changed them.
func (tx *Tx) Changed() []string { return slices.Clone(tx.order) }

// Commit ends the transaction, keeping every change.
func (tx *Tx) Commit() { tx.done = true }

// Rollback restores every path to its content before the transaction and removes directories
// the transaction created. It is a no-op after Commit.
func (tx *Tx) Rollback() error {
	if tx.done {
		return nil
	}
	tx.done = true
	var errs []error
	for i := len(tx.order) - 1; i >= 0; i-- {
		path := tx.order[i]
		o := tx.orig[path]
		if !o.exists {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if err := tx.mkdirAll(filepath.Dir(path)); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := writeAtomic(path, o.content, o.mode); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(tx.newDirs) - 1; i >= 0; i-- {
		_ = os.Remove(tx.newDirs[i]) // only succeeds when empty, as it was before
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("filetx: restore files: %w", err)
	}
	return nil
}

func (tx *Tx) remember(path string) error {
	if _, ok := tx.orig[path]; ok {
		return nil
	}
	o := &original{}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case st.IsDir():
		return fmt.Errorf("%s is a directory, expected a file", path)
	default:
		if o.content, err = os.ReadFile(path); err != nil {
			return err
		}
		o.exists, o.mode = true, st.Mode().Perm()
	}
	tx.orig[path] = o
	tx.order = append(tx.order, path)
	return nil
}

func (tx *Tx) mkdirAll(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		tx.newDirs = append(tx.newDirs, missing[i])
	}
	return nil
}

func writeAtomic(path string, content []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(content)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
