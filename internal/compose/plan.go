// Package compose turns an auth instance into a schema plan (which entities exist, which
// mixins make each of them, which core or plugin contributes each column) and renders that
// plan as the Go files of the composed Ent schema package.
//
// Planning is pure and deterministic: entities are sorted by name, mixins keep the core first
// and then configuration order, and the same instance always gives the same files.
package compose

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/entc/load"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
	"github.com/kernia/kernia/schema/options"
)

// Plan is the composed schema of an auth instance.
type Plan struct {
	// Entities are sorted by name.
	Entities []*Entity
	// marshalled holds the schemas Build's checks marshalled, until Schemas hands them over.
	marshalled []*load.Schema
}

// Entity is one composed entity (one table).
type Entity struct {
	// Name is the Ent type name, e.g. "User".
	Name string
	// Table is the SQL table name.
	Table string
	// Owner is the contributor that owns the entity: kernia.Core or a plugin id.
	Owner string
	// Mixins make the entity: the owner's first, then each extension in plugin order.
	Mixins []Mixin
	// Columns are the entity's columns in mixin order, each with its contributor.
	Columns []Column
}

// Mixin is one contribution to an entity: a plugin's or the core's mixin type, rendered as
// pkg.Type{} (wrapped in options.Rename when Options.Schema renames its columns), or the
// additional fields of Options.Schema.
type Mixin struct {
	// Contributor is kernia.Core, a plugin id, or Options for additional fields.
	Contributor string
	// ImportPath and Package are the import path and package name of the mixin's type.
	ImportPath, Package string
	// Type is the mixin's type name ("" for additional fields).
	Type string
	// Columns renames the mixin's fields: field name → column name.
	Columns map[string]string
	// Fields are the additional fields (Contributor Options only).
	Fields []kernia.Field
	value  ent.Mixin
}

// Options is the contributor name of fields added through kernia.Options.Schema.
const Options = "options"

// effective returns the mixin as the generated schema applies it.
func (m Mixin) effective() ent.Mixin {
	switch {
	case m.Fields != nil:
		return options.Additional{Specs: m.Fields}
	case len(m.Columns) > 0:
		return options.Rename{Mixin: m.value, Columns: m.Columns}
	}
	return m.value
}

// Column is a column of an entity and the contributor that adds it.
type Column struct {
	// Name is the column name (after renames).
	Name string
	// Field is the Ent field name; it differs from Name when the column was renamed.
	Field       string
	Contributor string
}

// Build composes the plan of an auth instance. It checks the options, plugin dependencies,
// entity and extension targets, mixin types, and that no two contributors claim one column.
func Build(auth *kernia.Auth) (*Plan, error) {
	if err := auth.Err(); err != nil {
		return nil, err
	}
	byName := map[string]*Entity{}
	add := func(contributor string, e kernia.Entity) error {
		if prev, ok := byName[e.Name]; ok {
			return fmt.Errorf("compose: entity %s is defined by both %s and %s", e.Name, prev.Owner, contributor)
		}
		if !isExportedIdent(e.Name) {
			return fmt.Errorf("compose: %s: entity name %q is not an exported Go identifier", contributor, e.Name)
		}
		m, err := mixinRef(contributor, e.Name, e.Mixin)
		if err != nil {
			return err
		}
		table, err := ownTable(m, e.Name)
		if err != nil {
			return err
		}
		byName[e.Name] = &Entity{
			Name:   e.Name,
			Table:  table,
			Owner:  contributor,
			Mixins: []Mixin{m},
		}
		return nil
	}
	for _, e := range core.EntitiesFor(auth.Options()) {
		if err := add(kernia.Core, e); err != nil {
			return nil, err
		}
	}
	plugins := auth.Plugins()
	for _, p := range plugins {
		for _, e := range p.Entities() {
			if err := add(p.ID(), e); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range plugins {
		for _, x := range p.Extensions() {
			e, ok := byName[x.Entity]
			if !ok && x.IfPresent {
				continue
			}
			if !ok {
				return nil, fmt.Errorf("compose: plugin %s extends entity %s, which no enabled plugin or the core defines", p.ID(), x.Entity)
			}
			m, err := mixinRef(p.ID(), x.Entity, x.Mixin)
			if err != nil {
				return nil, err
			}
			e.Mixins = append(e.Mixins, m)
		}
	}
	opts := auth.Options()
	for _, name := range slices.Sorted(maps.Keys(opts.Schema)) {
		e, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("compose: Options.Schema[%s]: no such entity; enabled entities: %s", name, strings.Join(slices.Sorted(maps.Keys(byName)), ", "))
		}
		if err := e.customize(opts.Schema[name]); err != nil {
			return nil, err
		}
	}
	plan := &Plan{}
	for _, e := range byName {
		if err := e.resolveColumns(); err != nil {
			return nil, err
		}
		plan.Entities = append(plan.Entities, e)
	}
	slices.SortFunc(plan.Entities, func(a, b *Entity) int { return cmp.Compare(a.Name, b.Name) })
	tables := map[string]string{}
	for _, e := range plan.Entities {
		if other, ok := tables[e.Table]; ok {
			return nil, fmt.Errorf("compose: entities %s and %s both map to table %q", other, e.Name, e.Table)
		}
		tables[e.Table] = e.Name
	}
	if err := plan.checkNames(); err != nil {
		return nil, err
	}
	return plan, nil
}

// TableName returns the table name Ent derives from an entity name: snake_case, plural.
func TableName(entity string) string {
	plural := gen.Funcs["plural"].(func(string) string)
	snake := gen.Funcs["snake"].(func(string) string)
	return snake(plural(entity))
}

// ownTable returns the table an entity's owner names with an entsql.Table annotation on the
// entity's mixin (a plugin that renames its own table between versions changes it, and the
// next generate renames the table), else the table Ent derives from the entity name.
// Options.Schema's Table still overrides it.
func ownTable(m Mixin, entity string) (string, error) {
	annotations, err := safeCall(m, "Annotations", m.value.Annotations)
	if err != nil {
		return "", err
	}
	table := ""
	for _, a := range annotations {
		switch a := a.(type) {
		case entsql.Annotation:
			table = cmp.Or(a.Table, table)
		case *entsql.Annotation:
			if a != nil {
				table = cmp.Or(a.Table, table)
			}
		}
	}
	if table == "" {
		return TableName(entity), nil
	}
	if !kernia.ValidIdentifier(table) {
		return "", fmt.Errorf("compose: %s: the mixin of %s names table %q, which is not a valid table name (lower-case snake_case, at most 63 bytes)", m.Contributor, entity, table)
	}
	return table, nil
}

// customize applies an entity's Options.Schema: table name, column renames, added fields.
func (e *Entity) customize(s kernia.EntitySchema) error {
	if s.Table != "" {
		e.Table = s.Table
	}
	renamed := map[string]bool{}
	for i := range e.Mixins {
		m := &e.Mixins[i]
		fields, err := safeCall(*m, "Fields", m.value.Fields)
		if err != nil {
			return err
		}
		for _, f := range fields {
			name := f.Descriptor().Name
			if col, ok := s.Columns[name]; ok {
				if m.Columns == nil {
					m.Columns = map[string]string{}
				}
				m.Columns[name] = col
				renamed[name] = true
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Columns)) {
		if !renamed[name] {
			return fmt.Errorf("compose: Options.Schema[%s].Columns renames field %q, which %s does not have", e.Name, name, e.Name)
		}
	}
	if len(s.Fields) > 0 {
		e.Mixins = append(e.Mixins, Mixin{Contributor: Options, Fields: slices.Clone(s.Fields)})
	}
	return nil
}

// resolveColumns lists the entity's columns and refuses a column or edge claimed twice.
func (e *Entity) resolveColumns() error {
	columns := map[string]string{}
	edges := map[string]string{}
	fieldNames := map[string]string{}
	for _, m := range e.Mixins {
		eff := m.effective()
		fields, err := safeCall(m, "Fields", eff.Fields)
		if err != nil {
			return err
		}
		for _, f := range fields {
			d := f.Descriptor()
			if d.Err != nil {
				return fmt.Errorf("compose: %s: field %s.%s: %w", m.Contributor, e.Name, d.Name, d.Err)
			}
			if prev, ok := fieldNames[d.Name]; ok {
				return fmt.Errorf("compose: field %s.%s is claimed by both %s and %s", e.Name, d.Name, prev, m.Contributor)
			}
			fieldNames[d.Name] = m.Contributor
			name := cmp.Or(d.StorageKey, d.Name)
			claimant := fmt.Sprintf("%s (field %s)", m.Contributor, d.Name)
			if prev, ok := columns[name]; ok {
				return fmt.Errorf("compose: column %s.%s is claimed by both %s and %s", e.Table, name, prev, claimant)
			}
			columns[name] = claimant
			e.Columns = append(e.Columns, Column{Name: name, Field: d.Name, Contributor: m.Contributor})
		}
		es, err := safeCall(m, "Edges", eff.Edges)
		if err != nil {
			return err
		}
		for _, ed := range es {
			d := ed.Descriptor()
			if prev, ok := edges[d.Name]; ok {
				return fmt.Errorf("compose: edge %s.%s is claimed by both %s and %s", e.Name, d.Name, prev, m.Contributor)
			}
			edges[d.Name] = m.Contributor
		}
	}
	return nil
}

// safeCall calls a mixin method, turning a panic into an error naming the contributor.
func safeCall[T any](m Mixin, method string, f func() []T) (out []T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compose: %s: %s.%s() panicked: %v", m.Contributor, m.Type, method, r)
		}
	}()
	return f(), nil
}

// mixinRef checks that a mixin can be rendered as pkg.Type{} and returns its reference.
func mixinRef(contributor, entity string, m ent.Mixin) (Mixin, error) {
	if m == nil {
		return Mixin{}, fmt.Errorf("compose: %s: the mixin for %s is nil", contributor, entity)
	}
	t := reflect.TypeOf(m)
	v := reflect.ValueOf(m)
	switch {
	case t.Kind() != reflect.Struct:
		return Mixin{}, fmt.Errorf("compose: %s: the mixin for %s is a %s; use a struct value such as pkg.Type{}", contributor, entity, t)
	case t.PkgPath() == "" || !isExportedIdent(t.Name()):
		return Mixin{}, fmt.Errorf("compose: %s: the mixin for %s has type %s; it must be a named, exported struct type", contributor, entity, t)
	case !v.IsZero():
		return Mixin{}, fmt.Errorf("compose: %s: the mixin %s for %s carries field values; the composed schema can only refer to zero values (%s{}): use a distinct type per variant", contributor, t, entity, t)
	}
	pkg, _, _ := strings.Cut(t.String(), ".")
	return Mixin{
		Contributor: contributor,
		ImportPath:  t.PkgPath(),
		Package:     pkg,
		Type:        t.Name(),
		value:       m,
	}, nil
}

func isExportedIdent(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// Contributors returns, for each table, its columns and their contributors.
func (p *Plan) Contributors() map[string][]Column {
	out := map[string][]Column{}
	for _, e := range p.Entities {
		out[e.Table] = slices.Clone(e.Columns)
	}
	return out
}

// ErrNotGenerated marks a file in the schema directory that Kernia did not write.
var ErrNotGenerated = errors.New("not generated by kernia")
