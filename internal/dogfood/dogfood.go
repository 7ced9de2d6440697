// Package dogfood is the configuration this repository generates its own ent/ tree and
// migrations from: the core with its optional rate_limits table and every built-in plugin, on
// the embedded SQLite default, with migrations for SQLite, PostgreSQL and MySQL.
package dogfood

import (
	"os"
	"strings"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/builtin"
)

// DevURLs are the dev databases of the server dialects' diffs, one per dialect, for each
// dialect $KERNIA_DEV_URL has no URL of: the local PostgreSQL server's maintenance database,
// which must hold no tables, and the local MariaDB server, on which each diff creates and drops
// a temporary database (a MySQL dev URL naming no database).
var DevURLs = []string{
	"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
	"mysql://root@127.0.0.1:3306/",
}

// Instance is the dogfood instance as the repository's magefile and the kernia command load it
// (--app ./internal/dogfood:Instance), made when the loader program starts.
var Instance = Auth()

// Auth returns the dogfood instance, its dev URLs from $KERNIA_DEV_URL as it is now.
func Auth() *kernia.Auth {
	return kernia.New(kernia.Options{
		AppName:  "kernia-dogfood",
		DevURL:   devURL(os.Getenv(kernia.EnvDevURL)),
		Dialects: []string{kernia.SQLite, kernia.Postgres, kernia.MySQL},
		Plugins:  builtin.All(),
		// Every table the core can have, as every plugin is enabled.
		DatabaseRateLimit: true,
	})
}

// devURL is the dev database list env (KERNIA_DEV_URL's) with the default URL of each dialect
// it has none of. The list itself is checked by the commands, as any configuration's.
func devURL(env string) string {
	words := strings.Fields(env)
	has := map[string]bool{}
	for _, w := range words {
		if d, err := kernia.DialectOf(w); err == nil {
			has[d] = true
		}
	}
	for _, def := range DevURLs {
		if d, _ := kernia.DialectOf(def); !has[d] {
			words = append(words, def)
		}
	}
	return strings.Join(words, " ")
}
