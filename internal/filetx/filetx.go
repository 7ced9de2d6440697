// Package filetx writes a set of files all or nothing.
//
// A Tx records the original content (or absence) of every path before it first changes it.
// Each write goes to a temporary file in the same directory and is renamed into place, so a
// reader never sees a half-written file; Rollback restores every path the Tx touched.
//
// A Tx begun with BeginJournal also appends each original to a journal file before it changes
// anything, so the changes of a process killed halfway (SIGKILL, the OOM killer) can be undone
// by the next process: Recover restores every original the journal holds, removes the
// directories the Tx created and the temporary files it left, and deletes the journal. The
// journal guards against the death of the process, not against a power loss: it is not synced.
package filetx

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Tx is a set of file changes that can be rolled back. It is not safe for concurrent use.
type Tx struct {
	orig    map[string]*original
	order   []string
	newDirs []string
	done    bool
	// journal is the open journal file, nil for a Tx held in memory only.
	journal     *os.File
	journalPath string
}

type original struct {
	exists  bool
	content []byte
	mode    fs.FileMode
}

// record is one line of a journal: the header, a directory about to be created, or the
// original state of a path about to change.
type record struct {
	// Header fields (first line only).
	Journal int       `json:"kernia_filetx,omitempty"`
	PID     int       `json:"pid,omitempty"`
	Started time.Time `json:"started,omitzero"`

	Dir     string      `json:"dir,omitempty"`
	Path    string      `json:"path,omitempty"`
	Exists  bool        `json:"exists,omitempty"`
	Mode    fs.FileMode `json:"mode,omitempty"`
	Content []byte      `json:"content,omitempty"`
}

const journalVersion = 1

// Begin starts a file transaction held in memory: Rollback undoes it, a killed process
// leaves its changes.
func Begin() *Tx { return &Tx{orig: map[string]*original{}} }

// BeginJournal starts a file transaction journaled in the file journal, which must not exist
// (call Recover first). The journal is removed by Commit and by Rollback.
func BeginJournal(journal string) (*Tx, error) {
	if err := os.MkdirAll(filepath.Dir(journal), 0o755); err != nil {
		return nil, fmt.Errorf("filetx: create the journal directory: %w", err)
	}
	f, err := os.OpenFile(journal, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("filetx: journal %s exists: an earlier run was interrupted; recover it first", journal)
	}
	if err != nil {
		return nil, fmt.Errorf("filetx: create journal: %w", err)
	}
	tx := &Tx{orig: map[string]*original{}, journal: f, journalPath: journal}
	if err := tx.append(record{Journal: journalVersion, PID: os.Getpid(), Started: time.Now().UTC()}); err != nil {
		f.Close()
		os.Remove(journal)
		return nil, err
	}
	return tx, nil
}

// append writes one record, whole, to the journal before the change it describes.
func (tx *Tx) append(r record) error {
	if tx.journal == nil {
		return nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("filetx: journal: %w", err)
	}
	if _, err := tx.journal.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("filetx: write journal %s: %w", tx.journalPath, err)
	}
	return nil
}

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

// Commit ends the transaction, keeping every change, and removes its journal: from then on
// the changes are permanent.
func (tx *Tx) Commit() error {
	if tx.done {
		return nil
	}
	tx.done = true
	return tx.closeJournal()
}

func (tx *Tx) closeJournal() error {
	if tx.journal == nil {
		return nil
	}
	err := tx.journal.Close()
	tx.journal = nil
	if rerr := os.Remove(tx.journalPath); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("filetx: remove journal: %w", err)
	}
	return nil
}

// Rollback restores every path to its content before the transaction and removes directories
// the transaction created, then its journal. It is a no-op after Commit.
func (tx *Tx) Rollback() error {
	if tx.done {
		return nil
	}
	tx.done = true
	var errs []error
	for i := len(tx.order) - 1; i >= 0; i-- {
		path := tx.order[i]
		if err := restore(path, tx.orig[path]); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(tx.newDirs) - 1; i >= 0; i-- {
		_ = os.Remove(tx.newDirs[i]) // only succeeds when empty, as it was before
	}
	if err := errors.Join(errs...); err != nil {
		// The journal stays: the next Recover finishes the restore.
		if tx.journal != nil {
			tx.journal.Close()
			tx.journal = nil
		}
		return fmt.Errorf("filetx: restore files: %w", err)
	}
	return tx.closeJournal()
}

// restore puts path back in its original state.
func restore(path string, o *original) error {
	if !o.exists {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, o.content) {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm() == o.mode {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create directory %s: %w", filepath.Dir(path), err)
	}
	return writeAtomic(path, o.content, o.mode)
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
	if err := tx.append(record{Path: path, Exists: o.exists, Mode: o.mode, Content: o.content}); err != nil {
		return err
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
	for i := len(missing) - 1; i >= 0; i-- {
		if err := tx.append(record{Dir: missing[i]}); err != nil {
			return err
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

// tempPattern is the name pattern of the temporary file writeAtomic creates for path:
// os.CreateTemp replaces the * with a decimal number.
func tempPattern(path string) string { return "." + filepath.Base(path) + ".tmp*" }

// isTempOf reports whether name is a temporary file writeAtomic created for path.
func isTempOf(name, path string) bool {
	prefix := strings.TrimSuffix(tempPattern(path), "*")
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func writeAtomic(path string, content []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
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

// Recovered describes the transaction Recover rolled back.
type Recovered struct {
	// PID and Started identify the process that was interrupted (zero when its journal
	// header was cut short).
	PID     int
	Started time.Time
	// Restored lists the paths put back in their original state, in journal order.
	Restored []string
	// Temporary lists the temporary files removed.
	Temporary []string
}

// Recover rolls back the transaction journaled in journal by a process that ended before
// committing it: every path the journal lists gets its original content (or is removed when
// it did not exist), the directories it created are removed when empty, and the temporary
// files it left beside those paths are removed; then the journal is removed. It returns nil,
// nil when there is no journal. The caller must make sure the journal's process is gone (hold
// the lock it held). Recover is idempotent: killed itself, it is simply run again.
func Recover(journal string) (*Recovered, error) {
	f, err := os.Open(journal)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("filetx: open journal: %w", err)
	}
	recs, err := readJournal(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("filetx: read journal %s: %w", journal, err)
	}
	rec := &Recovered{}
	var paths []string
	origs := map[string]*original{}
	var dirs []string
	for i, r := range recs {
		switch {
		case i == 0 && r.Journal != 0:
			if r.Journal != journalVersion {
				return nil, fmt.Errorf("filetx: journal %s has version %d, this Kernia reads version %d: run the Kernia version that wrote it, or restore the files from version control and delete the journal", journal, r.Journal, journalVersion)
			}
			rec.PID, rec.Started = r.PID, r.Started
		case r.Dir != "":
			dirs = append(dirs, r.Dir)
		case r.Path != "":
			if _, ok := origs[r.Path]; ok {
				continue
			}
			origs[r.Path] = &original{exists: r.Exists, mode: r.Mode, content: r.Content}
			paths = append(paths, r.Path)
		}
	}
	var errs []error
	for i := len(paths) - 1; i >= 0; i-- {
		if err := restore(paths[i], origs[paths[i]]); err != nil {
			errs = append(errs, err)
			continue
		}
		rec.Restored = append(rec.Restored, paths[i])
	}
	slices.Reverse(rec.Restored)
	// Temporary files live beside the paths they were written for.
	byDir := map[string][]string{}
	for _, p := range paths {
		byDir[filepath.Dir(p)] = append(byDir[filepath.Dir(p)], p)
	}
	for _, dir := range slices.Sorted(maps.Keys(byDir)) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // removed, or never created: nothing of ours inside
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			for _, p := range byDir[dir] {
				if isTempOf(e.Name(), p) {
					tmp := filepath.Join(dir, e.Name())
					if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
						errs = append(errs, err)
					} else {
						rec.Temporary = append(rec.Temporary, tmp)
					}
					break
				}
			}
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Remove(dirs[i]) // only when empty, as it was before
	}
	if err := errors.Join(errs...); err != nil {
		return rec, fmt.Errorf("filetx: roll back the interrupted run of journal %s: %w", journal, err)
	}
	if err := os.Remove(journal); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rec, fmt.Errorf("filetx: remove journal: %w", err)
	}
	return rec, nil
}

// readJournal reads the journal's complete records. A last line without its newline, or one
// that does not parse, was cut short by the kill: its change had not begun, so it is ignored.
func readJournal(r io.Reader) ([]record, error) {
	br := bufio.NewReader(r)
	var out []record
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return out, nil // a partial last line, or none
		}
		if err != nil {
			return nil, err
		}
		var rec record
		if json.Unmarshal(line, &rec) != nil {
			// Only the last record can be cut short; anything after it would be a bug.
			if _, err := br.Peek(1); errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, errors.New("a record in the middle does not parse")
		}
		out = append(out, rec)
	}
}
