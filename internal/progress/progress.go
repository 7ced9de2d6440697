// Package progress prints progress lines on stderr for the steps of a command that can take
// over a second: building the loader program, Ent codegen and the diffs, a migration file,
// a database that is slow to answer.
//
// A step that ends within a second prints nothing. One that runs longer says what it is doing
// after a second, then every ten seconds with the time elapsed, and how long it took when it
// ends:
//
//	kernia: building the loader program for ./auth:Auth… 1s
//	kernia: building the loader program for ./auth:Auth… 11s
//	kernia: building the loader program for ./auth:Auth: took 14.2s
//
// The lines are on when stderr is a terminal, off otherwise (a CI log, a pipe, a test), and
// KERNIA_PROGRESS decides in both cases: 1 prints them everywhere, 0 nowhere. They use no
// colour, so NO_COLOR has nothing to turn off.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Env is the variable that turns progress lines on (1) or off (0) whatever stderr is.
const Env = "KERNIA_PROGRESS"

// Timing of the lines: the first after Delay, then one every Every.
const (
	Delay = time.Second
	Every = 10 * time.Second
)

// Enabled reports whether progress lines are printed: $KERNIA_PROGRESS when it is 1/true/yes/on
// or 0/false/no/off, else whether os.Stderr is a terminal.
func Enabled() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(Env))) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	return isTerminal(os.Stderr)
}

// Decide sets $KERNIA_PROGRESS to Enabled's answer when it is not set, so that a child process
// whose stderr is a pipe to this one (the loader program) follows the terminal the user runs
// kernia in.
func Decide() {
	if _, set := os.LookupEnv(Env); set {
		return
	}
	v := "0"
	if Enabled() {
		v = "1"
	}
	_ = os.Setenv(Env, v)
}

// isTerminal reports whether f is a character device (a terminal; /dev/null too, where the
// lines are lost harmlessly).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Reporter prints the progress lines of a command's steps on one writer.
type Reporter struct {
	w      io.Writer
	on     bool
	prefix string
	delay  time.Duration
	every  time.Duration
	now    func() time.Time
}

// New returns a Reporter writing lines that start with prefix ("kernia: ") to w, on when
// Enabled.
func New(w io.Writer, prefix string) *Reporter {
	return &Reporter{w: w, on: Enabled(), prefix: prefix, delay: Delay, every: Every, now: time.Now}
}

// WithTiming returns a copy of r whose first line comes after delay and the next ones every
// every (Delay and Every by default): for tests.
func (r *Reporter) WithTiming(delay, every time.Duration) *Reporter {
	c := *r
	c.delay, c.every = delay, every
	return &c
}

// Step is a running step. Done ends it; a nil *Step (from a Reporter that is off) is valid.
type Step struct {
	r       *Reporter
	what    string
	start   time.Time
	mu      sync.Mutex
	printed bool
	ended   bool
	timer   *time.Timer
}

// Start begins the step what ("building the loader program for ./auth:Auth"). It prints
// nothing now: only a step still running after Delay has lines.
func (r *Reporter) Start(what string) *Step {
	if r == nil || !r.on {
		return nil
	}
	s := &Step{r: r, what: what, start: r.now()}
	s.mu.Lock()
	s.timer = time.AfterFunc(r.delay, s.tick)
	s.mu.Unlock()
	return s
}

func (s *Step) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.printed = true
	fmt.Fprintf(s.r.w, "%s%s… %s\n", s.r.prefix, s.what, round(s.r.now().Sub(s.start)))
	s.timer = time.AfterFunc(s.r.every, s.tick)
}

// Done ends the step; when it printed a line, it prints how long the step took.
func (s *Step) Done() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.ended = true
	s.timer.Stop()
	if s.printed {
		fmt.Fprintf(s.r.w, "%s%s: took %s\n", s.r.prefix, s.what, round(s.r.now().Sub(s.start)))
	}
}

// round rounds d for a person: whole seconds up to a minute past ten seconds, tenths below.
func round(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}
