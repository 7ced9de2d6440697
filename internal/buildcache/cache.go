package buildcache

// The cache: where the built binaries live, who may own that directory, and how it is kept
// bounded.
//
// # Location and ownership
//
// The binaries live in <user cache dir>/kernia (the loader programs) and its subdirectories
// (engine/: the kernia engines) (os.UserCacheDir: $XDG_CACHE_HOME or
// ~/.cache on Linux). When there is no user cache directory (no $HOME, or one that cannot be
// created, as for a system user whose home is /nonexistent), they live in a per-user directory
// <temp dir>/kernia-<uid>, never in a path shared by all users. Either directory is created
// with mode 0700; an existing one is used only when it is a real directory (not a symlink)
// owned by the current user; group or other permission bits on it are removed. Anything else
// is refused with an error that names the directory and says how to fix it, because a
// directory someone else controls lets them plant the binary kernia runs.
//
// # Collection
//
// Every run marks its binary as used (its modification time, or its key file's with
// Pool.MarkKey, is set to now). A run that finds
// no other kernia run using the pool (an exclusive, non-blocking flock on <pool dir>/.lock)
// removes the pool's binaries not used for Pool.MaxAge, then all but the Pool.Keep most
// recently used. Every run holds a shared lock on <pool dir>/.lock from before its build until
// its binary has exited (or, for an engine exec'd on unix, until the exec: a removed binary
// keeps running there), so a binary is never removed while a concurrent run builds or runs
// it; when another run is in progress, collection is left to a later run.

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kernia/kernia/internal/flock"
)

// Pool is one kind of binary in a cache directory: the loader programs, or the kernia
// engines. Each pool has its own directory, lock and bounds.
type Pool struct {
	// Dir is the pool's directory (from Dir).
	Dir string
	// Name matches the binaries of the pool; nothing else in Dir is ever collected.
	Name *regexp.Regexp
	// Keep is the number of most recently used binaries kept at most.
	Keep int
	// MaxAge is how long a binary is kept after its last use.
	MaxAge time.Duration
	// MarkKey marks a binary as used by its key file's modification time rather than its own,
	// which then stays what the key file's stamp recorded (Matches spares the SHA-256 of the
	// binary); a binary without a key file is marked itself.
	MarkKey bool
	// Temp, when set, matches the temporary files a build writes before renaming them into
	// place: Collect removes them (no build is running while it holds the exclusive lock).
	Temp *regexp.Regexp
}

// Dir returns kernia's cache directory, created or verified by PrivateDir, or with sub its
// subdirectory sub (verified the same way).
func Dir(sub string) (string, error) {
	dir, err := baseDir()
	if err != nil || sub == "" {
		return dir, err
	}
	return PrivateDir(filepath.Join(dir, sub))
}

// baseDir returns <user cache dir>/kernia, else <temp dir>/kernia-<uid>.
func baseDir() (string, error) {
	if base, err := os.UserCacheDir(); err == nil {
		// A user cache directory that cannot be created (a home such as /nonexistent) falls back
		// to the per-user temporary directory below.
		if err := os.MkdirAll(base, 0o700); err == nil {
			return PrivateDir(filepath.Join(base, "kernia"))
		}
	}
	return PrivateDir(filepath.Join(os.TempDir(), "kernia-"+strconv.Itoa(os.Getuid())))
}

// PrivateDir creates dir with mode 0700, or checks that the existing dir is a directory (not a
// symlink) owned by the current user and removes its group and other permission bits.
func PrivateDir(dir string) (string, error) {
	fix := "remove it (or set XDG_CACHE_HOME to a directory of your own) and run kernia again"
	if err := checkParent(filepath.Dir(dir)); err != nil {
		return "", fmt.Errorf("kernia: cache %s: %w; %s", dir, err, fix)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("kernia: create the cache %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("kernia: cache %s: %w", dir, err)
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return "", fmt.Errorf("kernia: cache %s is a symlink, not a directory: kernia refuses it because its target may belong to someone else; %s", dir, fix)
	case !st.IsDir():
		return "", fmt.Errorf("kernia: cache %s is not a directory; %s", dir, fix)
	}
	if uid, ok := FileOwner(st); ok && uid != os.Getuid() {
		return "", fmt.Errorf("kernia: cache %s is owned by uid %d, not by you (uid %d): kernia refuses it because its owner could plant the binaries kernia runs; %s", dir, uid, os.Getuid(), fix)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", fmt.Errorf("kernia: cache %s has mode %04o and cannot be made private (0700): %w; %s", dir, st.Mode().Perm(), err, fix)
		}
	}
	return dir, nil
}

// checkParent refuses a parent directory in which others can replace the cache directory: one
// writable by group or others without the sticky bit (/tmp has it).
func checkParent(parent string) error {
	st, err := os.Stat(parent)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o022 != 0 && st.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("its parent %s (mode %04o) is writable by other users without the sticky bit, so they could replace it", parent, st.Mode().Perm())
	}
	return nil
}

// Use takes the pool's lock for a run that will build and run bin: exclusively first, to
// collect stale binaries when no other run is using the pool, then shared until release. It
// marks bin as used at now.
func (p Pool) Use(bin string, now time.Time) (release func(), err error) {
	dir := p.Dir
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return nil, fmt.Errorf("kernia: open the cache lock %s: %w", filepath.Join(dir, ".lock"), err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	mark := bin
	if p.MarkKey {
		mark = KeyFile(bin)
	}
	err = os.Chtimes(mark, now, now)
	if p.MarkKey && errors.Is(err, fs.ErrNotExist) {
		// No key file (a build without a key, or none yet): there is no stamp to keep.
		err = os.Chtimes(bin, now, now)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("kernia: mark the binary %s as used: %w", bin, err)
	}
	if !flock.Supported {
		// Without file locks no run could know that a binary is not in use: never collect.
		return func() { f.Close() }, nil
	}
	exclusive, err := flock.TryExclusive(f)
	if err != nil {
		return nil, fmt.Errorf("kernia: lock the cache %s: %w", dir, err)
	}
	if exclusive {
		// No other run builds or runs a binary now: collect. A failure to remove a file is no
		// reason to stop the command; the next run tries again.
		_, _ = p.Collect(filepath.Base(bin), now)
	}
	// Shared from here to release (a conversion when exclusive; else it waits for a
	// collecting run to finish).
	if err := flock.Shared(f); err != nil {
		return nil, fmt.Errorf("kernia: lock the cache %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// Collect removes from the pool the binaries not used since now-MaxAge, then all but the Keep
// most recently used, counting keep (the running binary, which is never removed) as one of
// them whether it exists yet or not, and the build keys and build locks of binaries that are
// not there, but keep's. The caller holds the exclusive lock. It returns the names removed.
func (p Pool) Collect(keep string, now time.Time) ([]string, error) {
	dir := p.Dir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type binary struct {
		name string
		used time.Time
	}
	var bins []binary
	var removed []string
	var errs []error
	for _, e := range entries {
		if p.Temp != nil && p.Temp.MatchString(e.Name()) && e.Type().IsRegular() {
			// A build's temporary binary: with the exclusive lock held no run is building, so it
			// is what a killed build left.
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			} else {
				removed = append(removed, e.Name())
			}
			continue
		}
		if !p.Name.MatchString(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		used := info.ModTime()
		if p.MarkKey {
			if k, err := os.Stat(filepath.Join(dir, KeyFile(e.Name()))); err == nil && k.ModTime().After(used) {
				used = k.ModTime()
			}
		}
		bins = append(bins, binary{e.Name(), used})
	}
	// The build key and build lock of a binary that is not there (a build that failed or was
	// killed, or whose binary was removed by hand): with the exclusive lock held no run is
	// building it, so they are left over; keep's are the running run's.
	for _, e := range entries {
		base, side := strings.CutSuffix(e.Name(), ".lock")
		if !side {
			base, side = strings.CutSuffix(e.Name(), ".key")
		}
		if !side || base == keep || !p.Name.MatchString(base) || !e.Type().IsRegular() ||
			slices.ContainsFunc(bins, func(b binary) bool { return b.name == base }) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		} else {
			removed = append(removed, e.Name())
		}
	}
	// Most recently used first; the name breaks ties so the result is deterministic.
	slices.SortFunc(bins, func(a, b binary) int {
		if c := b.used.Compare(a.used); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	kept := 0
	if keep != "" {
		kept = 1 // the run's own binary, there or about to be built, is one of the Keep
	}
	for _, b := range bins {
		if b.name == keep {
			continue
		}
		if kept < p.Keep && now.Sub(b.used) <= p.MaxAge {
			kept++
			continue
		}
		if err := os.Remove(filepath.Join(dir, b.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		// The binary's build key and build lock (key.go) go with it.
		for _, side := range []string{KeyFile(b.name), LockFile(b.name)} {
			if err := os.Remove(filepath.Join(dir, side)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		removed = append(removed, b.name)
	}
	return removed, errors.Join(errs...)
}
