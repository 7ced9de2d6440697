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
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/dotenv"
	"github.com/kernia/kernia/internal/redact"
	"github.com/kernia/kernia/internal/workdir"
	"github.com/kernia/kernia/mage/app"
)

// Generate composes core and plugin schemas, runs Ent codegen and writes a migration for what changed.
func Generate(ctx context.Context, name *string, dryRun, check, allowDestructive, json *bool, format *string) error {
	ctx, stop := sigintCause(ctx)
	defer stop()
	return run(ctx, "generate", deref(json), func(auth *kernia.Auth, io command.IO) error {
		return command.Generate(ctx, auth, command.GenerateFlags{
			Name:             deref(name),
			DryRun:           deref(dryRun),
			Check:            deref(check),
			AllowDestructive: deref(allowDestructive),
			Format:           deref(format),
			JSON:             deref(json),
		}, io)
	})
}

// Migrate applies pending migrations to KERNIA_DATABASE_URL, locked, checksummed, one transaction per file.
func Migrate(ctx context.Context, dir, url *string, dryRun *bool, lockTimeout *time.Duration, baseline *string, allowOutOfOrder, json *bool, connectTimeout, ddlLockTimeout *time.Duration) error {
	return run(ctx, "migrate", deref(json), func(auth *kernia.Auth, io command.IO) error {
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

// Adopt takes over a database Better Auth's own migration created: it compares it with the migrations and records the baseline, or lists the differences and writes nothing.
func Adopt(ctx context.Context, dir, url *string, dryRun *bool, lockTimeout *time.Duration, json *bool, connectTimeout, ddlLockTimeout *time.Duration) error {
	return run(ctx, "adopt", deref(json), func(auth *kernia.Auth, io command.IO) error {
		return command.Adopt(ctx, auth, command.AdoptFlags{
			Dir:            deref(dir),
			URL:            deref(url),
			DryRun:         deref(dryRun),
			LockTimeout:    deref(lockTimeout),
			ConnectTimeout: deref(connectTimeout),
			DDLLockTimeout: deref(ddlLockTimeout),
			JSON:           deref(json),
		}, io)
	})
}

// Status prints applied and pending migrations and the last failure.
func Status(ctx context.Context, dir, url *string, json *bool, connectTimeout *time.Duration) error {
	return run(ctx, "status", deref(json), func(auth *kernia.Auth, io command.IO) error {
		return command.Status(ctx, auth, command.StatusFlags{Dir: deref(dir), URL: deref(url), JSON: deref(json), ConnectTimeout: deref(connectTimeout)}, io)
	})
}

// Hash rewrites atlas.sum after a deliberate manual edit of a migration directory.
func Hash(dir *string, json *bool) error {
	return run(context.Background(), "hash", deref(json), func(auth *kernia.Auth, io command.IO) error {
		return command.Hash(auth, command.HashFlags{Dir: deref(dir), JSON: deref(json)}, io)
	})
}

// Init scaffolds .env.example, .env, auth/auth.go and magefile.go in the module, never overwriting.
func Init(ctx context.Context, plugins, databaseURL, dir *string, print *bool) error {
	return runStandalone(ctx, "init", false, func(io command.IO) error {
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
	return runStandalone(context.Background(), "secret", deref(json), func(io command.IO) error {
		return command.Secret(command.SecretFlags{Rotate: deref(rotate), JSON: deref(json)}, io)
	})
}

// Info shows versions, resolved settings, secret status, plugins, schema contributors, migrations and problems.
func Info(ctx context.Context, json, strict *bool) error {
	return run(ctx, "info", deref(json), func(auth *kernia.Auth, io command.IO) error {
		return command.Info(ctx, auth, command.InfoFlags{JSON: deref(json), Strict: deref(strict)}, io)
	})
}

// Check runs generate -check and info -strict: the one target CI runs.
func Check(ctx context.Context, json *bool) error {
	return run(ctx, "check", deref(json), func(auth *kernia.Auth, io command.IO) error {
		return command.Check(ctx, auth, command.CheckFlags{JSON: deref(json)}, io)
	})
}

// run runs the command name against the magefile's instance and maps its error to Mage's exit
// code. It runs from the module root, as the kernia command does (the nearest go.mod at or
// above Mage's working directory), and reads the module's .env first, without overriding the
// environment. json is the target's -json flag.
func run(ctx context.Context, name string, json bool, f func(*kernia.Auth, command.IO) error) error {
	return do(ctx, name, true, json, f)
}

// runStandalone runs a command that needs no instance (init, secret).
func runStandalone(ctx context.Context, name string, json bool, f func(command.IO) error) error {
	return do(ctx, name, false, json, func(_ *kernia.Auth, io command.IO) error { return f(io) })
}

// do runs a command as the kernia CLI does: from the module root (but init, which resolves
// the module of its -dir), its output through the same redaction by value (internal/redact), a
// panic as an error, the error Mage prints redacted too, and under -json a failure that printed
// nothing on stdout prints the JSON error object there.
func do(ctx context.Context, name string, needInstance, json bool, f func(*kernia.Auth, command.IO) error) error {
	out := redact.NewOutputs(name, nil, os.Args[1:], os.Stdout, os.Stderr)
	defer out.Flush()
	stdout := &countingWriter{w: out.Stdout}
	err := redact.Recover(func() error {
		if needInstance {
			if root, ok := workdir.ModuleRoot("."); ok {
				if err := os.Chdir(root); err != nil {
					return fmt.Errorf("kernia: change to the module root %s: %w", root, err)
				}
			}
		}
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
		return f(auth, command.IO{Stdout: stdout, Stderr: out.Stderr})
	})
	if code := exitCode(ctx, err); code != 0 {
		msg := out.All.String(err.Error())
		if json && stdout.n == 0 {
			_ = command.WriteJSON(stdout, command.ErrorObject(strings.TrimPrefix(msg, "kernia: "), code))
		}
		return mg.Fatal(code, errors.New(msg))
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
