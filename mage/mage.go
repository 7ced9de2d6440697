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
	"github.com/kernia/kernia/internal/dotenv"
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
func Migrate(ctx context.Context, dir, url *string, dryRun *bool, lockTimeout *time.Duration, baseline *string, allowOutOfOrder, json *bool, connectTimeout *time.Duration) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Migrate(ctx, auth, command.MigrateFlags{
			Dir:             deref(dir),
			URL:             deref(url),
			DryRun:          deref(dryRun),
			LockTimeout:     deref(lockTimeout),
			Baseline:        deref(baseline),
			AllowOutOfOrder: deref(allowOutOfOrder),
			ConnectTimeout:  deref(connectTimeout),
			JSON:            deref(json),
		}, io)
	})
}

// Status prints applied and pending migrations and the last failure.
func Status(ctx context.Context, dir, url *string, json *bool, connectTimeout *time.Duration) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Status(ctx, auth, command.StatusFlags{Dir: deref(dir), URL: deref(url), JSON: deref(json), ConnectTimeout: deref(connectTimeout)}, io)
	})
}

// Hash rewrites atlas.sum after a deliberate manual edit of a migration directory.
func Hash(dir *string) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Hash(auth, command.HashFlags{Dir: deref(dir)}, io)
	})
}

// Init scaffolds .env.example, .env, auth/auth.go and magefile.go in the module, never overwriting.
func Init(ctx context.Context, plugins, databaseURL, dir *string, print *bool) error {
	return runStandalone(func(io command.IO) error {
		return command.Init(ctx, command.InitFlags{
			Plugins:     deref(plugins),
			DatabaseURL: deref(databaseURL),
			Dir:         deref(dir),
			Print:       deref(print),
		}, io)
	})
}

// Secret prints a fresh KERNIA_SECRET, or with -rotate a new KERNIA_SECRETS key ring.
func Secret(rotate, json *bool) error {
	return runStandalone(func(io command.IO) error {
		return command.Secret(command.SecretFlags{Rotate: deref(rotate), JSON: deref(json)}, io)
	})
}

// Info shows versions, resolved settings, secret status, plugins, schema contributors, migrations and problems.
func Info(ctx context.Context, json, strict *bool) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Info(ctx, auth, command.InfoFlags{JSON: deref(json), Strict: deref(strict)}, io)
	})
}

// Check runs generate -check and info -strict: the one target CI runs.
func Check(ctx context.Context, json *bool) error {
	return run(func(auth *kernia.Auth, io command.IO) error {
		return command.Check(ctx, auth, command.CheckFlags{JSON: deref(json)}, io)
	})
}

// run runs a command against the magefile's instance and maps its error to Mage's exit code.
// The module's .env is read first, without overriding the environment.
func run(f func(*kernia.Auth, command.IO) error) error { return do(true, f) }

// runStandalone runs a command that needs no instance (init, secret).
func runStandalone(f func(command.IO) error) error {
	return do(false, func(_ *kernia.Auth, io command.IO) error { return f(io) })
}

func do(needInstance bool, f func(*kernia.Auth, command.IO) error) error {
	_, err := dotenv.Load(".")
	var auth *kernia.Auth
	if err == nil && needInstance {
		auth, err = app.Instance()
	}
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
