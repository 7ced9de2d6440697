// Package generator runs the generate pipeline: compose the schema plan of an auth instance,
// render the composed Ent schema, run Ent codegen, diff each dialect's migration directory
// against the result, and write everything, all or nothing.
package generator

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	entschema "entgo.io/ent/dialect/sql/schema"
	"golang.org/x/mod/modfile"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/codegen"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/filetx"
	"github.com/kernia/kernia/internal/migformat"
	"github.com/kernia/kernia/internal/workdir"
)

// Paths of the generated tree, relative to the module root.
const (
	TargetDir = "ent"
	SchemaDir = "ent/schema"
)

// DefaultName names migration files when Options.Name is empty.
const DefaultName = "kernia"

// Options configure a generate run.
type Options struct {
	// Name names the migration file (default "kernia").
	Name string
	// DryRun computes everything and writes nothing.
	DryRun bool
	// Check writes nothing and fails with ErrDrift when anything would change.
	Check bool
	// AllowDestructive permits migrations that drop tables or columns.
	AllowDestructive bool
	// Now versions migration files (default time.Now).
	Now func() time.Time
	// Log receives human progress lines (may be nil).
	Log io.Writer
	// Step, when set, is called as each dialect's diff starts, with what it does ("the postgres
	// diff"), and the function it returns when that diff ends: the hook for progress lines
	// (internal/progress) on a diff that takes long, a PostgreSQL server far away.
	Step func(what string) (done func())
	// LockWait bounds the wait for another generate in the module (default DefaultLockWait).
	LockWait time.Duration
	// Format is the migration format generate --format asks for (empty: Options.MigrationFormat,
	// else the directory's, else Atlas's). A format that disagrees with a non-empty
	// Options.MigrationFormat is refused: the option is the committed configuration.
	Format string
	// renames are the renames since the committed schema, which Run derives (compose.Renames).
	renames diff.Renames
	// format is the resolved migration format (MigrationFormat).
	format migformat.Format
}

// MigrationFormat resolves the format generate writes: flag (generate --format) and
// Options.MigrationFormat go through one validator (migformat.Parse); a flag that disagrees
// with the option is refused, since the option is what a teammate's clone and CI generate
// with. Empty: the directory's own format, else Atlas's.
func MigrationFormat(auth *kernia.Auth, flag string) (migformat.Format, error) {
	f, err := migformat.Parse(flag)
	if err != nil {
		return "", fmt.Errorf("generate: --format: %w", err)
	}
	o, err := migformat.Parse(auth.Options().MigrationFormat)
	if err != nil {
		return "", fmt.Errorf("generate: Options.MigrationFormat: %w", err)
	}
	if f != "" && o != "" && f != o {
		return "", fmt.Errorf("generate: --format %s disagrees with Options.MigrationFormat %q: the option is the committed configuration that every clone and CI generate with; change it (auth/auth.go) instead of passing --format, or drop the flag", f, o)
	}
	return cmp.Or(f, o), nil
}

// Migration is a migration file planned for one dialect.
type Migration struct {
	Dialect string `json:"dialect"`
	// Path is the file's path relative to the module root.
	Path string `json:"path"`
	SQL  string `json:"sql"`
	// Destructive lists the drops it contains.
	Destructive []string `json:"destructive,omitempty"`
	// Warnings lists changes worth a look that do not stop the run. Changes that fail on
	// tables holding rows (a required column without a database default added to an existing
	// table) are not warnings: Run refuses them with ErrRequiredWithoutDefault.
	Warnings []string `json:"warnings,omitempty"`
}

// Result reports what a run changed, or would change under DryRun and Check.
type Result struct {
	// Changed lists the files written or removed (or that would be), relative to the module root.
	Changed []string `json:"changed"`
	// Migrations are the new migration files, one per dialect with changes.
	Migrations []Migration `json:"migrations"`
	// Written is false under DryRun and Check.
	Written bool `json:"written"`
	// Cached is true when the fingerprint of every input matched the last complete run's,
	// so codegen and diffing were skipped.
	Cached bool `json:"cached"`
}

// UpToDate reports whether nothing changed.
func (r *Result) UpToDate() bool { return len(r.Changed) == 0 && len(r.Migrations) == 0 }

// ErrDrift is returned by Check when the committed files differ from what generate writes.
var ErrDrift = errors.New("generated files are out of date")

// ErrRequiredWithoutDefault is returned, and nothing is written, when a migration would add a
// required column without a database default to a table that exists before it: the migration
// would fail on the table's first row. --allow-destructive does not override it (the change
// destroys nothing; it cannot be applied). A new table may have such columns.
var ErrRequiredWithoutDefault = errors.New("refused")

// Run runs the pipeline in the module whose root is the working directory.
//
// Runs in one module serialize on LockFile: a run that finds the lock held says so on Log,
// waits (at most Options.LockWait, never past ctx), and then computes from the tree as the
// other run left it. Before anything else, a run rolls back the journal of a run that was
// killed (JournalFile). Cancelled (Ctrl-C) before its commit, a run restores every file it
// changed and returns an *InterruptedError.
func Run(ctx context.Context, auth *kernia.Auth, opts Options) (_ *Result, err error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	if err := CheckName(opts.Name); err != nil {
		return nil, err
	}
	format, err := MigrationFormat(auth, opts.Format)
	if err != nil {
		return nil, err
	}
	opts.format = format
	lock, err := acquireLock(ctx, log, cmp.Or(opts.LockWait, DefaultLockWait))
	if err != nil {
		return nil, err
	}
	defer lock.release()
	if err := recoverInterrupted(log); err != nil {
		return nil, err
	}
	scratch, err := cleanScratch()
	if err != nil {
		return nil, err
	}
	plan, err := compose.Build(auth)
	if err != nil {
		return nil, err
	}
	rendered, err := compose.Render(plan)
	if err != nil {
		return nil, err
	}
	// Renames come from the committed schema's identity records: read them before it is rewritten.
	prev, err := compose.ReadIdentities(SchemaDir)
	if err != nil {
		return nil, err
	}
	renames, err := plan.Renames(prev)
	if err != nil {
		return nil, err
	}
	opts.renames = diff.Renames(renames)
	module, err := modulePath(auth)
	if err != nil {
		return nil, err
	}
	dialects, err := auth.Dialects()
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	// The dev database list is checked before anything is written (OpenDev parses it again).
	if _, err := database.ParseDevURLs(auth.DevURL()); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if err := workdir.Inside(".", auth.MigrationsDir()); err != nil {
		return nil, fmt.Errorf("generate: Options.MigrationsDir: %w: give a directory of the module", err)
	}
	schemas, err := compose.Schemas(plan)
	if err != nil {
		return nil, err
	}
	in := inputs{module: module, schemas: schemas, rendered: rendered, dialects: dialects, migrationsDir: auth.MigrationsDir(), format: string(opts.format)}
	fp, err := in.fingerprint()
	if err != nil {
		return nil, err
	}
	if fp == readFingerprint() {
		fmt.Fprintln(log, "generate: inputs unchanged since the last run (fingerprint match): skipped codegen and diff")
		return &Result{Cached: true}, nil
	}
	if err := interrupted(ctx); err != nil {
		return nil, err
	}
	res := &Result{}
	tx, err := filetx.BeginJournal(JournalFile)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	defer func() {
		if !res.Written {
			if rerr := tx.Rollback(); rerr != nil {
				err = fmt.Errorf("%w; restoring the files failed too: %w (the next generate finishes the restore from %s)", err, rerr, JournalFile)
			}
		}
	}()
	if err := writeSchema(tx, rendered); err != nil {
		return nil, err
	}
	start := time.Now()
	cfg := codegen.Config{
		SchemaDir:     "./" + SchemaDir,
		SchemaPackage: path.Join(module, SchemaDir),
		Package:       path.Join(module, TargetDir),
		Header:        compose.Header,
		ScratchDir:    scratch,
	}
	// The schema package holds only Kernia's files: the plan is the whole schema, marshalled
	// in-process. Files of the user's (their own entities, perhaps) need Ent's loader, and the
	// diffs then take Kernia's tables only: the application's entities compose and compile
	// with the client, but their tables are the application's to migrate.
	var kerniaTables []*entschema.Table
	if ok, err := onlyGenerated(SchemaDir); err != nil {
		return nil, err
	} else if ok {
		cfg.Schemas = schemas
	} else if kerniaTables, err = compose.Tables(plan); err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" {
		name = DefaultName
	}
	// Ent's codegen takes no context: it runs aside, and an interrupt abandons it (it writes
	// only into its own temporary directory) so the run ends promptly, as Mage requires.
	shared, err := sharedDiffOptions(auth, plan, dialects, opts)
	if err != nil {
		return nil, err
	}
	shared.Shared = ownership(prev)
	done := make(chan generated, 1)
	go func() { done <- generate(ctx, auth, cfg, dialects, name, opts, shared, kerniaTables) }()
	var out generated
	select {
	case out = <-done:
	case <-ctx.Done():
		// Give the diffs a moment to drop their temporary dev databases (a later run drops
		// what is left), within Mage's five seconds of grace.
		select {
		case <-done:
		case <-time.After(interruptGrace):
		}
		return nil, interrupted(ctx)
	}
	if err := interrupted(ctx); err != nil {
		return nil, err
	}
	if out.err != nil {
		return nil, out.err
	}
	fmt.Fprintf(log, "ent codegen and diffs: %d files in %s\n", len(out.files), time.Since(start).Round(time.Millisecond))
	if err := writeClient(tx, out.files); err != nil {
		return nil, err
	}
	for i, d := range dialects {
		m, err := out.diffs[i].m, out.diffs[i].err
		if err != nil {
			return nil, err
		}
		if m == nil {
			fmt.Fprintf(log, "%s: no schema changes\n", d)
			continue
		}
		for _, f := range m.files {
			res.Migrations = append(res.Migrations, f)
			for _, w := range f.Warnings {
				fmt.Fprintf(log, "warning: %s: %s\n", d, w)
			}
			if _, err := tx.Write(filepath.FromSlash(f.Path), []byte(f.SQL), 0o644); err != nil {
				return nil, err
			}
		}
		if _, err := tx.Write(filepath.Join(filepath.Dir(filepath.FromSlash(m.files[0].Path)), "atlas.sum"), m.sum, 0o644); err != nil {
			return nil, err
		}
	}
	for _, p := range tx.Changed() {
		res.Changed = append(res.Changed, filepath.ToSlash(p))
	}
	slices.Sort(res.Changed)
	if opts.Check && !res.UpToDate() {
		return res, fmt.Errorf("%w: %s; run generate and commit the result", ErrDrift, strings.Join(res.Changed, ", "))
	}
	if !opts.DryRun && !opts.Check {
		// The last moment an interrupt undoes the run; after the commit it is complete.
		if err := interrupted(ctx); err != nil {
			return nil, err
		}
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		res.Written = true
		if fp, err := in.fingerprint(); err == nil {
			storeFingerprint(fp)
		}
	}
	return res, nil
}

// interruptGrace bounds how long an interrupted run waits for codegen and the diffs to end.
const interruptGrace = 2 * time.Second

// generated is the output of Ent's codegen and of every dialect's diff.
type generated struct {
	files map[string][]byte
	diffs []diffResult
	err   error
}

// generate builds the Ent graph and runs codegen while each dialect's diff, which needs only
// the graph's tables, runs alongside: that keeps both cores busy formatting. When kerniaTables is set
// (the schema package holds the application's own entities too), each diff gets Kernia's
// tables only (kerniaOnly).
func generate(ctx context.Context, auth *kernia.Auth, cfg codegen.Config, dialects []string, name string, opts Options, shared diff.Options, kerniaTables []*entschema.Table) generated {
	graph, err := codegen.NewGraph(cfg)
	if err != nil {
		return generated{err: err}
	}
	defer graph.Close()
	out := generated{diffs: make([]diffResult, len(dialects))}
	var wg sync.WaitGroup
	for i, d := range dialects {
		tables, err := graph.Tables()
		if err == nil && kerniaTables != nil {
			tables, err = kerniaOnly(tables, kerniaTables)
		}
		if err != nil {
			wg.Wait()
			return generated{err: err}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if opts.Step != nil {
				defer opts.Step("the " + d + " diff")()
			}
			out.diffs[i].m, out.diffs[i].err = diffDialect(ctx, auth, d, tables, name, opts, shared)
		}()
	}
	out.files, out.err = graph.Files()
	wg.Wait()
	return out
}

// recoverInterrupted rolls back the journal a killed run left, and removes the fingerprint
// cache's temporary file, before the run looks at the tree.
func recoverInterrupted(log io.Writer) error {
	_ = os.Remove(FingerprintFile + ".tmp")
	rec, err := filetx.Recover(JournalFile)
	if err != nil {
		return fmt.Errorf("generate: an interrupted generate left %s, and rolling it back failed: %w; fix the cause and run generate again", JournalFile, err)
	}
	if rec == nil {
		return nil
	}
	who := "an interrupted generate"
	if rec.PID > 0 {
		who += fmt.Sprintf(" (pid %d, started %s)", rec.PID, rec.Started.Local().Format(time.DateTime))
	}
	fmt.Fprintf(log, "generate: rolled back %s: restored %d files, removed %d temporary files\n", who, len(rec.Restored), len(rec.Temporary))
	return nil
}

// plannedMigration is a dialect's new migration files (on PostgreSQL a change to existing
// tables can take two, see internal/diff's online.go) and its new atlas.sum.
type plannedMigration struct {
	files []Migration
	sum   []byte
}

type diffResult struct {
	m   *plannedMigration
	err error
}

// sharedDiffOptions returns what every dialect's diff of one run shares: one version, computed
// once (after the lock, from opts.Now) past the newest file of every dialect's directory, and
// the contributors of the tables and columns for the files' headers.
func sharedDiffOptions(auth *kernia.Auth, plan *compose.Plan, dialects []string, opts Options) (diff.Options, error) {
	dirs := make([]string, len(dialects))
	for i, d := range dialects {
		dirs[i] = filepath.Join(auth.MigrationsDir(), d)
	}
	version, err := diff.NextVersion(opts.Now, dirs...)
	if err != nil {
		return diff.Options{}, fmt.Errorf("generate: %w", err)
	}
	owners := diff.Owners{Tables: map[string]string{}, Columns: map[string]map[string]string{}}
	for _, e := range plan.Entities {
		owners.Tables[e.Table] = e.Owner
		owners.Columns[e.Table] = map[string]string{}
		for _, c := range e.Columns {
			owners.Columns[e.Table][c.Name] = c.Contributor
		}
	}
	for _, p := range auth.Plugins() {
		owners.Plugins = append(owners.Plugins, p.ID())
	}
	return diff.Options{Version: version, Owners: owners}, nil
}

func diffDialect(ctx context.Context, auth *kernia.Auth, dialect string, tables []*entschema.Table, name string, opts Options, shared diff.Options) (*plannedMigration, error) {
	dir := filepath.Join(auth.MigrationsDir(), dialect)
	var early *diff.Early
	if dialect == kernia.Postgres {
		early = diff.EarlyFrom(ctx)
	}
	dev := early.Take(auth.DevURL(), dir)
	if dev == nil {
		var err error
		if dev, err = diff.OpenDev(ctx, dialect, auth.DevURL(), auth.DatabaseURL()); err != nil {
			return nil, fmt.Errorf("generate %s: %w", dialect, err)
		}
	}
	defer dev.Close()
	r, err := diff.Diff(ctx, diff.Options{
		Dev:              dev,
		Early:            early,
		Dir:              dir,
		Tables:           tables,
		Name:             name,
		Now:              opts.Now,
		Version:          shared.Version,
		Owners:           shared.Owners,
		AllowDestructive: opts.AllowDestructive,
		Renames:          opts.renames,
		Format:           opts.format,
		Shared:           shared.Shared,
	})
	if err != nil {
		return nil, fmt.Errorf("generate %s: %w", dialect, err)
	}
	if len(r.Warnings) > 0 {
		// diff reports as warnings the changes that fail on tables holding rows.
		return nil, fmt.Errorf("generate %s: %w: %s", dialect, ErrRequiredWithoutDefault, strings.Join(r.Warnings, "; "))
	}
	if len(r.Files) == 0 {
		return nil, nil
	}
	pm := &plannedMigration{sum: r.Sum}
	for i, f := range r.Files {
		if err := checkInside(dir, f.Name); err != nil {
			return nil, err
		}
		m := Migration{Dialect: dialect, Path: filepath.ToSlash(filepath.Join(dir, f.Name)), SQL: string(f.SQL)}
		if i == 0 {
			m.Destructive = r.Destructive
		}
		pm.files = append(pm.files, m)
	}
	return pm, nil
}

// writeSchema writes the composed schema files and removes Kernia's stale ones. A file of the
// same name that Kernia did not generate is the user's: it is never overwritten.
func writeSchema(tx *filetx.Tx, files []compose.File) error {
	want := map[string]bool{}
	for _, f := range files {
		p := filepath.Join(SchemaDir, f.Name)
		want[p] = true
		if cur, err := os.ReadFile(p); err == nil && !compose.IsGenerated(cur) {
			return fmt.Errorf("generate: %s exists and was not generated by Kernia: rename it (Kernia writes this file for entity %s)", p, strings.TrimSuffix(f.Name, ".go"))
		}
		if _, err := tx.Write(p, f.Content, 0o644); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	entries, err := os.ReadDir(SchemaDir)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join(SchemaDir, e.Name())
		if e.IsDir() || want[p] || !strings.HasSuffix(e.Name(), ".go") || !isGeneratedFile(p) {
			continue
		}
		if _, err := tx.Remove(p); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	return nil
}

// writeClient writes Ent's output into the target directory and removes the generated files
// it no longer produces. The schema package and migration directories are not Ent's output.
func writeClient(tx *filetx.Tx, files map[string][]byte) error {
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		if _, err := tx.Write(filepath.Join(TargetDir, filepath.FromSlash(rel)), files[rel], 0o644); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	return filepath.WalkDir(TargetDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(TargetDir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "schema" || rel == "migrate/migrations" {
				return filepath.SkipDir
			}
			return nil
		}
		if _, ok := files[rel]; ok || !strings.HasSuffix(p, ".go") || !isGeneratedFile(p) {
			return nil
		}
		if _, err := tx.Remove(p); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		return nil
	})
}

// onlyGenerated reports whether every Go file of dir was generated by Kernia.
func onlyGenerated(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("generate: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") && !isGeneratedFile(filepath.Join(dir, e.Name())) {
			return false, nil
		}
	}
	return true, nil
}

func isGeneratedFile(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(compose.Header))
	n, _ := io.ReadFull(f, head)
	return bytes.Equal(head[:n], []byte(compose.Header))
}

// modulePath returns Options.Module, else the module path of go.mod in the working directory.
func modulePath(auth *kernia.Auth) (string, error) {
	if m := auth.Options().Module; m != "" {
		return m, nil
	}
	b, err := os.ReadFile("go.mod")
	if err != nil {
		return "", errors.New("generate: no go.mod in the working directory: run Kernia from your module's root")
	}
	mp := modfile.ModulePath(b)
	if mp == "" {
		return "", errors.New("generate: go.mod has no module line")
	}
	return mp, nil
}
