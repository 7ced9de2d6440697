//go:build !unix

package launch

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// run runs the engine as a child with this process's arguments, environment and standard
// streams, and returns its exit status. The console delivers Ctrl-C to the engine itself:
// this process only waits for it.
func run(e *Engine, args []string) int {
	defer e.Release()
	signal.Ignore(os.Interrupt)
	cmd := exec.Command(e.Path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kernia: run the kernia engine %s: %v\n", e.Path, err)
		return 1
	}
	return 0
}
