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
	"errors"
	"os"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/dotenv"
	"github.com/kernia/kernia/internal/redact"
	"github.com/kernia/kernia/mage/app"
)

// Generate composes core and plugin schemas, runs Ent codegen and writes a migration for what changed.
func Generate(ctx context.Context, name *string, dryRun, check, allowDestructive, json *bool) error {
	ctx, stop := sigintCause(ctx)
	defer stop()
	return run("generate", func(auth *kernia.Auth, io command.IO) error {
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
func Migrate(ctx context.Context, dir, url *string, dryRun *bool, lockTimeout *time.Duration, baseline *string, allowOutOfOrder, json *bool, connectTimeout, ddlLockTimeout *time.Duration) error {
	return run("migrate", func(auth *kernia.Auth, io command.IO) error {
		return command.Migrate(ctx, auth, command.MigrateFlags{
			Dir:             deref(dir),
			URL:             deref(url),
			DryRun:          deref(dryRun),
			LockTimeout:     deref(lockTimeout),
			Baseline:        deref(baseline),
			AllowOutOfOrder: deref(allowOutOfOrder),
			ConnectTimeout:  deref(connectTimeout),
			DDLLockTimeout:  deref(ddlLockTimeout),
			JSON:            deref(json),
		}, io)
	})
}

// Status prints applied and pending migrations and the last failure.
func Status(ctx context.Context, dir, url *string, json *bool, connectTimeout *time.Duration) error {
	return run("status", func(auth *kernia.Auth, io command.IO) error {
		return command.Status(ctx, auth, command.StatusFlags{Dir: deref(dir), URL: deref(url), JSON: deref(json), ConnectTimeout: deref(connectTimeout)}, io)
	})
}

// Hash rewrites atlas.sum after a deliberate manual edit of a migration directory.
func Hash(dir *string) error {
	return run("hash", func(auth *kernia.Auth, io command.IO) error {
		return command.Hash(auth, command.HashFlags{Dir: deref(dir)}, io)
	})
}

// Init scaffolds .env.example, .env, auth/auth.go and magefile.go in the module, never overwriting.
func Init(ctx context.Context, plugins, databaseURL, dir *string, print *bool) error {
	return runStandalone("init", func(io command.IO) error {
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
	return runStandalone("secret", func(io command.IO) error {
		return command.Secret(command.SecretFlags{Rotate: deref(rotate), JSON: deref(json)}, io)
	})
}

// Info shows versions, resolved settings, secret status, plugins, schema contributors, migrations and problems.
func Info(ctx context.Context, json, strict *bool) error {
	return run("info", func(auth *kernia.Auth, io command.IO) error {
		return command.Info(ctx, auth, command.InfoFlags{JSON: deref(json), Strict: deref(strict)}, io)
	})
}

// Check runs generate -check and info -strict: the one target CI runs.
func Check(ctx context.Context, json *bool) error {
	return run("check", func(auth *kernia.Auth, io command.IO) error {
		return command.Check(ctx, auth, command.CheckFlags{JSON: deref(json)}, io)
	})
}

// run runs the command name against the magefile's instance and maps its error to Mage's exit
// code. The module's .env is read first, without overriding the environment.
func run(name string, f func(*kernia.Auth, command.IO) error) error { return do(name, true, f) }

// runStandalone runs a command that needs no instance (init, secret).
func runStandalone(name string, f func(command.IO) error) error {
	return do(name, false, func(_ *kernia.Auth, io command.IO) error { return f(io) })
}

// do runs a command as the kernia CLI does: its output goes through the same redaction by
// value (internal/redact), a panic becomes an error, and the error Mage prints is redacted too.
func do(name string, needInstance bool, f func(*kernia.Auth, command.IO) error) error {
	out := redact.NewOutputs(name, nil, os.Args[1:], os.Stdout, os.Stderr)
	defer out.Flush()
	err := redact.Recover(func() error {
		if _, err := dotenv.Load("."); err != nil {
			return err
		}
		// The instance's options hold secrets too (database URLs), even for the commands
		// that do not use it.
		auth, err := app.Instance()
		out.Add(auth, os.Args[1:]) // the secrets .env and the instance's options brought
		switch {
		case !needInstance:
			auth = nil
		case err != nil:
			return err
		}
		return f(auth, command.IO{Stdout: out.Stdout, Stderr: out.Stderr})
	})
	if code := exitCode(err); code != 0 {
		return mg.Fatal(code, errors.New(out.All.String(err.Error())))
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
