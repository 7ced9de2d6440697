package command

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/kernia/kernia/internal/progress"
)

// Reporter returns the progress reporter of a command writing to stderr (internal/progress:
// on for a terminal or KERNIA_PROGRESS=1).
func Reporter(stderr io.Writer) *progress.Reporter { return progress.New(stderr, "") }

// fileProgress passes migrate's lines (migration.ApplyOptions.Out) through to w and keeps a
// progress step for the file being applied: migrate says "applied <file>: …" when a file ends,
// so the step of the next file starts there. The next file is the directory's next one: a run
// applies its pending files in version order (unless out-of-order files are allowed, when it
// is not named).
type fileProgress struct {
	w     io.Writer
	r     *progress.Reporter
	names []string // the directory's .sql files, sorted; nil when not to be named
	mu    sync.Mutex
	line  []byte
	step  *progress.Step
}

// newFileProgress returns migrate's Out for dir, its first step running ("connecting, taking
// the lock and applying the first pending file").
func newFileProgress(w io.Writer, dir string, named bool) *fileProgress {
	p := &fileProgress{w: w, r: Reporter(w)}
	if named {
		if entries, err := os.ReadDir(dir); err == nil {
			for _, e := range entries {
				if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
					p.names = append(p.names, e.Name())
				}
			}
			slices.Sort(p.names)
		}
	}
	p.step = p.r.Start("migrate: connecting to the database, taking the migration lock, applying the first pending file of " + filepath.ToSlash(dir))
	return p
}

func (p *fileProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.w.Write(b)
	for _, c := range b {
		if c != '\n' {
			p.line = append(p.line, c)
			continue
		}
		p.sawLine(string(p.line))
		p.line = p.line[:0]
	}
	return n, err
}

// sawLine moves the step on at the end of a file, and ends it at the end of the run.
func (p *fileProgress) sawLine(l string) {
	switch {
	case strings.HasPrefix(l, "applied "):
		p.step.Done()
		p.step = nil
		name, _, _ := strings.Cut(strings.TrimPrefix(l, "applied "), ":")
		if next := p.next(name); next != "" {
			p.step = p.r.Start("migrate: applying " + next)
		} else if p.names == nil {
			p.step = p.r.Start("migrate: applying the next pending file")
		}
	case strings.HasPrefix(l, "nothing to apply"), strings.Contains(l, " applied in "):
		p.step.Done()
		p.step = nil
	}
}

// next returns the file after name in the directory, "" when there is none or names is nil.
func (p *fileProgress) next(name string) string {
	i, found := slices.BinarySearch(p.names, name)
	if found {
		i++
	}
	if p.names == nil || i >= len(p.names) {
		return ""
	}
	return p.names[i]
}

// done ends the current step (the run returned).
func (p *fileProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step.Done()
	p.step = nil
}
