// Package loader finds the user's configured auth instance the way Ent's codegen finds a
// schema: it writes a small main package inside the user's module that imports the instance's
// package and hands its configuration over (package github.com/kernia/kernia/loader, through
// a pipe), builds it with the module's own dependency versions, runs it, and decodes the
// configuration (internal/spec) into the instance the command then runs against, in the
// kernia tool's own process. The program links only the instance's packages and the
// configuration's encoder, so an edit of the auth package costs a small link.
//
// The program lives in <module>/.kernia/loader (ignored by ./... patterns) and the binary in
// the user cache directory, keyed by module and instance, so the Go build cache makes repeated
// commands cheap.
package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	gomodule "golang.org/x/mod/module"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/buildcache"
	"github.com/kernia/kernia/internal/spec"
	"github.com/kernia/kernia/internal/workdir"
)

// DefaultApp is the instance used when neither --app nor $KERNIA_APP is set.
const DefaultApp = "./auth:Auth"

// Hint ends every load error of the kernia command; MageHint those of a Mage target (the
// engine runs with EnvMageTarget set), which has no --app flag.
const (
	Hint     = "A ./relative --app package is relative to the module root (where go.mod is), from whatever directory of the module kernia runs; pass --app <package>:<Var>, e.g. --app ./internal/auth:Auth or --app example.com/app/auth:Auth."
	MageHint = "The Mage targets load $KERNIA_APP, else ./auth:Auth, a ./relative package being relative to the module root (where go.mod is); to name another instance, add func init() { app.Load(\"<package>:<Var>\") } to the magefile (import \"github.com/kernia/kernia/mage/app\"), e.g. app.Load(\"./internal/auth:Auth\")."
)

// EnvMageTarget is set to 1 in the environment of the kernia engine a Mage target runs, so that
// load errors end with MageHint.
const EnvMageTarget = "KERNIA_MAGE_TARGET"

// hint is the hint that ends a load error: MageHint under a Mage target, else Hint.
func hint() string {
	if os.Getenv(EnvMageTarget) == "1" {
		return MageHint
	}
	return Hint
}

// App names an auth instance: a package and an exported package-level variable.
type App struct {
	// Package is an import path or a ./relative directory.
	Package string
	// Var is the variable name.
	Var string
}

// String returns the package:Var form.
func (a App) String() string { return a.Package + ":" + a.Var }

var identRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`)

// ErrBadApp marks an --app value that breaks the rules of ParseApp or resolves outside the
// module: a usage mistake (exit status 2).
var ErrBadApp = errors.New("bad --app value")

// badAppError is an ErrBadApp with its own message.
type badAppError struct{ msg string }

func (e *badAppError) Error() string        { return e.msg }
func (e *badAppError) Is(target error) bool { return target == ErrBadApp }

func badApp(format string, args ...any) error {
	return &badAppError{msg: fmt.Sprintf(format, args...)}
}

// appRule ends every error about the form of an --app value.
const appRule = "want <package>:<Var>, where <package> is a Go import path (golang.org/x/mod/module rules: ASCII letters, digits and - . _ ~ between single slashes) or a ./relative directory of the module, and <Var> an exported Go identifier, e.g. ./auth:Auth or example.com/app/auth:Auth"

// envApp is kernia.EnvApp (the loader does not import the root package).
const envApp = "KERNIA_APP"

// FromFlag names where the kernia command's instance name comes from, for ParseApp's errors.
const FromFlag = "--app or $" + envApp

// ParseApp parses "<package>:<Var>", the value of --app or $KERNIA_APP (or of app.Load in a
// magefile); from names where it came from in the errors, e.g. FromFlag. The package must be a
// Go import path valid by the rules of golang.org/x/mod/module, or a directory relative to the
// working directory (".", "./dir", "../dir") whose segments follow the same rules; Var must be
// an exported ASCII Go identifier. Nothing else is accepted, so the value can never change the
// meaning of the loader program it ends up in. Errors wrap ErrBadApp.
func ParseApp(s, from string) (App, error) {
	bad := func(format string, args ...any) (App, error) {
		return App{}, badApp("the auth instance %s (%s): %s; %s",
			strconv.Quote(s), from, fmt.Sprintf(format, args...), appRule)
	}
	i := strings.LastIndex(s, ":")
	if i <= 0 || i == len(s)-1 {
		return bad("no <package>:<Var> separator")
	}
	a := App{Package: s[:i], Var: s[i+1:]}
	if !validVar(a.Var) {
		return bad("%s is not an exported Go identifier", strconv.Quote(a.Var))
	}
	if err := checkPackage(a.Package); err != nil {
		return bad("package %s: %v", strconv.Quote(a.Package), err)
	}
	return a, nil
}

// validVar reports whether v is an exported, ASCII Go identifier.
func validVar(v string) bool {
	return identRE.MatchString(v) && token.IsIdentifier(v) && token.IsExported(v)
}

// isRelative reports whether pkg names a directory relative to the working directory.
func isRelative(pkg string) bool {
	return pkg == "." || pkg == ".." || strings.HasPrefix(pkg, "./") || strings.HasPrefix(pkg, "../")
}

// checkPackage checks the package part of an --app value: an import path by module's rules,
// or a relative directory whose segments (after any leading ".." segments) form one.
func checkPackage(pkg string) error {
	if !isRelative(pkg) {
		return gomodule.CheckImportPath(pkg)
	}
	// Check the raw text first, so that nothing path.Clean removes (a doubled or trailing
	// slash) can hide a byte from the check of the cleaned path below.
	for _, r := range pkg {
		if r != '/' && r != '.' && r != '-' && r != '_' && r != '~' &&
			(r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return fmt.Errorf("character %s is not allowed in a directory", strconv.QuoteRune(r))
		}
	}
	rest := path.Clean(pkg)
	for rest == ".." || strings.HasPrefix(rest, "../") {
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, ".."), "/")
	}
	if rest == "" || rest == "." {
		return nil
	}
	return gomodule.CheckImportPath(rest)
}

// Load builds the loader program for app in the module containing the working directory,
// runs it, and returns the instance it describes (internal/spec): the command then runs in
// this process. The program writes the configuration into a pipe (never a file: it holds the
// options' database URLs); what it prints goes to stdout and stderr. When the program fails
// (a nil instance, a panic in the instance's package), Load returns a nil instance and its exit
// status, its message on stderr. Errors describe why the instance could not be loaded. A
// package that resolves outside the module (ErrBadApp) is a usage mistake: Load reports it on
// stderr and returns exit status 2, having written and built nothing. building, when not
// nil, is called as the program's build starts, and not when the program built before is up
// to date: the caller can start work that only pays beside a build (the early replay of
// generate's PostgreSQL diff, internal/diff's early.go). Without plan, the program leaves the
// resolved plan out of the configuration (spec.EncodeWithoutPlan): for a command that never
// composes the schema.
func Load(ctx context.Context, app App, args []string, stdout, stderr io.Writer, plan bool, building func()) (*kernia.Auth, int, error) {
	root, modPath, err := module()
	if err != nil {
		return nil, 0, err
	}
	importPath, err := resolve(app.Package, root, modPath)
	var src []byte
	if err == nil {
		src, err = render(importPath, app.Var)
	}
	if errors.Is(err, ErrBadApp) {
		// A usage mistake: report it here (the caller maps errors to exit status 1).
		fmt.Fprintln(stderr, err)
		return nil, 2, nil
	}
	if err != nil {
		return nil, 0, err
	}
	dir, err := workdir.Ensure(root, "loader")
	if err != nil {
		return nil, 0, fmt.Errorf("kernia: the loader program's directory: %w", err)
	}
	if err := writeIfChanged(filepath.Join(dir, "main.go"), src); err != nil {
		return nil, 0, fmt.Errorf("kernia: write the loader program: %w", err)
	}
	bin, release, err := binaryPath(root, app)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	command := "kernia"
	if len(args) > 0 {
		command = args[0]
	}
	if err := buildProgram(ctx, root, modPath, bin, src, app, importPath, command, stderr, building); err != nil {
		return nil, 0, err
	}
	config, code, sig, err := runProgram(ctx, bin, plan, stdout, stderr)
	if err != nil {
		return nil, 0, err
	}
	if sig != 0 {
		// Ended by SIGINT or SIGTERM itself: the signal came while the program was starting,
		// before it could handle one, so it had done nothing.
		fmt.Fprintf(stderr, "kernia: %s: interrupted (received %s) while the loader program was starting; nothing was written\n", command, signalName(sig))
		return nil, 128 + int(sig), nil
	}
	if code != 0 {
		return nil, code, nil
	}
	if ctx.Err() != nil {
		// Interrupted as the program ended: nothing has run yet.
		return nil, 0, fmt.Errorf("%s: interrupted (%v) while the loader program was starting; nothing was written", command, context.Cause(ctx))
	}
	auth, err := spec.Decode(config, importPath+":"+app.Var)
	if err != nil {
		return nil, 0, fmt.Errorf("kernia: cannot load the auth instance %s: the loader program's configuration: %w (a bug in Kernia: please report it)", app, err)
	}
	return auth, 0, nil
}

// buildKey is the build key (internal/buildcache) of the loader program src in the module at
// root (module path modPath): the program's source, and the packages of the main module and of
// local replacements that it imports.
func buildKey(root, modPath string, src []byte) (string, error) {
	return buildcache.Key(buildcache.Spec{
		Root: root, ModPath: modPath, Extra: slices.Concat([]byte("loader\x00"), src),
		Start: []string{filepath.Join(root, ".kernia", "loader")},
	})
}

// buildProgram builds the loader program src into bin, unless the build key (buildKey)
// recorded beside bin says that nothing it is built from has changed since bin was built.
func buildProgram(ctx context.Context, root, modPath, bin string, src []byte, app App, importPath, command string, stderr io.Writer, building func()) error {
	interrupted := func() error {
		return fmt.Errorf("%s: interrupted (%v) while building the loader program; nothing was written", command, context.Cause(ctx))
	}
	key, err := buildKey(root, modPath, src)
	if err == nil {
		var unlock func()
		if unlock, err = buildcache.Lock(ctx, bin); err == nil {
			defer unlock()
		}
	}
	if ctx.Err() != nil {
		return interrupted()
	}
	if err != nil {
		key = "" // the go command decides
	}
	if key != "" && buildcache.Matches(bin, key) {
		return nil
	}
	if building != nil {
		building()
	}
	// Cached, the build takes a fraction of a second and says nothing; the first one in a
	// module (or after a Kernia or dependency upgrade) can take a minute: say so while it runs.
	// Nothing of the user's module is written until the program runs.
	step := "building the loader program for " + app.String() + " (go build ./.kernia/loader)"
	env, cgoOff := BuildEnv()
	out, berr := buildcache.GoBuild(ctx, root, bin, "./.kernia/loader", step, env, stderr)
	if berr != nil && cgoOff && ctx.Err() == nil {
		// Perhaps a package of the configuration needs C: build as the go command does by
		// default, and judge that build.
		env = slices.DeleteFunc(env, func(v string) bool { return strings.HasPrefix(v, "CGO_ENABLED=") })
		if out, berr = buildcache.GoBuild(ctx, root, bin, "./.kernia/loader", step, env, stderr); berr == nil {
			fmt.Fprintf(stderr, "kernia: note: the loader program for %s needs cgo: it did not build with CGO_ENABLED=0, which kernia tries first because it builds faster; set CGO_ENABLED=1 in the environment to skip that attempt\n", app)
		}
	}
	if ctx.Err() != nil {
		return interrupted()
	}
	if berr != nil {
		return explain(app, importPath, out)
	}
	// A file edited during the build may or may not be in the binary: record the key only
	// when the inputs are still those it was computed from.
	if key != "" {
		if after, err := buildKey(root, modPath, src); err == nil && after == key {
			buildcache.Store(bin, key)
		}
	}
	return nil
}

// BuildEnv is the environment the loader program is first built with, beyond the command's
// own: without cgo (CGO_ENABLED=0) unless $CGO_ENABLED is set, and with the compiler's and
// linker's garbage collector running a quarter as often (GOGC=400) unless $GOGC is set. The
// program only hands the configuration over, so it needs no C and its build little memory
// (the go command and the linker peak near 110 MB); of the build an edit of the auth package
// costs (about 300 ms), cgo's tool checks and the dynamic link take some 25 ms and the
// collector some 40 ms (issue 13). A configuration that needs C fails that build and is built
// again as the go command does by default (buildProgram). cgoOff reports whether cgo was
// turned off.
func BuildEnv() (env []string, cgoOff bool) {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		env = append(env, "GOGC=400")
	}
	if _, ok := os.LookupEnv("CGO_ENABLED"); !ok {
		env = append(env, "CGO_ENABLED=0")
		cgoOff = true
	}
	return env, cgoOff
}

// maxConfig bounds the configuration a loader program may write.
const maxConfig = 256 << 20

// runProgram runs the loader program bin and returns the configuration it wrote into the pipe
// it gets as file descriptor 3 (stdout on Windows, which cannot pass one), and its exit status,
// or the signal that ended it (SIGINT or SIGTERM). Without plan, the configuration has no
// resolved plan.
func runProgram(ctx context.Context, bin string, plan bool, stdout, stderr io.Writer) (config []byte, code int, sig syscall.Signal, err error) {
	cmd := exec.CommandContext(ctx, bin)
	env := os.Environ()
	if !plan {
		env = append(env, envPlan+"=0")
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// Interrupted (Ctrl-C, SIGTERM): pass the interrupt on; kill the program only if it hangs.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	var buf bytes.Buffer
	var r *os.File
	if runtime.GOOS == "windows" {
		cmd.Env = append(env, envOut+"=stdout")
		cmd.Stdout = &limited{w: &buf, n: maxConfig}
	} else {
		var w *os.File
		r, w, err = os.Pipe()
		if err != nil {
			return nil, 0, 0, fmt.Errorf("kernia: run the loader program: %w", err)
		}
		defer r.Close()
		cmd.ExtraFiles = []*os.File{w}
		cmd.Env = append(env, envOut+"=3")
		err = cmd.Start()
		w.Close() // the program holds the write end: reading ends when it exits
		if err != nil {
			return nil, 0, 0, fmt.Errorf("kernia: run the loader program: %w", err)
		}
	}
	var readErr error
	if r != nil {
		_, readErr = io.Copy(&limited{w: &buf, n: maxConfig}, r)
	} else if err := cmd.Start(); err != nil {
		return nil, 0, 0, fmt.Errorf("kernia: run the loader program: %w", err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && (ws.Signal() == syscall.SIGINT || ws.Signal() == syscall.SIGTERM) {
			return nil, 0, ws.Signal(), nil
		}
		return nil, exit.ExitCode(), 0, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("kernia: run the loader program: %w", err)
	}
	if readErr != nil {
		return nil, 0, 0, fmt.Errorf("kernia: read the loader program's configuration: %w", readErr)
	}
	return buf.Bytes(), 0, 0, nil
}

// envOut and envPlan are loader.EnvOut and loader.EnvPlan (this package does not import the
// loader program's package).
const (
	envOut  = "KERNIA_LOADER_OUT"
	envPlan = "KERNIA_LOADER_PLAN"
)

// limited writes at most n bytes to w, then fails.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, fmt.Errorf("the configuration is over %d bytes", maxConfig)
	}
	l.n -= len(p)
	return l.w.Write(p)
}

func signalName(sig syscall.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// module returns the root directory and module path of the module containing the working
// directory, by the resolver every command uses (workdir.Module).
func module() (root, modPath string, err error) {
	root, modPath, err = workdir.Module(".")
	if err != nil {
		return "", "", fmt.Errorf("kernia: %w", err)
	}
	return root, modPath, nil
}

// resolve turns the package of a parsed --app value into the import path the loader program
// imports. A ./relative directory must lie inside the module at root, also after resolving
// symbolic links, and the import path it yields (module path included) must be valid. A
// package outside the module, or an invalid result, is an ErrBadApp.
func resolve(pkg, root, modPath string) (string, error) {
	if !isRelative(pkg) {
		if err := gomodule.CheckImportPath(pkg); err != nil {
			return "", badApp("kernia: --app package %s: %v", strconv.Quote(pkg), err)
		}
		return pkg, nil
	}
	abs, err := filepath.Abs(pkg)
	if err != nil {
		return "", err
	}
	outside := badApp("kernia: --app package %s is outside the module at %s. %s", strconv.Quote(pkg), root, hint())
	if !inside(root, abs) {
		return "", outside
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return "", fmt.Errorf("kernia: cannot load the auth instance: package directory %s does not exist. %s", pkg, hint())
	}
	// A symbolic link inside the module may lead out of it: judge where it leads.
	realRoot, err1 := filepath.EvalSymlinks(root)
	realAbs, err2 := filepath.EvalSymlinks(abs)
	if err1 != nil || err2 != nil || !inside(realRoot, realAbs) {
		return "", outside
	}
	rel, _ := filepath.Rel(root, abs)
	importPath := modPath
	if rel != "." {
		importPath = path.Join(modPath, filepath.ToSlash(rel))
	}
	if err := gomodule.CheckImportPath(importPath); err != nil {
		return "", badApp("kernia: --app package %s resolves to the import path %s, which is not valid (check the module line of go.mod): %v", strconv.Quote(pkg), strconv.Quote(importPath), err)
	}
	return importPath, nil
}

// inside reports whether the absolute path p is root or lies below it.
func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// programTemplate is the loader program. Every value in it is a Go string literal made by
// strconv.Quote (ImportLit, NameLit) or an identifier render has checked (Var); no value
// reaches a comment.
var programTemplate = template.Must(template.New("loader").Parse(`// Code generated by kernia. DO NOT EDIT.

// The kernia command builds and runs this program to read the auth instance named by appName
// with this module's own dependency versions.
package main

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/loader"

	app {{ .ImportLit }}
)

// appName is the auth instance, as <import path>:<Var>.
const appName = {{ .NameLit }}

var instance *kernia.Auth = app.{{ .Var }}

// main hands the instance's configuration to the kernia command, which does the work.
func main() {
	loader.Main(instance, appName)
}
`))

// render returns the loader program for the variable v of the package importPath. It checks
// both again, so that no caller can splice arbitrary text into the program.
func render(importPath, v string) ([]byte, error) {
	if err := gomodule.CheckImportPath(importPath); err != nil {
		return nil, badApp("kernia: loader program: import path %s: %v", strconv.Quote(importPath), err)
	}
	if !validVar(v) {
		return nil, badApp("kernia: loader program: %s is not an exported Go identifier", strconv.Quote(v))
	}
	var b bytes.Buffer
	err := programTemplate.Execute(&b, struct{ ImportLit, NameLit, Var string }{
		ImportLit: strconv.Quote(importPath),
		NameLit:   strconv.Quote(importPath + ":" + v),
		Var:       v,
	})
	return b.Bytes(), err
}

func writeIfChanged(p string, content []byte) error {
	if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, content) {
		return nil
	}
	removeStaleTemps(filepath.Dir(p))
	tmp, err := os.CreateTemp(filepath.Dir(p), tempPattern)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	tmp.Close()
	return os.Rename(tmp.Name(), p)
}

// tempPattern names the temporary file the loader program is written to before it is renamed
// into place.
const tempPattern = ".main.go.tmp*"

// staleTemp is the age past which a temporary loader file is taken to be left by a killed run:
// a live run renames its own within milliseconds.
const staleTemp = 10 * time.Minute

// removeStaleTemps removes the temporary loader files that killed runs left in dir.
func removeStaleTemps(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	for _, m := range matches {
		if st, err := os.Lstat(m); err == nil && st.Mode().IsRegular() && time.Since(st.ModTime()) > staleTemp {
			_ = os.Remove(m)
		}
	}
}

// explain turns the loader's build output into one clear message.
func explain(app App, importPath, out string) error {
	var what string
	switch {
	case strings.Contains(out, "undefined: app."+app.Var):
		what = fmt.Sprintf("package %s has no exported variable %s", app.Package, app.Var)
	case strings.Contains(out, "cannot use app."+app.Var):
		what = fmt.Sprintf("%s is not a *kernia.Auth (build it with kernia.New)", app)
	case strings.Contains(out, "is not in std"), strings.Contains(out, "no required module provides package"),
		strings.Contains(out, "cannot find package"), strings.Contains(out, "no Go files"):
		what = fmt.Sprintf("package %s (%s) was not found", app.Package, importPath)
	case strings.Contains(out, "github.com/kernia/kernia/loader"):
		what = "the module does not require a Kernia version with the loader package: go get github.com/kernia/kernia@latest"
	default:
		what = fmt.Sprintf("package %s does not compile:\n%s", app.Package, strings.TrimSpace(out))
	}
	return fmt.Errorf("kernia: cannot load the auth instance %s: %s\n%s", app, what, hint())
}
