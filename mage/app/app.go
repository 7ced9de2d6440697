// Package app tells Kernia's mage targets which auth instance to run against, when the
// default will not do.
//
// By default a magefile only imports the targets, and they load the instance as the kernia
// command does: $KERNIA_APP, else ./auth:Auth, built into a small loader program at the
// module's dependency versions. The magefile then links nothing of the auth package, so an
// edit of that package costs Mage no relink:
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
	"sync"

	"github.com/kernia/kernia"
)

var (
	mu       sync.Mutex
	instance *kernia.Auth
	used     bool
	name     string
)

// Use sets the auth instance the mage targets run against, built by the magefile. A nil
// instance is reported by the targets that need one.
func Use(a *kernia.Auth) {
	mu.Lock()
	defer mu.Unlock()
	instance, used = a, true
}

// Load names the auth instance the mage targets load, as the kernia command's --app does:
// "<package>:<Var>", a ./relative package of the module or an import path, e.g.
// "./internal/auth:Auth". It takes the place of $KERNIA_APP and the default ./auth:Auth. The
// targets check the value and report a bad one.
func Load(app string) {
	mu.Lock()
	defer mu.Unlock()
	name = app
}

// Instance returns what the magefile set: the instance handed to Use (ok true), or the name
// given to Load ("" when the magefile called neither: the targets load $KERNIA_APP, else
// ./auth:Auth). A magefile that called both gets an error saying to keep one.
func Instance() (a *kernia.Auth, ok bool, app string, err error) {
	mu.Lock()
	defer mu.Unlock()
	if used && name != "" {
		return nil, false, "", errors.New("kernia: the magefile calls both app.Use and app.Load: keep one (app.Load names the instance the targets load; app.Use hands over one the magefile built)")
	}
	if used && instance == nil {
		return nil, false, "", errors.New("kernia: the magefile handed app.Use a nil auth instance: set it with kernia.New(kernia.Options{...}), or drop app.Use to load ./auth:Auth")
	}
	return instance, used, name, nil
}
