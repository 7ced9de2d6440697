// Package cli is the kernia command line: it parses a command and its flags and runs it
// against an auth instance.
//
// The kernia binary (cmd/kernia) calls Main, which has no instance: it builds and runs a small
// loader program inside the user's module that imports the instance named by --app (default
// $KERNIA_APP, else ./auth:Auth) and calls RunWith. Commands thus run against the exact
// dependency versions of the application.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/loader"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

type cmd struct {
	name, summary, usage string
	flags                func(fs *flag.FlagSet) func(ctx context.Context, a *kernia.Auth, io command.IO) error
}

var commands = []cmd{
	{
		name:    "generate",
		summary: "compose core and plugin schemas, run Ent codegen, write a migration for what changed",
		usage:   "kernia generate [--name NAME] [--output DIR] [--dry-run | --check] [--allow-destructive] [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.GenerateFlags
			var output string
			fs.StringVar(&f.Name, "name", "", "name of the migration file (default kernia)")
			fs.StringVar(&output, "output", "", "parent of the per-dialect migration directories (default ent/migrate/migrations)")
			fs.BoolVar(&f.DryRun, "dry-run", false, "print the SQL, write nothing")
			fs.BoolVar(&f.Check, "check", false, "write nothing; exit 1 and show what would change if anything would")
			fs.BoolVar(&f.AllowDestructive, "allow-destructive", false, "allow migrations that drop tables or columns")
			fs.BoolVar(&f.JSON, "json", false, "print the result as JSON on stdout")
			return func(ctx context.Context, a *kernia.Auth, io command.IO) error {
				if output != "" {
					o := a.Options()
					o.MigrationsDir = output
					a = kernia.New(o)
				}
				return command.Generate(ctx, a, f, io)
			}
		},
	},
	{
		name:    "migrate",
		summary: "apply pending migrations, locked, checksummed, one transaction per file",
		usage:   "kernia migrate [--url URL] [--dir DIR] [--dry-run] [--lock-timeout 10s] [--baseline VERSION] [--allow-out-of-order] [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.MigrateFlags
			fs.StringVar(&f.URL, "url", "", "database URL (default: Options.DatabaseURL, $KERNIA_DATABASE_URL, sqlite://kernia.db)")
			fs.StringVar(&f.Dir, "dir", "", "migration directory (default ent/migrate/migrations/<dialect>)")
			fs.BoolVar(&f.DryRun, "dry-run", false, "print the pending SQL, change nothing")
			fs.DurationVar(&f.LockTimeout, "lock-timeout", 10*time.Second, "how long to wait for another migrate to finish")
			fs.StringVar(&f.Baseline, "baseline", "", "record VERSION as applied on a database that predates Kernia, apply later files only")
			fs.BoolVar(&f.AllowOutOfOrder, "allow-out-of-order", false, "apply pending files older than the last applied one")
			fs.BoolVar(&f.JSON, "json", false, "print the result as JSON on stdout")
			return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Migrate(ctx, a, f, io) }
		},
	},
	{
		name:    "hash",
		summary: "rewrite atlas.sum after a deliberate manual edit of a migration directory",
		usage:   "kernia hash [--dir DIR]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.HashFlags
			fs.StringVar(&f.Dir, "dir", "", "migration directory (default: every dialect's directory)")
			return func(_ context.Context, a *kernia.Auth, io command.IO) error { return command.Hash(a, f, io) }
		},
	},
	{
		name:    "status",
		summary: "show applied and pending migrations and the last failure",
		usage:   "kernia status [--url URL] [--dir DIR] [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.StatusFlags
			fs.StringVar(&f.URL, "url", "", "database URL (default: Options.DatabaseURL, $KERNIA_DATABASE_URL, sqlite://kernia.db)")
			fs.StringVar(&f.Dir, "dir", "", "migration directory (default ent/migrate/migrations/<dialect>)")
			fs.BoolVar(&f.JSON, "json", false, "print the report as JSON on stdout")
			return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Status(ctx, a, f, io) }
		},
	},
}

// Main runs the kernia command line without an instance: it loads the one named by --app.
func Main(args []string, stdout, stderr io.Writer) int {
	return run(nil, "", args, stdout, stderr)
}

// RunWith runs the kernia command line against auth, which the loader program got from the
// variable named by app ("<import path>:<Var>").
func RunWith(auth *kernia.Auth, app string, args []string, stdout, stderr io.Writer) int {
	if auth == nil {
		fmt.Fprintf(stderr, "kernia: the auth instance %s is nil: set it with kernia.New(kernia.Options{...})\n", app)
		return ExitFailure
	}
	return run(auth, app, args, stdout, stderr)
}

func run(auth *kernia.Auth, app string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return ExitOK
	}
	var c *cmd
	for i := range commands {
		if commands[i].name == args[0] {
			c = &commands[i]
		}
	}
	if c == nil {
		fmt.Fprintf(stderr, "kernia: unknown command %q\n\n", args[0])
		usage(stderr)
		return ExitUsage
	}
	fs := flag.NewFlagSet("kernia "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	appFlag := fs.String("app", "", "auth instance as <package>:<Var> (default $KERNIA_APP, else "+loader.DefaultApp+")")
	runCmd := c.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nUsage: %s [--app PKG:VAR]\n\nFlags:\n", c.summary, c.usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kernia %s: unexpected argument %q\n", c.name, fs.Arg(0))
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if auth == nil {
		spec := firstNonEmpty(*appFlag, os.Getenv(kernia.EnvApp), loader.DefaultApp)
		a, err := loader.ParseApp(spec)
		if err != nil {
			fmt.Fprintf(stderr, "kernia: %v\n", err)
			return ExitUsage
		}
		code, err := loader.Run(ctx, a, args, stdout, stderr)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return ExitFailure
		}
		return code
	}
	err := runCmd(ctx, auth, command.IO{Stdout: stdout, Stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "kernia: %v\n", err)
	}
	return command.ExitCode(err)
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("kernia: schema, migrations and operations for Kernia auth.\n\nUsage: kernia <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun kernia <command> --help for its flags. Every command takes --app <package>:<Var>.\n")
	fmt.Fprint(w, b.String())
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
