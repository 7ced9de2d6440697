package workdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"
)

// ErrNoModule is returned by Module for a directory that is not inside a Go module.
var ErrNoModule = errors.New("not inside a Go module")

// ModuleRoot returns the root of the Go module containing dir: the nearest directory at or
// above dir (made absolute) that holds a go.mod file. It is the one resolver of the module
// root: every command runs from it, whatever directory of the module it was started in, so
// --app, ent/, the migration directories, .env and relative sqlite:// paths mean the same
// from anywhere in the module. ok is false outside a module.
func ModuleRoot(dir string) (root string, ok bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for d := abs; ; {
		if st, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && st.Mode().IsRegular() {
			return d, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// Module returns the root of the module containing dir (ModuleRoot) and its module path,
// read from the module line of its go.mod. Outside a module the error wraps ErrNoModule.
func Module(dir string) (root, modPath string, err error) {
	root, ok := ModuleRoot(dir)
	if !ok {
		abs, _ := filepath.Abs(dir)
		return "", "", fmt.Errorf("%s is %w (no go.mod in it or any parent directory): create one first with go mod init example.com/yourapp", abs, ErrNoModule)
	}
	gomod := filepath.Join(root, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", gomod, err)
	}
	modPath = modfile.ModulePath(b)
	if modPath == "" {
		return "", "", fmt.Errorf("%s has no module line: add one (module example.com/yourapp)", gomod)
	}
	return root, modPath, nil
}

// Inside returns an error when rel, a relative path under root, leads outside root through a
// symbolic link: the longest part of it that exists is resolved, and must lie inside root's
// own resolved path.
func Inside(root, rel string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	p := filepath.Join(root, rel)
	for {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return err
	}
	if r, err := filepath.Rel(realRoot, real); err != nil || (r != "." && !filepath.IsLocal(r)) {
		return fmt.Errorf("%s leads to %s, outside the module %s, through a symbolic link", rel, real, root)
	}
	return nil
}
