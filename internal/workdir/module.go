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
