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
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/dotenv"
	"github.com/kernia/kernia/internal/interrupt"
	"github.com/kernia/kernia/internal/loader"
	"github.com/kernia/kernia/internal/redact"
	"github.com/kernia/kernia/internal/spec"
	"github.com/kernia/kernia/internal/workdir"
	"github.com/kernia/kernia/plugins/builtin"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

type cmd struct {
	name, summary, usage string
	// standalone commands need no auth instance (init, secret): they run without the loader
	// and get a nil *kernia.Auth.
	standalone bool
	// noPlan commands never compose the schema (migrate, status): the loader program leaves
	// the resolved plan out of the instance's configuration.
	noPlan bool
	flags  func(fs *flag.FlagSet) func(ctx context.Context, a *kernia.Auth, io command.IO) error
}

var commands = []cmd{
	{
		name:       "init",
		summary:    "scaffold .env.example, .env, auth/auth.go and magefile.go in the current Go module",
		usage:      "kernia init [--plugins a,b] [--database-url URL] [--dir DIR] [--print]",
		standalone: true,
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.InitFlags
			fs.StringVar(&f.Plugins, "plugins", "", "comma-separated built-in plugin ids to enable ("+strings.Join(builtin.IDs(), ", ")+")")
			fs.StringVar(&f.DatabaseURL, "database-url", "", "database URL written to .env; its dialect goes to Options.Dialects in auth/auth.go (default $KERNIA_DATABASE_URL, else sqlite://kernia.db)")
			fs.StringVar(&f.Dir, "dir", "", "a directory of the module to initialise (default: the current directory)")
			fs.BoolVar(&f.Print, "print", false, "write nothing; print every file for manual copying")
			return func(ctx context.Context, _ *kernia.Auth, io command.IO) error { return command.Init(ctx, f, io) }
		},
	},
	{
		name:    "generate",
		summary: "compose core and plugin schemas, run Ent codegen, write a migration for what changed",
		usage:   "kernia generate [--name NAME] [--output DIR] [--format atlas|golang-migrate|goose|flyway] [--dry-run | --check] [--allow-destructive] [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.GenerateFlags
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
				return command.Generate(ctx, a, f, io)
			}
		},
	},
	{
		name:    "migrate",
		summary: "apply pending migrations, locked, checksummed, one transaction per file",
		noPlan:  true,
		usage:   "kernia migrate [--url URL] [--dir DIR] [--dry-run] [--lock-timeout 10s] [--baseline VERSION] [--allow-out-of-order] [--connect-timeout 10s] [--ddl-lock-timeout 5s] [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.MigrateFlags
			fs.StringVar(&f.URL, "url", "", "database URL (default: Options.DatabaseURL, $KERNIA_DATABASE_URL, sqlite://kernia.db)")
			fs.StringVar(&f.Dir, "dir", "", "migration directory (default ent/migrate/migrations/<dialect>)")
			fs.BoolVar(&f.DryRun, "dry-run", false, "print the pending SQL, change nothing")
			fs.DurationVar(&f.LockTimeout, "lock-timeout", 10*time.Second, "how long to wait for another migrate to finish")
			fs.StringVar(&f.Baseline, "baseline", "", "record VERSION as applied on a database that predates Kernia, apply later files only")
			fs.BoolVar(&f.AllowOutOfOrder, "allow-out-of-order", false, "apply pending files older than the last applied one")
			fs.DurationVar(&f.ConnectTimeout, "connect-timeout", 0, "how long to wait for the PostgreSQL server to accept a connection (default: the URL's connect_timeout, else 10s)")
			fs.DurationVar(&f.DDLLockTimeout, "ddl-lock-timeout", 5*time.Second, "lock_timeout (PostgreSQL) or lock_wait_timeout and innodb_lock_wait_timeout (MySQL, whole seconds) of each migration statement; one that waits longer for a lock is retried (5 attempts), so logins never queue behind it")
			fs.BoolVar(&f.JSON, "json", false, "print the result as JSON on stdout")
			return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Migrate(ctx, a, f, io) }
		},
	},
	{
		name:    "adopt",
		summary: "take over a database Better Auth's own migration created: compare it with the migrations, record the baseline",
		usage:   "kernia adopt [--url URL] [--dir DIR] [--dry-run] [--lock-timeout 10s] [--connect-timeout 10s] [--ddl-lock-timeout 5s] [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.AdoptFlags
			fs.StringVar(&f.URL, "url", "", "database URL (default: Options.DatabaseURL, $KERNIA_DATABASE_URL, sqlite://kernia.db)")
			fs.StringVar(&f.Dir, "dir", "", "migration directory (default ent/migrate/migrations/<dialect>)")
			fs.BoolVar(&f.DryRun, "dry-run", false, "compare and show the statements adoption would run, write nothing")
			fs.DurationVar(&f.LockTimeout, "lock-timeout", 10*time.Second, "how long to wait for a running migrate to finish")
			fs.DurationVar(&f.ConnectTimeout, "connect-timeout", 0, "how long to wait for the PostgreSQL server to accept a connection (default: the URL's connect_timeout, else 10s)")
			fs.DurationVar(&f.DDLLockTimeout, "ddl-lock-timeout", 5*time.Second, "PostgreSQL: lock_timeout of the statements that close differences")
			fs.BoolVar(&f.JSON, "json", false, "print the comparison and the result as JSON on stdout")
			return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Adopt(ctx, a, f, io) }
		},
	},
	{
		name:    "hash",
		summary: "rewrite atlas.sum after a deliberate manual edit of a migration directory",
		usage:   "kernia hash [--dir DIR] [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.HashFlags
			fs.StringVar(&f.Dir, "dir", "", "migration directory (default: every dialect's directory)")
			fs.BoolVar(&f.JSON, "json", false, "print {\"written\": [...]} on stdout")
			return func(_ context.Context, a *kernia.Auth, io command.IO) error { return command.Hash(a, f, io) }
		},
	},
	{
		name:    "status",
		summary: "show applied and pending migrations and the last failure",
		noPlan:  true,
		usage:   "kernia status [--url URL] [--dir DIR] [--connect-timeout 10s] [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.StatusFlags
			fs.StringVar(&f.URL, "url", "", "database URL (default: Options.DatabaseURL, $KERNIA_DATABASE_URL, sqlite://kernia.db)")
			fs.StringVar(&f.Dir, "dir", "", "migration directory (default ent/migrate/migrations/<dialect>)")
			fs.DurationVar(&f.ConnectTimeout, "connect-timeout", 0, "how long to wait for the PostgreSQL server to accept a connection (default: the URL's connect_timeout, else 10s)")
			fs.BoolVar(&f.JSON, "json", false, "print the report as JSON on stdout")
			return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Status(ctx, a, f, io) }
		},
	},
	{
		name:       "secret",
		summary:    "print a fresh KERNIA_SECRET, or with --rotate a new KERNIA_SECRETS key ring",
		usage:      "kernia secret [--rotate] [--json]",
		standalone: true,
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.SecretFlags
			fs.BoolVar(&f.Rotate, "rotate", false, "print KERNIA_SECRETS=<new>,<current keys...> from $KERNIA_SECRETS or $KERNIA_SECRET")
			fs.BoolVar(&f.JSON, "json", false, "print {\"name\": ..., \"value\": ...} on stdout")
			return func(_ context.Context, _ *kernia.Auth, io command.IO) error { return command.Secret(f, io) }
		},
	},
	{
		name:       "version",
		summary:    "print Kernia's version, the Go version that built it and the module path",
		usage:      "kernia version [--json]",
		standalone: true,
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.VersionFlags
			fs.BoolVar(&f.JSON, "json", false, "print {\"version\", \"go_version\", \"module_path\"} on stdout")
			return func(_ context.Context, _ *kernia.Auth, io command.IO) error { return command.Version(f, io) }
		},
	},
	{
		name:    "info",
		summary: "show versions, resolved settings, secret status, plugins, schema contributors, migrations and problems",
		usage:   "kernia info [--json] [--strict]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.InfoFlags
			fs.BoolVar(&f.JSON, "json", false, "print the report as JSON on stdout")
			fs.BoolVar(&f.Strict, "strict", false, "exit 1 when the report lists any problem")
			return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Info(ctx, a, f, io) }
		},
	},
	{
		name:    "check",
		summary: "generate --check plus info --strict: the one command CI runs",
		usage:   "kernia check [--json]",
		flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
			var f command.CheckFlags
			fs.BoolVar(&f.JSON, "json", false, "print {generate, info, ok} as JSON on stdout")
			return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Check(ctx, a, f, io) }
		},
	},
}

// Main runs the kernia command line without an instance: it loads the one named by --app.
// Started by the Mage targets (package github.com/kernia/kernia/mage), with the first
// argument they pass, it takes the configuration of the magefile's instance from them instead
// (see fromMage).
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == spec.MageArg {
		return fromMage(args[1:], stdout, stderr)
	}
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

// redactable returns auth as the redaction reads it: nil, not a nil *kernia.Auth, when there is
// no instance (yet).
func redactable(auth *kernia.Auth) redact.Instance {
	if auth == nil {
		return nil
	}
	return auth
}

// run runs a command with its standard output and standard error redacted (internal/redact):
// every line the command, the loader program it runs, a panic or an error prints goes through
// the same redaction by value.
func run(auth *kernia.Auth, app string, args []string, stdout, stderr io.Writer) int {
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	out := redact.NewOutputs(name, redactable(auth), args, stdout, stderr)
	defer out.Flush()
	return runCommand(auth, args, out)
}

// runCommand runs args and returns the exit status. Under --json, a failure that printed
// nothing on stdout (bad usage, a loader that could not be built, an interrupt before the
// command had a result) prints the JSON error object there: stdout never stays empty.
func runCommand(auth *kernia.Auth, args []string, out *redact.Outputs) int {
	stdout := &countingWriter{w: out.Stdout}
	stderr := &lastLineWriter{w: out.Stderr}
	msg, code := runArgs(auth, args, out, stdout, stderr)
	if code != ExitOK && stdout.n == 0 && wantsJSON(args) {
		if msg == "" {
			msg = cmp.Or(stderr.last(), fmt.Sprintf("exit status %d", code))
		}
		_ = command.WriteJSON(stdout, command.ErrorObject(strings.TrimPrefix(msg, "kernia: "), code))
	}
	return code
}

// runArgs runs args and returns the exit status and, for a failure it reports itself, its
// message ("" when the message is only on stderr, printed by a loader program).
func runArgs(auth *kernia.Auth, args []string, out *redact.Outputs, stdout, stderr io.Writer) (string, int) {
	fail := func(code int, format string, a ...any) (string, int) {
		msg := fmt.Sprintf(format, a...)
		fmt.Fprintln(stderr, msg)
		return msg, code
	}
	if len(args) == 0 {
		usage(stderr)
		return "kernia: no command: run kernia --help for the commands", ExitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return "", ExitOK
	case "--version", "-version":
		args = append([]string{"version"}, args[1:]...)
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
		return fmt.Sprintf("kernia: unknown command %q: run kernia --help for the commands", args[0]), ExitUsage
	}
	fs := flag.NewFlagSet("kernia "+c.name, flag.ContinueOnError)
	// The flag package spells flags with one dash; Kernia's usage lines, flag lists and
	// errors spell them --flag everywhere, so parse errors and the flag list are printed here.
	fs.SetOutput(io.Discard)
	appFlag, appUsage := new(string), ""
	if !c.standalone {
		fs.StringVar(appFlag, "app", "", "auth instance as <package>:<Var> (default $KERNIA_APP, else "+loader.DefaultApp+")")
		appUsage = " [--app PKG:VAR]"
	}
	runCmd := c.flags(fs)
	help := func(w io.Writer) {
		fmt.Fprintf(w, "%s\n\nUsage: %s%s\n\nFlags:\n", c.summary, c.usage, appUsage)
		printFlags(w, fs)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			help(stderr)
			return "", ExitOK
		}
		msg := fmt.Sprintf("kernia %s: %s", c.name, doubleDash(err.Error()))
		fmt.Fprintf(stderr, "%s\n\n", msg)
		help(stderr)
		return msg, ExitUsage
	}
	if fs.NArg() > 0 {
		return fail(ExitUsage, "kernia %s: unexpected argument %q", c.name, fs.Arg(0))
	}
	// Every command but init, secret and version runs from the module root (the nearest go.mod), so
	// --app, ent/, the migration directories, .env and relative sqlite:// paths mean the same
	// from any directory of the module; the loader program inherits it. init resolves the
	// module of --dir itself.
	if !c.standalone {
		if root, ok := workdir.ModuleRoot("."); ok {
			if err := os.Chdir(root); err != nil {
				return fail(ExitFailure, "kernia: change to the module root %s: %v", root, err)
			}
		}
	}
	// The module's .env feeds the environment tier of the configuration; the loader program
	// inherits the result. version needs none of it (and works beside a broken .env).
	if c.name != "version" {
		if _, err := dotenv.Load("."); err != nil {
			return fail(ExitFailure, "kernia: %v", err)
		}
	}
	out.Add(redactable(auth), args) // the secrets .env brought
	ctx, stop := interrupt.Context()
	defer stop()
	if auth == nil && !c.standalone {
		spec := cmp.Or(*appFlag, os.Getenv(kernia.EnvApp), loader.DefaultApp)
		from := loader.FromFlag
		if *appFlag != "" && os.Getenv(loader.EnvMageTarget) == "1" {
			from = "app.Load in the magefile" // the Mage targets pass app.Load's name as --app
		}
		a, err := loader.ParseApp(spec, from)
		if err != nil {
			return fail(ExitUsage, "kernia: %v", err)
		}
		// The PostgreSQL diff's replay of the directory needs no configuration: when the
		// loader program has to be built (the auth package changed), generate starts it
		// beside the build (internal/diff's early.go).
		var early *diff.Early
		defer func() { early.Close() }()
		building := func() {
			if c.name == "generate" {
				early = diff.StartEarly(ctx, os.Getenv(kernia.EnvDevURL), filepath.Join(kernia.DefaultMigrationsDir, kernia.Postgres))
			}
		}
		loaded, code, err := loader.Load(ctx, a, args, stdout, stderr, !c.noPlan, building)
		if err != nil {
			return fail(cmp.Or(interrupt.ExitCode(ctx), ExitFailure), "%v", err)
		}
		if loaded == nil {
			return "", code
		}
		auth = loaded
		out.Add(redactable(auth), args) // the secrets of the instance's options
		if early != nil {
			ctx = diff.WithEarly(ctx, early)
		}
	}
	err := redact.Recover(func() error { return runCmd(ctx, auth, command.IO{Stdout: stdout, Stderr: stderr}) })
	if err != nil {
		// An error of the options says "kernia: Options.…" itself: one prefix, not two.
		return fail(command.ExitStatus(ctx, err), "kernia: %s", strings.TrimPrefix(out.All.String(err.Error()), "kernia: "))
	}
	return "", ExitOK
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("kernia: schema, migrations and operations for Kernia auth.\n\nUsage: kernia <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun kernia <command> --help for its flags, kernia --version for the version. Every command\nbut init, secret and version takes --app <package>:<Var> and runs from the module root (the\nnearest go.mod), whatever directory of the module it is started in. Commands read .env from\nthe module root without overriding the environment.\n")
	fmt.Fprint(w, b.String())
}

// printFlags lists the flags of fs as --name VALUE, each with its usage and default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(use, "\n", "\n    \t"))
		switch f.DefValue {
		case "", "false", "0", "0s":
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// dashRE finds a flag name the flag package spelled with one dash in its errors.
var dashRE = regexp.MustCompile(`(: |flag |for )-([A-Za-z])`)

// doubleDash respells the flag package's -flag as --flag in a parse error.
func doubleDash(msg string) string { return dashRE.ReplaceAllString(msg, "$1--$2") }

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

// lastLineWriter remembers the last non-empty line written through it (at most 4 KiB of it),
// the message of a loader program that failed before its command ran. It is safe for
// concurrent use: progress lines come from a timer.
type lastLineWriter struct {
	mu   sync.Mutex
	w    io.Writer
	line []byte // the line being written
	prev string // the last complete non-empty line
}

func (l *lastLineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range p {
		if b == '\n' {
			if t := strings.TrimSpace(string(l.line)); t != "" {
				l.prev = t
			}
			l.line = l.line[:0]
			continue
		}
		if len(l.line) < 4<<10 {
			l.line = append(l.line, b)
		}
	}
	return l.w.Write(p)
}

func (l *lastLineWriter) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := strings.TrimSpace(string(l.line)); t != "" {
		return t
	}
	return l.prev
}

// wantsJSON reports whether args ask for --json output: the flag anywhere before a "--".
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true", "--json=1", "-json=1":
			return true
		}
	}
	return false
}
