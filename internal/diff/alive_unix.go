//go:build unix

package diff

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process pid exists on this machine (a zombie counts).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
