package generator

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kernia/kernia/internal/flock"
	"github.com/kernia/kernia/internal/workdir"
)

// Files under the module root that serialize generate runs and let a run undo one that was
// killed. Both belong in .gitignore with the rest of .kernia/.
const (
	// LockFile is locked (flock, exclusive) for the whole of every generate run, --check
	// and --dry-run included: they too write the schema package while Ent loads it, and must
	// not read a half-written tree. It holds the holder's process id while held, and is
	// empty otherwise.
	LockFile = ".kernia/generate.lock"
	// JournalFile holds the originals of every file a run is changing, until the run commits
	// or rolls back. Found by the next run, it is rolled back before anything else.
	JournalFile = ".kernia/generate.journal"
	// ScratchDir holds Ent codegen's scratch directory while a run generates. What a run
	// finds there when it holds the lock was left by a run that was killed: it is removed.
	ScratchDir = ".kernia/codegen"
)

// DefaultLockWait bounds how long a run waits for another generate in the same module.
const DefaultLockWait = 10 * time.Minute

// lockPoll is how often a waiting run tries the lock again.
const lockPoll = 50 * time.Millisecond

// moduleLock is a held generate lock.
type moduleLock struct{ f *os.File }

// acquireLock takes the module's generate lock, waiting (at most wait, and never past ctx)
// while another process holds it, and saying once on log which process that is.
func acquireLock(ctx context.Context, log io.Writer, wait time.Duration) (*moduleLock, error) {
	if log == nil {
		log = io.Discard
	}
	if _, err := workdir.Ensure("."); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	f, err := os.OpenFile(LockFile, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("generate: open the lock file %s: %w", LockFile, err)
	}
	deadline := time.Now().Add(wait)
	said := false
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("generate: lock %s: %w", LockFile, err)
		}
		if ok {
			break
		}
		if !said {
			fmt.Fprintf(log, "generate: waiting for another generate in this module (%s) to finish\n", holder(f))
			said = true
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("generate: another generate in this module (%s) still holds %s after %s: wait for it to finish, or end it (a killed run is rolled back by the next one)", holder(f), LockFile, wait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, &InterruptedError{Cause: context.Cause(ctx), While: "waiting for another generate"}
		case <-time.After(lockPoll):
		}
	}
	// Record the holder for the runs that will wait on us. A failure costs only the message.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &moduleLock{f: f}, nil
}

// holder describes the process that holds the lock, from the process id it wrote.
func holder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		return "pid unknown"
	}
	return "pid " + strconv.Itoa(pid)
}

// release empties the lock file, so the tree is the same after every run, and unlocks
// (closing the file releases the lock; so does the death of the process).
func (l *moduleLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}

// InterruptedError is the error of a run stopped by its context (Ctrl-C, SIGTERM) before it
// committed anything: every file it changed was restored.
type InterruptedError struct {
	// Cause is the context's cause (e.g. "received SIGINT").
	Cause error
	// While says what the run was doing, "" when that adds nothing.
	While string
}

func (e *InterruptedError) Error() string {
	cause := "context canceled"
	if e.Cause != nil {
		cause = e.Cause.Error()
	}
	if e.While != "" {
		return fmt.Sprintf("generate: interrupted (%s) while %s; nothing was written", cause, e.While)
	}
	return fmt.Sprintf("generate: interrupted (%s); nothing was written", cause)
}

// Unwrap returns the cause, a context.Canceled (or context.DeadlineExceeded) underneath.
func (e *InterruptedError) Unwrap() error {
	if e.Cause == nil {
		return context.Canceled
	}
	return e.Cause
}

// interrupted returns the InterruptedError of ctx, nil while ctx is live.
func interrupted(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	return &InterruptedError{Cause: context.Cause(ctx)}
}

// tryLock takes the exclusive lock on f without waiting, reporting false while another run
// holds it. A platform without flock has no lock to take: runs are not serialized there (the
// README says so), and the journal still lets the next run undo a killed one.
func tryLock(f *os.File) (bool, error) {
	if !flock.Supported {
		return true, nil
	}
	return flock.TryExclusive(f)
}

// cleanScratch creates ScratchDir, removes what killed runs left in it and returns it. It must
// be called with the lock held: no other run can be using the directory then.
func cleanScratch() (string, error) {
	dir, err := workdir.Ensure(".", filepath.Base(ScratchDir))
	if err != nil {
		return "", fmt.Errorf("generate: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("generate: read %s: %w", ScratchDir, err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return "", fmt.Errorf("generate: remove what a killed run left in %s: %w", ScratchDir, err)
		}
	}
	return dir, nil
}
