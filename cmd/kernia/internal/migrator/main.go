// Command migrator is the kernia migration engine: the commands of the kernia command that
// only apply and inspect migrations (migrate and status, internal/cmdline's Lean), with the
// same flags, loader, redaction, exit statuses and --json output as the engine's
// (cmd/kernia/internal/engine), but none of Ent's code generator, Atlas's planner or the
// report, whose packages the engine spends most of its start initialising. The kernia
// launcher builds it in the user's module as it builds the engine, and execs it for those
// commands, so that a migrate in a release pipeline starts as fast as a migration tool.
//
// Like the engine, it imports nothing of the user's module and never reads the module's path.
package main

import (
	"os"

	"github.com/kernia/kernia/internal/cmdline"
)

func main() {
	cmdline.TuneGC()
	os.Exit(cmdline.Main(cmdline.Lean, os.Args[1:], os.Stdout, os.Stderr))
}
