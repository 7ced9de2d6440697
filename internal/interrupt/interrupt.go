// Package interrupt turns SIGINT and SIGTERM into a cancelled context, for the kernia launcher
// (cmd/kernia) and the kernia command (cli) alike. It imports the standard library only, so
// the launcher stays small.
package interrupt

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses of a command stopped by a signal, the shell's 128 + signal number.
const (
	// ExitInterrupted is the exit status after SIGINT (Ctrl-C).
	ExitInterrupted = 130
	// ExitTerminated is the exit status after SIGTERM.
	ExitTerminated = 143
)

// Cause is the cause of a context a signal cancelled: "received SIGINT" or "received SIGTERM".
// It is a context.Canceled, and its ExitCode is the signal's exit status.
type Cause struct{ Signal os.Signal }

func (c Cause) Error() string {
	if c.Signal == syscall.SIGTERM {
		return "received SIGTERM"
	}
	return "received SIGINT"
}

// Unwrap makes the cause a context.Canceled.
func (c Cause) Unwrap() error { return context.Canceled }

// ExitCode is the exit status of a command the signal stopped.
func (c Cause) ExitCode() int {
	if c.Signal == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}

// Context returns a context cancelled by the first SIGINT or SIGTERM, with a Cause, and the
// function that stops catching them (and cancels the context without a cause). Later signals
// are ignored until then: the same Ctrl-C often arrives twice, from the terminal and forwarded
// by `go tool` or the loader program, and must not kill the process halfway through its
// clean-up (a rollback and an unlock, each bounded in time). SIGKILL still works, and is safe.
func Context() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(Cause{sig})
		case <-done:
			return
		}
		for {
			select {
			case <-ch:
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// ExitCode returns the exit status of a command whose context a signal cancelled (Context), 0
// when no signal did.
func ExitCode(ctx context.Context) int {
	var c Cause
	if !errors.As(context.Cause(ctx), &c) {
		return 0
	}
	return c.ExitCode()
}
