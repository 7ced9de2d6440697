package migration

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"ariga.io/atlas/sql/migrate"
)

// VerifyDir opens the Atlas migration directory at path and checks it against its atlas.sum: a
// missing directory, a missing or malformed atlas.sum, a file edited, added or removed without
// rehashing, and two files sharing a version are errors that name the file and the fix. It
// touches no database, so Apply runs it before connecting.
func VerifyDir(path string) (migrate.Dir, error) {
	d, err := loadDir(path, true)
	if err != nil {
		return nil, err
	}
	return d.dir, nil
}

// loadedDir is a migration directory VerifyDir accepts, read once: its files in order and their
// atlas.sum entries.
type loadedDir struct {
	dir   migrate.Dir
	files []migrate.File
	sum   migrate.HashFile
}

// loadDir is VerifyDir returning what it read. It reads every file once and hashes the
// directory once (migrate.Validate, then Files and NewHashFile again, read and hashed it three
// and two times); only a directory that fails the check is verified again the Atlas way, so its
// error is Validate's. checkEntries false skips CheckEntries, which the caller ran.
func loadDir(path string, checkEntries bool) (*loadedDir, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("migrate: migration directory %s does not exist: run generate first or pass --dir", path)
	case err != nil:
		return nil, fmt.Errorf("migrate: migration directory %s: %w", path, err)
	case !st.IsDir():
		return nil, fmt.Errorf("migrate: migration directory %s is a file, not a directory: pass the directory holding the .sql files and atlas.sum with --dir", path)
	}
	if checkEntries {
		if err := CheckEntries(path); err != nil {
			return nil, err
		}
	}
	dir, err := migrate.NewLocalDir(path)
	if err != nil {
		return nil, fmt.Errorf("migrate: migration directory %s: %w", path, err)
	}
	d, ok := readVerified(dir)
	if !ok {
		// Atlas's own check, for its error (or, if the directory changed meanwhile, a clean
		// second read).
		if err := migrate.Validate(dir); err != nil {
			return nil, checksumError(path, err)
		}
		if d.files, d.sum, err = migrationFiles(dir); err != nil {
			return nil, err
		}
	}
	seen := make(map[string]string, len(d.files))
	for _, f := range d.files {
		if other, ok := seen[f.Version()]; ok {
			return nil, fmt.Errorf("migrate: %s and %s in %s share version %s: a version identifies one file in atlas_schema_revisions; give the newer file a later version (rename it) and run `kernia hash`",
				other, f.Name(), path, f.Version())
		}
		seen[f.Version()] = f.Name()
	}
	return d, nil
}

// readVerified reads dir's files and atlas.sum once and reports whether they pass
// migrate.Validate's test: atlas.sum's entries sum to what the files hash to, or there is
// neither atlas.sum nor a file.
func readVerified(dir migrate.Dir) (d *loadedDir, ok bool) {
	d = &loadedDir{dir: dir}
	files, err := dir.Files()
	if err != nil {
		return d, false
	}
	sum, err := migrate.NewHashFile(files)
	if err != nil {
		return d, false
	}
	d.files, d.sum = files, sum
	f, err := dir.Open(migrate.HashFileName)
	if errors.Is(err, fs.ErrNotExist) {
		return d, len(files) == 0
	}
	if err != nil {
		return d, false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return d, false
	}
	var recorded migrate.HashFile
	if err := recorded.UnmarshalText(b); err != nil {
		return d, false
	}
	return d, recorded.Sum() == sum.Sum()
}

// checksumError explains a failed migrate.Validate and how to fix it. The Atlas error stays
// wrapped, so errors.Is(err, migrate.ErrChecksumMismatch) holds for every mismatch.
func checksumError(dir string, err error) error {
	sum := filepath.Join(dir, migrate.HashFileName)
	var cerr *migrate.ChecksumError
	switch {
	case errors.As(err, &cerr):
		file := filepath.Join(dir, cerr.File)
		switch cerr.Reason {
		case migrate.ReasonEdited:
			return fmt.Errorf("migrate: %w: %s was edited after %s was written: restore the file (git checkout) or regenerate the migration; if the edit is deliberate, run `kernia hash` to update %s",
				err, file, sum, migrate.HashFileName)
		case migrate.ReasonAdded:
			return fmt.Errorf("migrate: %w: %s is not listed in %s (added by hand or by a merge without rehashing): review it, then run `kernia hash`, or regenerate the migration",
				err, file, sum)
		case migrate.ReasonRemoved:
			return fmt.Errorf("migrate: %w: %s is listed in %s but the file is missing: restore it (git checkout); if removing it was deliberate and it was never applied anywhere, run `kernia hash`",
				err, file, sum)
		}
		return fmt.Errorf("migrate: %w: %s does not match %s (line %d): regenerate the migration or run `kernia hash` after a deliberate edit",
			err, sum, file, cerr.Line)
	case errors.Is(err, migrate.ErrChecksumNotFound):
		return fmt.Errorf("migrate: %w: %s has migration files but no %s: regenerate the directory with generate, or run `kernia hash` if you wrote the files by hand",
			err, dir, migrate.HashFileName)
	case errors.Is(err, migrate.ErrChecksumFormat):
		return fmt.Errorf("migrate: %w: %s is malformed (every line after the first must be `<file> h1:<hash>`): restore it from version control or rewrite it with `kernia hash`",
			err, sum)
	case errors.Is(err, migrate.ErrChecksumMismatch):
		return fmt.Errorf("migrate: %w: %s is corrupt: its first line does not match its file entries (edited by hand or a bad merge): restore it from version control or rewrite it with `kernia hash`",
			err, sum)
	}
	return fmt.Errorf("migrate: check %s: %w", sum, err)
}

// dirPath returns the directory path of a Dir opened by VerifyDir.
func dirPath(dir migrate.Dir) string {
	if d, ok := dir.(interface{ Path() string }); ok {
		return d.Path()
	}
	return "the migration directory"
}

// migrationFiles returns the directory's migration files in order and their atlas.sum entries.
func migrationFiles(dir migrate.Dir) ([]migrate.File, migrate.HashFile, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: read migration directory %s: %w", dirPath(dir), err)
	}
	sum, err := migrate.NewHashFile(files)
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: hash migration directory %s: %w", dirPath(dir), err)
	}
	return files, sum, nil
}

// fileHash returns f's entry in atlas.sum ("" for a file excluded by `atlas:sum ignore`), from
// an index of its entries (sumIndex: HashFile.SumByName scans every entry).
func fileHash(sums map[string]string, f migrate.File) string {
	return sums[f.Name()]
}

// splits holds the statements of the files of one run, each file split once: Atlas's scanner
// is the costliest part of a run that applies little (about half of a one-file SQLite apply
// when each file was split twice).
type splits struct {
	dialect string
	byName  map[string][]*migrate.Stmt
}

func newSplits(dialect string) *splits {
	return &splits{dialect: dialect, byName: map[string][]*migrate.Stmt{}}
}

// of returns f's statements with their positions, splitting f the first time.
func (s *splits) of(f migrate.File) ([]*migrate.Stmt, error) {
	if decls, ok := s.byName[f.Name()]; ok {
		return decls, nil
	}
	decls, err := scan(s.dialect, f)
	if err != nil {
		return nil, err
	}
	s.byName[f.Name()] = decls
	return decls, nil
}

// texts returns the text of f's statements, as the Atlas CLI splits them for the dialect.
func (s *splits) texts(f migrate.File) ([]string, error) {
	decls, err := s.of(f)
	if err != nil {
		return nil, err
	}
	stmts := make([]string, len(decls))
	for i, d := range decls {
		stmts[i] = d.Text
	}
	return stmts, nil
}

// scan splits f into statements with their positions, as Atlas's driver for the dialect does.
func scan(dialect string, f migrate.File) ([]*migrate.Stmt, error) {
	opts := migrate.ScannerOptions{MatchBegin: true} // as Atlas's sqlite driver scans
	if dialect == "postgres" {
		// As Atlas's postgres driver scans.
		opts = migrate.ScannerOptions{MatchBegin: true, MatchBeginAtomic: true, MatchDollarQuote: true, EscapedStringExt: true}
	}
	decls, err := (&migrate.Scanner{ScannerOptions: opts}).Scan(string(f.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("migrate: cannot split %s into statements: %v: fix the file, then run `kernia hash`", f.Name(), err)
	}
	return decls, nil
}

// noTx reports whether f asks to run without a transaction (`-- atlas:txmode none`).
func noTx(f migrate.File) bool {
	lf, ok := f.(*migrate.LocalFile)
	if !ok {
		return false
	}
	for _, d := range lf.Directive("txmode") {
		if strings.TrimSpace(d) == "none" {
			return true
		}
	}
	return false
}
