// Package cli is the kernia command line: it parses a command and its flags and runs it
// against an auth instance.
//
// The kernia binary (cmd/kernia) calls Main, which has no instance: it builds and runs a small
// loader program inside the user's module that imports the instance named by --app (default
// $KERNIA_APP, else ./auth:Auth) and hands its configuration back (internal/loader), then runs
// the command against it. go tool builds the kernia binary from the application's go.mod, so
// commands run against the exact dependency versions of the application.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/authoring"
	"github.com/kernia/kernia/internal/cmdline"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/plugins/builtin"
)

// Exit statuses.
const (
	ExitOK      = cmdline.ExitOK
	ExitFailure = cmdline.ExitFailure
	ExitUsage   = cmdline.ExitUsage
)

// commands are the kernia command's, in the order its usage lists them. Those that only apply
// and inspect migrations, or need no instance, are package cmdline's (the migration engine
// runs migrate and status with the same definitions).
var commands = []cmdline.Cmd{initCmd, generateCmd, cmdline.Migrate, adoptCmd, cmdline.Hash, cmdline.Status, cmdline.Secret, cmdline.Version, infoCmd, checkCmd}

// initCmd is the init command.
var initCmd = cmdline.Cmd{
	Name:       "init",
	Summary:    "scaffold .env.example, .env, auth/auth.go and magefile.go in the current Go module",
	Usage:      "kernia init [--plugins a,b] [--database-url URL] [--dir DIR] [--print]",
	Standalone: true,
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f authoring.InitFlags
		fs.StringVar(&f.Plugins, "plugins", "", "comma-separated built-in plugin ids to enable ("+strings.Join(builtin.IDs(), ", ")+")")
		fs.StringVar(&f.DatabaseURL, "database-url", "", "database URL written to .env; its dialect goes to Options.Dialects in auth/auth.go (default $KERNIA_DATABASE_URL, else sqlite://kernia.db)")
		fs.StringVar(&f.Dir, "dir", "", "a directory of the module to initialise (default: the current directory)")
		fs.BoolVar(&f.Print, "print", false, "write nothing; print every file for manual copying")
		return func(ctx context.Context, _ *kernia.Auth, io command.IO) error { return authoring.Init(ctx, f, io) }
	},
}

// generateCmd is the generate command.
var generateCmd = cmdline.Cmd{
	// The PostgreSQL diff's replay of the directory needs no configuration: when the loader
	// program has to be built (the auth package changed), generate starts it beside the build
	// (internal/diff's early.go).
	Building: func(ctx context.Context) (func(context.Context) context.Context, func()) {
		early := diff.StartEarly(ctx, os.Getenv(kernia.EnvDevURL), filepath.Join(kernia.DefaultMigrationsDir, kernia.Postgres))
		if early == nil {
			return nil, nil
		}
		return func(ctx context.Context) context.Context { return diff.WithEarly(ctx, early) }, func() { early.Close() }
	},
	Name:    "generate",
	Summary: "compose core and plugin schemas, run Ent codegen, write a migration for what changed",
	Usage:   "kernia generate [--name NAME] [--output DIR] [--format atlas|golang-migrate|goose|flyway] [--dry-run | --check] [--allow-destructive] [--json]",
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f authoring.GenerateFlags
		var output string
		fs.StringVar(&f.Name, "name", "", "name of the migration file (default kernia)")
		fs.StringVar(&output, "output", "", "parent of the per-dialect migration directories (default ent/migrate/migrations)")
		fs.BoolVar(&f.DryRun, "dry-run", false, "print the SQL, write nothing")
		fs.BoolVar(&f.Check, "check", false, "write nothing; exit 1 and show what would change if anything would")
		fs.BoolVar(&f.AllowDestructive, "allow-destructive", false, "allow migrations that drop tables or columns")
		fs.StringVar(&f.Format, "format", "", "migration format: atlas, golang-migrate, goose or flyway (default Options.MigrationFormat, else the directory's, else atlas)")
		fs.BoolVar(&f.JSON, "json", false, "print the result as JSON on stdout")
		return func(ctx context.Context, a *kernia.Auth, io command.IO) error {
			if output != "" {
				if err := kernia.CheckMigrationsDir(output); err != nil {
					return &command.UsageError{Err: fmt.Errorf("generate: --output: %w", err)}
				}
				o := a.Options()
				o.MigrationsDir = output
				a = kernia.New(o)
			}
			return authoring.Generate(ctx, a, f, io)
		}
	},
}

// adoptCmd is the adopt command.
var adoptCmd = cmdline.Cmd{
	Name:    "adopt",
	Summary: "take over a database Better Auth's own migration created: compare it with the migrations, record the baseline",
	Usage:   "kernia adopt [--url URL] [--dir DIR] [--dry-run] [--lock-timeout 10s] [--connect-timeout 10s] [--ddl-lock-timeout 5s] [--json]",
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f authoring.AdoptFlags
		cmdline.TargetFlags(fs, &f.URL, &f.Dir, &f.ConnectTimeout)
		fs.BoolVar(&f.DryRun, "dry-run", false, "compare and show the statements adoption would run, write nothing")
		fs.DurationVar(&f.LockTimeout, "lock-timeout", 10*time.Second, "how long to wait for a running migrate to finish")
		fs.DurationVar(&f.DDLLockTimeout, "ddl-lock-timeout", 5*time.Second, "PostgreSQL: lock_timeout of the statements that close differences")
		fs.BoolVar(&f.JSON, "json", false, "print the comparison and the result as JSON on stdout")
		return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return authoring.Adopt(ctx, a, f, io) }
	},
}

// infoCmd is the info command.
var infoCmd = cmdline.Cmd{
	Name:    "info",
	Summary: "show versions, resolved settings, secret status, plugins, schema contributors, migrations and problems",
	Usage:   "kernia info [--json] [--strict]",
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f authoring.InfoFlags
		fs.BoolVar(&f.JSON, "json", false, "print the report as JSON on stdout")
		fs.BoolVar(&f.Strict, "strict", false, "exit 1 when the report lists any problem")
		return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return authoring.Info(ctx, a, f, io) }
	},
}

// checkCmd is the check command.
var checkCmd = cmdline.Cmd{
	Name:    "check",
	Summary: "generate --check plus info --strict: the one command CI runs",
	Usage:   "kernia check [--json]",
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f authoring.CheckFlags
		fs.BoolVar(&f.JSON, "json", false, "print {generate, info, ok} as JSON on stdout")
		return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return authoring.Check(ctx, a, f, io) }
	},
}

// Main runs the kernia command line without an instance: it loads the one named by --app.
// Started by the Mage targets (package github.com/kernia/kernia/mage), with the first
// argument they pass, it takes the configuration of the magefile's instance from them instead.
func Main(args []string, stdout, stderr io.Writer) int {
	return cmdline.Main(commands, args, stdout, stderr)
}

// RunWith runs the kernia command line against auth, which the loader program got from the
// variable named by app ("<import path>:<Var>").
func RunWith(auth *kernia.Auth, app string, args []string, stdout, stderr io.Writer) int {
	return cmdline.RunWith(commands, auth, app, args, stdout, stderr)
}
