// Command kernia generates the Ent schema, client and SQL migrations of a Kernia auth
// instance, and applies the migrations.
//
// Install it pinned with the application's own dependencies and run it with go tool:
//
//	go get -tool github.com/kernia/kernia/cmd/kernia
//	go tool kernia generate
//	go tool kernia migrate
//
// It finds the auth instance through --app <package>:<Var> (default $KERNIA_APP, else
// ./auth:Auth).
//
// This command is a launcher: it links only the standard library and a few small packages, so
// that the go command's check of the tool on every go tool kernia is short. It builds the
// kernia engine (cmd/kernia/internal/engine: the whole command) with go build in your module,
// at your module's dependency versions, once per build key into kernia's cache
// (<user cache dir>/kernia/engine), and then execs it without asking the go command again
// until go.mod, go.sum, the go command or its environment (or, for a local replacement of
// Kernia, Kernia's sources) change. See package internal/launch.
package main

import (
	"os"

	"github.com/kernia/kernia/internal/launch"
)

func main() {
	os.Exit(launch.Main(os.Args[1:]))
}
