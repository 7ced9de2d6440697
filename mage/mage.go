// Package mage holds Kernia's Mage targets. Import it into a magefile with
//
//	//mage:import
//	_ "github.com/kernia/kernia/mage"
//
// Optional flags are Mage flags: go tool mage generate -dryrun -name=add_teams.
//
// The targets run the kernia engine of the module, the program go tool kernia runs, which the
// targets find or build as the kernia launcher does (internal/launch: go build at the
// module's dependency versions once per build key, then no go command at all). The engine
// loads the auth instance as go tool kernia does ($KERNIA_APP, else ./auth:Auth, or the name a
// magefile gives github.com/kernia/kernia/mage/app.Load), so the magefile links nothing of the
// auth package and an edit of it costs Mage no relink. A magefile that hands an instance over
// with app.Use gets it resolved in the Mage process and passed to the engine through a pipe.
// The module needs the kernia tool directive: go get -tool github.com/kernia/kernia/cmd/kernia.
package mage

import (
	"context"
	"time"
)

// Generate composes core and plugin schemas, runs Ent codegen and writes a migration for what changed.
func Generate(ctx context.Context, name *string, dryRun, check, allowDestructive, json *bool, format *string) error {
	return run(ctx, "generate", true, json,
		str("name", name), boolean("dry-run", dryRun), boolean("check", check),
		boolean("allow-destructive", allowDestructive), boolean("json", json), str("format", format))
}

// Migrate applies pending migrations to KERNIA_DATABASE_URL, locked, checksummed, one transaction per file.
func Migrate(ctx context.Context, dir, url *string, dryRun *bool, lockTimeout *time.Duration, baseline *string, allowOutOfOrder, json *bool, connectTimeout, ddlLockTimeout *time.Duration) error {
	return run(ctx, "migrate", true, json,
		str("dir", dir), str("url", url), boolean("dry-run", dryRun), duration("lock-timeout", lockTimeout),
		str("baseline", baseline), boolean("allow-out-of-order", allowOutOfOrder), boolean("json", json),
		duration("connect-timeout", connectTimeout), duration("ddl-lock-timeout", ddlLockTimeout))
}

// Adopt takes over a database Better Auth's own migration created: it compares it with the migrations and records the baseline, or lists the differences and writes nothing.
func Adopt(ctx context.Context, dir, url *string, dryRun *bool, lockTimeout *time.Duration, json *bool, connectTimeout, ddlLockTimeout *time.Duration) error {
	return run(ctx, "adopt", true, json,
		str("dir", dir), str("url", url), boolean("dry-run", dryRun), duration("lock-timeout", lockTimeout),
		boolean("json", json), duration("connect-timeout", connectTimeout), duration("ddl-lock-timeout", ddlLockTimeout))
}

// Status prints applied and pending migrations and the last failure.
func Status(ctx context.Context, dir, url *string, json *bool, connectTimeout *time.Duration) error {
	return run(ctx, "status", true, json,
		str("dir", dir), str("url", url), boolean("json", json), duration("connect-timeout", connectTimeout))
}

// Hash rewrites atlas.sum after a deliberate manual edit of a migration directory.
func Hash(ctx context.Context, dir *string, json *bool) error {
	return run(ctx, "hash", true, json, str("dir", dir), boolean("json", json))
}

// Init scaffolds .env.example, .env, auth/auth.go and magefile.go in the module, never overwriting.
func Init(ctx context.Context, plugins, databaseURL, dir *string, print *bool) error {
	return run(ctx, "init", false, nil,
		str("plugins", plugins), str("database-url", databaseURL), str("dir", dir), boolean("print", print))
}

// Secret prints a fresh KERNIA_SECRET, or with -rotate a new KERNIA_SECRETS key ring.
func Secret(ctx context.Context, rotate, json *bool) error {
	return run(ctx, "secret", false, json, boolean("rotate", rotate), boolean("json", json))
}

// Info shows versions, resolved settings, secret status, plugins, schema contributors, migrations and problems.
func Info(ctx context.Context, json, strict *bool) error {
	return run(ctx, "info", true, json, boolean("json", json), boolean("strict", strict))
}

// Check runs generate -check and info -strict: the one target CI runs.
func Check(ctx context.Context, json *bool) error {
	return run(ctx, "check", true, json, boolean("json", json))
}
