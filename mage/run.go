package mage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/magefile/mage/mg"
	"golang.org/x/mod/modfile"

	"github.com/kernia/kernia/internal/launch"
	"github.com/kernia/kernia/internal/redact"
	"github.com/kernia/kernia/internal/workdir"
	"github.com/kernia/kernia/mage/internal/handoff"
)

// arg is one flag of a target as the kernia command spells it: --name=value, or nothing when
// the Mage flag was not given (the command's default then applies, as on the command line).
type arg struct {
	name, value string
	set         bool
}

func str(name string, v *string) arg { return argOf(name, v, func(s string) string { return s }) }

func boolean(name string, v *bool) arg { return argOf(name, v, strconv.FormatBool) }

func duration(name string, v *time.Duration) arg {
	return argOf(name, v, func(d time.Duration) string { return d.String() })
}

func argOf[T any](name string, v *T, format func(T) string) arg {
	if v == nil {
		return arg{name: name}
	}
	return arg{name: name, value: format(*v), set: true}
}

// commandLine returns the kernia command line of the command name with flags.
func commandLine(name string, flags []arg) []string {
	args := []string{name}
	for _, f := range flags {
		if f.set {
			args = append(args, "--"+f.name+"="+f.value)
		}
	}
	return args
}

// run runs the kernia command name with flags in the kernia tool of the module, and maps its
// exit status to Mage's. The tool loads the instance of a command that needs one (all but init
// and secret) as go tool kernia does, or gets the one a magefile handed to app.Use (runTool).
// The tool prints the command's output, its errors and, under -json, the JSON error object
// itself; a failure in this process (both app.Use and app.Load, no kernia tool, a panic, an
// interrupt before the tool ran) is reported here the same way, through the same redaction by
// value (internal/redact). json is the -json flag.
func run(ctx context.Context, name string, needInstance bool, json *bool, flags ...arg) error {
	ctx, stop := sigintCause(ctx)
	defer stop()
	out := redact.NewOutputs(name, nil, os.Args[1:], os.Stdout, os.Stderr)
	defer out.Flush()
	code := 0
	err := redact.Recover(func() error {
		var err error
		code, err = start(ctx, name, needInstance, commandLine(name, flags), out)
		return err
	})
	if err != nil {
		code := exitCode(err)
		msg := out.All.String(err.Error())
		if json != nil && *json {
			_ = writeErrorObject(out.Stdout, strings.TrimPrefix(msg, "kernia: "), code)
		}
		return mg.Fatal(code, errors.New(msg))
	}
	if code != 0 {
		// The tool has said why: exit with its status, without the "Error: …" line Mage
		// prints for a returned error, which would only repeat that the tool failed.
		out.Flush()
		stop()
		exitProcess(code)
	}
	return nil
}

// The kernia tool's names this package spells itself, so that a magefile links neither the
// loader nor the configuration's encoder (TestToolNames holds them to the originals):
// envMageTarget is loader.EnvMageTarget, mageArg spec.MageArg.
const (
	envMageTarget = "KERNIA_MAGE_TARGET"
	mageArg       = "--config-from-mage"
)

// exitProcess ends the Mage process with the tool's exit status; tests replace it.
var exitProcess = os.Exit

// start is runTool; tests replace it to see the command lines the targets build.
var start = runTool

// runTool runs args in the kernia tool of the module and returns the tool's exit status. A
// command that needs the instance gets it the way the magefile chose (mage/app, through
// handoff): by default, or with app.Load's name as --app, the tool loads it itself, as go tool
// kernia does (so the magefile links nothing of the auth package, nor of Kernia's options); an
// instance handed to app.Use is resolved here and handed over through a pipe.
func runTool(ctx context.Context, name string, needInstance bool, args []string, out *redact.Outputs) (int, error) {
	var config []byte
	if needInstance {
		app, encode, err := handoff.Get()
		if err != nil {
			return 0, err
		}
		switch {
		case encode != nil:
			if config, err = encode(out); err != nil {
				return 0, err
			}
		case app != "":
			args = append([]string{args[0], "--app=" + app}, args[1:]...)
		}
	}
	bin, release, err := enginePath(ctx, name)
	if err != nil {
		return 0, err
	}
	defer release()
	if ctx.Err() != nil {
		return 0, fmt.Errorf("kernia: %s: interrupted (%w) before the kernia tool started; nothing was written", name, context.Cause(ctx))
	}
	return runBinary(ctx, name, bin, config, args)
}

// enginePath returns the kernia engine of the module that runs the command name (internal/launch:
// what go tool kernia runs, the migration engine for migrate and status, built with go build
// at the module's dependency versions once per build key, and then run with no go command at
// all) and the release to call once it has exited. A module without
// the tool directive gets the line that adds it: go.mod's tool directive is what pins the
// kernia tool with the application's dependencies (and keeps the sums of the packages it needs
// in go.sum).
func enginePath(ctx context.Context, name string) (string, func(), error) {
	root, modPath, err := workdir.Module(".")
	if err != nil {
		return "", nil, fmt.Errorf("kernia: %w", err)
	}
	gomod := filepath.Join(root, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", nil, fmt.Errorf("kernia: read %s: %w", gomod, err)
	}
	mf, err := modfile.Parse(gomod, b, nil)
	if err != nil {
		return "", nil, fmt.Errorf("kernia: %w", err)
	}
	if !slices.ContainsFunc(mf.Tool, func(t *modfile.Tool) bool { return t.Path == launch.ToolPackage }) {
		return "", nil, fmt.Errorf("kernia: the Mage targets run the kernia tool of the module, and go.mod has no tool directive for it: run go get -tool %s", launch.ToolPackage)
	}
	e, err := launch.Find(ctx, root, modPath, []string{name}, os.Stderr)
	if ctx.Err() != nil {
		if e != nil {
			e.Release()
		}
		return "", nil, fmt.Errorf("kernia: %s: interrupted (%w) while building the kernia engine; nothing was written", name, context.Cause(ctx))
	}
	if err != nil {
		return "", nil, err
	}
	return e.Path, e.Release, nil
}

// runBinary runs the kernia tool bin with args, its standard streams Mage's own (so that it
// sees the terminal, as go tool kernia does), and for a command that needs the instance the
// configuration in a pipe it reads as file descriptor 3 (standard input on Windows). The tool
// is in Mage's process group, so a terminal's Ctrl-C reaches it directly; when Mage cancels
// the target (it got SIGINT) the tool gets SIGINT too, and ignores the second one while it
// cleans up. It returns the tool's exit status.
func runBinary(ctx context.Context, name, bin string, config []byte, args []string) (int, error) {
	if config != nil {
		args = append([]string{mageArg}, args...)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envMageTarget+"=1") // its errors name app.Load, not --app
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	// No WaitDelay: the tool's clean-up (a rollback, an unlock) is bounded in time by the tool.
	var w *os.File
	if config != nil && runtime.GOOS == "windows" {
		cmd.Stdin = bytes.NewReader(config)
	} else if config != nil {
		r, pw, err := os.Pipe()
		if err != nil {
			return 0, fmt.Errorf("kernia: run the kernia tool: %w", err)
		}
		defer r.Close()
		w = pw
		cmd.ExtraFiles = []*os.File{r}
	}
	if err := cmd.Start(); err != nil {
		if w != nil {
			w.Close()
		}
		return 0, fmt.Errorf("kernia: run the kernia tool %s: %w", bin, err)
	}
	written := make(chan struct{})
	if w != nil {
		// The configuration may be larger than the pipe's buffer: write it while the tool reads.
		go func() {
			defer close(written)
			_, _ = w.Write(config)
			w.Close()
		}()
	} else {
		close(written)
	}
	err := cmd.Wait()
	if w != nil {
		w.Close() // a tool that ended without reading all of it unblocks the writer
	}
	<-written
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			sig := ws.Signal()
			if sig == syscall.SIGINT || sig == syscall.SIGTERM {
				// The signal came while the tool was starting, before it could handle one.
				return 0, &exitError{code: 128 + int(sig), msg: fmt.Sprintf("kernia: %s: interrupted (received %s) while the kernia tool was starting; nothing was written", name, signalName(sig))}
			}
			return 0, &exitError{code: 128 + int(sig), msg: fmt.Sprintf("kernia: %s: the kernia tool was killed (%v)", name, sig)}
		}
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("kernia: run the kernia tool %s: %w", bin, err)
	}
	return 0, nil
}

func signalName(sig syscall.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// writeErrorObject prints the --json object of a failure, {"error": {"message", "exit_code"}},
// as the kernia command does (command.ErrorObject, which this package does not link).
func writeErrorObject(w io.Writer, message string, code int) error {
	var v struct {
		Error struct {
			Message  string `json:"message"`
			ExitCode int    `json:"exit_code"`
		} `json:"error"`
	}
	v.Error.Message, v.Error.ExitCode = message, code
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
