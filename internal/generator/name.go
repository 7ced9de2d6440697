package generator

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// MaxNameLen bounds the length of a migration name (Options.Name, generate --name).
const MaxNameLen = 64

var nameRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// CheckName checks a migration name: empty (the default, DefaultName) or one file-name
// segment of lower-case letters, digits and underscores, at most MaxNameLen bytes. Anything
// else could leave the migration directory (../x), create a subdirectory migrate never reads
// (a/b), or collide on case-insensitive file systems.
func CheckName(name string) error {
	if name == "" {
		return nil
	}
	if len(name) > MaxNameLen || !nameRE.MatchString(name) {
		shown := name
		if len(shown) > MaxNameLen+16 {
			shown = shown[:MaxNameLen+16] + "…"
		}
		return fmt.Errorf("generate: --name %s (%d bytes): a migration name is one file-name segment of lower-case letters, digits and underscores ([a-z0-9_]+), 1 to %d bytes, e.g. --name add_two_factor",
			strconv.Quote(shown), len(name), MaxNameLen)
	}
	return nil
}

// checkInside refuses a migration file whose path is not directly inside dir, whatever the
// name and the differ produced: nothing is ever written outside <migrations dir>/<dialect>/.
func checkInside(dir, file string) error {
	p := filepath.Join(dir, file)
	if file == "" || strings.ContainsAny(file, `/\`) || filepath.Dir(p) != filepath.Clean(dir) || !strings.HasSuffix(file, ".sql") {
		return fmt.Errorf("generate: the migration file %s would not be a .sql file directly inside %s: refused (pass --name with lower-case letters, digits and underscores only)",
			strconv.Quote(file), dir)
	}
	return nil
}
