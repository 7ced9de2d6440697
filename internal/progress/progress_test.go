package progress

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
)

// syncBuffer is a bytes.Buffer safe for the timer's writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestEnabled: KERNIA_PROGRESS decides when set; unset, a terminal (a character device) turns
// the lines on, a pipe or a file off.
func TestEnabled(t *testing.T) {
	r, w, err := os.Pipe()
	assert.NilError(t, err)
	defer r.Close()
	defer w.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	assert.NilError(t, err)
	defer file.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	assert.NilError(t, err)
	defer devNull.Close()
	tests := []struct {
		name   string
		env    string // "unset" for none
		stderr *os.File
		want   bool
	}{
		{name: "a pipe", env: "unset", stderr: w, want: false},
		{name: "a file", env: "unset", stderr: file, want: false},
		{name: "a character device", env: "unset", stderr: devNull, want: true},
		{name: "asked for, on a pipe", env: "1", stderr: w, want: true},
		{name: "true", env: "true", stderr: w, want: true},
		{name: "turned off on a terminal", env: "0", stderr: devNull, want: false},
		{name: "off", env: "off", stderr: devNull, want: false},
		{name: "another value: as unset", env: "maybe", stderr: w, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(Env, tc.env)
			if tc.env == "unset" {
				os.Unsetenv(Env)
			}
			saved := os.Stderr
			os.Stderr = tc.stderr
			defer func() { os.Stderr = saved }()
			assert.Equal(t, Enabled(), tc.want)
			Decide()
			want := map[bool]string{true: "1", false: "0"}[tc.want]
			if tc.env != "unset" {
				want = tc.env // Decide never changes a value that is set
			}
			assert.Equal(t, os.Getenv(Env), want)
		})
	}
}

// TestSteps: a step that ends before the delay prints nothing; one that runs longer says what
// it does with the time elapsed, again every period, and how long it took; a reporter that is
// off prints nothing and its nil steps are safe to end.
func TestSteps(t *testing.T) {
	tests := []struct {
		name  string
		on    bool
		delay time.Duration
		lines int // progress lines to wait for before ending the step
		want  []string
	}{
		{name: "quick", on: true, delay: time.Hour, want: nil},
		{name: "slow", on: true, delay: time.Millisecond, lines: 3, want: []string{"kernia: building… ", "kernia: building… ", "kernia: building… ", "kernia: building: took "}},
		{name: "off", on: false, delay: time.Millisecond, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			r := &Reporter{w: &out, on: tc.on, prefix: "kernia: ", delay: tc.delay, every: time.Millisecond, now: time.Now}
			s := r.Start("building")
			for strings.Count(out.String(), "\n") < tc.lines {
				time.Sleep(time.Millisecond)
			}
			s.Done()
			s.Done() // twice is harmless
			got := out.String()
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			if got == "" {
				lines = nil
			}
			if tc.want == nil {
				assert.Check(t, is.Len(lines, 0), got)
				return
			}
			// At least the lines waited for, then exactly one "took" line, last.
			assert.Assert(t, len(lines) >= len(tc.want), got)
			for i, l := range lines[:len(lines)-1] {
				assert.Check(t, strings.HasPrefix(l, tc.want[0]) && strings.HasSuffix(l, "s"), "line %d: %q", i, l)
			}
			assert.Check(t, strings.HasPrefix(lines[len(lines)-1], tc.want[len(tc.want)-1]), got)
			time.Sleep(5 * time.Millisecond)
			assert.Equal(t, out.String(), got, "nothing after Done")
		})
	}
}

func TestRound(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{1040 * time.Millisecond, "1s"},
		{3260 * time.Millisecond, "3.3s"},
		{11600 * time.Millisecond, "12s"},
		{83 * time.Second, "1m23s"},
	}
	for _, tc := range tests {
		assert.Equal(t, round(tc.in).String(), tc.want)
	}
}
