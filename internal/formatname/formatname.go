// Package formatname is the one validator of migration format names (Options.MigrationFormat
// and generate --format). It imports nothing but the standard library, so the root package
// kernia can validate its options without linking Atlas into every program that imports it
// (the loader program built in the user's module among them); internal/migformat re-exports
// it beside the directory formats themselves.
package formatname

import (
	"fmt"
	"strings"
)

// Format is a migration directory format.
type Format string

// The formats, by the name Options.MigrationFormat and generate --format take.
const (
	Atlas         Format = "atlas"
	GolangMigrate Format = "golang-migrate"
	Goose         Format = "goose"
	Flyway        Format = "flyway"
)

// Formats lists every format, the default first.
var Formats = []Format{Atlas, GolangMigrate, Goose, Flyway}

// Parse validates a format name: "" (not chosen) or one of Formats.
func Parse(s string) (Format, error) {
	for _, f := range Formats {
		if s == string(f) {
			return f, nil
		}
	}
	if s == "" {
		return "", nil
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown migration format %q: use one of %s", s, strings.Join(names, ", "))
}
