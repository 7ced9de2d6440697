// Package moduletest builds throwaway Go modules that depend on this checkout of Kernia
// through a replace directive, the way a user's module depends on a released one.
package moduletest

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/modfile"
)

// Magefile is the magefile kernia init writes, less its project line: Kernia's targets, which
// load the instance as go tool kernia does ($KERNIA_APP, else ./auth:Auth).
const Magefile = `//go:build mage

package main

import (
	//mage:import
	_ "github.com/kernia/kernia/mage"
)
`

// UseMagefile is a magefile that hands the instance authImport.Auth to the targets with
// app.Use, as kernia init wrote it before the targets loaded ./auth:Auth themselves.
func UseMagefile(authImport string) string {
	return `//go:build mage

package main

import (
	"` + authImport + `"
	"github.com/kernia/kernia/mage/app"

	//mage:import
	_ "github.com/kernia/kernia/mage"
)

func init() { app.Use(auth.Auth) }
`
}

// Root returns the directory of this checkout's go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && modfile.ModulePath(b) == "github.com/kernia/kernia" {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("moduletest: not inside the github.com/kernia/kernia checkout")
		}
		dir = parent
	}
}

// New creates module path in a temporary directory with the given files (path → content),
// requiring Kernia at this checkout and Kernia's own dependency versions, with the kernia and
// mage tools, then runs go mod tidy. It returns the module's directory.
func New(t testing.TB, path string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := Make(Root(t), dir, path, files); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Make writes module path into dir as New does, for callers outside tests (benchmarks).
func Make(root, dir, path string, files map[string]string) error {
	return MakeReleased(root, dir, path, "", nil, files)
}

// MakeReleased is Make with Kernia required at version and downloaded as a release, through the
// go environment env (a module proxy that serves that version: the bench's, internal/bench's
// released.go), instead of replaced by the checkout at root. An empty version is Make.
func MakeReleased(root, dir, path, version string, env []string, files map[string]string) error {
	ours, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	mf, err := modfile.Parse("go.mod", ours, nil)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("module " + path + "\n\ngo " + mf.Go.Version + "\n\nrequire (\n\tgithub.com/kernia/kernia " + cmp.Or(version, "v0.0.0") + "\n")
	for _, r := range mf.Require {
		b.WriteString("\t" + r.Mod.Path + " " + r.Mod.Version + "\n")
	}
	b.WriteString(")\n\n")
	if version == "" {
		b.WriteString("replace github.com/kernia/kernia => " + root + "\n\n")
	}
	b.WriteString("tool (\n\tgithub.com/kernia/kernia/cmd/kernia\n\tgithub.com/magefile/mage\n)\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return err
	}
	files = maps.Clone(files)
	files["go.mod"] = b.String()
	files["go.sum"] = string(sum)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, bytes.TrimLeft([]byte(content), "\n"), 0o644); err != nil {
			return err
		}
	}
	return tidy(dir, root, path, files, env)
}

// tidied holds, per module content (the checkout, the module path and every file), the go.mod
// and go.sum that go mod tidy wrote for it: a second module of the same content in the same
// test process gets them without running tidy again, which would write the same two files.
var tidied sync.Map // [sha256.Size]byte → [2][]byte

// tidy runs go mod tidy in dir with the extra environment env, or writes what it wrote for
// the same content before.
func tidy(dir, root, path string, files map[string]string, env []string) error {
	h := sha256.New()
	for _, name := range append(append([]string{root, path}, env...), slices.Sorted(maps.Keys(files))...) {
		fmt.Fprintf(h, "%q\n", name)
		if content, ok := files[name]; ok {
			fmt.Fprintf(h, "%q\n", content)
		}
	}
	key := [sha256.Size]byte(h.Sum(nil))
	mod, sum := filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum")
	if v, ok := tidied.Load(key); ok {
		out := v.([2][]byte)
		if err := os.WriteFile(mod, out[0], 0o644); err != nil {
			return err
		}
		return os.WriteFile(sum, out[1], 0o644)
	}
	cmd := Command(dir, "go", "mod", "tidy")
	cmd.Env = append(cmd.Env, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy: %v\n%s", err, out)
	}
	var out [2][]byte
	var err error
	if out[0], err = os.ReadFile(mod); err != nil {
		return err
	}
	if out[1], err = os.ReadFile(sum); err != nil {
		return err
	}
	tidied.Store(key, out)
	return nil
}

// Run runs a command in dir and returns its combined output, failing the test on error.
func Run(t testing.TB, dir string, name string, args ...string) string {
	t.Helper()
	out, err := Command(dir, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Tool returns the path of the module's tool binary name (a tool line of its go.mod), as
// `go tool -n` prints it: the go command links a tool once per dependency set and keeps it in
// its build cache, so every module of a test run that has the same versions shares one link,
// where `go build -o` of the same command would link it again each time. For kernia it is the
// launcher (cmd/kernia), which builds the engine once per build key in the user cache
// directory: test modules with the same requirements share that one too.
func Tool(t testing.TB, dir, name string) string {
	t.Helper()
	return strings.TrimSpace(Run(t, dir, "go", "tool", "-n", name))
}

// Build runs go build -trimpath with args in dir, failing the test on error. -trimpath keys
// the module's packages in the build cache by import path and content instead of by the
// temporary directory, so a generated client that another test (or an earlier run) compiled
// already is not compiled again; one that differs is.
func Build(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return Run(t, dir, "go", append([]string{"build", "-trimpath"}, args...)...)
}

// Command returns a command that runs in dir with GOFLAGS=-mod=mod.
func Command(dir string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	return cmd
}

// Snapshot returns every file under dir (path → content), for before/after comparisons.
func Snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
