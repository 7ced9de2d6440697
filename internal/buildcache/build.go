package buildcache

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/kernia/kernia/internal/progress"
)

// Flags are the go build flags of the binaries Kernia builds and caches (the loader program
// and the engine). Without the symbol table and DWARF (-ldflags=-s -w) a panic's stack trace
// keeps its function names and lines (the runtime's own tables) and the link is about 40 %
// shorter (issue 13); without VCS stamping (-buildvcs=false) a commit, or a work tree turning
// dirty or clean, does not relink it, for information it never reads.
var Flags = []string{"-ldflags=-s -w", "-buildvcs=false"}

// GoBuild runs go build with Flags, -o out and the package pkg in the module at root, in this
// process's environment with env added (NAME=value entries, which win), saying what on stderr
// while it runs (step; cached, a build says nothing), and returns what the go command printed.
// Interrupted (ctx), go build is sent SIGINT, on which it stops and removes its work directory,
// and killed only if it hangs.
func GoBuild(ctx context.Context, root, out, pkg, step string, env []string, stderr io.Writer) (output string, err error) {
	args := append(append([]string{"build"}, Flags...), "-o", out, pkg)
	build := exec.CommandContext(ctx, "go", args...)
	build.Dir = root
	if len(env) > 0 {
		build.Env = append(os.Environ(), env...)
	}
	var b bytes.Buffer
	build.Stdout, build.Stderr = &b, &b
	build.Cancel = func() error { return build.Process.Signal(os.Interrupt) }
	build.WaitDelay = 10 * time.Second
	s := progress.New(stderr, "kernia: ").Start(step)
	err = build.Run()
	s.Done()
	return b.String(), err
}
