// Package resolve turns an auth instance into a schema plan: which entities exist, which
// mixins make each of them, which core or plugin contributes each column, and each composed
// entity as Ent's loader marshals it (internal/entjson). internal/compose renders the plan as
// the Go files of the composed Ent schema package.
//
// It is the part of composition that needs the instance's Go values (the plugins' mixins), and
// it imports nothing of Ent's code generator or loader (entc/gen, entc/load), Atlas, a database
// driver or the renderer's text/template and go/format: the loader program the kernia command
// builds in the user's module links it, and hands the plan to the kernia tool (internal/spec),
// which checks the names Ent derives and renders the files (internal/compose) and does the rest.
//
// Planning is pure and deterministic: entities are sorted by name, mixins keep the core first
// and then configuration order, and the same instance always gives the same files.
package resolve

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
	"entgo.io/ent/schema"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
	"github.com/kernia/kernia/schema/options"
)

// Plan is the composed schema of an auth instance.
type Plan struct {
	// Entities are sorted by name.
	Entities []*Entity
	// raw holds each entity as Ent's loader marshals it (load.MarshalSchema's bytes, made by
	// internal/entjson), in the order of Entities: what compose.Schemas unmarshals.
	raw [][]byte
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
	// bases holds, per field, its base column name in each naming mode.
	bases map[string]baseNames
}

// baseNames are a field's base column names: under kernia.SnakeCase and under
// kernia.BetterAuthNames, before Options.Schema renames.
type baseNames struct{ snake, camel string }

// Mixin is one contribution to an entity: a plugin's or the core's mixin type, rendered as
// pkg.Type{}, or the additional fields of Options.Schema, wrapped in options.Rename when
// Options.Naming or Options.Schema renames its columns.
type Mixin struct {
	// Contributor is kernia.Core, a plugin id, or Options for additional fields.
	Contributor string
	// ImportPath and Package are the import path and package name of the mixin's type.
	ImportPath, Package string
	// Type is the mixin's type name ("" for additional fields).
	Type string
	// Columns renames the mixin's fields: field name → column name (Options.Naming's base
	// names, then Options.Schema's renames).
	Columns map[string]string
	// IndexNames and UniqueIndexes name the mixin's indexes under kernia.BetterAuthNames (see
	// options.Rename).
	IndexNames, UniqueIndexes map[string]string
	// Fields are the additional fields (Contributor Options only).
	Fields []kernia.Field
	value  ent.Mixin
}

// Options is the contributor name of fields added through kernia.Options.Schema.
const Options = "options"

// effective returns the mixin as the generated schema applies it.
func (m Mixin) effective() ent.Mixin {
	base := m.value
	if m.Fields != nil {
		base = options.Additional{Specs: m.Fields}
	}
	if len(m.Columns) > 0 || len(m.IndexNames) > 0 || len(m.UniqueIndexes) > 0 {
		return options.Rename{Mixin: base, Columns: m.Columns, IndexNames: m.IndexNames, UniqueIndexes: m.UniqueIndexes}
	}
	return base
}

// Column is a column of an entity and the contributor that adds it.
type Column struct {
	// Name is the column name (after renames).
	Name string
	// Field is the Ent field name; it differs from Name when the column was renamed.
	Field       string
	Contributor string
}

// Resolve composes the plan of an auth instance. It checks the options, plugin dependencies,
// entity and extension targets, mixin types, that no two contributors claim one column, and
// the table and column names the databases reserve or would cut; compose.Build adds the
// checks of the names Ent derives (indexes, foreign keys), which need Ent's generator.
//
// An instance decoded from a loader program's configuration (internal/spec) carries the plan
// the program resolved, or its error: Resolve returns that.
func Resolve(auth *kernia.Auth) (*Plan, error) {
	if err := auth.Err(); err != nil {
		return nil, err
	}
	if r, ok := carried(auth); ok {
		return r.get()
	}
	naming := auth.Options().Naming
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
		if naming == kernia.BetterAuthNames {
			table = ModelName(e)
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
	for _, e := range byName {
		if err := e.applyNaming(naming); err != nil {
			return nil, err
		}
	}
	opts := auth.Options()
	for _, name := range slices.Sorted(maps.Keys(opts.Schema)) {
		e, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("compose: Options.Schema[%s]: no such entity; enabled entities: %s", name, strings.Join(slices.Sorted(maps.Keys(byName)), ", "))
		}
		if err := e.customize(opts.Schema[name], naming); err != nil {
			return nil, err
		}
	}
	if naming == kernia.BetterAuthNames {
		for _, e := range byName {
			if err := e.nameIndexes(); err != nil {
				return nil, err
			}
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
	tables := map[string]*Entity{}
	for _, e := range plan.Entities {
		// SQLite compares identifiers without case: user and User are one table.
		if other, ok := tables[strings.ToLower(e.Table)]; ok {
			return nil, fmt.Errorf("compose: entities %s and %s both map to table %q (SQLite compares table names without case); rename one of the tables (Options.Schema[%q].Table)", other.Name, e.Name, e.Table, e.Name)
		}
		tables[strings.ToLower(e.Table)] = e
	}
	if err := plan.checkNames(); err != nil {
		return nil, err
	}
	if err := plan.marshal(); err != nil {
		return nil, err
	}
	return plan, nil
}

// TableName returns the table name Ent derives from an entity name: snake_case, plural.
func TableName(entity string) string {
	return Snake(Plural(entity))
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
		return "", fmt.Errorf("compose: %s: the mixin of %s names table %q, which is not a valid table name (%s)", m.Contributor, entity, table, kernia.IdentifierRule)
	}
	return table, nil
}

// ModelName returns an entity's Better Auth model name, its table under kernia.BetterAuthNames:
// Entity.Model, else the name with its leading upper-case letters lower-cased, but for the last
// one when a lower-case letter follows it (TwoFactor: twoFactor, SSOProvider: ssoProvider).
func ModelName(e kernia.Entity) string {
	if e.Model != "" {
		return e.Model
	}
	r := []byte(e.Name)
	n := 0
	for n < len(r) && 'A' <= r[n] && r[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(r) && 'a' <= r[n] && r[n] <= 'z' {
		n-- // the last capital starts the next word
	}
	for i := range n {
		r[i] += 'a' - 'A'
	}
	return string(r)
}

// LowerCamel returns the lowerCamelCase of a snake_case name (email_verified: emailVerified),
// the column of a field under kernia.BetterAuthNames.
func LowerCamel(snake string) string {
	parts := strings.Split(snake, "_")
	var b strings.Builder
	for i, p := range parts {
		switch {
		case p == "":
			b.WriteByte('_') // a leading, trailing or doubled underscore stays
		case i > 0 && parts[i-1] != "":
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		default:
			b.WriteString(p)
		}
	}
	return b.String()
}

// modelField returns the column a field's core.ModelField annotation names, or "".
func modelField(f ent.Field) string {
	for _, a := range f.Descriptor().Annotations {
		if m, ok := a.(core.ModelField); ok {
			return string(m)
		}
	}
	return ""
}

// applyNaming records each field's base names and, under kernia.BetterAuthNames, renames every
// column whose Better Auth name differs from its snake_case one.
func (e *Entity) applyNaming(naming kernia.Naming) error {
	e.bases = map[string]baseNames{}
	for i := range e.Mixins {
		m := &e.Mixins[i]
		fields, err := safeCall(*m, "Fields", m.value.Fields)
		if err != nil {
			return err
		}
		for _, f := range fields {
			d := f.Descriptor()
			snake := cmp.Or(d.StorageKey, d.Name)
			camel := cmp.Or(modelField(f), LowerCamel(snake))
			if !kernia.ValidIdentifier(camel) {
				return fmt.Errorf("compose: %s: field %s.%s: core.ModelField(%q) is not a valid column name (%s)", m.Contributor, e.Name, d.Name, camel, kernia.IdentifierRule)
			}
			e.bases[d.Name] = baseNames{snake: snake, camel: camel}
			if naming == kernia.BetterAuthNames && camel != snake {
				if m.Columns == nil {
					m.Columns = map[string]string{}
				}
				m.Columns[d.Name] = camel
			}
		}
	}
	return nil
}

// nameIndexes names the entity's indexes as Better Auth names its own (<table>_<columns>_idx,
// _uidx when unique), after the final table and column names, and turns the unique fields
// annotated core.ModelIndex into unique indexes of that name. Unique columns keep the unique
// constraint PostgreSQL names <table>_<column>_key, as Better Auth's own unique columns.
func (e *Entity) nameIndexes() error {
	columns := map[string]string{} // field -> column
	for _, m := range e.Mixins {
		if m.value == nil {
			continue
		}
		fields, err := safeCall(m, "Fields", m.value.Fields)
		if err != nil {
			return err
		}
		for _, f := range fields {
			d := f.Descriptor()
			columns[d.Name] = cmp.Or(m.Columns[d.Name], d.StorageKey, d.Name)
		}
	}
	for i := range e.Mixins {
		m := &e.Mixins[i]
		if m.value == nil {
			continue
		}
		indexes, err := safeCall(*m, "Indexes", m.value.Indexes)
		if err != nil {
			return err
		}
		for _, idx := range indexes {
			d := idx.Descriptor()
			if d.StorageKey != "" || len(d.Fields) == 0 || len(d.Edges) > 0 {
				continue // named by its plugin, or over edges: Ent's name
			}
			cols := make([]string, len(d.Fields))
			for j, f := range d.Fields {
				cols[j] = cmp.Or(columns[f], f)
			}
			if m.IndexNames == nil {
				m.IndexNames = map[string]string{}
			}
			m.IndexNames[strings.Join(d.Fields, ",")] = BetterAuthIndexName(e.Table, cols, d.Unique)
		}
		fields, err := safeCall(*m, "Fields", m.value.Fields)
		if err != nil {
			return err
		}
		for _, f := range fields {
			d := f.Descriptor()
			if !d.Unique || !slices.ContainsFunc(d.Annotations, func(a schema.Annotation) bool { _, ok := a.(core.ModelIndex); return ok }) {
				continue
			}
			if m.UniqueIndexes == nil {
				m.UniqueIndexes = map[string]string{}
			}
			m.UniqueIndexes[d.Name] = BetterAuthIndexName(e.Table, []string{columns[d.Name]}, true)
		}
	}
	return nil
}

// BetterAuthIndexName is the name Better Auth 1.7 gives an index of table over columns
// (@better-auth/core's getDatabaseIndexName): <table>_<columns>_idx, or _uidx when unique;
// over 63 bytes, cut and suffixed with the FNV-1a hash of the whole name.
func BetterAuthIndexName(table string, columns []string, unique bool) string {
	kind := "idx"
	if unique {
		kind = "uidx"
	}
	name := table + "_" + strings.Join(columns, "_") + "_" + kind
	if len(name) <= MaxIdentifier {
		return name
	}
	h := uint32(2166136261)
	for _, c := range []byte(name) { // ASCII: JavaScript's charCodeAt
		h ^= uint32(c)
		h *= 16777619
	}
	suffix := fmt.Sprintf("_%08x_%s", h, kind)
	return name[:len(name)-len(kind)-1][:MaxIdentifier-len(suffix)] + suffix
}

// customize applies an entity's Options.Schema on top of the naming mode's base names: table
// name, column renames, added fields.
func (e *Entity) customize(s kernia.EntitySchema, naming kernia.Naming) error {
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
		m := Mixin{Contributor: Options, Fields: slices.Clone(s.Fields)}
		for _, f := range s.Fields {
			camel := LowerCamel(f.Name)
			e.bases[f.Name] = baseNames{snake: f.Name, camel: camel}
			if naming == kernia.BetterAuthNames && camel != f.Name {
				if m.Columns == nil {
					m.Columns = map[string]string{}
				}
				m.Columns[f.Name] = camel
			}
		}
		e.Mixins = append(e.Mixins, m)
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
			// SQLite compares column names without case: userId and userid are one column.
			if prev, ok := columns[strings.ToLower(name)]; ok {
				return fmt.Errorf("compose: column %s.%s is claimed by both %s and %s", e.Table, name, prev, claimant)
			}
			columns[strings.ToLower(name)] = claimant
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
