// Package command implements Kernia's commands once, for both front ends: the mage targets
// and the kernia CLI parse their arguments into the flag structs here and call these
// functions. Human output goes to Stderr, data to Stdout. It holds the commands that apply and
// inspect migrations and those that need no instance (migrate, status, hash, secret,
// version) and what every command shares (IO, usage errors, exit statuses, --json output);
// the commands that need Ent's code generator or Atlas's planner are in package authoring, so
// that a program linking only this package (the migration engine) starts fast.
package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// IO holds a command's output streams.
type IO struct {
	Stdout io.Writer
	Stderr io.Writer
}

// UsageError is a mistake in how a command was called (exit status 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExitCode maps a command's error to its exit status: 0 success, 2 usage, 1 anything else.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
