package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses of a command stopped by a signal, the shell's 128 + signal number.
const (
	// ExitInterrupted is the exit status after SIGINT (Ctrl-C) stopped a command: migrate has
	// rolled back the file it was applying and released the migration lock.
	ExitInterrupted = 130
	// ExitTerminated is the exit status after SIGTERM stopped a command, with the same clean-up.
	ExitTerminated = 143
)

// signalCause is the cause of a context cancelled by a signal.
type signalCause struct{ sig os.Signal }

func (s signalCause) Error() string {
	if s.sig == syscall.SIGTERM {
		return "received SIGTERM"
	}
	return "received SIGINT"
}

// Unwrap makes the cause a context.Canceled.
func (s signalCause) Unwrap() error { return context.Canceled }

// ExitCode is the exit status of a command the signal stopped (command.ExitCoder).
func (s signalCause) ExitCode() int {
	if s.sig == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}

// interruptible returns a context cancelled by the first SIGINT or SIGTERM. Later signals are
// ignored while the command cleans up (a rollback and an unlock, each bounded in time): the
// same Ctrl-C often arrives twice, from the terminal and forwarded by `go tool` or the loader,
// and must not kill the process halfway through its clean-up. SIGKILL still works, and is safe.
func interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(signalCause{sig})
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

// signalExit returns the exit status for a command whose context a signal cancelled, 0 when
// no signal did.
func signalExit(ctx context.Context) int {
	var sc signalCause
	if !errors.As(context.Cause(ctx), &sc) {
		return 0
	}
	if sc.sig == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}
