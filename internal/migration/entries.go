package migration

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia/internal/filekind"
)

// CheckEntries refuses a migration directory whose migration files (*.sql, as Atlas reads
// them) or atlas.sum are not regular files inside it, before anything reads them: a symbolic
// link resolving outside the directory (its content would be hashed, run or printed as a
// migration), a link that does not resolve, and a named pipe, device or socket (reading one
// blocks or never ends). A symbolic link to a regular file directly inside the directory is
// accepted: it is read as the file it points to, and atlas.sum pins its content like any
// other file's.
// A path that does not exist or is not a directory passes: the caller says what is wrong
// with it. hash, migrate, status, info and generate run it on every directory they read.
func CheckEntries(dir string) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil
	}
	_, err := checkEntries(dir)
	return err
}

// checkEntries is CheckEntries on a directory, returning the names of its migration files
// (*.sql) in order, as Atlas's LocalDir.Files lists them.
func checkEntries(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: read migration directory %s: %w", dir, err)
	}
	realDir := ""
	var names []string // os.ReadDir sorts by name
	for _, e := range entries {
		name := e.Name()
		// path.Match("*.sql", name), as Atlas globs: '*' matches any name without a slash.
		sql := strings.HasSuffix(name, ".sql")
		if sql {
			names = append(names, name)
		}
		if !sql && name != migrate.HashFileName {
			continue
		}
		p := filepath.Join(dir, name)
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			if realDir == "" {
				if realDir, err = filepath.EvalSymlinks(dir); err == nil {
					realDir, err = filepath.Abs(realDir)
				}
				if err != nil {
					return nil, fmt.Errorf("migrate: migration directory %s: %w", dir, err)
				}
			}
			target, err := filepath.EvalSymlinks(p)
			if err == nil {
				target, err = filepath.Abs(target)
			}
			if err != nil {
				return nil, fmt.Errorf("migrate: %s is a symbolic link that does not resolve: a migration file must be a file inside %s; restore it or remove the link and run `kernia hash`", p, dir)
			}
			if rel, err := filepath.Rel(realDir, target); err != nil || rel == "." || rel == ".." || strings.Contains(rel, string(filepath.Separator)) {
				return nil, fmt.Errorf("migrate: %s is a symbolic link to a file outside the migration directory %s: refused, nothing read or run; migration files must live in the directory (copy the file in, then run `kernia hash`)", p, dir)
			}
			st, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("migrate: %s: %w", p, err)
			}
			mode = st.Mode().Type()
		}
		if mode.IsRegular() {
			continue
		}
		return nil, fmt.Errorf("migrate: %s is %s: every *.sql entry and atlas.sum of a migration directory must be a regular file; remove or rename it", p, filekind.Of(mode))
	}
	return names, nil
}
