package migration

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia/internal/migformat"
)

// VerifyDir opens the Atlas migration directory at path and checks it against its atlas.sum: a
// missing directory, a missing or malformed atlas.sum, a file edited, added or removed without
// rehashing, and two files sharing a version are errors that name the file and the fix. It
// touches no database, so Apply runs it before connecting.
func VerifyDir(path string) (migrate.Dir, error) {
	d, err := loadDir(path)
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
	// format is the directory's format; files and sum are its up migrations as Atlas files.
	format migformat.Format
}

// loadDir is VerifyDir returning what it read.
func loadDir(path string) (*loadedDir, error) {
	if err := statDir(path); err != nil {
		return nil, err
	}
	names, err := checkEntries(path)
	if err != nil {
		return nil, err
	}
	return readDir(path, names)
}

// statDir refuses a path that is not a directory.
func statDir(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("migrate: migration directory %s does not exist: run generate first or pass --dir", path)
	case err != nil:
		return fmt.Errorf("migrate: migration directory %s: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("migrate: migration directory %s is a file, not a directory: pass the directory holding the .sql files and atlas.sum with --dir", path)
	}
	return nil
}

// readDir is the rest of VerifyDir once checkEntries passed and listed the migration files. It
// reads every file once and hashes the directory once (migrate.Validate, then Files and
// NewHashFile again, read it three times and hashed it twice); only a directory that fails the
// check is verified again the Atlas way, so its error is Validate's.
func readDir(path string, names []string) (*loadedDir, error) {
	dir, err := migrate.NewLocalDir(path)
	if err != nil {
		return nil, fmt.Errorf("migrate: migration directory %s: %w", path, err)
	}
	d, ok := readVerified(dir, names)
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
	if err := d.logical(path); err != nil {
		return nil, err
	}
	if err := checkVersions(d.files, path); err != nil {
		return nil, err
	}
	return d, nil
}

// logical turns the files of a directory of another format than Atlas's (migformat.Detect)
// into its up migrations as Atlas files (migformat.Logical), and sum into theirs: atlas.sum
// covers every *.sql file of the directory (downs too), and each revision records the hash of
// its up migration, so an edit of a down file needs `kernia hash` but is no edit of an applied
// migration.
func (d *loadedDir) logical(path string) error {
	var err error
	d.format, d.files, d.sum, err = logicalFiles(path, d.files, d.sum)
	return err
}

// logicalFiles is loadedDir.logical on files and their sum.
func logicalFiles(path string, files []migrate.File, sum migrate.HashFile) (migformat.Format, []migrate.File, migrate.HashFile, error) {
	byName := make(map[string][]byte, len(files))
	names := make([]string, len(files))
	for i, f := range files {
		names[i], byName[f.Name()] = f.Name(), f.Bytes()
	}
	format, err := migformat.Detect(names, func(n string) ([]byte, error) { return byName[n], nil })
	if err != nil {
		return "", nil, nil, fmt.Errorf("migrate: migration directory %s: %w", path, err)
	}
	if format == migformat.Atlas || format == "" {
		return format, files, sum, nil
	}
	logical, err := migformat.Logical(format, files)
	if err != nil {
		return "", nil, nil, fmt.Errorf("migrate: migration directory %s (%s format): %w", path, format, err)
	}
	return format, logical, hashFile(logical), nil
}

// checkVersions refuses two files of dir sharing a version.
func checkVersions(files []migrate.File, dir string) error {
	seen := make(map[string]string, len(files))
	for _, f := range files {
		if other, ok := seen[f.Version()]; ok {
			return fmt.Errorf("migrate: %s and %s in %s share version %s: a version identifies one file in atlas_schema_revisions; give the newer file a later version (rename it) and run `kernia hash`",
				other, f.Name(), dir, f.Version())
		}
		seen[f.Version()] = f.Name()
	}
	return nil
}

// VerifyFS is VerifyDir for a migration directory in an fs.FS (an embedded copy in a deployed
// binary; name says which in messages): it reads the *.sql files in name order, as Atlas's
// local directory lists them, and atlas.sum once, hashes the files once, and refuses what
// migrate.Validate refuses (migrate.ErrChecksumNotFound, migrate.ErrChecksumMismatch, a
// malformed atlas.sum) and two files sharing a version. The files of a directory of another
// format are returned as its up migrations in Atlas's form (migformat.Logical), with their sum.
func VerifyFS(fsys fs.FS, name string) ([]migrate.File, migrate.HashFile, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: list %s: %w", name, err)
	}
	slices.Sort(names)
	files := make([]migrate.File, len(names))
	for i, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, nil, fmt.Errorf("migrate: read %s: %w", n, err)
		}
		files[i] = migrate.NewLocalFile(n, b)
	}
	sum := hashFile(files)
	b, err := fs.ReadFile(fsys, migrate.HashFileName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if len(files) > 0 {
			return nil, nil, migrate.ErrChecksumNotFound
		}
	case err != nil:
		return nil, nil, fmt.Errorf("migrate: read %s/%s: %w", name, migrate.HashFileName, err)
	default:
		var recorded migrate.HashFile
		if err := recorded.UnmarshalText(b); err != nil {
			return nil, nil, err
		}
		if recorded.Sum() != sum.Sum() {
			return nil, nil, migrate.ErrChecksumMismatch
		}
	}
	_, files, sum, err = logicalFiles(name, files, sum)
	if err != nil {
		return nil, nil, err
	}
	if err := checkVersions(files, name); err != nil {
		return nil, nil, err
	}
	return files, sum, nil
}

// readVerified reads the migration files (names, in order, as LocalDir.Files lists them) and
// atlas.sum of dir once and reports whether they pass migrate.Validate's test: atlas.sum's
// entries sum to what the files hash to, or there is neither atlas.sum nor a file.
func readVerified(dir *migrate.LocalDir, names []string) (d *loadedDir, ok bool) {
	d = &loadedDir{dir: dir}
	files, err := readFiles(dir.Path(), names)
	if err != nil {
		return d, false
	}
	sum := hashFile(files)
	d.files, d.sum = files, sum
	b, err := os.ReadFile(filepath.Join(dir.Path(), migrate.HashFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return d, len(files) == 0
	}
	if err != nil {
		return d, false
	}
	if sumText(sum, b) {
		return d, true
	}
	var recorded migrate.HashFile
	if err := recorded.UnmarshalText(b); err != nil {
		return d, false
	}
	return d, recorded.Sum() == sum.Sum()
}

// sumText reports whether b is the atlas.sum Atlas writes for sum (HashFile.MarshalText), byte
// for byte, which then passes migrate.Validate: it spares parsing the file and summing its
// entries twice. It is false when a name would not read back as it is written (a space or a
// control character, or "h1:" in it): atlas.sum is then parsed as Atlas parses it.
func sumText(sum migrate.HashFile, b []byte) bool {
	total := sum.Sum()
	if !bytes.HasPrefix(b, []byte("h1:"+total+"\n")) {
		return false
	}
	b = b[len("h1:")+len(total)+1:]
	for _, e := range sum {
		if strings.ContainsFunc(e.N, func(r rune) bool { return r <= ' ' }) || strings.Contains(e.N, "h1:") {
			return false
		}
		n := len(e.N) + len(" h1:") + len(e.H) + 1
		if len(b) < n || string(b[:len(e.N)]) != e.N || string(b[len(e.N):len(e.N)+4]) != " h1:" ||
			string(b[len(e.N)+4:n-1]) != e.H || b[n-1] != '\n' {
			return false
		}
		b = b[n:]
	}
	return len(b) == 0
}

// readBuffer is the size of the first read of each file by the directory reader of Linux
// (readfile_linux.go): most migration files fit.
const readBuffer = 64 << 10

// readFiles reads the named files of dir, as LocalDir.Files does, several at a time when there
// are many: on a history of 1,000 files reading is most of a no-op's work in the directory, and
// it waits on the kernel more than it computes.
func readFiles(dir string, names []string) ([]migrate.File, error) {
	files := make([]migrate.File, len(names))
	r, err := openDirReader(dir)
	if err != nil {
		return nil, err
	}
	defer r.close()
	workers := min(runtime.GOMAXPROCS(0), 4, len(names)/64)
	if workers <= 1 {
		for i, n := range names {
			b, err := r.read(n)
			if err != nil {
				return nil, err
			}
			files[i] = migrate.NewLocalFile(n, b)
		}
		return files, nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		r := r.fork()
		wg.Go(func() {
			for i := w; i < len(names); i += workers {
				b, err := r.read(names[i])
				if err != nil {
					errs[w] = err
					return
				}
				files[i] = migrate.NewLocalFile(names[i], b)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

// hashFile is migrate.NewHashFile(files): the atlas.sum entries of the files, each the SHA-256
// of the names and contents of every file up to it (only the name of a file marked `atlas:sum
// ignore`, which gets no entry).
func hashFile(files []migrate.File) migrate.HashFile {
	sum := make(migrate.HashFile, 0, len(files))
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.Name()))
		if sumIgnored(f) {
			continue
		}
		h.Write(f.Bytes())
		sum = append(sum, struct{ N, H string }{f.Name(), base64.StdEncoding.EncodeToString(h.Sum(nil))})
	}
	if len(sum) == 0 {
		return nil // as NewHashFile
	}
	return sum
}

// sumIgnored reports whether migrate.NewHashFile leaves f out of atlas.sum. Atlas looks for the
// directive with a regular expression anchored at the file's start, over printable ASCII up to
// "atlas:"; a file whose leading run of printable ASCII has no "atlas:" cannot match it (nearly
// every file: matching it was most of the cost of hashing a directory), and for the others
// Atlas decides.
func sumIgnored(f migrate.File) bool {
	b := f.Bytes()
	i := 0
	for i < len(b) && b[i] >= ' ' && b[i] <= '~' {
		i++
	}
	if !bytes.Contains(b[:i], []byte("atlas:")) {
		return false
	}
	sum, err := migrate.NewHashFile([]migrate.File{f})
	return err == nil && len(sum) == 0
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
	switch dialect {
	case "postgres":
		// As Atlas's postgres driver scans.
		opts = migrate.ScannerOptions{MatchBegin: true, MatchBeginAtomic: true, MatchDollarQuote: true, EscapedStringExt: true}
	case "mysql":
		// As Atlas's mysql driver scans.
		opts = migrate.ScannerOptions{MatchBegin: true, BackslashEscapes: true, HashComments: true}
	}
	decls, err := (&migrate.Scanner{ScannerOptions: opts}).Scan(string(f.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("migrate: cannot split %s into statements: %v: fix the file, then run `kernia hash`", f.Name(), err)
	}
	return decls, nil
}

// noTx reports whether f asks to run without a transaction (`-- atlas:txmode none`).
func noTx(f migrate.File) bool {
	lf, ok := f.(interface{ Directive(string) []string }) // *migrate.LocalFile, *migformat.File
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

// DirFormat returns the format of the migration directory at path from its *.sql files (in
// name order, as Atlas's LocalDir lists them): migformat.Detect, or "" when it has none.
func DirFormat(path string, files []migrate.File) (migformat.Format, error) {
	format, _, _, err := logicalFiles(path, files, nil)
	return format, err
}
