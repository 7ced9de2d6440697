// Package loader is the program the kernia command builds inside the user's module to read
// the auth instance: `go tool kernia` writes a main package into .kernia/loader that imports
// the instance's package and calls Main, builds it with the module's own dependency versions,
// runs it, and does the command's work itself with the configuration Main hands over
// (internal/spec: the options, the plugins' metadata, the composed schema as Ent's loader
// marshals it).
//
// The package links only what resolving the configuration needs (the instance's packages,
// Kernia's options and Ent's schema definitions; none of Ent's code generator, Atlas or the
// database drivers), so that an edit of the auth package relinks a small binary.
package loader

import (
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/spec"
)

// EnvOut names the variable through which the kernia command says where the configuration
// goes: "3" for the file descriptor it passed (never a file on disk: the configuration holds
// the options' database URLs), or "stdout".
const EnvOut = "KERNIA_LOADER_OUT"

// EnvPlan names the variable through which the kernia command says that its command needs no
// resolved plan: "0" leaves it out of the configuration (spec.EncodeWithoutPlan).
const EnvPlan = "KERNIA_LOADER_PLAN"

// Main writes the configuration of auth, the variable app ("<import path>:<Var>"), where the
// kernia command that started the program asked, and exits: 0 when it was written, 1 with a
// message on standard error when it was not (a nil instance, no kernia command).
func Main(auth *kernia.Auth, app string) {
	os.Exit(run(auth, app, os.Getenv(EnvOut), os.Getenv(EnvPlan) != "0", os.Stderr))
}

func run(auth *kernia.Auth, app, out string, plan bool, stderr io.Writer) int {
	var w io.WriteCloser
	switch {
	case out == "3" && runtime.GOOS != "windows":
		w = os.NewFile(3, "kernia configuration")
	case out == "stdout":
		w = os.Stdout
	default:
		fmt.Fprintf(stderr, "kernia: this program is the loader of the auth instance %s: the kernia command builds and runs it (go tool kernia <command>)\n", app)
		return 1
	}
	encode := spec.Encode
	if !plan {
		encode = spec.EncodeWithoutPlan
	}
	b, err := encode(auth, app)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := w.Write(b); err != nil {
		fmt.Fprintf(stderr, "kernia: the loader of %s: write its configuration: %v\n", app, err)
		return 1
	}
	if err := w.Close(); err != nil && w != os.Stdout {
		fmt.Fprintf(stderr, "kernia: the loader of %s: write its configuration: %v\n", app, err)
		return 1
	}
	return 0
}
