// Package handoff carries what a magefile chose with github.com/kernia/kernia/mage/app to the
// targets of package mage, which import only this package of the two: a magefile that calls
// neither app function (the one kernia init writes) links nothing of Kernia's options, and
// Mage's check that its binary is up to date has that much less to look at.
package handoff

import (
	"errors"
	"sync"

	"github.com/kernia/kernia/internal/redact"
)

// Encode resolves an instance a magefile handed over (app.Use): it readies what the kernia
// command would before loading one (the module root as the working directory, the module's
// .env read), adds the instance's secrets to out, and returns its configuration for the kernia
// tool to read from the targets' pipe.
type Encode func(out *redact.Outputs) ([]byte, error)

var (
	mu     sync.Mutex
	app    string
	encode Encode
)

// SetApp records the instance name app.Load gave.
func SetApp(name string) {
	mu.Lock()
	defer mu.Unlock()
	app = name
}

// SetEncode records the encoder of the instance app.Use handed over.
func SetEncode(e Encode) {
	mu.Lock()
	defer mu.Unlock()
	encode = e
}

// Get returns what the magefile chose: the name app.Load gave ("" when it did not call it)
// and the encoder of the instance app.Use handed over (nil when it did not). A magefile that
// called both gets an error saying to keep one.
func Get() (string, Encode, error) {
	mu.Lock()
	defer mu.Unlock()
	if app != "" && encode != nil {
		return "", nil, errors.New("kernia: the magefile calls both app.Use and app.Load: keep one (app.Load names the instance the targets load; app.Use hands over one the magefile built)")
	}
	return app, encode, nil
}
