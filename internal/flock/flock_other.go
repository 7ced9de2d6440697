//go:build !unix

package flock

import "os"

// Supported reports whether this platform has flock.
const Supported = false

// TryExclusive returns ErrUnsupported: this platform has no flock.
func TryExclusive(*os.File) (bool, error) { return false, ErrUnsupported }

// Shared returns ErrUnsupported: this platform has no flock.
func Shared(*os.File) error { return ErrUnsupported }
