package diff

import (
	"fmt"
	"maps"
	"slices"

	atlas "ariga.io/atlas/sql/schema"
)

// Renames are the tables and columns renamed since the committed schema, as the generator
// derives them from the schema files' identity records (compose.Renames has the same shape).
type Renames struct {
	// Tables maps an old table name to its new name.
	Tables map[string]string
	// Columns maps, per table (by its new name), an old column name to its new name.
	Columns map[string]map[string]string
}

// renameChanges applies the renames to current, the schema the migration directory replays
// to, and returns the Atlas changes that make them: RenameTable first, then one ModifyTable of
// RenameColumn per table. Diffing the renamed current schema with the desired one then finds
// only what else changed (a derived index or foreign-key name that follows the new name), so
// a rename is never a drop and an add. A rename whose old table or column the directory does
// not have is skipped (that dialect's directory never had it, or already renamed it). A
// rename onto a table or column the directory already has is refused.
func renameChanges(current, desired *atlas.Schema, r Renames) ([]atlas.Change, error) {
	var changes []atlas.Change
	touched := map[string]bool{} // tables, by new name, whose derived index names may change
	for _, old := range slices.Sorted(maps.Keys(r.Tables)) {
		to := r.Tables[old]
		t, ok := current.Table(old)
		if !ok {
			continue
		}
		if _, exists := current.Table(to); exists {
			return nil, fmt.Errorf("diff: renaming table %s to %s: the migration directory already has a table %s; drop or rename that table in its own generate run first", old, to, to)
		}
		from := *t
		t.Name = to
		changes = append(changes, &atlas.RenameTable{From: &from, To: t})
		touched[to] = true
	}
	for table := range r.Columns {
		touched[table] = true
	}
	for _, table := range slices.Sorted(maps.Keys(touched)) {
		t, ok := current.Table(table)
		if !ok {
			continue
		}
		mt := &atlas.ModifyTable{T: t}
		cols := r.Columns[table]
		for _, old := range slices.Sorted(maps.Keys(cols)) {
			to := cols[old]
			c, ok := t.Column(old)
			if !ok {
				continue
			}
			if _, exists := t.Column(to); exists {
				return nil, fmt.Errorf("diff: renaming column %s.%s to %s: the migration directory already has a column %s.%s; drop or rename that column in its own generate run first", table, old, to, table, to)
			}
			from := *c
			c.Name = to
			mt.Changes = append(mt.Changes, &atlas.RenameColumn{From: &from, To: c})
		}
		if d, ok := desired.Table(table); ok {
			mt.Changes = append(mt.Changes, renameIndexes(t, d)...)
		}
		if len(mt.Changes) > 0 {
			changes = append(changes, mt)
		}
	}
	return changes, nil
}

// renameIndexes renames, in t, the indexes whose name Ent derived from the old table or column
// name: an index of t that desired lacks by name, matched with the one index of desired of the
// same columns and uniqueness that t lacks by name. Renaming keeps PostgreSQL from dropping a
// unique index and building it again (a window without the constraint, and a table scan);
// SQLite, which cannot rename an index, creates the new one and drops the old (no data).
func renameIndexes(t, desired *atlas.Table) []atlas.Change {
	var changes []atlas.Change
	for _, idx := range t.Indexes {
		if _, ok := desired.Index(idx.Name); ok {
			continue
		}
		var match *atlas.Index
		for _, d := range desired.Indexes {
			if _, taken := t.Index(d.Name); taken || d.Unique != idx.Unique || !slices.Equal(indexParts(d), indexParts(idx)) {
				continue
			}
			if match != nil {
				match = nil // two candidates: leave it to the diff (drop and create)
				break
			}
			match = d
		}
		if match == nil {
			continue
		}
		from := *idx
		idx.Name = match.Name
		changes = append(changes, &atlas.RenameIndex{From: &from, To: idx})
	}
	return changes
}

// indexParts names an index's parts: column names, or expressions.
func indexParts(idx *atlas.Index) []string {
	out := make([]string, len(idx.Parts))
	for i, p := range idx.Parts {
		switch {
		case p.C != nil:
			out[i] = "column " + p.C.Name
		case p.X != nil:
			out[i] = fmt.Sprintf("expression %v", p.X)
		}
		if p.Desc {
			out[i] += " desc"
		}
	}
	return out
}
