// Package dogfood is the configuration this repository generates its own ent/ tree and
// migrations from: the core with its optional rate_limits table and every built-in plugin, on
// the embedded SQLite default, with migrations for SQLite and PostgreSQL.
package dogfood

import (
	"os"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/builtin"
)

// DevURL is the dev database used for PostgreSQL diffs when $KERNIA_DEV_URL is unset: the
// local server's maintenance database, which must hold no tables.
const DevURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Auth returns the dogfood instance.
func Auth() *kernia.Auth {
	dev := os.Getenv(kernia.EnvDevURL)
	if dev == "" {
		dev = DevURL
	}
	return kernia.New(kernia.Options{
		AppName:  "kernia-dogfood",
		DevURL:   dev,
		Dialects: []string{kernia.SQLite, kernia.Postgres},
		Plugins:  builtin.All(),
		// Every table the core can have, as every plugin is enabled.
		DatabaseRateLimit: true,
	})
}
