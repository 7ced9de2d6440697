package diff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migration"
)

// Adoption: comparing a database that something else created (Better Auth's own migration,
// `npx auth migrate`) with the schema a migration directory builds, for `kernia adopt`.
//
// Both sides are Atlas inspections: the directory replayed on a clean dev database (Replay, as
// generate's diff replays it) and the live database's connected schema (Inspect). Compare runs
// Atlas's own schema diff from the live schema to the replayed one and sorts every change into
// one of three actions:
//
//   - same: a spelling of the same thing, not a difference for Kernia (below);
//   - close: a difference Kernia keeps on purpose against Better Auth's schema, which adoption
//     closes without touching a row: a missing index (Kernia's extra lookup and unique
//     indexes), Kernia's own nullable columns (kerniaOnly: accounts.issuer), an index under
//     another name (renamed), an extra non-unique index (dropped),
//     on PostgreSQL an integer column Kernia declares bigint (widened) and a database default
//     Kernia declares (set);
//   - refuse: everything else (a missing or extra table or column, nullability, another type,
//     a foreign key missing, extra or different, a unique index missing its uniqueness...):
//     the database is not the one the configuration describes, and later migrations would fail
//     or lose data on it.
//
// "The same" is exactly: on PostgreSQL, text and character varying without a length; on SQLite,
// the declared types Better Auth and Kernia spell differently for one kind of value (date and
// datetime, integer and bool or boolean, text and json), and database defaults (SQLite changes
// a default only by rebuilding the table; Kernia's client sets those values itself, and the
// next migration that rebuilds the table writes Kernia's). Nothing else is ignored.

// Replay returns the schema the migration directory at path builds, replayed on the clean dev
// database (which it leaves clean). The directory must match its atlas.sum.
func Replay(ctx context.Context, dev *DevDB, path string) (*atlas.Schema, error) {
	dir, _, err := readDir(path)
	if err != nil {
		return nil, err
	}
	var s *atlas.Schema
	if dev.Dialect == kernia.Postgres {
		s, err = replayCurrent(ctx, dev, dir)
	} else {
		s, err = replaySQLite(ctx, dev.DB, dir)
	}
	var nc *migrate.NotCleanError
	switch {
	case errors.As(err, &nc):
		return nil, notClean(nc)
	case err != nil:
		return nil, fmt.Errorf("diff: replay %s on the dev database: %w", path, err)
	}
	return s, nil
}

// replaySQLite replays dir on one connection of the in-memory dev database and inspects it.
func replaySQLite(ctx context.Context, db *sql.DB, dir migrate.Dir) (*atlas.Schema, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	drv, err := sqlite.Open(conn)
	if err != nil {
		return nil, err
	}
	return replayOn(ctx, drv, dir)
}

// Inspect returns the connected schema of the database q reaches, without the migration
// history table, and the Atlas driver that plans changes for it.
func Inspect(ctx context.Context, dialect string, q atlas.ExecQuerier) (*atlas.Schema, migrate.Driver, error) {
	var (
		drv migrate.Driver
		err error
	)
	if dialect == kernia.Postgres {
		drv, err = postgres.Open(q)
	} else {
		drv, err = sqlite.Open(q)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("adopt: open Atlas driver: %w", err)
	}
	s, err := drv.InspectSchema(ctx, "", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("adopt: inspect the database: %w", err)
	}
	s.Tables = slices.DeleteFunc(s.Tables, func(t *atlas.Table) bool { return t.Name == migration.RevisionsTable })
	return s, drv, nil
}

// The actions of a Difference.
const (
	// ActionSame marks a spelling of the same thing: nothing to do.
	ActionSame = "same"
	// ActionClose marks a difference adoption closes with a statement, touching no row.
	ActionClose = "close"
	// ActionRefuse marks a difference that stops adoption.
	ActionRefuse = "refuse"
)

// Difference is one way the database differs from the schema the migration directory builds.
type Difference struct {
	// Table is the table it is in.
	Table string `json:"table"`
	// Kind says what differs: "missing table", "extra table", "missing column", "extra
	// column", "column type", "nullability", "default", "missing index", "extra index",
	// "index name", "index", "missing foreign key", "extra foreign key", "foreign key name",
	// "foreign key", "primary key", "check", "table".
	Kind string `json:"kind"`
	// Name is the column, index or foreign key ("" for a table).
	Name string `json:"name,omitempty"`
	// Database is what the database has ("" when it lacks it).
	Database string `json:"database"`
	// Migrations is what the migration directory builds ("" when it has no such thing).
	Migrations string `json:"migrations"`
	// Action is ActionSame, ActionClose or ActionRefuse.
	Action string `json:"action"`
}

// String renders the difference on one line: `users.image: missing column (migrations:
// character varying NULL)`.
func (d Difference) String() string {
	where := d.Table
	if d.Name != "" {
		where += "." + d.Name
	}
	var sides []string
	if d.Database != "" || d.Migrations == "" {
		sides = append(sides, "database: "+orNothing(d.Database))
	}
	if d.Migrations != "" || d.Database == "" {
		sides = append(sides, "migrations: "+orNothing(d.Migrations))
	}
	return fmt.Sprintf("%s: %s (%s)", where, d.Kind, strings.Join(sides, "; "))
}

func orNothing(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Comparison is the result of Compare.
type Comparison struct {
	// Differences lists every difference, sorted by table, kind and name.
	Differences []Difference
	// changes are the Atlas changes that close the ActionClose differences.
	changes []atlas.Change
	drv     migrate.Driver
	// renames are PostgreSQL statements Atlas has no change for (constraint renames).
	extra []string
}

// Refused returns the differences that stop adoption.
func (c *Comparison) Refused() []Difference { return c.with(ActionRefuse) }

// Closed returns the differences adoption closes.
func (c *Comparison) Closed() []Difference { return c.with(ActionClose) }

// Same returns the differences that are spellings of the same thing.
func (c *Comparison) Same() []Difference { return c.with(ActionSame) }

func (c *Comparison) with(action string) []Difference {
	var out []Difference
	for _, d := range c.Differences {
		if d.Action == action {
			out = append(out, d)
		}
	}
	return out
}

// Statements returns the SQL that closes the ActionClose differences, planned by Atlas for
// the live database, in order; none when there is nothing to close.
func (c *Comparison) Statements(ctx context.Context) ([]string, error) {
	var out []string
	if len(c.changes) > 0 {
		plan, err := c.drv.PlanChanges(ctx, "adopt", c.changes, func(o *migrate.PlanOptions) {
			noQualifier := ""
			o.SchemaQualifier = &noQualifier
		})
		if err != nil {
			return nil, fmt.Errorf("adopt: plan the statements that close the differences: %w", err)
		}
		for _, ch := range plan.Changes {
			out = append(out, ch.Cmd)
		}
	}
	return append(out, c.extra...), nil
}

// Compare compares live, the database's schema as Inspect returned it (drv is its driver),
// with want, the schema the migration directory builds (Replay), and classifies every
// difference (see the top of this file).
func Compare(dialect string, drv migrate.Driver, live, want *atlas.Schema) (*Comparison, error) {
	want.Name, want.Attrs = live.Name, live.Attrs
	changes, err := drv.SchemaDiff(live, want)
	if err != nil {
		return nil, fmt.Errorf("adopt: compare the database with the migrations: %w", err)
	}
	c := &Comparison{drv: drv}
	for _, ch := range changes {
		switch ch := ch.(type) {
		case *atlas.AddTable:
			c.add(Difference{Table: ch.T.Name, Kind: "missing table", Migrations: tableText(ch.T), Action: ActionRefuse})
		case *atlas.DropTable:
			c.add(Difference{Table: ch.T.Name, Kind: "extra table", Database: tableText(ch.T), Action: ActionRefuse})
		case *atlas.ModifyTable:
			if err := c.table(dialect, ch); err != nil {
				return nil, err
			}
		default:
			// Views, functions, sequences, schema options: Kernia's migrations create none.
			c.add(Difference{Table: "(schema)", Kind: "schema", Database: strings.TrimPrefix(fmt.Sprintf("%T", ch), "*schema."), Action: ActionRefuse})
		}
	}
	sort.SliceStable(c.Differences, func(i, j int) bool {
		a, b := c.Differences[i], c.Differences[j]
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	return c, nil
}

func (c *Comparison) add(d Difference) { c.Differences = append(c.Differences, d) }

// table classifies the changes of one table that both sides have.
func (c *Comparison) table(dialect string, mt *atlas.ModifyTable) error {
	name := mt.T.Name
	var closing []atlas.Change
	// Index and foreign-key changes that differ only by name come as a drop and an add.
	var addIdx []*atlas.AddIndex
	var dropIdx []*atlas.DropIndex
	var addFK []*atlas.AddForeignKey
	var dropFK []*atlas.DropForeignKey
	for _, ch := range mt.Changes {
		switch ch := ch.(type) {
		case *atlas.AddColumn:
			d := Difference{Table: name, Kind: "missing column", Name: ch.C.Name, Migrations: columnText(dialect, ch.C), Action: ActionRefuse}
			if slices.Contains(kerniaOnly[name], ch.C.Name) && ch.C.Type != nil && ch.C.Type.Null && ch.C.Default == nil {
				d.Action = ActionClose
				closing = append(closing, ch)
			}
			c.add(d)
		case *atlas.DropColumn:
			c.add(Difference{Table: name, Kind: "extra column", Name: ch.C.Name, Database: columnText(dialect, ch.C), Action: ActionRefuse})
		case *atlas.ModifyColumn:
			if cl := c.column(dialect, name, ch); cl != nil {
				closing = append(closing, cl)
			}
		case *atlas.AddIndex:
			addIdx = append(addIdx, ch)
		case *atlas.DropIndex:
			dropIdx = append(dropIdx, ch)
		case *atlas.ModifyIndex:
			c.add(Difference{Table: name, Kind: "index", Name: ch.To.Name, Database: indexText(ch.From), Migrations: indexText(ch.To), Action: ActionRefuse})
		case *atlas.AddForeignKey:
			addFK = append(addFK, ch)
		case *atlas.DropForeignKey:
			dropFK = append(dropFK, ch)
		case *atlas.ModifyForeignKey:
			c.add(Difference{Table: name, Kind: "foreign key", Name: ch.To.Symbol, Database: fkText(ch.From), Migrations: fkText(ch.To), Action: ActionRefuse})
		case *atlas.AddPrimaryKey, *atlas.DropPrimaryKey, *atlas.ModifyPrimaryKey:
			c.add(Difference{Table: name, Kind: "primary key", Database: pkText(mt.T.PrimaryKey), Action: ActionRefuse})
		case *atlas.AddCheck:
			c.add(Difference{Table: name, Kind: "check", Name: ch.C.Name, Migrations: ch.C.Expr, Action: ActionRefuse})
		case *atlas.DropCheck:
			c.add(Difference{Table: name, Kind: "check", Name: ch.C.Name, Database: ch.C.Expr, Action: ActionRefuse})
		case *atlas.ModifyCheck:
			c.add(Difference{Table: name, Kind: "check", Name: ch.To.Name, Database: ch.From.Expr, Migrations: ch.To.Expr, Action: ActionRefuse})
		case *atlas.RenameConstraint:
			// A primary key named otherwise: the same key.
			c.add(Difference{Table: name, Kind: "primary key name", Database: fmt.Sprint(ch.From), Migrations: fmt.Sprint(ch.To), Action: ActionSame})
		case *atlas.AddAttr, *atlas.DropAttr, *atlas.ModifyAttr:
			// Table options (a comment, STRICT, WITHOUT ROWID…).
			c.add(Difference{Table: name, Kind: "table", Database: fmt.Sprintf("%T", ch), Action: ActionRefuse})
		default:
			c.add(Difference{Table: name, Kind: "table", Database: fmt.Sprintf("%T", ch), Action: ActionRefuse})
		}
	}
	// Indexes: pair a missing index with an extra one of the same definition (a rename).
	for _, a := range addIdx {
		i := slices.IndexFunc(dropIdx, func(d *atlas.DropIndex) bool { return d != nil && sameIndex(d.I, a.I) })
		if i >= 0 {
			from := dropIdx[i].I
			dropIdx[i] = nil
			if strings.HasPrefix(from.Name, "sqlite_autoindex_") {
				// SQLite's index of a UNIQUE column constraint, which cannot be renamed or
				// dropped without rebuilding the table: the same uniqueness.
				c.add(Difference{Table: name, Kind: "index name", Name: a.I.Name, Database: from.Name + " " + indexText(from) + " (a unique constraint)", Migrations: a.I.Name + " " + indexText(a.I), Action: ActionSame})
				continue
			}
			if isConstraint(from) {
				// A UNIQUE constraint Better Auth declared on the column: the same uniqueness,
				// renamed with the constraint (its index follows).
				c.add(Difference{Table: name, Kind: "index name", Name: a.I.Name, Database: from.Name + " " + indexText(from) + " (a unique constraint)", Migrations: a.I.Name + " " + indexText(a.I), Action: ActionClose})
				c.extra = append(c.extra, fmt.Sprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", quote(dialect, name), quote(dialect, from.Name), quote(dialect, a.I.Name)))
				continue
			}
			c.add(Difference{Table: name, Kind: "index name", Name: a.I.Name, Database: from.Name + " " + indexText(from), Migrations: a.I.Name + " " + indexText(a.I), Action: ActionClose})
			closing = append(closing, &atlas.RenameIndex{From: from, To: a.I})
			continue
		}
		c.add(Difference{Table: name, Kind: "missing index", Name: a.I.Name, Migrations: indexText(a.I), Action: ActionClose})
		closing = append(closing, a)
	}
	for _, d := range dropIdx {
		if d == nil {
			continue
		}
		if d.I.Unique || isConstraint(d.I) {
			c.add(Difference{Table: name, Kind: "extra index", Name: d.I.Name, Database: indexText(d.I), Action: ActionRefuse})
			continue
		}
		c.add(Difference{Table: name, Kind: "extra index", Name: d.I.Name, Database: indexText(d.I), Action: ActionClose})
		closing = append(closing, d)
	}
	// Foreign keys: one of the same definition under another name is the same key.
	for _, a := range addFK {
		i := slices.IndexFunc(dropFK, func(d *atlas.DropForeignKey) bool { return d != nil && sameFK(d.F, a.F) })
		if i < 0 {
			c.add(Difference{Table: name, Kind: "missing foreign key", Name: a.F.Symbol, Migrations: fkText(a.F), Action: ActionRefuse})
			continue
		}
		from := dropFK[i].F
		dropFK[i] = nil
		if dialect == kernia.Postgres {
			c.add(Difference{Table: name, Kind: "foreign key name", Name: a.F.Symbol, Database: from.Symbol + " " + fkText(from), Migrations: a.F.Symbol + " " + fkText(a.F), Action: ActionClose})
			c.extra = append(c.extra, fmt.Sprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", quote(dialect, name), quote(dialect, from.Symbol), quote(dialect, a.F.Symbol)))
			continue
		}
		// SQLite keeps a foreign key's name only in the table's CREATE statement, and no
		// migration refers to it: a table rebuild writes Kernia's.
		c.add(Difference{Table: name, Kind: "foreign key name", Name: a.F.Symbol, Database: orUnnamed(from.Symbol) + " " + fkText(from), Migrations: a.F.Symbol + " " + fkText(a.F), Action: ActionSame})
	}
	for _, d := range dropFK {
		if d != nil {
			c.add(Difference{Table: name, Kind: "extra foreign key", Name: d.F.Symbol, Database: fkText(d.F), Action: ActionRefuse})
		}
	}
	if len(closing) > 0 {
		c.changes = append(c.changes, &atlas.ModifyTable{T: mt.T, Changes: closing})
	}
	return nil
}

// kerniaOnly are the columns Kernia has and Better Auth 1.7.25 does not (README, Data model:
// accounts.issuer, kept nullable for databases migrated while Better Auth 1.7.0-1.7.2 required
// it), by table in both namings: adoption adds them, nullable and without a default, which
// touches no row. Any other missing column is refused.
var kerniaOnly = map[string][]string{"accounts": {"issuer"}, "account": {"issuer"}}

func orUnnamed(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return s
}

// column classifies a column both sides have, returning the change that closes it (nil when
// nothing is to be done or it is refused).
func (c *Comparison) column(dialect, table string, mc *atlas.ModifyColumn) atlas.Change {
	from, to := mc.From, mc.To
	var close atlas.ChangeKind
	rest := mc.Change
	if rest.Is(atlas.ChangeComment) {
		rest &^= atlas.ChangeComment
	}
	if rest.Is(atlas.ChangeNull) {
		rest &^= atlas.ChangeNull
		c.add(Difference{Table: table, Kind: "nullability", Name: to.Name, Database: nullText(from), Migrations: nullText(to), Action: ActionRefuse})
	}
	typeRefused := false
	if rest.Is(atlas.ChangeType) {
		rest &^= atlas.ChangeType
		d := Difference{Table: table, Kind: "column type", Name: to.Name, Database: typeText(dialect, from), Migrations: typeText(dialect, to), Action: ActionRefuse}
		switch {
		case sameType(dialect, from, to):
			d.Action = ActionSame
		case dialect == kernia.Postgres && widens(from, to):
			d.Action = ActionClose
			close |= atlas.ChangeType
		default:
			typeRefused = true
		}
		c.add(d)
	}
	if rest.Is(atlas.ChangeDefault) {
		rest &^= atlas.ChangeDefault
		d := Difference{Table: table, Kind: "default", Name: to.Name, Database: defaultText(from), Migrations: defaultText(to), Action: ActionClose}
		switch {
		case typeRefused:
			// A default of another type: it goes with the type.
			d.Action = ActionRefuse
		case dialect == kernia.Postgres:
			close |= atlas.ChangeDefault
		default:
			d.Action = ActionSame
		}
		c.add(d)
	}
	if rest != atlas.NoChange {
		c.add(Difference{Table: table, Kind: "column", Name: to.Name, Database: columnText(dialect, from), Migrations: columnText(dialect, to), Action: ActionRefuse})
	}
	if close == atlas.NoChange {
		return nil
	}
	// Change only what is closed: the column keeps its nullability and, unless closed, its
	// type and default.
	target := *from
	target.Type = &atlas.ColumnType{Type: from.Type.Type, Raw: from.Type.Raw, Null: from.Type.Null}
	if close.Is(atlas.ChangeType) {
		target.Type.Type, target.Type.Raw = to.Type.Type, to.Type.Raw
	}
	if close.Is(atlas.ChangeDefault) {
		target.Default = to.Default
	}
	return &atlas.ModifyColumn{From: from, To: &target, Change: close}
}

// sameType reports whether two declared types are spellings of the same type (see the top of
// this file).
func sameType(dialect string, from, to *atlas.Column) bool {
	a, b := typeText(dialect, from), typeText(dialect, to)
	if a == b {
		return true
	}
	for _, set := range sameTypes[dialect] {
		if slices.Contains(set, a) && slices.Contains(set, b) {
			return true
		}
	}
	return false
}

// sameTypes are the sets of declared types that are one type, per dialect.
var sameTypes = map[string][][]string{
	kernia.Postgres: {{"text", "character varying"}},
	kernia.SQLite:   {{"date", "datetime"}, {"integer", "bool", "boolean"}, {"text", "json"}},
}

// widens reports whether the change is a PostgreSQL integer widened to bigint (Kernia's
// counters, which Better Auth declares integer): every value fits, so ALTER COLUMN TYPE keeps
// the rows (it rewrites the table, under an ACCESS EXCLUSIVE lock).
func widens(from, to *atlas.Column) bool {
	a, b := typeText(kernia.Postgres, from), typeText(kernia.Postgres, to)
	return (a == "integer" || a == "smallint") && b == "bigint"
}

func sameIndex(a, b *atlas.Index) bool {
	if a.Unique != b.Unique || len(a.Parts) != len(b.Parts) {
		return false
	}
	for i := range a.Parts {
		p, q := a.Parts[i], b.Parts[i]
		if p.C == nil || q.C == nil || p.C.Name != q.C.Name || p.Desc != q.Desc {
			return false
		}
	}
	return predicate(a) == predicate(b)
}

func predicate(i *atlas.Index) string {
	var p postgres.IndexPredicate
	for _, a := range i.Attrs {
		switch a := a.(type) {
		case *postgres.IndexPredicate:
			p = *a
		case *sqlite.IndexPredicate:
			p.P = a.P
		}
	}
	return p.P
}

// isConstraint reports whether a PostgreSQL index belongs to a UNIQUE constraint.
func isConstraint(i *atlas.Index) bool {
	for _, a := range i.Attrs {
		if c, ok := a.(*postgres.Constraint); ok && c.T == "u" {
			return true
		}
	}
	return false
}

func sameFK(a, b *atlas.ForeignKey) bool {
	cols := func(cs []*atlas.Column) string {
		var n []string
		for _, c := range cs {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	return a.RefTable.Name == b.RefTable.Name && cols(a.Columns) == cols(b.Columns) && cols(a.RefColumns) == cols(b.RefColumns) &&
		action(a.OnDelete) == action(b.OnDelete) && action(a.OnUpdate) == action(b.OnUpdate)
}

// action is a referential action, NO ACTION when unset.
func action(a atlas.ReferenceOption) string {
	if a == "" {
		return string(atlas.NoAction)
	}
	return strings.ToUpper(string(a))
}

func quote(dialect, name string) string {
	if dialect == kernia.Postgres {
		return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// typeText is a column's type as the database declares it: on SQLite the declared type as
// written (its only meaning is its affinity), on PostgreSQL Atlas's canonical spelling.
func typeText(dialect string, c *atlas.Column) string {
	if c.Type == nil {
		return "?"
	}
	if dialect == kernia.SQLite || c.Type.Type == nil {
		if c.Type.Raw != "" {
			return strings.ToLower(c.Type.Raw)
		}
		s, _ := sqlite.FormatType(c.Type.Type)
		return strings.ToLower(s)
	}
	s, err := postgres.FormatType(c.Type.Type)
	if err != nil || s == "" {
		s = c.Type.Raw
	}
	return strings.ToLower(s)
}

func nullText(c *atlas.Column) string {
	if c.Type != nil && c.Type.Null {
		return "NULL"
	}
	return "NOT NULL"
}

func defaultText(c *atlas.Column) string {
	switch d := c.Default.(type) {
	case nil:
		return "no default"
	case *atlas.Literal:
		return "DEFAULT " + d.V
	case *atlas.RawExpr:
		return "DEFAULT " + d.X
	}
	return fmt.Sprintf("DEFAULT %v", c.Default)
}

func columnText(dialect string, c *atlas.Column) string {
	s := typeText(dialect, c) + " " + nullText(c)
	if c.Default != nil {
		s += " " + defaultText(c)
	}
	return s
}

func tableText(t *atlas.Table) string {
	var cols []string
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
	}
	return fmt.Sprintf("table with columns %s", strings.Join(cols, ", "))
}

func indexText(i *atlas.Index) string {
	var parts []string
	for _, p := range i.Parts {
		switch {
		case p.C != nil:
			parts = append(parts, p.C.Name)
		case p.X != nil:
			if x, ok := p.X.(*atlas.RawExpr); ok {
				parts = append(parts, x.X)
			}
		}
		if p.Desc {
			parts[len(parts)-1] += " DESC"
		}
	}
	s := "(" + strings.Join(parts, ", ") + ")"
	if i.Unique {
		s = "UNIQUE " + s
	}
	if p := predicate(i); p != "" {
		s += " WHERE " + p
	}
	return s
}

func pkText(i *atlas.Index) string {
	if i == nil {
		return "none"
	}
	return "PRIMARY KEY " + indexText(i)
}

func fkText(f *atlas.ForeignKey) string {
	var cols, refs []string
	for _, c := range f.Columns {
		cols = append(cols, c.Name)
	}
	for _, c := range f.RefColumns {
		refs = append(refs, c.Name)
	}
	return fmt.Sprintf("(%s) → %s(%s) ON DELETE %s", strings.Join(cols, ", "), f.RefTable.Name, strings.Join(refs, ", "), action(f.OnDelete))
}
