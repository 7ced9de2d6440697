package compose

import (
	"cmp"
	"crypto/md5"
	"errors"
	"fmt"
	"slices"
	"strings"

	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/entc/gen"
)

// relation is a name in the namespace PostgreSQL (and SQLite) share among tables, indexes,
// sequences and the primary keys' indexes: two of them with one name cannot coexist.
type relation struct {
	name string
	// what describes it for errors: "table users", "index session_user_id of table sessions
	// (columns user_id)".
	what string
}

// checkDerived refuses the names Ent derives for indexes, unique constraints and foreign keys
// of the plan's tables when they collide or would be cut by PostgreSQL. Ent shortens over-long
// explicit index and foreign-key names itself, with an MD5 suffix (deterministic, so accepted);
// it does not shorten the implicit unique index of a unique column (<table>_<column>_key),
// which is refused here instead.
func checkNames(p *Plan) error {
	tables, err := tables(p)
	if err != nil {
		return err
	}
	return checkDerived(tables)
}

// Tables returns the SQL tables Ent derives from the plan alone: Kernia's tables, whatever
// else the schema package holds (the application's own entities).
func Tables(p *Plan) ([]*entschema.Table, error) { return tables(p) }

// tables returns the SQL tables Ent derives from the plan, as generate's diff gets them.
func tables(p *Plan) ([]*entschema.Table, error) {
	schemas, err := Schemas(p)
	if err != nil {
		return nil, err
	}
	storage, err := gen.NewStorage("sql")
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	g, err := gen.NewGraph(&gen.Config{Schema: "kernia/ent/schema", Package: "kernia/ent", Storage: storage}, schemas...)
	if err != nil {
		return nil, fmt.Errorf("compose: build the Ent graph: %w", err)
	}
	tables, err := g.Tables()
	if err != nil {
		// Ent refuses duplicate foreign-key names itself, naming the tables.
		return nil, fmt.Errorf("compose: derive the tables: %w; rename one of the tables (Options.Schema[...].Table)", err)
	}
	return tables, nil
}

// checkDerived checks the index, unique-constraint and foreign-key names Ent derives.
func checkDerived(tables []*entschema.Table) error {
	slices.SortFunc(tables, func(a, b *entschema.Table) int { return cmp.Compare(a.Name, b.Name) })
	var errs []error
	seen := map[string]relation{}
	// Keyed without case: SQLite compares identifiers without case (PostgreSQL, quoted, does
	// not), so names that differ only in case collide on one of the dialects.
	claim := func(r relation) {
		key := strings.ToLower(r.name)
		if prev, ok := seen[key]; ok {
			errs = append(errs, fmt.Errorf("compose: the %s and the %s are both named %q, and the database keeps one namespace for them (SQLite compares names without case): rename one of the tables or columns (Options.Schema)", prev.what, r.what, r.name))
			return
		}
		seen[key] = r
	}
	for _, t := range tables {
		claim(relation{name: t.Name, what: "table " + t.Name})
	}
	fks := map[string]relation{}
	for _, t := range tables {
		if pk := t.Name + "_pkey"; len(pk) <= MaxIdentifier {
			claim(relation{name: pk, what: "primary key of table " + t.Name})
		}
		for _, c := range t.PrimaryKey {
			if seq := t.Name + "_" + c.Name + "_seq"; c.Increment && len(seq) <= MaxIdentifier {
				claim(relation{name: seq, what: fmt.Sprintf("identity sequence of %s.%s", t.Name, c.Name)})
			}
		}
		explicit := map[string]bool{}
		for _, idx := range t.Indexes {
			explicit[idx.Name] = true
			name := symbol(idx.Name)
			what := fmt.Sprintf("index %s of table %s (columns %s)", idx.Name, t.Name, columnNames(idx.Columns))
			if name != idx.Name {
				what += ", shortened by Ent to " + name
			}
			claim(relation{name: name, what: what})
		}
		for _, c := range t.Columns {
			if !c.Unique || slices.ContainsFunc(t.PrimaryKey, func(pk *entschema.Column) bool { return pk.Name == c.Name }) {
				continue
			}
			name := t.Name + "_" + c.Name + "_key"
			if explicit[name] {
				continue
			}
			if len(name) > MaxIdentifier {
				errs = append(errs, fmt.Errorf("compose: the unique index of column %s.%s would be named %q (<table>_<column>_key), %d bytes: PostgreSQL cuts names over %d bytes, so the migration and the database would disagree; shorten the table or column name (Options.Schema)", t.Name, c.Name, name, len(name), MaxIdentifier))
				continue
			}
			claim(relation{name: name, what: fmt.Sprintf("unique index of column %s.%s", t.Name, c.Name)})
		}
		for _, fk := range t.ForeignKeys {
			name := symbol(fk.Symbol)
			r := relation{name: name, what: fmt.Sprintf("foreign key %s of table %s (columns %s)", fk.Symbol, t.Name, columnNames(fk.Columns))}
			if prev, ok := fks[strings.ToLower(name)]; ok {
				errs = append(errs, fmt.Errorf("compose: the %s and the %s are both named %q: rename one of the tables (Options.Schema)", prev.what, r.what, name))
				continue
			}
			fks[strings.ToLower(name)] = r
		}
	}
	return errors.Join(errs...)
}

// symbol is the name Ent's migration gives an index or foreign key on PostgreSQL: the name,
// or, over MaxIdentifier bytes, its first 30 bytes and the MD5 of the whole name
// (entgo.io/ent/dialect/sql/schema, Atlas.symbol).
func symbol(name string) string {
	if len(name) <= MaxIdentifier {
		return name
	}
	return fmt.Sprintf("%s_%x", name[:MaxIdentifier-33], md5.Sum([]byte(name)))
}

func columnNames(cs []*entschema.Column) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
