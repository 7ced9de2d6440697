// Package cmdline is the kernia command line for a table of commands: it parses a command and
// its flags, loads the auth instance the command runs against (internal/loader, or the
// configuration a Mage target hands over), and runs the command with its output redacted, its
// exit status and its --json error object. Package cli (the whole command: init, generate,
// migrate, adopt, hash, status, secret, version, info, check) and the migration engine
// (cmd/kernia/internal/migrator: Lean, the commands that only apply and inspect migrations)
// both run their table through it; this package links none of Ent's code generator, Atlas's
// planner or the report, so that the migration engine starts fast.
package cmdline

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/dotenv"
	"github.com/kernia/kernia/internal/interrupt"
	"github.com/kernia/kernia/internal/loader"
	"github.com/kernia/kernia/internal/redact"
	"github.com/kernia/kernia/internal/spec"
	"github.com/kernia/kernia/internal/workdir"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Cmd is one command of a command line.
type Cmd struct {
	// Name, Summary and Usage are the command's name, its line in the command list and its
	// usage line.
	Name, Summary, Usage string
	// Standalone commands need no auth instance (init, secret): they run without the loader
	// and get a nil *kernia.Auth.
	Standalone bool
	// NoPlan commands never compose the schema (migrate, status): the loader program leaves
	// the resolved plan out of the instance's configuration.
	NoPlan bool
	// Building, when set, starts work that needs no configuration beside the loader
	// program's build, when the program has to be built (generate's early replay of the
	// PostgreSQL diff): it returns what to do to the command's context once the instance is
	// loaded, and what to do when the command has ended (either may be nil).
	Building func(ctx context.Context) (with func(context.Context) context.Context, done func())
	// Early, when set, starts the command's work that needs no instance with the parsed flags
	// fs, before the loader program runs (migrate's prefetch): it returns what to do to the
	// command's context once the instance is loaded, and what to do when the command has
	// ended (either may be nil).
	Early func(ctx context.Context, fs *flag.FlagSet) (with func(context.Context) context.Context, done func())
	// Flags defines the command's flags on fs and returns the command, run with their values.
	Flags func(fs *flag.FlagSet) func(ctx context.Context, a *kernia.Auth, io command.IO) error
}

// Lean are the commands the migration engine runs (internal/launch execs it for them): those
// that only apply and inspect migrations.
var Lean = []Cmd{Migrate, Status}

// Migrate is the migrate command.
var Migrate = Cmd{
	// With --url and --dir the instance changes neither: the directory is read and verified,
	// and a PostgreSQL history read, while the loader program runs (command.PrefetchMigrate).
	Early: func(ctx context.Context, fs *flag.FlagSet) (func(context.Context) context.Context, func()) {
		get := func(name string) any { return fs.Lookup(name).Value.(flag.Getter).Get() }
		return command.PrefetchMigrate(ctx, command.MigrateFlags{
			URL: get("url").(string), Dir: get("dir").(string), DryRun: get("dry-run").(bool),
			LockTimeout: get("lock-timeout").(time.Duration), Baseline: get("baseline").(string),
			AllowOutOfOrder: get("allow-out-of-order").(bool), ConnectTimeout: get("connect-timeout").(time.Duration),
			DDLLockTimeout: get("ddl-lock-timeout").(time.Duration),
		})
	},
	Name:    "migrate",
	Summary: "apply pending migrations, locked, checksummed, one transaction per file",
	NoPlan:  true,
	Usage:   "kernia migrate [--url URL] [--dir DIR] [--dry-run] [--lock-timeout 10s] [--baseline VERSION] [--allow-out-of-order] [--connect-timeout 10s] [--ddl-lock-timeout 5s] [--json]",
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f command.MigrateFlags
		TargetFlags(fs, &f.URL, &f.Dir, &f.ConnectTimeout)
		fs.BoolVar(&f.DryRun, "dry-run", false, "print the pending SQL, change nothing")
		fs.DurationVar(&f.LockTimeout, "lock-timeout", 10*time.Second, "how long to wait for another migrate to finish")
		fs.StringVar(&f.Baseline, "baseline", "", "record VERSION as applied on a database that predates Kernia, apply later files only")
		fs.BoolVar(&f.AllowOutOfOrder, "allow-out-of-order", false, "apply pending files older than the last applied one")
		fs.DurationVar(&f.DDLLockTimeout, "ddl-lock-timeout", 5*time.Second, "lock_timeout (PostgreSQL) or lock_wait_timeout and innodb_lock_wait_timeout (MySQL, whole seconds) of each migration statement; one that waits longer for a lock is retried (5 attempts), so logins never queue behind it")
		fs.BoolVar(&f.JSON, "json", false, "print the result as JSON on stdout")
		return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Migrate(ctx, a, f, io) }
	},
}

// TargetFlags defines the flags of a command that works on a database and its migration
// directory (migrate, status, adopt): --url, --dir and --connect-timeout.
func TargetFlags(fs *flag.FlagSet, url, dir *string, connectTimeout *time.Duration) {
	fs.StringVar(url, "url", "", "database URL (default: Options.DatabaseURL, $KERNIA_DATABASE_URL, sqlite://kernia.db)")
	fs.StringVar(dir, "dir", "", "migration directory (default ent/migrate/migrations/<dialect>)")
	fs.DurationVar(connectTimeout, "connect-timeout", 0, "how long to wait for the PostgreSQL server to accept a connection (default: the URL's connect_timeout, else 10s)")
}

// Hash is the hash command.
var Hash = Cmd{
	Name:    "hash",
	Summary: "rewrite atlas.sum after a deliberate manual edit of a migration directory",
	Usage:   "kernia hash [--dir DIR] [--json]",
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f command.HashFlags
		fs.StringVar(&f.Dir, "dir", "", "migration directory (default: every dialect's directory)")
		fs.BoolVar(&f.JSON, "json", false, "print {\"written\": [...]} on stdout")
		return func(_ context.Context, a *kernia.Auth, io command.IO) error { return command.Hash(a, f, io) }
	},
}

// Status is the status command.
var Status = Cmd{
	Name:    "status",
	Summary: "show applied and pending migrations and the last failure",
	NoPlan:  true,
	Usage:   "kernia status [--url URL] [--dir DIR] [--connect-timeout 10s] [--json]",
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f command.StatusFlags
		TargetFlags(fs, &f.URL, &f.Dir, &f.ConnectTimeout)
		fs.BoolVar(&f.JSON, "json", false, "print the report as JSON on stdout")
		return func(ctx context.Context, a *kernia.Auth, io command.IO) error { return command.Status(ctx, a, f, io) }
	},
}

// Secret is the secret command.
var Secret = Cmd{
	Name:       "secret",
	Summary:    "print a fresh KERNIA_SECRET, or with --rotate a new KERNIA_SECRETS key ring",
	Usage:      "kernia secret [--rotate] [--json]",
	Standalone: true,
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f command.SecretFlags
		fs.BoolVar(&f.Rotate, "rotate", false, "print KERNIA_SECRETS=<new>,<current keys...> from $KERNIA_SECRETS or $KERNIA_SECRET")
		fs.BoolVar(&f.JSON, "json", false, "print {\"name\": ..., \"value\": ...} on stdout")
		return func(_ context.Context, _ *kernia.Auth, io command.IO) error { return command.Secret(f, io) }
	},
}

// Version is the version command.
var Version = Cmd{
	Name:       "version",
	Summary:    "print Kernia's version, the Go version that built it and the module path",
	Usage:      "kernia version [--json]",
	Standalone: true,
	Flags: func(fs *flag.FlagSet) func(context.Context, *kernia.Auth, command.IO) error {
		var f command.VersionFlags
		fs.BoolVar(&f.JSON, "json", false, "print {\"version\", \"go_version\", \"module_path\"} on stdout")
		return func(_ context.Context, _ *kernia.Auth, io command.IO) error { return command.Version(f, io) }
	},
}

// Main runs the command line of the commands cmds without an instance: it loads the one named
// by --app. Started by the Mage targets (package github.com/kernia/kernia/mage), with the
// first argument they pass, it takes the configuration of the magefile's instance from them
// instead (see fromMage).
func Main(cmds []Cmd, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == spec.MageArg {
		return fromMage(cmds, args[1:], stdout, stderr)
	}
	return run(cmds, nil, "", args, stdout, stderr)
}

// RunWith runs the command line of the commands cmds against auth, which the loader program got from the
// variable named by app ("<import path>:<Var>").
func RunWith(cmds []Cmd, auth *kernia.Auth, app string, args []string, stdout, stderr io.Writer) int {
	if auth == nil {
		fmt.Fprintf(stderr, "kernia: the auth instance %s is nil: set it with kernia.New(kernia.Options{...})\n", app)
		return ExitFailure
	}
	return run(cmds, auth, app, args, stdout, stderr)
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
func run(cmds []Cmd, auth *kernia.Auth, app string, args []string, stdout, stderr io.Writer) int {
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	out := redact.NewOutputs(name, redactable(auth), args, stdout, stderr)
	defer out.Flush()
	return runCommand(cmds, auth, args, out)
}

// runCommand runs args and returns the exit status. Under --json, a failure that printed
// nothing on stdout (bad usage, a loader that could not be built, an interrupt before the
// command had a result) prints the JSON error object there: stdout never stays empty.
func runCommand(cmds []Cmd, auth *kernia.Auth, args []string, out *redact.Outputs) int {
	stdout := &countingWriter{w: out.Stdout}
	stderr := &lastLineWriter{w: out.Stderr}
	msg, code := runArgs(cmds, auth, args, out, stdout, stderr)
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
func runArgs(cmds []Cmd, auth *kernia.Auth, args []string, out *redact.Outputs, stdout, stderr io.Writer) (string, int) {
	fail := func(code int, format string, a ...any) (string, int) {
		msg := fmt.Sprintf(format, a...)
		fmt.Fprintln(stderr, msg)
		return msg, code
	}
	if len(args) == 0 {
		usage(cmds, stderr)
		return "kernia: no command: run kernia --help for the commands", ExitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(cmds, stdout)
		return "", ExitOK
	case "--version", "-version":
		args = append([]string{"version"}, args[1:]...)
	}
	var c *Cmd
	for i := range cmds {
		if cmds[i].Name == args[0] {
			c = &cmds[i]
		}
	}
	if c == nil {
		fmt.Fprintf(stderr, "kernia: unknown command %q\n\n", args[0])
		usage(cmds, stderr)
		return fmt.Sprintf("kernia: unknown command %q: run kernia --help for the commands", args[0]), ExitUsage
	}
	fs := flag.NewFlagSet("kernia "+c.Name, flag.ContinueOnError)
	// The flag package spells flags with one dash; Kernia's usage lines, flag lists and
	// errors spell them --flag everywhere, so parse errors and the flag list are printed here.
	fs.SetOutput(io.Discard)
	appFlag, appUsage := new(string), ""
	if !c.Standalone {
		fs.StringVar(appFlag, "app", "", "auth instance as <package>:<Var> (default $KERNIA_APP, else "+loader.DefaultApp+")")
		appUsage = " [--app PKG:VAR]"
	}
	runCmd := c.Flags(fs)
	help := func(w io.Writer) {
		fmt.Fprintf(w, "%s\n\nUsage: %s%s\n\nFlags:\n", c.Summary, c.Usage, appUsage)
		printFlags(w, fs)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			help(stderr)
			return "", ExitOK
		}
		msg := fmt.Sprintf("kernia %s: %s", c.Name, doubleDash(err.Error()))
		fmt.Fprintf(stderr, "%s\n\n", msg)
		help(stderr)
		return msg, ExitUsage
	}
	if fs.NArg() > 0 {
		return fail(ExitUsage, "kernia %s: unexpected argument %q", c.Name, fs.Arg(0))
	}
	// Every command but init, secret and version runs from the module root (the nearest go.mod), so
	// --app, ent/, the migration directories, .env and relative sqlite:// paths mean the same
	// from any directory of the module; the loader program inherits it. init resolves the
	// module of --dir itself.
	if !c.Standalone {
		if root, ok := workdir.ModuleRoot("."); ok {
			if err := os.Chdir(root); err != nil {
				return fail(ExitFailure, "kernia: change to the module root %s: %v", root, err)
			}
		}
	}
	// The module's .env feeds the environment tier of the configuration; the loader program
	// inherits the result. version needs none of it (and works beside a broken .env).
	if c.Name != "version" {
		if _, err := dotenv.Load("."); err != nil {
			return fail(ExitFailure, "kernia: %v", err)
		}
	}
	out.Add(redactable(auth), args) // the secrets .env brought
	ctx, stop := interrupt.Context()
	defer stop()
	if auth == nil && !c.Standalone {
		spec := cmp.Or(*appFlag, os.Getenv(kernia.EnvApp), loader.DefaultApp)
		from := loader.FromFlag
		if *appFlag != "" && os.Getenv(loader.EnvMageTarget) == "1" {
			from = "app.Load in the magefile" // the Mage targets pass app.Load's name as --app
		}
		a, err := loader.ParseApp(spec, from)
		if err != nil {
			return fail(ExitUsage, "kernia: %v", err)
		}
		// Work that needs no instance starts before the loader program runs (Cmd.Early), or
		// beside its build, when it has to be built (Cmd.Building).
		var withs []func(context.Context) context.Context
		var dones []func()
		defer func() {
			for _, done := range dones {
				done()
			}
		}()
		started := func(with func(context.Context) context.Context, done func()) {
			if with != nil {
				withs = append(withs, with)
			}
			if done != nil {
				dones = append(dones, done)
			}
		}
		if c.Early != nil {
			started(c.Early(ctx, fs))
		}
		var building func()
		if c.Building != nil {
			building = func() { started(c.Building(ctx)) }
		}
		loaded, code, err := loader.Load(ctx, a, args, stdout, stderr, !c.NoPlan, building)
		if err != nil {
			return fail(cmp.Or(interrupt.ExitCode(ctx), ExitFailure), "%v", err)
		}
		if loaded == nil {
			return "", code
		}
		auth = loaded
		out.Add(redactable(auth), args) // the secrets of the instance's options
		for _, with := range withs {
			ctx = with(ctx)
		}
	}
	err := redact.Recover(func() error { return runCmd(ctx, auth, command.IO{Stdout: stdout, Stderr: stderr}) })
	if err != nil {
		// An error of the options says "kernia: Options.…" itself: one prefix, not two.
		return fail(command.ExitStatus(ctx, err), "kernia: %s", strings.TrimPrefix(out.All.String(err.Error()), "kernia: "))
	}
	return "", ExitOK
}

func usage(cmds []Cmd, w io.Writer) {
	var b strings.Builder
	b.WriteString("kernia: schema, migrations and operations for Kernia auth.\n\nUsage: kernia <command> [flags]\n\nCommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-10s %s\n", c.Name, c.Summary)
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
