package diff

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"

	"github.com/kernia/kernia"
)

// Online-safe PostgreSQL DDL. On a table that exists before the migration, and may hold
// millions of rows that logins read and write, three statements Ent and Atlas write in the
// file's transaction would block it for as long as they take:
//
//   - CREATE [UNIQUE] INDEX holds a SHARE lock for the whole build: every INSERT and UPDATE
//     waits. It is built CONCURRENTLY instead, which allows writes, and which PostgreSQL runs
//     only outside a transaction: in a second file marked `-- atlas:txmode none` (a unique
//     constraint is such a unique index: Ent declares unique fields as unique indexes).
//   - DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: it waits behind every open
//     transaction on it, and every query waits behind it. It is dropped CONCURRENTLY in the
//     second file instead (before the builds, so an index rebuilt under the same name, an
//     index whose columns or uniqueness change, is dropped and built again there), unless the
//     migration also drops one of its columns (the column's DROP takes the index with it) or
//     it backs a unique constraint (ALTER TABLE … DROP CONSTRAINT, a catalog change).
//   - ALTER TABLE … ADD FOREIGN KEY scans the whole table under SHARE ROW EXCLUSIVE locks on
//     both tables. It is added NOT VALID in the first file (a catalog change, immediate) and
//     checked by ALTER TABLE … VALIDATE CONSTRAINT in the second, which takes only SHARE UPDATE
//     EXCLUSIVE and lets reads and writes go on.
//
// A foreign key that references columns whose unique index the same migration builds
// concurrently is added in the second file, after that index. Tables created by the migration
// hold no rows yet: they keep the plain, transactional form, indexes and foreign keys included.
// SQLite keeps its table rebuilds (fast, and under the run's lock). The migration runner puts
// every statement under lock_timeout and retries one that timed out (internal/migration).

// TxModeNone is the directive that starts a migration file Atlas and Kernia run statement by
// statement, outside a transaction.
const TxModeNone = "-- atlas:txmode none"

// onlineFile is one migration file's plan: its changes, and whether it runs without a
// transaction.
type onlineFile struct {
	plan   *migrate.Plan
	online bool
}

// planOnline plans changes into migration files: transactional files, and on PostgreSQL,
// when changes build an index or add a foreign key on a table that already exists, a last
// txmode none file with the concurrent index builds and the VALIDATE CONSTRAINT statements.
// A file is left out when it would be empty. On PostgreSQL, each transactional file locks at
// most one table that exists before the migration (oneExistingTableEach).
func planOnline(ctx context.Context, drv migrate.Driver, dialect, name string, changes []atlas.Change, opts ...migrate.PlanOption) ([]onlineFile, error) {
	if dialect != kernia.Postgres {
		plan, err := planRenamesFirst(ctx, drv, name, changes, opts...)
		if err != nil {
			return nil, err
		}
		return []onlineFile{{plan: plan}}, nil
	}
	s := splitOnline(changes)
	var files []onlineFile
	if len(s.tx) > 0 {
		plan, err := planRenamesFirst(ctx, drv, name, s.tx, opts...)
		if err != nil {
			return nil, err
		}
		joinConstraints(plan)
		for _, p := range oneExistingTableEach(plan, s.tx) {
			files = append(files, onlineFile{plan: p})
		}
	}
	if len(s.drops) == 0 && len(s.indexes) == 0 && len(s.late) == 0 && len(s.validate) == 0 && len(s.uniques) == 0 {
		return files, nil
	}
	online := &migrate.Plan{Name: name}
	if len(s.drops) > 0 {
		plan, err := drv.PlanChanges(ctx, name, s.drops, opts...)
		if err != nil {
			return nil, err
		}
		online.Changes = append(online.Changes, plan.Changes...)
	}
	for i, group := range [][]atlas.Change{s.indexes, s.late} {
		if len(group) > 0 {
			plan, err := drv.PlanChanges(ctx, name, group, opts...)
			if err != nil {
				return nil, err
			}
			joinConstraints(plan)
			online.Changes = append(online.Changes, plan.Changes...)
		}
		if i > 0 {
			continue
		}
		// A unique constraint takes over the unique index built for it: a catalog change.
		for _, u := range s.uniques {
			online.Changes = append(online.Changes, &migrate.Change{
				Cmd:     fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s UNIQUE USING INDEX %s", quoteIdent(u.table), quoteIdent(u.constraint), quoteIdent(u.constraint)),
				Comment: fmt.Sprintf("make the unique index %q of table %q its unique constraint", u.constraint, u.table),
			})
		}
	}
	for _, v := range s.validate {
		online.Changes = append(online.Changes, &migrate.Change{
			Cmd:     fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", quoteIdent(v.table), quoteIdent(v.constraint)),
			Comment: fmt.Sprintf("validate foreign key %q of table %q (added NOT VALID)", v.constraint, v.table),
		})
	}
	return append(files, onlineFile{plan: online, online: true}), nil
}

// oneExistingTableEach cuts a PostgreSQL transactional plan, in the order Atlas planned it,
// into plans that each lock at most one table that exists before the migration (a statement
// that locks two, a foreign key between existing tables, gets a plan of its own). Each ALTER
// TABLE holds its table's ACCESS EXCLUSIVE lock until its transaction commits: in one
// transaction, the first table altered stays locked, every login that writes it queued, while
// the next statement waits for the next table's lock, runs, and the commit is flushed (the
// rule GitLab's migration guide states as "lock one table at a time"). Every file stays
// atomic, and as the files run in order, no statement runs before one Atlas put before it.
// Changes other than new tables and modified ones (renames, drops) keep one file: a rename
// chain is all or nothing.
func oneExistingTableEach(plan *migrate.Plan, changes []atlas.Change) []*migrate.Plan {
	created := map[string]bool{}
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.AddTable:
			created[c.T.Name] = true
		case *atlas.ModifyTable:
		default:
			return []*migrate.Plan{plan}
		}
	}
	var (
		out    []*migrate.Plan
		locked []string
	)
	for _, c := range plan.Changes {
		tables := lockedTables(c.Source, created)
		if len(out) == 0 || len(locked) > 0 && len(tables) > 0 && !allIn(tables, locked) {
			out = append(out, &migrate.Plan{Name: plan.Name, Version: plan.Version, Reversible: plan.Reversible, Transactional: plan.Transactional})
			locked = nil
		}
		for _, t := range tables {
			if !slices.Contains(locked, t) {
				locked = append(locked, t)
			}
		}
		last := out[len(out)-1]
		last.Changes = append(last.Changes, c)
	}
	return out
}

// lockedTables returns the tables that exist before the migration (not in created) which the
// statements planned for change lock until their transaction ends: a modified table, and the
// tables its new foreign keys reference; for a new table, the tables its foreign keys reference.
func lockedTables(change atlas.Change, created map[string]bool) []string {
	var out []string
	add := func(name string) {
		if !created[name] && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	switch c := change.(type) {
	case *atlas.ModifyTable:
		add(c.T.Name)
		for _, tc := range c.Changes {
			if fk, ok := tc.(*atlas.AddForeignKey); ok && fk.F.RefTable != nil {
				add(fk.F.RefTable.Name)
			}
		}
	case *atlas.AddTable:
		for _, fk := range c.T.ForeignKeys {
			if fk.RefTable != nil {
				add(fk.RefTable.Name)
			}
		}
	}
	return out
}

// allIn reports whether every name of names is in set.
func allIn(names, set []string) bool {
	for _, n := range names {
		if !slices.Contains(set, n) {
			return false
		}
	}
	return true
}

// planRenamesFirst plans the table renames before every other change: Atlas sorts changes by
// their dependencies, and it does not know that renaming a table's columns (a ModifyTable of
// the table under its new name) depends on the RenameTable, so with several tables renamed it
// may put a column rename before the table has its new name (a naming-mode switch renames
// every table and column at once).
func planRenamesFirst(ctx context.Context, drv migrate.Driver, name string, changes []atlas.Change, opts ...migrate.PlanOption) (*migrate.Plan, error) {
	var renames, rest []atlas.Change
	for _, c := range changes {
		if _, ok := c.(*atlas.RenameTable); ok {
			renames = append(renames, c)
		} else {
			rest = append(rest, c)
		}
	}
	if len(renames) == 0 || len(rest) == 0 {
		return drv.PlanChanges(ctx, name, changes, opts...)
	}
	first, err := drv.PlanChanges(ctx, name, renames, opts...)
	if err != nil {
		return nil, err
	}
	plan, err := drv.PlanChanges(ctx, name, rest, opts...)
	if err != nil {
		return nil, err
	}
	plan.Changes = append(first.Changes, plan.Changes...)
	return plan, nil
}

// onlineSplit is PostgreSQL changes split by where they run.
type onlineSplit struct {
	// tx runs in the transactional file: every change, less the indexes built concurrently,
	// with the foreign keys on existing tables marked NOT VALID.
	tx []atlas.Change
	// drops are the DROP INDEX CONCURRENTLY of indexes on existing tables, first in the
	// second file.
	drops []atlas.Change
	// indexes are the CREATE INDEX CONCURRENTLY builds on existing tables.
	indexes []atlas.Change
	// late are the foreign keys (NOT VALID) that reference a unique index built concurrently:
	// they run after it.
	late []atlas.Change
	// uniques are the unique constraints that take over the unique index built concurrently
	// for them (ADD CONSTRAINT … UNIQUE USING INDEX), right after the index builds.
	uniques []validation
	// validate are the foreign keys added NOT VALID, validated last.
	validate []validation
}

// validation names a constraint of a table.
type validation struct{ table, constraint string }

// splitOnline splits PostgreSQL changes for planOnline. It does not modify changes: the
// modified tables' change lists it rewrites are copies.
func splitOnline(changes []atlas.Change) onlineSplit {
	var s onlineSplit
	// The unique indexes built concurrently, by table: a foreign key referencing one waits.
	uniques := map[string][][]string{}
	for _, c := range changes {
		mt, ok := c.(*atlas.ModifyTable)
		if !ok {
			continue
		}
		for _, tc := range mt.Changes {
			if ai, ok := tc.(*atlas.AddIndex); ok && ai.I.Unique {
				uniques[mt.T.Name] = append(uniques[mt.T.Name], indexColumns(ai.I))
			}
		}
	}
	for _, c := range changes {
		mt, ok := c.(*atlas.ModifyTable)
		if !ok {
			s.tx = append(s.tx, c)
			continue
		}
		var kept, drops, indexes, late []atlas.Change
		dropped := droppedColumns(mt)
		for _, tc := range mt.Changes {
			switch tc := tc.(type) {
			case *atlas.DropIndex:
				if slices.ContainsFunc(tc.I.Attrs, isUniqueConstraint) || slices.ContainsFunc(indexColumns(tc.I), dropped) {
					kept = append(kept, tc)
					continue
				}
				drops = append(drops, &atlas.DropIndex{I: tc.I, Extra: append(slices.Clip(tc.Extra), &postgres.Concurrently{})})
			case *atlas.ModifyIndex:
				if slices.ContainsFunc(tc.From.Attrs, isUniqueConstraint) || slices.ContainsFunc(tc.To.Attrs, isUniqueConstraint) ||
					slices.ContainsFunc(indexColumns(tc.From), dropped) || tc.Change&^atlas.ChangeComment == atlas.NoChange {
					kept = append(kept, tc)
					continue
				}
				// Rebuilt: dropped, then built again, both without blocking writes.
				drops = append(drops, &atlas.DropIndex{I: tc.From, Extra: []atlas.Clause{&postgres.Concurrently{}}})
				indexes = append(indexes, &atlas.AddIndex{I: tc.To, Extra: []atlas.Clause{&postgres.Concurrently{}}})
			case *atlas.AddIndex:
				idx := tc.I
				if i := slices.IndexFunc(idx.Attrs, isUniqueConstraint); i >= 0 {
					// Atlas writes a unique constraint as ALTER TABLE … ADD CONSTRAINT … UNIQUE,
					// which builds its index under a SHARE lock: build the index first.
					plain := *idx
					plain.Attrs = slices.Delete(slices.Clone(idx.Attrs), i, i+1)
					idx = &plain
					s.uniques = append(s.uniques, validation{table: mt.T.Name, constraint: idx.Name})
				}
				indexes = append(indexes, &atlas.AddIndex{I: idx, Extra: append(slices.Clip(tc.Extra), &postgres.Concurrently{})})
			case *atlas.AddForeignKey:
				fk := &atlas.AddForeignKey{F: tc.F, Extra: append(slices.Clip(tc.Extra), &postgres.NotValid{})}
				if referencesNewUnique(tc.F, uniques) {
					late = append(late, fk)
				} else {
					kept = append(kept, fk)
				}
				s.validate = append(s.validate, validation{table: mt.T.Name, constraint: tc.F.Symbol})
			default:
				kept = append(kept, tc)
			}
		}
		if len(kept) > 0 {
			s.tx = append(s.tx, &atlas.ModifyTable{T: mt.T, Changes: kept})
		}
		if len(drops) > 0 {
			s.drops = append(s.drops, &atlas.ModifyTable{T: mt.T, Changes: drops})
		}
		if len(indexes) > 0 {
			s.indexes = append(s.indexes, &atlas.ModifyTable{T: mt.T, Changes: indexes})
		}
		if len(late) > 0 {
			s.late = append(s.late, &atlas.ModifyTable{T: mt.T, Changes: late})
		}
	}
	return s
}

// joinConstraints undoes what PlanOptions.Indent does to ALTER TABLE … ADD CONSTRAINT: Atlas
// starts a constraint on a new line, as it does inside CREATE TABLE, which leaves "ADD" alone
// at the end of a line.
func joinConstraints(plan *migrate.Plan) {
	for _, c := range plan.Changes {
		if strings.HasPrefix(c.Cmd, "ALTER TABLE ") {
			c.Cmd = strings.ReplaceAll(c.Cmd, "ADD\nCONSTRAINT ", "ADD CONSTRAINT ")
		}
	}
}

// isUniqueConstraint reports whether an index attribute makes the index a unique constraint.
func isUniqueConstraint(a atlas.Attr) bool {
	c, ok := a.(*postgres.Constraint)
	return ok && c.IsUnique()
}

// referencesNewUnique reports whether fk references the columns of a unique index in uniques.
func referencesNewUnique(fk *atlas.ForeignKey, uniques map[string][][]string) bool {
	if fk.RefTable == nil {
		return false
	}
	ref := make([]string, len(fk.RefColumns))
	for i, c := range fk.RefColumns {
		ref[i] = c.Name
	}
	for _, cols := range uniques[fk.RefTable.Name] {
		if slices.Equal(cols, ref) {
			return true
		}
	}
	return false
}

// droppedColumns returns a function reporting whether the table change drops the named column.
func droppedColumns(mt *atlas.ModifyTable) func(string) bool {
	var names []string
	for _, c := range mt.Changes {
		if dc, ok := c.(*atlas.DropColumn); ok {
			names = append(names, dc.C.Name)
		}
	}
	return func(name string) bool { return slices.Contains(names, name) }
}

// indexColumns returns the names of an index's column parts.
func indexColumns(idx *atlas.Index) []string {
	var out []string
	for _, p := range idx.Parts {
		if p.C != nil {
			out = append(out, p.C.Name)
		}
	}
	return out
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}

// withTxModeNone puts the txmode none directive at the top of a formatted file, in its own
// comment block, so that Atlas and the runner read it.
func withTxModeNone(content []byte) []byte {
	return append([]byte(TxModeNone+"\n\n"), content...)
}

// laterVersion returns the version n seconds after version: the n-th further file of one diff.
func laterVersion(version string, n int) (string, error) {
	if n == 0 {
		return version, nil
	}
	t, err := time.Parse(VersionFormat, version)
	if err != nil {
		return "", fmt.Errorf("diff: version %q is not a UTC timestamp of the form %s", version, VersionFormat)
	}
	return t.Add(time.Duration(n) * time.Second).Format(VersionFormat), nil
}
