// Package builtin lists Kernia's built-in plugins explicitly: no init() registry.
package builtin

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/twofactor"
)

// All returns every built-in plugin with its default options, in a stable order.
func All() []kernia.Plugin {
	return []kernia.Plugin{
		twofactor.New(),
	}
}

// IDs returns the ids of the built-in plugins, in the order of All.
func IDs() []string {
	var ids []string
	for _, p := range All() {
		ids = append(ids, p.ID())
	}
	return ids
}

// ByID returns the built-in plugin with the given id and default options.
func ByID(id string) (kernia.Plugin, bool) {
	for _, p := range All() {
		if p.ID() == id {
			return p, true
		}
	}
	return nil, false
}
