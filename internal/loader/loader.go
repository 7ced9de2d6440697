// Package loader finds the user's configured auth instance the way Ent's codegen finds a
// schema: it writes a small main package inside the user's module that imports the instance's
// package and runs the requested command in-process, builds it with the module's own
// dependency versions, and executes it.
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
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	"golang.org/x/mod/modfile"
)

// DefaultApp is the instance used when neither --app nor $KERNIA_APP is set.
const DefaultApp = "./auth:Auth"

// Hint ends every load error.
const Hint = "Run kernia from your module's root (where go.mod is), or pass --app <package>:<Var>, e.g. --app ./internal/auth:Auth or --app example.com/app/auth:Auth."

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

// ParseApp parses "<package>:<Var>".
func ParseApp(s string) (App, error) {
	i := strings.LastIndex(s, ":")
	if i <= 0 || i == len(s)-1 {
		return App{}, fmt.Errorf("--app %q: want <package>:<Var>, e.g. ./auth:Auth", s)
	}
	a := App{Package: s[:i], Var: s[i+1:]}
	if !identRE.MatchString(a.Var) {
		return App{}, fmt.Errorf("--app %q: %q is not an exported Go variable name", s, a.Var)
	}
	return a, nil
}

// Run builds the loader program for app in the module containing the working directory and
// runs it with args, returning its exit code. Errors describe why the instance could not be
// loaded.
func Run(ctx context.Context, app App, args []string, stdout, stderr io.Writer) (int, error) {
	root, modPath, err := module()
	if err != nil {
		return 0, err
	}
	importPath, err := resolve(app.Package, root, modPath)
	if err != nil {
		return 0, err
	}
	src, err := render(importPath, app.Var)
	if err != nil {
		return 0, err
	}
	dir := filepath.Join(root, ".kernia", "loader")
	if err := writeIfChanged(filepath.Join(dir, "main.go"), src); err != nil {
		return 0, fmt.Errorf("kernia: write the loader program: %w", err)
	}
	bin, release, err := binaryPath(root, app)
	if err != nil {
		return 0, err
	}
	defer release()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./.kernia/loader")
	build.Dir = root
	var out bytes.Buffer
	build.Stdout, build.Stderr = &out, &out
	// Interrupted: go build stops on SIGINT and removes its work directory; kill it only if
	// it hangs. Nothing of the user's module is written until the program runs.
	build.Cancel = func() error { return build.Process.Signal(os.Interrupt) }
	build.WaitDelay = 10 * time.Second
	berr := build.Run()
	if ctx.Err() != nil {
		command := "kernia"
		if len(args) > 0 {
			command = args[0]
		}
		return 0, fmt.Errorf("%s: interrupted (%v) while building the loader program; nothing was written", command, context.Cause(ctx))
	}
	if berr != nil {
		return 0, explain(app, importPath, out.String())
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// Interrupted (Ctrl-C, SIGTERM): pass the interrupt on and let the program roll back and
	// release its lock, instead of killing it; kill it only if it hangs.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("kernia: run the loader program: %w", err)
	}
	return 0, nil
}

// module returns the root directory and module path of the module containing the working
// directory.
func module() (root, modPath string, err error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", "", errors.New("kernia: not inside a Go module: run kernia from your module's root (where go.mod is), or create one with go mod init")
	}
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", "", fmt.Errorf("kernia: read %s: %w", gomod, err)
	}
	return filepath.Dir(gomod), modfile.ModulePath(b), nil
}

// resolve turns a ./relative package directory into an import path.
func resolve(pkg, root, modPath string) (string, error) {
	if pkg != "." && !strings.HasPrefix(pkg, "./") && !strings.HasPrefix(pkg, "../") {
		return pkg, nil
	}
	abs, err := filepath.Abs(pkg)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("kernia: --app package %s is outside the module at %s. %s", pkg, root, Hint)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return "", fmt.Errorf("kernia: cannot load the auth instance: package directory %s does not exist. %s", pkg, Hint)
	}
	if rel == "." {
		return modPath, nil
	}
	return path.Join(modPath, filepath.ToSlash(rel)), nil
}

var programTemplate = template.Must(template.New("loader").Parse(`// Code generated by kernia. DO NOT EDIT.

// The kernia command builds and runs this program to use the auth instance {{ .Import }}.{{ .Var }}
// with this module's own dependency versions.
package main

import (
	"os"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/cli"

	app "{{ .Import }}"
)

var instance *kernia.Auth = app.{{ .Var }}

func main() {
	os.Exit(cli.RunWith(instance, "{{ .Import }}:{{ .Var }}", os.Args[1:], os.Stdout, os.Stderr))
}
`))

func render(importPath, v string) ([]byte, error) {
	var b bytes.Buffer
	err := programTemplate.Execute(&b, struct{ Import, Var string }{importPath, v})
	return b.Bytes(), err
}

func writeIfChanged(p string, content []byte) error {
	if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, content) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".main.go.tmp*")
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
	case strings.Contains(out, "github.com/kernia/kernia/cli"):
		what = "the module does not require a Kernia version with the cli package: go get github.com/kernia/kernia@latest"
	default:
		what = fmt.Sprintf("package %s does not compile:\n%s", app.Package, strings.TrimSpace(out))
	}
	return fmt.Errorf("kernia: cannot load the auth instance %s: %s\n%s", app, what, Hint)
}
