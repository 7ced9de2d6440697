package mage

import (
	"context"
	"errors"
)

// exitInterrupted is the exit status of a target stopped by Ctrl-C, as the kernia command's.
const exitInterrupted = 130

// exitCode is the exit status of a target that failed in the Mage process with err: 130 for
// a target whose context Mage cancelled (Mage cancels it only when it receives SIGINT; a -t
// timeout ends it with a deadline instead), an exitError's own, else 1.
func exitCode(err error) int {
	var e *exitError
	switch {
	case errors.As(err, &e):
		return e.code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return 1
}

// exitError is a failure with its own exit status.
type exitError struct {
	msg  string
	code int
}

func (e *exitError) Error() string { return e.msg }

// sigintCause returns a context cancelled with parent whose cause, when Mage cancelled
// parent, says SIGINT, so that messages read "interrupted (received SIGINT)" as the kernia
// command's do.
func sigintCause(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		if errors.Is(parent.Err(), context.Canceled) {
			cancel(receivedSIGINT{})
			return
		}
		cancel(context.Cause(parent))
	})
	return ctx, func() { stop(); cancel(nil) }
}

// receivedSIGINT is the cause of a target context Mage cancelled.
type receivedSIGINT struct{}

func (receivedSIGINT) Error() string { return "received SIGINT" }

// Unwrap makes the cause a context.Canceled.
func (receivedSIGINT) Unwrap() error { return context.Canceled }
