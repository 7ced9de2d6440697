// Package workdir finds a module's root (ModuleRoot, the one resolver every command uses) and
// owns its .kernia directory, where Kernia keeps what it writes for itself: the loader program
// (.kernia/loader) and generate's lock, journal and fingerprint.
//
// The directory is git-ignored (init puts it in .gitignore), yet a repository can still
// commit a .kernia that is a symbolic link. Kernia never follows one: a link there would send
// its writes outside the module, so Ensure refuses it and every writer goes through Ensure.
package workdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kernia/kernia/internal/filekind"
)

// Name is the directory's name under the module root.
const Name = ".kernia"

// Ensure creates root/.kernia and the directories sub names below it (mode 0755), and returns
// the innermost one. Each of them that exists must be a real directory: a symbolic link, a
// file or anything else is refused with an error that names it and says how to fix it.
func Ensure(root string, sub ...string) (string, error) {
	dir := root
	for _, name := range append([]string{Name}, sub...) {
		dir = filepath.Join(dir, name)
		st, err := os.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return "", fmt.Errorf("create %s: %w", dir, err)
			}
			// Another process may have created it first: check what is there now.
			if st, err = os.Lstat(dir); err != nil {
				return "", fmt.Errorf("create %s: %w", dir, err)
			}
		case err != nil:
			return "", fmt.Errorf("inspect %s: %w", dir, err)
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("%s is a symbolic link: Kernia writes its own files there and does not follow links out of the module; remove the link (.kernia/ belongs in .gitignore, never in the repository)", dir)
		}
		if !st.IsDir() {
			return "", fmt.Errorf("%s is not a directory (%s): Kernia keeps its own files there; remove it", dir, filekind.Of(st.Mode()))
		}
	}
	return dir, nil
}
