//go:build kernia_engine_deps

package main

// The engine's packages, for go get -tool and go mod tidy, which read the imports of every
// build tag (this one is never set, so the launcher never links them): they keep in go.mod
// and go.sum the requirements and sums the engine's build in the user's module needs.
import _ "github.com/kernia/kernia/cli"
