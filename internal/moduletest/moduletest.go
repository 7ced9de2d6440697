// Package moduletest builds throwaway Go modules that depend on this checkout of Kernia
// through a replace directive, the way a user's module depends on a released one.
package moduletest

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

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
	ours, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	mf, err := modfile.Parse("go.mod", ours, nil)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("module " + path + "\n\ngo " + mf.Go.Version + "\n\nrequire (\n\tgithub.com/kernia/kernia v0.0.0\n")
	for _, r := range mf.Require {
		b.WriteString("\t" + r.Mod.Path + " " + r.Mod.Version + "\n")
	}
	b.WriteString(")\n\nreplace github.com/kernia/kernia => " + root + "\n\ntool (\n\tgithub.com/kernia/kernia/cmd/kernia\n\tgithub.com/magefile/mage\n)\n")
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
	if out, err := Command(dir, "go", "mod", "tidy").CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy: %v\n%s", err, out)
	}
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
