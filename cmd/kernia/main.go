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
package main

import (
	"os"

	"github.com/kernia/kernia/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
