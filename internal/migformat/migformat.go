// Package migformat knows the migration directory formats Kernia writes and reads: Atlas's
// (the default: <version>_<name>.sql), golang-migrate's (<version>_<name>.up.sql and
// .down.sql), goose's (<version>_<name>.sql with -- +goose Up / Down sections) and Flyway's
// (V<version>__<name>.sql and U<version>__<name>.sql undo files).
//
// Whatever the format, a directory is read as Atlas reads it: every *.sql file is covered by
// atlas.sum (Atlas's checksum, over the files in name order, ups and downs alike, as the Atlas
// CLI computes it with --dir-format), and Logical turns the directory's up migrations into
// Atlas-format files (one per version, the up statements only, `-- atlas:txmode none` for a
// migration that runs outside a transaction) that the diff replays and the runner applies.
// Down and undo files are never run by Kernia: they are for the format's own tool.
package migformat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia/internal/formatname"
)

// Format is a migration directory format (internal/formatname, the one validator of its names).
type Format = formatname.Format

// The formats, by the name Options.MigrationFormat and generate --format take.
const (
	Atlas         = formatname.Atlas
	GolangMigrate = formatname.GolangMigrate
	Goose         = formatname.Goose
	Flyway        = formatname.Flyway
)

// Formats lists every format, the default first.
var Formats = formatname.Formats

// Parse validates a format name: "" (not chosen) or one of Formats. It is the one validator of
// Options.MigrationFormat and generate --format (formatname.Parse).
func Parse(s string) (Format, error) { return formatname.Parse(s) }

// TxModeNone is the Atlas directive that makes a file run outside a transaction.
const TxModeNone = "-- atlas:txmode none"

// Goose annotations.
const (
	gooseUp      = "-- +goose Up"
	gooseDown    = "-- +goose Down"
	gooseBegin   = "-- +goose StatementBegin"
	gooseEnd     = "-- +goose StatementEnd"
	gooseNoTx    = "-- +goose NO TRANSACTION"
	goosePrefix  = "-- +goose"
	logicalDelim = "-- kernia:statement-end"
)

var (
	reGolangMigrate = regexp.MustCompile(`^([0-9]+)_(.+)\.(up|down)\.sql$`)
	reFlyway        = regexp.MustCompile(`^([VU])([0-9]+)__(.+)\.sql$`)
	reAtlas         = regexp.MustCompile(`^([0-9]+)(?:_(.*))?\.sql$`)
)

// Role is what a file is to its format.
type Role int

// The roles of a migration directory's files.
const (
	Up   Role = iota // an up migration (Atlas's and goose's files, golang-migrate's .up.sql, Flyway's V)
	Down             // a down or undo migration (.down.sql, Flyway's U)
)

// Entry is one *.sql file of a directory, as its format names it.
type Entry struct {
	Name    string
	Version string
	Desc    string
	Role    Role
}

// Classify names one file of a directory of format f, or says why it is not one of f's.
func Classify(f Format, name string) (Entry, error) {
	switch f {
	case GolangMigrate:
		if m := reGolangMigrate.FindStringSubmatch(name); m != nil {
			r := Up
			if m[3] == "down" {
				r = Down
			}
			return Entry{Name: name, Version: m[1], Desc: m[2], Role: r}, nil
		}
		return Entry{}, fmt.Errorf("%s is not a golang-migrate file (<version>_<name>.up.sql or .down.sql)", name)
	case Flyway:
		if m := reFlyway.FindStringSubmatch(name); m != nil {
			r := Up
			if m[1] == "U" {
				r = Down
			}
			return Entry{Name: name, Version: m[2], Desc: m[3], Role: r}, nil
		}
		return Entry{}, fmt.Errorf("%s is not a Flyway file Kernia reads (V<version>__<name>.sql or U<version>__<name>.sql; repeatable R__ and baseline B files are not supported)", name)
	default: // Atlas, Goose
		lf := migrate.NewLocalFile(name, nil)
		return Entry{Name: name, Version: lf.Version(), Desc: lf.Desc(), Role: Up}, nil
	}
}

// Detect tells the format of a directory from its *.sql files (names, in order; read returns a
// file's content): golang-migrate when the names end in .up.sql or .down.sql, Flyway when they
// start with V<digits>__ or U<digits>__, goose when a file has a `-- +goose Up` line, else Atlas.
// A directory without files has no format (""). Files of two formats are refused, naming one
// of each.
func Detect(names []string, read func(name string) ([]byte, error)) (Format, error) {
	if len(names) == 0 {
		return "", nil
	}
	kinds := make([]Format, len(names))
	for i, n := range names {
		// Each regular expression is tried only on the names that can match it (their suffix
		// or first letter): on a history of 1,000 Atlas files, matching both on every name
		// and scanning every file's lines was 6 ms of a migrate no-op.
		switch {
		case (strings.HasSuffix(n, ".up.sql") || strings.HasSuffix(n, ".down.sql")) && reGolangMigrate.MatchString(n):
			kinds[i] = GolangMigrate
		case (strings.HasPrefix(n, "V") || strings.HasPrefix(n, "U")) && reFlyway.MatchString(n):
			kinds[i] = Flyway
		default:
			b, err := read(n)
			if err != nil {
				return "", err
			}
			kinds[i] = Atlas
			if isGoose(b) {
				kinds[i] = Goose
			}
		}
	}
	for i := range names {
		if kinds[i] != kinds[0] {
			return "", fmt.Errorf("the directory mixes migration formats: %s is a %s file and %s a %s file; a directory holds one format (move the other files to a directory of their own)",
				names[0], kinds[0], names[i], kinds[i])
		}
	}
	return kinds[0], nil
}

// isGoose reports whether content has a `-- +goose Up` annotation line.
func isGoose(content []byte) bool {
	if !bytes.Contains(content, []byte(goosePrefix)) {
		return false // no line can hold an annotation
	}
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if annotation(sc.Text()) == "Up" {
			return true
		}
	}
	return false
}

// annotation returns the goose annotation of line ("Up", "StatementBegin", "NO TRANSACTION"),
// or "".
func annotation(line string) string {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, goosePrefix) {
		return ""
	}
	return strings.TrimSpace(t[len(goosePrefix):])
}

// GooseFile is a goose migration file, split as goose splits it.
type GooseFile struct {
	// Header is the comment lines before `-- +goose Up`.
	Header []string
	// Up and Down are the statements of each section, each with its terminating semicolon.
	Up, Down []string
	// NoTx is set by `-- +goose NO TRANSACTION`.
	NoTx bool
}

// ParseGoose splits a goose SQL migration the way goose v3 does: statements end at a line
// ending with a semicolon, or span `-- +goose StatementBegin` … `-- +goose StatementEnd`;
// `-- +goose NO TRANSACTION` anywhere makes the file run outside a transaction. Annotations
// Kernia does not support (ENVSUB) and misplaced ones are refused with the line.
func ParseGoose(name string, content []byte) (*GooseFile, error) {
	const (
		start = iota
		up
		down
	)
	g := &GooseFile{}
	state, inStmt := start, false
	var buf []string
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(nil, 16<<20)
	line := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s line %d: %s", name, line, fmt.Sprintf(format, args...))
	}
	flush := func() {
		stmt := strings.TrimSpace(strings.Join(buf, "\n"))
		buf = buf[:0]
		if stmt == "" {
			return
		}
		if state == up {
			g.Up = append(g.Up, stmt)
		} else {
			g.Down = append(g.Down, stmt)
		}
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		switch a := annotation(text); a {
		case "":
		case "Up":
			if state != start {
				return nil, fail("a second `-- +goose Up`")
			}
			state = up
			continue
		case "Down":
			if state != up || inStmt {
				return nil, fail("`-- +goose Down` outside the Up section's end")
			}
			flush()
			state = down
			continue
		case "StatementBegin":
			if state == start || inStmt {
				return nil, fail("misplaced `-- +goose StatementBegin`")
			}
			flush()
			inStmt = true
			continue
		case "StatementEnd":
			if !inStmt {
				return nil, fail("`-- +goose StatementEnd` without StatementBegin")
			}
			inStmt = false
			flush()
			continue
		case "NO TRANSACTION":
			g.NoTx = true
			continue
		default:
			return nil, fail("goose annotation %q is not supported by Kernia's reader", text)
		}
		trimmed := strings.TrimSpace(text)
		if state == start {
			if trimmed != "" && !strings.HasPrefix(trimmed, "--") {
				return nil, fail("a statement before `-- +goose Up`")
			}
			if trimmed != "" {
				g.Header = append(g.Header, trimmed)
			}
			continue
		}
		if !inStmt && len(buf) == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "--")) {
			continue // comments between statements belong to none
		}
		buf = append(buf, text)
		if !inStmt && strings.HasSuffix(trimmed, ";") && !strings.HasPrefix(trimmed, "--") {
			flush()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if state == start {
		return nil, fmt.Errorf("%s has no `-- +goose Up` annotation", name)
	}
	if inStmt {
		return nil, fmt.Errorf("%s: `-- +goose StatementBegin` without StatementEnd", name)
	}
	if strings.TrimSpace(strings.Join(buf, "\n")) != "" {
		return nil, fmt.Errorf("%s: the last statement of its %s section does not end with a semicolon", name, map[int]string{up: "Up", down: "Down"}[state])
	}
	return g, nil
}

// File is an up migration of a directory of another format, as Atlas would hold it: Name is
// the file's own name (messages name the file the user has), Version and Desc its format's,
// and the content the up statements with Atlas directives, which Atlas's scanner splits
// exactly where the format's tool does.
type File struct {
	*migrate.LocalFile
	name, version, desc string
}

// Name is the file's name in its directory.
func (f *File) Name() string { return f.name }

// Version is the file's version.
func (f *File) Version() string { return f.version }

// Desc is the file's description (its name without version and suffixes).
func (f *File) Desc() string { return f.desc }

// Logical returns the up migrations of files (a directory of format f, every *.sql file in
// name order) as Atlas-format files, in version order: Atlas's files as they are; a
// golang-migrate .up.sql or Flyway V file with its content (its first comment block may hold
// `-- atlas:txmode none`, which Kernia writes there for a file that must run outside a
// transaction); a goose file's Up section, split as goose splits it, marked txmode none when
// it says `-- +goose NO TRANSACTION`. Two up files of one version are refused.
func Logical(f Format, files []migrate.File) ([]migrate.File, error) {
	if f == Atlas || f == "" {
		return files, nil
	}
	var out []migrate.File
	seen := map[string]string{}
	for _, file := range files {
		e, err := Classify(f, file.Name())
		if err != nil {
			return nil, err
		}
		if e.Role != Up {
			continue
		}
		if other, ok := seen[e.Version]; ok {
			return nil, fmt.Errorf("%s and %s share version %s: give the newer one a later version (rename it) and run `kernia hash`", other, e.Name, e.Version)
		}
		seen[e.Version] = e.Name
		content := file.Bytes()
		if f == Goose {
			g, err := ParseGoose(e.Name, content)
			if err != nil {
				return nil, err
			}
			content = GooseLogical(g)
		}
		out = append(out, &File{LocalFile: migrate.NewLocalFile(e.Version+"_"+e.Desc+".sql", content), name: e.Name, version: e.Version, desc: e.Desc})
	}
	// Versions are digits: order them as numbers (a golang-migrate 2 before 10).
	sortByVersion(out)
	return out, nil
}

// GooseLogical is the Atlas-format content of a goose file's Up section: a delimiter directive
// so that Atlas's scanner returns goose's statements, the txmode directive for NO TRANSACTION,
// the header, then each statement followed by the delimiter line.
func GooseLogical(g *GooseFile) []byte {
	var b strings.Builder
	b.WriteString("-- atlas:delimiter " + logicalDelim + "\n")
	if g.NoTx {
		b.WriteString(TxModeNone + "\n")
	}
	for _, h := range g.Header {
		b.WriteString(h + "\n")
	}
	b.WriteString("\n")
	for _, s := range g.Up {
		b.WriteString(s + "\n" + logicalDelim + "\n")
	}
	return []byte(b.String())
}

func sortByVersion(files []migrate.File) {
	less := func(a, b string) bool {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	}
	for i := 1; i < len(files); i++ {
		for j := i; j > 0 && less(files[j].Version(), files[j-1].Version()); j-- {
			files[j], files[j-1] = files[j-1], files[j]
		}
	}
}

// Dir is a migration directory of up migrations in Atlas's form (Logical's files), for Atlas's
// executor and Ent's replay: its atlas.sum is the files' own.
type Dir struct {
	files []migrate.File
	sum   migrate.HashFile
	mem   migrate.MemDir
}

// NewDir returns the directory of files.
func NewDir(files []migrate.File) (*Dir, error) {
	sum, err := migrate.NewHashFile(files)
	if err != nil {
		return nil, err
	}
	d := &Dir{files: files, sum: sum}
	if len(files) > 0 {
		if err := migrate.WriteSumFile(&d.mem, sum); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Open opens atlas.sum (the only file a reader of a Dir opens).
func (d *Dir) Open(name string) (fs.File, error) { return d.mem.Open(name) }

// WriteFile refuses: the directory is read-only.
func (d *Dir) WriteFile(string, []byte) error {
	return errors.New("migformat: the directory is read-only")
}

// Files returns the up migrations.
func (d *Dir) Files() ([]migrate.File, error) { return d.files, nil }

// Checksum returns the files' atlas.sum.
func (d *Dir) Checksum() (migrate.HashFile, error) { return d.sum, nil }
