//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package generator

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive flock on f without blocking, reporting false when another open
// file description holds it. The kernel releases it when the holder's process ends, however
// it ends.
func tryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		}
		return false, err
	}
}
