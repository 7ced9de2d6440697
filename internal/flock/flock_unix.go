//go:build unix

package flock

import (
	"errors"
	"os"
	"syscall"
)

// Supported reports whether this platform has flock.
const Supported = true

// TryExclusive takes an exclusive lock on f without waiting, and reports false when another
// open file description holds a lock on it.
func TryExclusive(f *os.File) (bool, error) {
	for range eintrRetries {
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

// Shared takes a shared lock on f (or converts an exclusive one held on f), waiting while
// another file description holds an exclusive one.
func Shared(f *os.File) error {
	for range eintrRetries {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
	return syscall.EINTR
}
