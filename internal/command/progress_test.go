package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/progress"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFileProgress: migrate's lines pass through unchanged and in order; while a file runs
// longer than the delay, a progress line names it (the directory's next file after the one
// migrate last said it applied; the first one before any), and the run's last line ends the
// progress.
func TestFileProgress(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"20260101000001_a.sql", "20260101000002_b.sql", "20260101000003_c.sql", "atlas.sum"} {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	tests := []struct {
		name  string
		named bool
		lines []string // migrate's lines, in order
		want  string   // the progress step running after them ("" none)
	}{
		{name: "before the first file", named: true, want: "migrate: connecting to the database, taking the migration lock, applying the first pending file of "},
		{name: "after a", named: true, lines: []string{"applied 20260101000001_a.sql: 1 statement in 2ms"}, want: "migrate: applying 20260101000002_b.sql… "},
		{name: "a DDL retry keeps the file", named: true, lines: []string{"applied 20260101000001_a.sql: 1 statement in 2ms", "migrate: postgres statement 1 of 2 (…) waited lock_timeout 5s for a lock: retrying in 1s"}, want: "migrate: applying 20260101000002_b.sql… "},
		{name: "after the last file", named: true, lines: []string{"applied 20260101000003_c.sql: 1 statement in 2ms"}},
		{name: "the end of the run", named: true, lines: []string{"applied 20260101000002_b.sql: 1 statement in 2ms", "2 files applied in 5ms: sqlite x.db is now at version 20260101000002"}},
		{name: "nothing to apply", named: true, lines: []string{"nothing to apply: sqlite x.db is at version 20260101000003"}},
		{name: "out of order: not named", lines: []string{"applied 20260101000002_b.sql: 1 statement in 2ms"}, want: "migrate: applying the next pending file… "},
	}
	t.Setenv(progress.Env, "1")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out lockedBuffer
			p := newFileProgress(&out, dir, tc.named)
			p.done() // replace the first step by one with a short delay
			p.r = p.r.WithTiming(time.Millisecond, time.Hour)
			p.step = p.r.Start("migrate: connecting to the database, taking the migration lock, applying the first pending file of " + filepath.ToSlash(dir))
			for _, l := range tc.lines {
				_, err := p.Write([]byte(l + "\n"))
				assert.NilError(t, err)
			}
			if tc.want != "" {
				for !strings.Contains(out.String(), tc.want) {
					time.Sleep(time.Millisecond)
				}
			} else {
				p.mu.Lock()
				running := p.step != nil
				p.mu.Unlock()
				assert.Check(t, !running, "a step is still running:\n%s", out.String())
			}
			p.done()
			for _, l := range tc.lines {
				assert.Check(t, is.Contains(out.String(), l+"\n"))
			}
		})
	}
}
