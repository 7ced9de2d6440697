package cli

import "github.com/kernia/kernia/internal/interrupt"

// Exit statuses of a command stopped by a signal, the shell's 128 + signal number.
const (
	// ExitInterrupted is the exit status after SIGINT (Ctrl-C) stopped a command: migrate has
	// rolled back the file it was applying and released the migration lock.
	ExitInterrupted = interrupt.ExitInterrupted
	// ExitTerminated is the exit status after SIGTERM stopped a command, with the same clean-up.
	ExitTerminated = interrupt.ExitTerminated
)
