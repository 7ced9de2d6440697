// Package app tells Kernia's mage targets which auth instance to run against, when the
// default will not do.
//
// By default a magefile only imports the targets, and they load the instance as the kernia
// command does: $KERNIA_APP, else ./auth:Auth, built into a small loader program at the
// module's dependency versions. The magefile then links nothing of the auth package (nor of
// Kernia's options), so an edit of that package costs Mage no relink:
//
//	import (
//		//mage:import
//		_ "github.com/kernia/kernia/mage"
//	)
//
// A magefile whose instance lives elsewhere names it in init, in the form of --app:
//
//	func init() { app.Load("./internal/auth:Auth") }
//
// Use hands over an instance the magefile built itself instead. The magefile then links the
// auth package, and Mage relinks its binary after each edit of it.
//
// It lives apart from package mage because Mage turns every exported function of an imported
// package into a target.
package app

import (
	"errors"
	"fmt"
	"os"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/dotenv"
	"github.com/kernia/kernia/internal/redact"
	"github.com/kernia/kernia/internal/spec"
	"github.com/kernia/kernia/internal/workdir"
	"github.com/kernia/kernia/mage/internal/handoff"
)

// Use sets the auth instance the mage targets run against, built by the magefile. Each target
// that needs it resolves it in the Mage process, from the module root, after reading the
// module's .env as the kernia command does, and hands its configuration to the kernia tool
// through a pipe (spec.Encode: a panic of a plugin is recorded and reported by the tool). A
// nil instance is reported by the targets that need one.
func Use(a *kernia.Auth) {
	handoff.SetEncode(func(out *redact.Outputs) ([]byte, error) {
		if a == nil {
			return nil, errors.New("kernia: the magefile handed app.Use a nil auth instance: set it with kernia.New(kernia.Options{...}), or drop app.Use to load ./auth:Auth")
		}
		if root, ok := workdir.ModuleRoot("."); ok {
			if err := os.Chdir(root); err != nil {
				return nil, fmt.Errorf("kernia: change to the module root %s: %w", root, err)
			}
		}
		if _, err := dotenv.Load("."); err != nil {
			return nil, err
		}
		out.Add(a, os.Args[1:]) // the secrets .env and the instance's options brought
		return spec.Encode(a, spec.MageApp)
	})
}

// Load names the auth instance the mage targets load, as the kernia command's --app does:
// "<package>:<Var>", a ./relative package of the module or an import path, e.g.
// "./internal/auth:Auth". It takes the place of $KERNIA_APP and the default ./auth:Auth. The
// kernia tool checks the value, as it checks --app, and reports a bad one (exit status 2).
func Load(app string) { handoff.SetApp(app) }
