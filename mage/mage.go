// Package mage holds Kernia's Mage targets. Import it into a magefile with
//
//	//mage:import
//	_ "github.com/kernia/kernia/mage"
//
// and hand over the auth instance with github.com/kernia/kernia/mage/app.Use. Optional flags
// are Mage flags: go tool mage generate -dryrun -name=add_teams.
package mage

import (
	"context"
	"os"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/mage/app"
)

// Generate composes core and plugin schemas, runs Ent codegen and writes a migration for what changed.
func Generate(ctx context.Context, name *string, dryRun, check, allowDestructive, json *bool) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Generate(ctx, auth, command.GenerateFlags{
			Name:             deref(name),
			DryRun:           deref(dryRun),
			Check:            deref(check),
			AllowDestructive: deref(allowDestructive),
			JSON:             deref(json),
		}, io)
	})
}

// Migrate applies pending migrations to KERNIA_DATABASE_URL, locked, checksummed, one transaction per file.
func Migrate(ctx context.Context, dir, url *string, dryRun *bool, lockTimeout *time.Duration, baseline *string, allowOutOfOrder, json *bool) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Migrate(ctx, auth, command.MigrateFlags{
			Dir:             deref(dir),
			URL:             deref(url),
			DryRun:          deref(dryRun),
			LockTimeout:     deref(lockTimeout),
			Baseline:        deref(baseline),
			AllowOutOfOrder: deref(allowOutOfOrder),
			JSON:            deref(json),
		}, io)
	})
}

// Status prints applied and pending migrations and the last failure.
func Status(ctx context.Context, dir, url *string, json *bool) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Status(ctx, auth, command.StatusFlags{Dir: deref(dir), URL: deref(url), JSON: deref(json)}, io)
	})
}

// Hash rewrites atlas.sum after a deliberate manual edit of a migration directory.
func Hash(dir *string) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Hash(auth, command.HashFlags{Dir: deref(dir)}, io)
	})
}

// run runs a command against the magefile's instance and maps its error to Mage's exit code.
func run(f func(*kernia.Auth, command.IO) error) error {
	auth, err := app.Instance()
	if err == nil {
		err = f(auth, command.IO{Stdout: os.Stdout, Stderr: os.Stderr})
	}
	if code := command.ExitCode(err); code != 0 {
		return mg.Fatal(code, err)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
