//go:build unix

package launch

import (
	"fmt"
	"os"
	"syscall"
)

// run replaces this process by the engine (execve): the engine is then the process the shell,
// go tool or Mage started, with its arguments, environment, standard streams and file
// descriptor 3 (the Mage targets' configuration pipe); signals reach it and its exit status is
// the command's. The cache's locks close with the exec; a binary collected while it runs keeps
// running.
func run(e *Engine, args []string) int {
	argv := append([]string{os.Args[0]}, args...)
	e.Release()
	err := syscall.Exec(e.Path, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "kernia: run the kernia engine %s: %v\n", e.Path, err)
	return 1
}
