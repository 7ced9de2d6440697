// Package options holds the mixins through which the generated schema applies
// kernia.Options.Schema (Better Auth's modelName, fields and additionalFields): Rename gives the
// fields of another mixin new column names, Additional adds typed fields. Kernia renders them
// into the generated ent/schema files (options.Rename{Mixin: core.User{}, …}); the package is
// named after the "options" contributor that `kernia info` reports for those fields.
// Applications and plugins do not use it directly.
package options

import (
	"maps"
	"slices"
	"strings"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/schema/core"
)

// Rename wraps a mixin and stores the named fields under new column names and its indexes
// under new index names (kernia.BetterAuthNames names indexes as Better Auth does).
type Rename struct {
	ent.Mixin
	// Columns maps field names to column names.
	Columns map[string]string
	// IndexNames names the wrapped mixin's indexes: the index's field names, joined by ",",
	// to the index name.
	IndexNames map[string]string
	// UniqueIndexes makes unique fields plain fields with a unique index of the given name:
	// field name → index name (Better Auth declares their uniqueness as a named table index).
	UniqueIndexes map[string]string
}

var _ ent.Mixin = Rename{}

// Fields returns the wrapped mixin's fields with their storage keys renamed.
func (r Rename) Fields() []ent.Field {
	fields := r.Mixin.Fields()
	for _, f := range fields {
		d := f.Descriptor()
		if col, ok := r.Columns[d.Name]; ok {
			d.StorageKey = col
		}
		if _, ok := r.UniqueIndexes[d.Name]; ok {
			d.Unique = false
		}
	}
	return fields
}

// Indexes returns the wrapped mixin's indexes under the names of IndexNames, then the unique
// indexes of UniqueIndexes.
func (r Rename) Indexes() []ent.Index {
	indexes := r.Mixin.Indexes()
	for _, i := range indexes {
		d := i.Descriptor()
		if name, ok := r.IndexNames[strings.Join(d.Fields, ",")]; ok {
			d.StorageKey = name
		}
	}
	for _, f := range slices.Sorted(maps.Keys(r.UniqueIndexes)) {
		indexes = append(indexes, index.Fields(f).Unique().StorageKey(r.UniqueIndexes[f]))
	}
	return indexes
}

// Additional adds typed fields to an entity.
type Additional struct {
	mixin.Schema
	// Specs describe the added fields.
	Specs []kernia.Field
}

var _ ent.Mixin = Additional{}

// Fields returns the Ent fields of the additional fields.
func (m Additional) Fields() []ent.Field {
	out := make([]ent.Field, 0, len(m.Specs))
	for _, f := range m.Specs {
		out = append(out, build(f))
	}
	return out
}

type builder[T any] interface {
	ent.Field
	Optional() T
	Unique() T
}

func build(f kernia.Field) ent.Field {
	switch f.Type {
	case kernia.FieldInt:
		b := field.Int(f.Name)
		if v, ok := f.Default.(int); ok {
			b = b.Default(v)
		}
		return finish(b, f)
	case kernia.FieldBool:
		b := field.Bool(f.Name)
		if v, ok := f.Default.(bool); ok {
			b = b.Default(v)
		}
		if f.Optional {
			b = b.Optional()
		}
		return b
	case kernia.FieldTime:
		b := field.Time(f.Name)
		if f.Default == kernia.DefaultNow {
			b = b.Default(time.Now).Annotations(core.DatabaseNow())
		}
		return finish(b, f)
	case kernia.FieldJSON:
		b := field.JSON(f.Name, map[string]any{})
		if f.Optional {
			b = b.Optional()
		}
		return b
	default:
		b := field.String(f.Name)
		if v, ok := f.Default.(string); ok {
			b = b.Default(v)
		}
		return finish(b, f)
	}
}

func finish[T builder[T]](b T, f kernia.Field) ent.Field {
	if f.Optional {
		b = b.Optional()
	}
	if f.Unique {
		b = b.Unique()
	}
	return b
}
