//go:build unix

package loader

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// noFollow makes opening the cache lock fail on a symlink.
const noFollow = syscall.O_NOFOLLOW

// fileOwner returns the uid owning the file st describes.
func fileOwner(st fs.FileInfo) (int, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(s.Uid), true
}

// tryLockExclusive takes an exclusive flock on f without waiting; false when another process
// holds a lock on it.
func tryLockExclusive(f *os.File) (bool, error) {
	for range 100 { // EINTR is retried, a bounded number of times
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case !errors.Is(err, syscall.EINTR):
			return false, err
		}
	}
	return false, syscall.EINTR
}

// lockShared takes (or converts to) a shared flock on f, waiting for an exclusive holder.
func lockShared(f *os.File) error {
	for range 100 {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
	return syscall.EINTR
}
