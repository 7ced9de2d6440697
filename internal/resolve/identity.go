package resolve

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kernia/kernia"
)

// Identity is where an entity's fields were stored when its schema file was rendered: the
// record ("// kernia:entity", "// kernia:field" lines) each generated schema file ends with.
// The next generate compares the committed record with the new plan to tell a renamed table
// or column from a drop and an add, so renames work from a clean clone.
type Identity struct {
	// Entity is the Ent type name, e.g. "User".
	Entity string
	// Table is the table name.
	Table string
	// Columns are the entity's columns, each with its field and contributor.
	Columns []Column
}

// Renames maps the committed schema's tables and columns to the new plan's. Its shape is
// diff.Renames's, so one converts to the other.
type Renames struct {
	// Tables maps an old table name to its new name.
	Tables map[string]string
	// Columns maps, per table (by its new name), an old column name to its new name.
	Columns map[string]map[string]string
}

// Empty reports whether nothing is renamed.
func (r Renames) Empty() bool { return len(r.Tables) == 0 && len(r.Columns) == 0 }

const (
	recordEntity = "// kernia:entity "
	recordField  = "// kernia:field "
)

// Record returns the identity lines of an entity (see Identity), as its rendered schema file
// carries them.
func (e *Entity) Record() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s table=%s\n", recordEntity, e.Name, e.Table)
	for _, c := range e.Columns {
		fmt.Fprintf(&b, "%s%s column=%s contributor=%s\n", recordField, c.Field, c.Name, c.Contributor)
	}
	return b.String()
}

// ParseIdentity reads the identity record of a rendered schema file; ok is false when the file
// has none (a file rendered before Kernia wrote records).
func ParseIdentity(content []byte) (id Identity, ok bool, err error) {
	sc := bufio.NewScanner(bytes.NewReader(content))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, recordEntity):
			name, attrs, err := parseRecordLine(strings.TrimPrefix(text, recordEntity), "table")
			if err != nil {
				return Identity{}, false, fmt.Errorf("compose: line %d: %w", line, err)
			}
			id.Entity, id.Table, ok = name, attrs["table"], true
		case strings.HasPrefix(text, recordField):
			name, attrs, err := parseRecordLine(strings.TrimPrefix(text, recordField), "column", "contributor")
			if err != nil {
				return Identity{}, false, fmt.Errorf("compose: line %d: %w", line, err)
			}
			id.Columns = append(id.Columns, Column{Field: name, Name: attrs["column"], Contributor: attrs["contributor"]})
		}
	}
	if err := sc.Err(); err != nil {
		return Identity{}, false, fmt.Errorf("compose: %w", err)
	}
	if !ok && len(id.Columns) > 0 {
		return Identity{}, false, fmt.Errorf("compose: %q lines without a %q line", strings.TrimSpace(recordField), strings.TrimSpace(recordEntity))
	}
	return id, ok, nil
}

func parseRecordLine(s string, keys ...string) (string, map[string]string, error) {
	parts := strings.Fields(s)
	if len(parts) != len(keys)+1 {
		return "", nil, fmt.Errorf("malformed identity record %q: want a name and %s", s, strings.Join(keys, "=, "))
	}
	attrs := map[string]string{}
	for i, k := range keys {
		v, ok := strings.CutPrefix(parts[i+1], k+"=")
		if !ok || v == "" {
			return "", nil, fmt.Errorf("malformed identity record %q: want %s=<value> as item %d", s, k, i+2)
		}
		attrs[k] = v
	}
	return parts[0], attrs, nil
}

// ReadIdentities reads the identity records of the Kernia-generated Go files in a schema
// directory (the committed schema). A missing directory has none; files without a record are
// skipped.
func ReadIdentities(dir string) ([]Identity, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("compose: read the committed schema: %w", err)
	}
	var out []Identity
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("compose: read the committed schema: %w", err)
		}
		if !IsGenerated(b) {
			continue
		}
		id, ok, err := ParseIdentity(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (restore the file from version control, or delete the record lines to generate without rename detection)", p, err)
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// Renames derives the renames from the committed identities to the plan: an entity that keeps
// its name but not its table is a renamed table, a field that keeps its entity and name but
// not its column is a renamed column. A field that disappears is a drop, never a rename.
//
// It refuses, naming the columns and the fix: a rename onto a column or table the committed
// schema has for another field or entity (dropped or renamed in the same change), which
// includes rename chains and swaps; and a rename of a column a plugin contributes, unless it is
// the rename a switch of Options.Naming makes (from the field's base name in one mode to its
// base name in the other).
func (p *Plan) Renames(prev []Identity) (Renames, error) {
	r := Renames{Tables: map[string]string{}, Columns: map[string]map[string]string{}}
	prevByEntity := map[string]Identity{}
	prevTables := map[string]string{} // old table -> entity
	for _, id := range prev {
		prevByEntity[id.Entity] = id
		prevTables[id.Table] = id.Entity
	}
	next := map[string]*Entity{}
	for _, e := range p.Entities {
		next[e.Name] = e
	}
	var errs []string
	for _, e := range p.Entities {
		old, ok := prevByEntity[e.Name]
		if !ok {
			continue
		}
		if old.Table != e.Table {
			if other, ok := prevTables[e.Table]; ok && other != e.Name {
				errs = append(errs, fmt.Sprintf("renaming table %s to %s (entity %s): the committed schema has table %s for entity %s, %s in this same change; split it into two generate runs: first %s, generate; then rename %s to %s, generate",
					old.Table, e.Table, e.Name, e.Table, other, fate(next[other], e.Table), firstStep(next[other], other, e.Table), old.Table, e.Table))
			} else {
				r.Tables[old.Table] = e.Table
			}
		}
		oldCols := map[string]Column{} // field -> column
		byColumn := map[string]Column{}
		for _, c := range old.Columns {
			oldCols[c.Field] = c
			byColumn[c.Name] = c
		}
		newCols := map[string]Column{}
		for _, c := range e.Columns {
			newCols[c.Field] = c
		}
		for _, c := range e.Columns {
			was, ok := oldCols[c.Field]
			if !ok || was.Name == c.Name {
				continue
			}
			// Switching Options.Naming renames a plugin's column from one base name to the
			// other: the plugin's queries go through the generated client, which follows it.
			base := e.bases[c.Field]
			namingSwitch := base.snake != base.camel &&
				(was.Name == base.snake && c.Name == base.camel || was.Name == base.camel && c.Name == base.snake)
			if c.Contributor != kernia.Core && c.Contributor != Options && !namingSwitch {
				errs = append(errs, fmt.Sprintf("renaming column %s.%s to %s: plugin %s owns field %s.%s, and the plugin's code and queries expect its column where it is; keep Options.Schema[%s].Columns[%q] = %q",
					e.Table, was.Name, c.Name, c.Contributor, e.Name, c.Field, e.Name, c.Field, was.Name))
				continue
			}
			if other, ok := byColumn[c.Name]; ok && other.Field != c.Field {
				now, still := newCols[other.Field]
				switch {
				case still && now.Name == was.Name:
					errs = append(errs, fmt.Sprintf("renaming column %s.%s to %s swaps it with column %s (field %s); split it into two generate runs: first rename %s to a temporary name, generate; then make the other renames, generate", e.Table, was.Name, c.Name, c.Name, other.Field, was.Name))
				case still:
					errs = append(errs, fmt.Sprintf("renaming column %s.%s to %s: column %s (field %s) is renamed to %s in the same change, a rename chain; split it into two generate runs: first rename %s to %s, generate; then rename %s to %s, generate", e.Table, was.Name, c.Name, c.Name, other.Field, now.Name, c.Name, now.Name, was.Name, c.Name))
				default:
					errs = append(errs, fmt.Sprintf("renaming column %s.%s to %s: %s is an existing column (field %s), dropped in the same change; split it into two generate runs: first remove field %s, generate with --allow-destructive; then rename %s to %s, generate", e.Table, was.Name, c.Name, c.Name, other.Field, other.Field, was.Name, c.Name))
				}
				continue
			}
			if r.Columns[e.Table] == nil {
				r.Columns[e.Table] = map[string]string{}
			}
			r.Columns[e.Table][was.Name] = c.Name
		}
	}
	if len(errs) > 0 {
		return Renames{}, fmt.Errorf("compose: %s", strings.Join(errs, "; "))
	}
	if len(r.Tables) == 0 {
		r.Tables = nil
	}
	if len(r.Columns) == 0 {
		r.Columns = nil
	}
	return r, nil
}

// fate says what the change does to the entity that had a table.
func fate(e *Entity, table string) string {
	if e == nil {
		return "removed"
	}
	return "renamed to " + e.Table
}

func firstStep(e *Entity, name, table string) string {
	if e == nil {
		return fmt.Sprintf("remove entity %s (table %s) and generate with --allow-destructive", name, table)
	}
	return fmt.Sprintf("rename table %s to %s", table, e.Table)
}

// String describes the renames, sorted, e.g. "renames table users to app_users".
func (r Renames) String() string {
	var out []string
	for _, old := range slices.Sorted(maps.Keys(r.Tables)) {
		out = append(out, fmt.Sprintf("renames table %s to %s", old, r.Tables[old]))
	}
	for _, t := range slices.Sorted(maps.Keys(r.Columns)) {
		cols := r.Columns[t]
		for _, old := range slices.Sorted(maps.Keys(cols)) {
			out = append(out, fmt.Sprintf("renames column %s.%s to %s", t, old, cols[old]))
		}
	}
	return strings.Join(out, ", ")
}

// Identities returns the plan's identity records, as its rendered files carry them.
func (p *Plan) Identities() []Identity {
	out := make([]Identity, 0, len(p.Entities))
	for _, e := range p.Entities {
		out = append(out, Identity{Entity: e.Name, Table: e.Table, Columns: slices.Clone(e.Columns)})
	}
	return out
}
