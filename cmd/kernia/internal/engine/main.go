// Command engine is the kernia engine: the whole of the kernia command (package cli: Ent's
// codegen, Atlas, the database drivers). Users never run it by name: the kernia launcher
// (github.com/kernia/kernia/cmd/kernia, run by go tool kernia and by the Mage targets) builds
// it with go build in the user's module, at that module's dependency versions, keeps it in
// kernia's cache under a build key (internal/launch), and execs it with the launcher's own
// arguments, environment and file descriptors.
//
// It imports nothing of the user's module and never reads the module's path, so modules that
// differ only in their module line share one engine binary.
package main

import (
	"os"

	"github.com/kernia/kernia/cli"
	"github.com/kernia/kernia/internal/cmdline"
)

func main() {
	cmdline.TuneGC()
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
