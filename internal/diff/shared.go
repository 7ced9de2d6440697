package diff

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"ariga.io/atlas/sql/migrate"
	atlas "ariga.io/atlas/sql/schema"

	"github.com/kernia/kernia"
)

// A shared migration directory holds Kernia's files beside the application's own: its orders
// table (whose foreign key points at users), hand-written SQL. Kernia owns exactly its tables
// and what it adds to them; everything the application's files create is the application's,
// and a diff never drops, changes or plans it.
//
// Which files are Kernia's: every file Kernia writes starts with its header line (HeaderPrefix
// "Kernia", in the file's first comment block). Files Kernia wrote before it wrote headers are
// recognised by their shape and content (legacyKernia). Every other file is the application's.
//
// What the application owns: what its files create, found by replaying the directory on the
// dev database and inspecting it before and after each application file (a transaction that is
// rolled back): its tables, and the columns, indexes and foreign keys it adds to tables Kernia's
// files created. The diff then keeps every one of them on both sides: the application's tables
// are left out of the comparison, and what it added to Kernia's tables is copied into the
// desired schema, so a SQLite table rebuild of users keeps the application's columns and
// indexes, and nothing of them is ever planned.

// Ownership tells the diff what Kernia owns in a shared migration directory. Without it (nil
// Options.Shared) every file of the directory is taken for Kernia's.
type Ownership struct {
	// Committed maps each table of the committed composition (the identity records of the
	// committed ent/schema files) to its columns. It recognises the files Kernia wrote before
	// it wrote headers; nil when the committed schema holds no records.
	Committed map[string][]string
}

// appObjects are the objects the application's files created, by name as the directory's
// replay leaves them, each with the file that created it.
type appObjects struct {
	tables  map[string]string            // table → file
	columns map[string]map[string]string // Kernia table → column → file
	indexes map[string]map[string]string // table → index → file (any table)
	fks     map[string]map[string]string // Kernia table → foreign key → file
}

func (a *appObjects) empty() bool {
	return len(a.tables) == 0 && len(a.columns) == 0 && len(a.indexes) == 0 && len(a.fks) == 0
}

func put(m map[string]map[string]string, table, name, file string) {
	if m[table] == nil {
		m[table] = map[string]string{}
	}
	m[table][name] = file
}

// IsKerniaFile reports whether content is a migration file Kernia wrote with its header: a
// line of the file's leading comment block starts with HeaderPrefix + "Kernia".
func IsKerniaFile(content []byte) bool {
	for _, l := range strings.Split(string(content), "\n") {
		if !strings.HasPrefix(l, "--") {
			return false
		}
		if strings.HasPrefix(l, HeaderPrefix+"Kernia") {
			return true
		}
	}
	return false
}

// atlasComment matches the comment Atlas's planner writes above each statement it plans
// (`-- Create "users" table`, `-- Modify "users" table`, `-- Create index "x" to table: "users"`).
var atlasComment = regexp.MustCompile(`^-- (Create|Add|Modify|Drop|Rename|Copy|Disable|Enable|Set|Alter) `)

// atlasShaped reports whether every statement of f carries Atlas's planner comment, as the files
// Kernia wrote before its header did, and returns the tables those comments say f creates
// (`-- Create "users" table`).
func atlasShaped(f migrate.File) (creates []string, ok bool) {
	stmts, err := f.StmtDecls()
	if err != nil || len(stmts) == 0 {
		return nil, false
	}
	for _, s := range stmts {
		if len(s.Comments) == 0 {
			return nil, false
		}
		c := strings.TrimSpace(s.Comments[len(s.Comments)-1])
		if !atlasComment.MatchString(c) {
			return nil, false
		}
		if m := atlasCreateTable.FindStringSubmatch(c); m != nil {
			creates = append(creates, m[1])
		}
	}
	return creates, true
}

// atlasCreateTable matches Atlas's planner comment above a CREATE TABLE.
var atlasCreateTable = regexp.MustCompile(`^-- Create "([^"]+)" table$`)

// created is what one file created: tables, and columns, indexes and foreign keys on tables
// that existed before it.
type created struct {
	tables  []string
	columns map[string][]string
	indexes map[string][]string
	fks     map[string][]string
}

// createdBy compares the schema before and after a file.
func createdBy(before, after *atlas.Schema) created {
	c := created{columns: map[string][]string{}, indexes: map[string][]string{}, fks: map[string][]string{}}
	for _, t := range after.Tables {
		old, ok := before.Table(t.Name)
		if !ok {
			c.tables = append(c.tables, t.Name)
			for _, idx := range t.Indexes {
				c.indexes[t.Name] = append(c.indexes[t.Name], idx.Name)
			}
			continue
		}
		for _, col := range t.Columns {
			if _, ok := old.Column(col.Name); !ok {
				c.columns[t.Name] = append(c.columns[t.Name], col.Name)
			}
		}
		for _, idx := range t.Indexes {
			if _, ok := old.Index(idx.Name); !ok {
				c.indexes[t.Name] = append(c.indexes[t.Name], idx.Name)
			}
		}
		for _, fk := range t.ForeignKeys {
			if _, ok := old.ForeignKey(fk.Symbol); !ok {
				c.fks[t.Name] = append(c.fks[t.Name], fk.Symbol)
			}
		}
	}
	return c
}

// createsKernia reports whether c creates a table or a column that tables (table → columns)
// lists.
func (c created) createsKernia(tables map[string][]string) bool {
	for _, t := range c.tables {
		if _, ok := tables[t]; ok {
			return true
		}
	}
	for t, cols := range c.columns {
		for _, col := range cols {
			if slices.Contains(tables[t], col) {
				return true
			}
		}
	}
	return false
}

// legacyKernia reports whether a file without Kernia's header is one Kernia wrote before it
// wrote headers: Atlas's planner output (each statement under Atlas's comment) that creates a
// table or column Kernia owns (kerniaTables: of the committed composition when its records are
// known, else of the desired one). c is what the file created, or nil when it is not known
// yet: then Atlas's comments name the tables it creates. A hand-written file is never taken
// for Kernia's; the one case this cannot tell apart is a file the application planned with
// Atlas itself that creates a table of Kernia's composition in a module whose committed schema
// has no records (its first generate).
func legacyKernia(f migrate.File, c *created, kerniaTables map[string][]string) bool {
	creates, ok := atlasShaped(f)
	if !ok {
		return false
	}
	if c == nil {
		c = &created{tables: creates}
	}
	return c.createsKernia(kerniaTables)
}

// kerniaTables returns the tables (and their columns) legacyKernia looks for: the committed
// composition when its records are known, else the desired one.
func kerniaTables(own *Ownership, desired *atlas.Schema) map[string][]string {
	if len(own.Committed) > 0 {
		return own.Committed
	}
	tables := map[string][]string{}
	for _, t := range desired.Tables {
		tables[t.Name] = nil
		for _, col := range t.Columns {
			tables[t.Name] = append(tables[t.Name], col.Name)
		}
	}
	return tables
}

// attribute replays the directory's files on the dev database, in a transaction it rolls back,
// up to the last application file, and returns what the application's files created. It
// returns nil, without touching the database, when every file is Kernia's (its header, or a
// file of Kernia's from before the header that Atlas's comments show creating its tables).
func attribute(ctx context.Context, opts Options, files []migrate.File, desired *atlas.Schema) (*appObjects, error) {
	if opts.Shared == nil || opts.Dev.Dialect == kernia.MySQL {
		// MySQL's DDL is not transactional: the replay could not be rolled back, so a MySQL
		// directory is taken for Kernia's alone, as before.
		return nil, nil
	}
	kt := kerniaTables(opts.Shared, desired)
	ours := make([]bool, len(files))
	last := -1
	for i, f := range files {
		ours[i] = IsKerniaFile(f.Bytes()) || legacyKernia(f, nil, kt)
		if !ours[i] {
			last = i
		}
	}
	if last < 0 {
		return nil, nil
	}
	return inTx(ctx, opts.Dev.DB, func(tx *sql.Tx) (*appObjects, error) {
		var q atlas.ExecQuerier = tx
		if opts.Dev.Dialect == kernia.Postgres {
			q = plainIndexDDL{tx}
		}
		drv, err := atlasDriverOn(opts.Dev.Dialect, q)
		if err != nil {
			return nil, err
		}
		app := &appObjects{tables: map[string]string{}, columns: map[string]map[string]string{}, indexes: map[string]map[string]string{}, fks: map[string]map[string]string{}}
		before := &atlas.Schema{}
		stale := false // files ran since before was inspected
		inspect := func() (*atlas.Schema, error) {
			s, err := drv.InspectSchema(ctx, "", nil)
			if err != nil {
				return nil, fmt.Errorf("diff: inspect the dev database while telling the application's migrations from Kernia's: %w", err)
			}
			return s, nil
		}
		for i, f := range files[:last+1] {
			if !ours[i] && stale {
				if before, err = inspect(); err != nil {
					return nil, err
				}
			}
			stmts, err := migrate.FileStmts(drv, f)
			if err != nil {
				return nil, fmt.Errorf("diff: split %s into statements: %w", f.Name(), err)
			}
			for _, s := range stmts {
				if maintenance.MatchString(s) {
					continue // changes no schema, and cannot run inside a transaction block
				}
				if _, err := drv.ExecContext(ctx, s); err != nil {
					return nil, fmt.Errorf("diff: replay %s on the dev database (telling the application's migrations from Kernia's): %w", f.Name(), err)
				}
			}
			if ours[i] {
				stale = true
				continue
			}
			after, err := inspect()
			if err != nil {
				return nil, err
			}
			c := createdBy(before, after)
			before, stale = after, false
			if legacyKernia(f, &c, kt) {
				continue
			}
			file := filepath.Join(opts.Dir, f.Name())
			for _, t := range c.tables {
				app.tables[t] = file
			}
			for t, cols := range c.columns {
				for _, col := range cols {
					put(app.columns, t, col, file)
				}
			}
			for t, idxs := range c.indexes {
				for _, idx := range idxs {
					put(app.indexes, t, idx, file)
				}
			}
			for t, fks := range c.fks {
				for _, fk := range fks {
					put(app.fks, t, fk, file)
				}
			}
		}
		if app.empty() {
			return nil, nil
		}
		return app, nil
	})
}

// maintenance matches the PostgreSQL maintenance statements an application's file may hold
// (in a `-- atlas:txmode none` file): they change no schema, and cannot run inside the
// transaction block attribute replays in.
var maintenance = regexp.MustCompile(`(?i)^\s*(VACUUM|ANALYZE|REINDEX|CLUSTER|CHECKPOINT)\b`)

// owned is appObjects resolved to the objects of the current schema (before renames change
// their names).
type owned struct {
	tables  map[*atlas.Table]string
	columns map[*atlas.Table]map[*atlas.Column]string
	indexes map[*atlas.Table]map[*atlas.Index]string
	fks     map[*atlas.Table]map[*atlas.ForeignKey]string
}

// resolve finds the application's objects in current.
func (a *appObjects) resolve(current *atlas.Schema) *owned {
	o := &owned{tables: map[*atlas.Table]string{}, columns: map[*atlas.Table]map[*atlas.Column]string{},
		indexes: map[*atlas.Table]map[*atlas.Index]string{}, fks: map[*atlas.Table]map[*atlas.ForeignKey]string{}}
	for _, t := range current.Tables {
		if f, ok := a.tables[t.Name]; ok {
			o.tables[t] = f
			continue
		}
		for _, c := range t.Columns {
			if f, ok := a.columns[t.Name][c.Name]; ok {
				if o.columns[t] == nil {
					o.columns[t] = map[*atlas.Column]string{}
				}
				o.columns[t][c] = f
			}
		}
		for _, idx := range t.Indexes {
			if f, ok := a.indexes[t.Name][idx.Name]; ok {
				if o.indexes[t] == nil {
					o.indexes[t] = map[*atlas.Index]string{}
				}
				o.indexes[t][idx] = f
			}
		}
		for _, fk := range t.ForeignKeys {
			if f, ok := a.fks[t.Name][fk.Symbol]; ok {
				if o.fks[t] == nil {
					o.fks[t] = map[*atlas.ForeignKey]string{}
				}
				o.fks[t][fk] = f
			}
		}
	}
	return o
}

// conflicts refuses a desired table, column or index that the application's files created:
// Kernia needs the name, and the application owns it.
func (o *owned) conflicts(desired *atlas.Schema, owners Owners) error {
	var errs []string
	by := func(table string) string {
		if owner := owners.Tables[table]; owner != "" {
			return " (" + owner + ")"
		}
		return ""
	}
	appIndex := map[string][2]string{} // index name → table, file
	for t, idxs := range o.indexes {
		for idx, f := range idxs {
			appIndex[idx.Name] = [2]string{t.Name, f}
		}
	}
	for t, f := range o.tables {
		for _, idx := range t.Indexes {
			appIndex[idx.Name] = [2]string{t.Name, f}
		}
	}
	for _, dt := range desired.Tables {
		for t, f := range o.tables {
			if t.Name == dt.Name {
				errs = append(errs, fmt.Sprintf("table %s, which Kernia needs%s, was created by the application's migration %s", dt.Name, by(dt.Name), f))
			}
		}
		for t, cols := range o.columns {
			if t.Name != dt.Name {
				continue
			}
			for c, f := range cols {
				if _, ok := dt.Column(c.Name); ok {
					errs = append(errs, fmt.Sprintf("column %s.%s, which Kernia needs (%s), was added by the application's migration %s", dt.Name, c.Name, cmp.Or(owners.Columns[dt.Name][c.Name], "kernia"), f))
				}
			}
		}
		for _, idx := range dt.Indexes {
			if at, ok := appIndex[idx.Name]; ok {
				errs = append(errs, fmt.Sprintf("index %s, which Kernia needs on table %s, was created by the application's migration %s (on table %s)", idx.Name, dt.Name, at[1], at[0]))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	slices.Sort(errs)
	return fmt.Errorf("%w: %s: the application owns what its migrations create, and Kernia never changes it; rename yours in a migration of your own (then run `kernia hash`), or rename Kernia's with Options.Schema (Table, Columns), and generate again; nothing was written", ErrConflict, strings.Join(errs, "; "))
}

// ErrConflict is returned, and nothing is written, when the application's migrations created a
// table, column or index that Kernia needs.
var ErrConflict = errors.New("conflict with the application's migrations")

// keep puts the application's objects into desired so that the diff plans nothing for them:
// its tables as they are, and copies of the columns, indexes and foreign keys it added to
// Kernia's tables (under their current names, after renames). A Kernia table whose rebuild
// (SQLite) copies the desired table keeps them too. It returns an error when an object of the
// application depends on a Kernia column that desired no longer has.
func (o *owned) keep(current, desired *atlas.Schema) error {
	tables := slices.Collect(maps.Keys(o.tables))
	slices.SortFunc(tables, func(a, b *atlas.Table) int { return strings.Compare(a.Name, b.Name) })
	for _, t := range tables {
		if _, ok := desired.Table(t.Name); !ok {
			desired.Tables = append(desired.Tables, t)
		}
	}
	for _, ct := range current.Tables {
		if _, ok := o.tables[ct]; ok {
			continue
		}
		dt, ok := desired.Table(ct.Name)
		if !ok {
			continue // a Kernia table the diff drops: checkDrops refuses it if the application depends on it
		}
		for _, c := range ct.Columns {
			if _, ok := o.columns[ct][c]; ok {
				if _, exists := dt.Column(c.Name); !exists {
					cp := *c
					cp.Indexes, cp.ForeignKeys = nil, nil
					dt.Columns = append(dt.Columns, &cp)
				}
			}
		}
		col := func(name string, what string, f string) (*atlas.Column, error) {
			c, ok := dt.Column(name)
			if !ok {
				return nil, fmt.Errorf("diff: the application's %s (migration %s) uses column %s.%s, which this change drops: drop or change it in a migration of your own first, then generate again", what, f, dt.Name, name)
			}
			return c, nil
		}
		for _, idx := range ct.Indexes {
			f, ok := o.indexes[ct][idx]
			if !ok {
				continue
			}
			if _, exists := dt.Index(idx.Name); exists {
				continue
			}
			cp := *idx
			cp.Table, cp.Parts = dt, nil
			for _, p := range idx.Parts {
				pc := *p
				if p.C != nil {
					c, err := col(p.C.Name, "index "+idx.Name, f)
					if err != nil {
						return err
					}
					pc.C = c
					c.Indexes = append(c.Indexes, &cp)
				}
				cp.Parts = append(cp.Parts, &pc)
			}
			dt.Indexes = append(dt.Indexes, &cp)
		}
		for _, fk := range ct.ForeignKeys {
			f, ok := o.fks[ct][fk]
			if !ok {
				continue
			}
			if _, exists := dt.ForeignKey(fk.Symbol); exists {
				continue
			}
			cp := *fk
			cp.Table, cp.Columns, cp.RefColumns = dt, nil, nil
			for _, c := range fk.Columns {
				dc, err := col(c.Name, "foreign key "+fk.Symbol, f)
				if err != nil {
					return err
				}
				cp.Columns = append(cp.Columns, dc)
				dc.ForeignKeys = append(dc.ForeignKeys, &cp)
			}
			ref, ok := desired.Table(fk.RefTable.Name)
			if !ok {
				return fmt.Errorf("diff: the application's foreign key %s on %s (migration %s) references table %s, which this change drops: drop it in a migration of your own first, then generate again", fk.Symbol, dt.Name, f, fk.RefTable.Name)
			}
			cp.RefTable = ref
			for _, c := range fk.RefColumns {
				rc, ok := ref.Column(c.Name)
				if !ok {
					return fmt.Errorf("diff: the application's foreign key %s on %s (migration %s) references column %s.%s, which this change drops: drop it in a migration of your own first, then generate again", fk.Symbol, dt.Name, f, ref.Name, c.Name)
				}
				cp.RefColumns = append(cp.RefColumns, rc)
			}
			dt.ForeignKeys = append(dt.ForeignKeys, &cp)
		}
	}
	return nil
}

// checkDrops refuses a change that drops a Kernia table or column an application table's
// foreign key references: the database would refuse the drop (PostgreSQL), or leave the
// application's rows pointing nowhere (SQLite).
func (o *owned) checkDrops(changes []atlas.Change) error {
	refs := func(match func(fk *atlas.ForeignKey) bool) (string, bool) {
		for t, f := range o.tables {
			for _, fk := range t.ForeignKeys {
				if match(fk) {
					return fmt.Sprintf("the application's table %s (migration %s) references it with a foreign key (%s)", t.Name, f, describeFK(fk)), true
				}
			}
		}
		return "", false
	}
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.DropTable:
			if why, ok := refs(func(fk *atlas.ForeignKey) bool { return fk.RefTable != nil && fk.RefTable.Name == c.T.Name }); ok {
				return fmt.Errorf("diff: this change drops table %s, but %s: drop or change that foreign key in a migration of your own first (then run `kernia hash`), and generate again; nothing was written", c.T.Name, why)
			}
		case *atlas.ModifyTable:
			for _, tc := range c.Changes {
				dc, ok := tc.(*atlas.DropColumn)
				if !ok {
					continue
				}
				if why, ok := refs(func(fk *atlas.ForeignKey) bool {
					return fk.RefTable != nil && fk.RefTable.Name == c.T.Name && slices.ContainsFunc(fk.RefColumns, func(rc *atlas.Column) bool { return rc.Name == dc.C.Name })
				}); ok {
					return fmt.Errorf("diff: this change drops column %s.%s, but %s: drop or change that foreign key in a migration of your own first (then run `kernia hash`), and generate again; nothing was written", c.T.Name, dc.C.Name, why)
				}
			}
		}
	}
	return nil
}

// describeFK names a foreign key by its columns (SQLite's are unnamed), and its symbol when it
// has one.
func describeFK(fk *atlas.ForeignKey) string {
	cols := func(cs []*atlas.Column) string {
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = c.Name
		}
		return strings.Join(names, ", ")
	}
	ref := ""
	if fk.RefTable != nil {
		ref = fk.RefTable.Name
	}
	s := fmt.Sprintf("%s.%s → %s.%s", fk.Table.Name, cols(fk.Columns), ref, cols(fk.RefColumns))
	if fk.Symbol != "" && strings.Trim(fk.Symbol, "0123456789") != "" {
		s = fk.Symbol + ": " + s
	}
	return s
}

// keepForDown keeps the application's objects out of the down of step i of a migration in a
// format with down files (formats.go's planDowns), as Diff keeps them out of the up: on SQLite,
// whose down states are computed again (all[0] the directory's, all[1] the desired, renamed back
// to the directory's names), the application's objects are copied into the desired state. On
// PostgreSQL the states are the dev database's catalog after each step, which holds them.
func (opts Options) keepForDown(all []*atlas.Schema, i int) error {
	if opts.app == nil || opts.Dev.Dialect == kernia.Postgres || i != 0 || len(all) != 2 {
		return nil
	}
	return opts.app.resolve(all[0]).keep(all[0], all[1])
}
