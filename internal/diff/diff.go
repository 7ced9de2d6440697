// Package diff computes the next versioned migration: it replays the migration directory on a
// clean dev database, compares the result with the tables of the generated Ent client, and
// plans the SQL that moves one to the other, in Atlas's file format.
//
// Ent's own differ never drops a table; this package plans drops too, and refuses them unless
// the caller allows destructive changes.
package diff

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/mysql"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migformat"
	"github.com/kernia/kernia/internal/migration"
)

// VersionFormat is the layout of migration versions: a UTC timestamp, as Atlas writes them.
const VersionFormat = "20060102150405"

// Options configure one diff.
type Options struct {
	// Dev is the clean dev database.
	Dev *DevDB
	// Dir is the migration directory; it may not exist yet.
	Dir string
	// Tables is the desired schema: the tables of the generated Ent client (the diff's own: on
	// MySQL, Diff sets their MySQL column types, see mysqltypes.go).
	Tables []*entschema.Table
	// Name names the migration file (<version>_<name>.sql).
	Name string
	// Now is the clock that versions the file (default time.Now) when Version is empty.
	Now func() time.Time
	// Version versions the file: generate computes it once per run (NextVersion) so that every
	// dialect's file of the run shares it. Empty: from Now, past the directory's newest file.
	Version string
	// Kernia names the Kernia in the file's header (default migration.OperatorVersion()).
	Kernia string
	// Owners attributes tables and columns to plugins in the file's header.
	Owners Owners
	// AllowDestructive permits dropping tables and columns.
	AllowDestructive bool
	// Renames are the tables and columns renamed since the committed schema (rename.go).
	Renames Renames
	// Format is the directory's format (internal/migformat); empty: the format of the files
	// already in Dir, else Atlas's. A directory holding files of another format is refused.
	Format migformat.Format
	// Shared, when set, makes the directory a shared one (shared.go): files without Kernia's
	// header are the application's, and what they create is never dropped, changed or
	// planned; a table, column or index they created that Tables needs is refused
	// (ErrConflict). Tables must then hold Kernia's tables only.
	Shared *Ownership
	// Early, when set, is the directory replayed ahead of the diff on Dev (early.go): the diff
	// starts from its state when it is the state of Dir's files now.
	Early *Early
	// app is what the application's files created, once Diff found it (shared.go).
	app *appObjects
}

// Result is the planned migration.
type Result struct {
	// Files are the new files, in the order they apply; none when nothing changed. On
	// PostgreSQL a change to existing tables can take two: a transactional file, then a
	// `-- atlas:txmode none` file with the concurrent index builds and constraint validations
	// (see online.go).
	Files []File
	// Sum is the content of atlas.sum including the new file.
	Sum []byte
	// Destructive describes each dropped table or column.
	Destructive []string
	// Warnings describe changes that fail on tables holding rows: required columns added to
	// an existing table without a default.
	Warnings []string
}

// File is a new migration file.
type File struct {
	// Name is the file's name (Atlas: <version>_<name>.sql; see FormatOutput for the others).
	Name string
	// SQL is the file's content.
	SQL []byte
}

// ErrDestructive is returned when the plan drops a table or column and destructive changes
// are not allowed.
var ErrDestructive = errors.New("destructive change")

// Diff plans the migration from the state of the directory to opts.Tables.
func Diff(ctx context.Context, opts Options) (*Result, error) {
	d, err := readFormatDir(opts.Dir, opts.Format)
	if err != nil {
		return nil, err
	}
	dir, files := d.dir, d.files
	if opts.Dev.Dialect == kernia.MySQL {
		mysqlTypes(opts.Tables)
	}
	var current, desired *atlas.Schema
	if early := opts.Early.state(opts.Dev, opts.Dir, d); early != nil {
		current, desired, err = withDesired(ctx, opts, early)
	} else {
		current, desired, err = states(ctx, opts, dir)
	}
	if err != nil {
		return nil, err
	}
	drv, err := atlasDriver(opts.Dev)
	if err != nil {
		return nil, err
	}
	app, err := attribute(ctx, opts, files, desired) // shared.go: what the application's files created
	if err != nil {
		return nil, err
	}
	var own *owned
	if app != nil {
		own = app.resolve(current)
		opts.app = app
	}
	renames, err := renameChanges(current, desired, opts.Renames) // rename.go: current takes the new names
	if err != nil {
		return nil, err
	}
	if own != nil {
		if err := own.conflicts(desired, opts.Owners); err != nil {
			return nil, err
		}
		if err := own.keep(current, desired); err != nil {
			return nil, err
		}
	}
	changes, err := drv.SchemaDiff(current, desired)
	if err != nil {
		return nil, fmt.Errorf("diff: compare schemas: %w", err)
	}
	changes = append(renames, changes...)
	if own != nil {
		if err := own.checkDrops(changes); err != nil {
			return nil, err
		}
	}
	res := &Result{Destructive: destructive(changes), Warnings: requiredWithoutDefault(changes)}
	if len(res.Destructive) > 0 && !opts.AllowDestructive {
		return res, fmt.Errorf("%w: %s; removing a plugin, entity or field deletes its data: pass --allow-destructive if that is intended", ErrDestructive, strings.Join(res.Destructive, ", "))
	}
	// A SQLite directory that predates Kernia's storage format gets the storage migration once,
	// after this run's schema changes; the first file of an empty one records the format. Only
	// Atlas directories can predate it: Kernia wrote the other formats only after it.
	sqlite := opts.Dev.Dialect == kernia.SQLite && d.format == migformat.Atlas
	needStorage := sqlite && len(files) > 0 && !inStorageFormat(files)
	if len(changes) == 0 && !needStorage {
		return res, nil
	}
	var plans []onlineFile
	if len(changes) > 0 {
		plans, err = planOnline(ctx, drv, opts.Dev.Dialect, opts.Name, changes, func(o *migrate.PlanOptions) {
			noQualifier := ""
			o.SchemaQualifier = &noQualifier
			o.Indent = Indent
		})
		if err != nil {
			return nil, fmt.Errorf("diff: plan changes: %w", err)
		}
	}
	version, err := fileVersion(opts, files)
	if err != nil {
		return nil, err
	}
	if d.format != migformat.Atlas {
		return formatted(ctx, opts, drv, d, plans, version, res, header(opts, changes, files, res.Destructive))
	}
	all := slices.Clone(files)
	for i, p := range plans {
		plan := p.plan
		// The files of one diff take consecutive versions (a second apart), in plan order.
		if plan.Version, err = laterVersion(version, i); err != nil {
			return nil, err
		}
		reviewable(plan)
		formatted, err := migrate.DefaultFormatter.Format(plan)
		if err != nil || len(formatted) != 1 {
			return nil, fmt.Errorf("diff: format migration: %v", err)
		}
		content := formatted[0].Bytes()
		if p.online {
			content = withTxModeNone(content)
		}
		h := header(opts, changes, files, res.Destructive)
		h.Storage = sqlite && len(files) == 0 && i == 0
		f := File{Name: formatted[0].Name(), SQL: WithHeader(content, h)}
		res.Files = append(res.Files, f)
		all = append(all, migrate.NewLocalFile(f.Name, f.SQL))
	}
	if needStorage {
		v, err := laterVersion(version, len(plans))
		if err != nil {
			return nil, err
		}
		if f := storageFile(opts, all, v); f != nil {
			res.Files = append(res.Files, *f)
			all = append(all, migrate.NewLocalFile(f.Name, f.SQL))
		}
	}
	if len(res.Files) == 0 {
		return res, nil
	}
	sum, err := migrate.NewHashFile(all)
	if err != nil {
		return nil, fmt.Errorf("diff: hash migration directory: %w", err)
	}
	if res.Sum, err = sum.MarshalText(); err != nil {
		return nil, fmt.Errorf("diff: hash migration directory: %w", err)
	}
	return res, nil
}

// readDir opens the migration directory (an empty one when it does not exist yet) and checks
// it against atlas.sum.
func readDir(path string) (migrate.Dir, []migrate.File, error) {
	d, err := readFormatDir(path, "")
	if err != nil {
		return nil, nil, err
	}
	return d.dir, d.files, nil
}

// formatDir is a migration directory as the diff reads it.
type formatDir struct {
	// dir replays the up migrations; files are they, in order, as Atlas files.
	dir   migrate.Dir
	files []migrate.File
	// physical are the directory's *.sql files in name order (downs too), which atlas.sum covers.
	physical []migrate.File
	format   migformat.Format
}

// readFormatDir is readDir for a directory of format want ("" for the format of its files, else
// Atlas's). Files of another format than want are refused: a directory keeps its format.
func readFormatDir(path string, want migformat.Format) (*formatDir, error) {
	d := &formatDir{dir: &migrate.MemDir{}, format: cmp.Or(want, migformat.Atlas)}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return d, nil
	}
	if err := migration.CheckEntries(path); err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	dir, err := migrate.NewLocalDir(path)
	if err != nil {
		return nil, fmt.Errorf("diff: migration directory: %w", err)
	}
	if err := migrate.Validate(dir); err != nil {
		return nil, fmt.Errorf("diff: migration directory %s does not match its atlas.sum (%v): restore the edited files, or run `kernia hash` after a deliberate edit", path, err)
	}
	if d.physical, err = dir.Files(); err != nil {
		return nil, fmt.Errorf("diff: read %s: %w", path, err)
	}
	has, err := migration.DirFormat(path, d.physical)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	switch {
	case has == "":
	case want != "" && has != want:
		return nil, fmt.Errorf("diff: migration directory %s holds %s files, but the migration format is %s: a directory keeps its format; set Options.MigrationFormat (or generate --format) to %q, or start the new format in another directory (Options.MigrationsDir) on a fresh database", path, has, want, has)
	default:
		d.format = has
	}
	if d.format == migformat.Atlas {
		d.dir, d.files = dir, d.physical
		return d, nil
	}
	if d.files, err = migformat.Logical(d.format, d.physical); err != nil {
		return nil, fmt.Errorf("diff: migration directory %s (%s format): %w", path, d.format, err)
	}
	if d.dir, err = migformat.NewDir(d.files); err != nil {
		return nil, fmt.Errorf("diff: migration directory %s: %w", path, err)
	}
	return d, nil
}

func entDialect(d string) string {
	switch d {
	case kernia.Postgres:
		return dialect.Postgres
	case kernia.MySQL:
		return dialect.MySQL
	}
	return dialect.SQLite
}

func atlasDriver(dev *DevDB) (migrate.Driver, error) {
	return atlasDriverOn(dev.Dialect, dev.DB)
}

// atlasDriverOn opens Atlas's driver for dialect on q (the dev database, or a transaction on it).
func atlasDriverOn(dialect string, q atlas.ExecQuerier) (migrate.Driver, error) {
	var (
		drv migrate.Driver
		err error
	)
	switch dialect {
	case kernia.Postgres:
		drv, err = postgres.Open(q)
	case kernia.MySQL:
		drv, err = mysql.Open(q)
	default:
		drv, err = sqlite.Open(q)
	}
	if err != nil {
		return nil, fmt.Errorf("diff: open Atlas driver: %w", err)
	}
	return drv, nil
}

// destructive describes the drops in changes.
func destructive(changes []atlas.Change) []string {
	var out []string
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.DropTable:
			out = append(out, fmt.Sprintf("drops table %s", c.T.Name))
		case *atlas.ModifyTable:
			for _, tc := range c.Changes {
				if dc, ok := tc.(*atlas.DropColumn); ok {
					out = append(out, fmt.Sprintf("drops column %s.%s", c.T.Name, dc.C.Name))
				}
			}
		}
	}
	return out
}

// requiredWithoutDefault describes the NOT NULL columns without a database default that
// changes add to tables existing before the migration (a ModifyTable: a new table has no rows
// to fill). Applying such a column fails once the table has rows (PostgreSQL's ALTER TABLE and
// SQLite's table copy both hit NOT NULL), so the generator refuses them. A Go-side default
// (kernia.DefaultNow before it had a database default, a DefaultFunc) does not count: the
// database cannot call it for the existing rows. A field with kernia.DefaultNow or a literal
// default has a database default and is never reported.
func requiredWithoutDefault(changes []atlas.Change) []string {
	var out []string
	for _, c := range changes {
		mt, ok := c.(*atlas.ModifyTable)
		if !ok {
			continue
		}
		for _, tc := range mt.Changes {
			ac, ok := tc.(*atlas.AddColumn)
			if !ok || ac.C.Type == nil || ac.C.Type.Null || ac.C.Default != nil {
				continue
			}
			example := `Default: "..."`
			switch ac.C.Type.Type.(type) {
			case *atlas.TimeType:
				example = "Default: kernia.DefaultNow"
			case *atlas.BoolType:
				example = "Default: false"
			case *atlas.IntegerType:
				example = "Default: 0"
			}
			out = append(out, fmt.Sprintf("adds required column %[1]s.%[2]s without a database default to table %[1]s, which exists before this migration and may hold rows: the migration would fail on the first row; either give the field a default (%[3]s in its kernia.Field, or the plugin field's Default), or make it optional (Optional: true), generate and migrate, backfill %[1]s.%[2]s, then make it required", mt.T.Name, ac.C.Name, example))
		}
	}
	return out
}

// fileVersion returns opts.Version, which must come after the directory's newest version, or
// the next version from opts.Now.
func fileVersion(opts Options, files []migrate.File) (string, error) {
	if opts.Version == "" {
		return nextVersion(opts.Now, files), nil
	}
	if _, err := time.Parse(VersionFormat, opts.Version); err != nil {
		return "", fmt.Errorf("diff: version %q is not a UTC timestamp of the form %s", opts.Version, VersionFormat)
	}
	if len(files) > 0 && opts.Version <= files[len(files)-1].Version() {
		return "", fmt.Errorf("diff: version %s does not come after %s, the newest file of %s: compute it with NextVersion over every dialect's directory", opts.Version, files[len(files)-1].Name(), opts.Dir)
	}
	return opts.Version, nil
}

// nextVersion returns the clock's UTC timestamp, moved past the newest existing version so
// files stay ordered even when two are generated within a second.
func nextVersion(now func() time.Time, files []migrate.File) string {
	if now == nil {
		now = time.Now
	}
	// Versions are whole seconds: compare in whole seconds, or a run later in the second of
	// the newest file would take that file's version.
	t := now().UTC().Truncate(time.Second)
	if len(files) > 0 {
		if last, err := time.Parse(VersionFormat, files[len(files)-1].Version()); err == nil && !t.After(last) {
			t = last.Add(time.Second)
		}
	}
	return t.Format(VersionFormat)
}
