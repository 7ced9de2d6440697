// Package launch is the kernia launcher (cmd/kernia): it finds or builds the kernia engine
// (cmd/kernia/internal/engine, the whole command: Ent's codegen, Atlas, the database
// drivers) of the user's module and execs it.
//
// # Why
//
// go tool kernia checks, on every run, that the tool binary is up to date: it hashes the
// sources of every package the tool links. For the whole pipeline (about 170 packages) that
// check costs more than the rest of a no-op generate (issue 13). The launcher links only the
// standard library and a few small packages, so that check is as cheap as it gets; the engine
// is built once per build key and then run with no go command at all.
//
// # How
//
// The engine is built with go build in the user's module (so at the module's exact dependency
// versions, as go tool kernia built the whole command before), with -ldflags=-s -w and
// -buildvcs=false as the loader program is, into kernia's cache (internal/buildcache,
// <user cache dir>/kernia/engine), under the build key of internal/buildcache: the go command,
// its environment, go.mod (without its module line: the engine imports nothing of the main
// module and never reads its path, so throwaway modules with the same requirements share one
// engine) and go.sum, and every file of Kernia's packages the engine imports when Kernia is a
// local replacement (or the main module itself). A binary whose key and SHA-256 match is
// exec'd (syscall.Exec on unix: the process, its arguments, environment, standard streams,
// file descriptor 3 of the Mage targets, signals and exit status are the engine's own);
// else it is built, under the binary's build lock (two first runs build once), into a
// temporary file renamed into place. With no key (a workspace, a vendor directory, …: see
// internal/buildcache), go build runs every time and decides, as go tool did.
//
// # Two engines
//
// migrate and status (MigratorCommands) run in the migration engine
// (cmd/kernia/internal/migrator), built, keyed, cached (in <user cache dir>/kernia/migrator)
// and exec'd the same way: the same command line for those commands (internal/cmdline), without
// Ent's code generator, Atlas's planner and the report, whose packages cost the engine most of
// its start (a release pipeline's migrate, often a no-op, pays that start on every deploy).
// Every other command line runs in the engine.
package launch

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kernia/kernia/internal/buildcache"
	"github.com/kernia/kernia/internal/interrupt"
	"github.com/kernia/kernia/internal/workdir"
)

// EnginePackage is the engine's main package, built in the user's module.
const EnginePackage = "github.com/kernia/kernia/cmd/kernia/internal/engine"

// MigratorPackage is the migration engine's main package, built in the user's module as the
// engine is: the commands that only apply and inspect migrations (MigratorCommands), with the
// engine's own definitions, but none of Ent's code generator, Atlas's planner or the report,
// whose packages the engine spends most of its start initialising (a migrate no-op is a few
// tens of milliseconds, of which the engine's start was a fifth).
const MigratorPackage = "github.com/kernia/kernia/cmd/kernia/internal/migrator"

// MigratorCommands are the commands the launcher runs in the migration engine (the names of
// internal/cmdline's Lean); every other command line goes to the engine.
var MigratorCommands = []string{"migrate", "status"}

// engineKind is one of the two engines: its main package, its pool's directory in kernia's
// cache, and what messages call it.
type engineKind struct{ pkg, dir, what string }

var (
	fullEngine     = engineKind{EnginePackage, "engine", "the kernia engine"}
	migratorEngine = engineKind{MigratorPackage, "migrator", "the kernia migration engine"}
)

// kindFor returns the engine that runs the command line args.
func kindFor(args []string) engineKind {
	if len(args) > 0 && slices.Contains(MigratorCommands, args[0]) {
		return migratorEngine
	}
	return fullEngine
}

// ToolPackage is the kernia tool (the launcher) that go.mod's tool directive names.
const ToolPackage = "github.com/kernia/kernia/cmd/kernia"

// DebugEnv, set to 1, makes the launcher say on stderr how it got the engine: "cached",
// "built" or "no key (why)". Tests use it.
const DebugEnv = "KERNIA_LAUNCH_DEBUG"

// Bounds of the engine cache: an engine is 30 to 40 MB.
const (
	// CacheKeep is the number of most recently used engines kept at most.
	CacheKeep = 4
	// CacheMaxAge is how long an engine is kept after its last use.
	CacheMaxAge = 14 * 24 * time.Hour
)

// engineName matches the engine binaries of the cache, engineTemp the temporary files of their
// builds.
var (
	engineName = regexp.MustCompile(`^engine-[0-9a-f]{16}$`)
	engineTemp = regexp.MustCompile(`^engine-[0-9a-f]{16}\.build[0-9]+$`)
)

// Engine is an engine binary ready to run.
type Engine struct {
	// Path is the binary.
	Path string
	// How says how it was got: "cached", "built" (with why no key was recorded, if so), or
	// "no key (…)".
	How string
	// release lets the cache collect the binary again.
	release func()
	kind    engineKind
}

// Release lets the cache collect the binary: call it once the engine has exited (or has
// replaced this process).
func (e *Engine) Release() {
	if e.release != nil {
		e.release()
	}
}

// Find returns the engine that runs the command line args in the module at root (module path
// modPath): the migration engine (MigratorPackage) for the MigratorCommands, else the engine,
// building it when its build key does not match (or it has none). Build progress and errors go
// to stderr, nothing to stdout. Errors say what failed and how to fix it.
func Find(ctx context.Context, root, modPath string, args []string, stderr io.Writer) (*Engine, error) {
	return find(ctx, kindFor(args), root, modPath, stderr)
}

func find(ctx context.Context, kind engineKind, root, modPath string, stderr io.Writer) (*Engine, error) {
	start := time.Now()
	spec := buildcache.Spec{
		Root: root, ModPath: modPath, Start: []string{kind.pkg}, OmitModuleLine: true,
		Extra: []byte("engine\x00" + kind.pkg + "\x00" + strings.Join(buildcache.Flags, "\x00")),
	}
	key, keyErr := buildcache.Key(spec)
	dir, err := buildcache.Dir(kind.dir)
	if err != nil {
		return nil, err
	}
	name := key
	if keyErr != nil {
		// No key: one binary per module, that go build brings up to date on every run.
		sum := sha256.Sum256([]byte("no key\x00" + root))
		name = hex.EncodeToString(sum[:])
	}
	bin := filepath.Join(dir, "engine-"+name[:16])
	pool := buildcache.Pool{Dir: dir, Name: engineName, Temp: engineTemp, MarkKey: true, Keep: CacheKeep, MaxAge: CacheMaxAge}
	release, err := pool.Use(bin, time.Now())
	if err != nil {
		return nil, err
	}
	e := &Engine{Path: bin, release: release, kind: kind}
	if err := e.build(ctx, spec, key, keyErr, stderr); err != nil {
		release()
		return nil, err
	}
	if os.Getenv(DebugEnv) == "1" {
		fmt.Fprintf(stderr, "kernia: launch: %s engine %s (in %s)\n", e.How, e.Path, time.Since(start).Round(10*time.Microsecond))
	}
	return e, nil
}

// build brings e's binary up to date: nothing when its key matches, else a go build under the
// binary's build lock into a temporary file renamed into place.
func (e *Engine) build(ctx context.Context, spec buildcache.Spec, key string, keyErr error, stderr io.Writer) error {
	unlock, lockErr := buildcache.Lock(ctx, e.Path)
	if ctx.Err() != nil {
		return interrupted(ctx, e.kind)
	}
	if lockErr == nil {
		defer unlock()
	} else if keyErr == nil {
		key, keyErr = "", lockErr // no lock: the go command decides
	}
	if keyErr == nil && buildcache.Matches(e.Path, key) {
		e.How = "cached"
		return nil
	}
	e.How = "built"
	if keyErr != nil {
		var nk *buildcache.NoKeyError
		why := keyErr.Error()
		if errors.As(keyErr, &nk) {
			why = nk.Why
		}
		e.How = "no key (" + why + ")"
	}
	tmp, err := os.CreateTemp(filepath.Dir(e.Path), filepath.Base(e.Path)+".build*")
	if err != nil {
		return fmt.Errorf("kernia: create %s's binary in %s: %w", e.kind.what, filepath.Dir(e.Path), err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if keyErr != nil {
		// go build leaves an up-to-date binary as it is: start from the current one, so that a
		// run with no key relinks only when something changed.
		if err := copyFile(e.Path, tmp.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("kernia: copy %s %s: %w", e.kind.what, e.Path, err)
		}
	}
	if err := goBuild(ctx, e.kind, spec.Root, tmp.Name(), stderr); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), e.Path); err != nil {
		return fmt.Errorf("kernia: install %s %s: %w", e.kind.what, e.Path, err)
	}
	// A file edited during the build may or may not be in the binary: record the key only when
	// the inputs are still those it was computed from.
	if keyErr == nil {
		if after, err := buildcache.Key(spec); err == nil && after == key {
			buildcache.Store(e.Path, key)
		} else {
			e.How = "built (its inputs changed during the build: no key recorded)"
		}
	}
	return nil
}

// goBuild builds the engine kind into out with go build in the module at root.
func goBuild(ctx context.Context, kind engineKind, root, out string, stderr io.Writer) error {
	// Cached by the go command, the build is a link of a few seconds; the first one in a module
	// (or after a Kernia, dependency or Go upgrade) compiles too: say so while it runs.
	output, err := buildcache.GoBuild(ctx, root, out, kind.pkg, "building "+kind.what+" (go build "+kind.pkg+")", nil, stderr)
	if ctx.Err() != nil {
		return interrupted(ctx, kind)
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("kernia: the go command is not in PATH (%v): kernia builds its engine with it in your module; install Go (https://go.dev/dl) or add its bin directory to PATH", err)
	}
	text := strings.TrimSpace(output)
	hint := ""
	switch {
	case strings.Contains(text, "no required module provides package github.com/kernia/kernia"),
		strings.Contains(text, "cannot find module providing package github.com/kernia/kernia"):
		hint = "\nThe module does not require Kernia: run go get -tool " + ToolPackage
	case strings.Contains(text, kind.pkg) && (strings.Contains(text, "is not in std") ||
		strings.Contains(text, "does not contain package") || strings.Contains(text, "no Go files")):
		hint = "\nThe module requires a Kernia version without the engine package: run it with go tool kernia, which runs the module's own version, or upgrade with go get -tool " + ToolPackage + "@latest"
	}
	return fmt.Errorf("kernia: building %s in %s (go build %s) failed: %v\n%s%s", kind.what, root, kind.pkg, err, text, hint)
}

// copyFile copies the regular file src to dst (which exists), keeping src's mode.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, st.Mode().Perm())
	}
	return err
}

// interrupted is the error of a run interrupted while it got the engine kind.
func interrupted(ctx context.Context, kind engineKind) error {
	return fmt.Errorf("kernia: interrupted (%v) while building %s; nothing was written", context.Cause(ctx), kind.what)
}

// Main is the launcher's main (cmd/kernia): it finds or builds the engine of the module
// containing the working directory and runs it with args (the command line but the program
// name), returning the exit status when the engine could not replace this process.
func Main(args []string) int {
	root, modPath, err := workdir.Module(".")
	if err != nil {
		if errors.Is(err, workdir.ErrNoModule) {
			err = fmt.Errorf("%w, then go get -tool %s, and run go tool kernia there: the kernia command runs with your module's own dependency versions", err, ToolPackage)
		}
		fmt.Fprintf(os.Stderr, "kernia: %v\n", err)
		return 1
	}
	ctx, stop := interrupt.Context()
	e, err := Find(ctx, root, modPath, args, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return cmp.Or(interrupt.ExitCode(ctx), 1)
	}
	return run(e, args)
}
