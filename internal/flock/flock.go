// Package flock takes advisory whole-file locks (flock(2)) on open files: the lock that
// serializes generate runs in a module and the one that keeps the loader cache's collection
// away from binaries in use. The kernel releases a lock when its holder's process ends,
// however it ends, so a killed run never leaves one behind.
//
// Where the platform has no flock (Supported is false), TryExclusive and Shared return
// ErrUnsupported and each caller decides what running unlocked means for it.
package flock

import "errors"

// ErrUnsupported is returned where the platform has no flock.
var ErrUnsupported = errors.New("flock: file locks are not supported on this platform")

// eintrRetries bounds how often a call interrupted by a signal (EINTR) is retried.
const eintrRetries = 100
