// Package app hands a magefile's auth instance to Kernia's mage targets.
//
// A magefile imports the targets and passes its instance once, in init:
//
//	import (
//		"example.com/app/auth"
//		"github.com/kernia/kernia/mage/app"
//
//		//mage:import
//		_ "github.com/kernia/kernia/mage"
//	)
//
//	func init() { app.Use(auth.Auth) }
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
)

// Use sets the auth instance the mage targets run against.
func Use(a *kernia.Auth) {
	mu.Lock()
	defer mu.Unlock()
	instance = a
}

// Instance returns the instance set by Use, or an error saying how to set it.
func Instance() (*kernia.Auth, error) {
	mu.Lock()
	defer mu.Unlock()
	if instance == nil {
		return nil, errors.New("kernia: no auth instance: add `func init() { app.Use(auth.Auth) }` to your magefile (import \"github.com/kernia/kernia/mage/app\")")
	}
	return instance, nil
}
