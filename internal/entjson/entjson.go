// Package entjson marshals an Ent schema (an ent.Interface) to the JSON that Ent's loader
// produces for it: exactly the bytes of entgo.io/ent/entc/load.MarshalSchema, which the kernia
// tool decodes with load.UnmarshalSchema and hands to Ent's code generator.
//
// It exists so that the loader program Kernia builds in the user's module (see
// github.com/kernia/kernia/loader) need not link entc/load, whose package also holds Ent's
// schema-package loader and with it go/types, golang.org/x/tools/go/packages and the export
// data importers: several hundred kilobytes and milliseconds of package initialization on every
// relink and start after an edit of the auth package. This package needs only Ent's schema
// definitions (entgo.io/ent, entgo.io/ent/schema/...), which the loader links anyway.
//
// The shape mirrors entc/load of Ent v0.14.5 (entc/load/schema.go: Schema, Field, Edge, Index,
// Position and their JSON tags, in their order; the rules of MarshalSchema, NewField, NewEdge
// and NewIndex; the messages of its errors). A test compares both marshallers byte for byte on
// every composed entity of the core and the built-in plugins and on synthetic schemas; a change
// of Ent's shape in a later version fails it. As the loader program is built at the user's
// module's Ent version, which may be later than the one mirrored, the kernia tool checks with
// CheckShape that its entc/load expects what Marshal writes.
package entjson

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// EntVersion is the version of Ent whose entc/load.MarshalSchema this package reproduces.
const EntVersion = "v0.14.5"

// The JSON shape of a loaded schema, as entc/load declares it: the same JSON names in the same
// order, with the same omissions. Annotations hold the annotation values themselves (their
// own JSON encodings), keyed by name (encoding/json sorts the keys).

type schemaJSON struct {
	Name         string         `json:"name,omitempty"`
	View         bool           `json:"view,omitempty"`
	Config       ent.Config     `json:"config,omitempty"`
	Edges        []*edgeJSON    `json:"edges,omitempty"`
	Fields       []*fieldJSON   `json:"fields,omitempty"`
	Indexes      []*indexJSON   `json:"indexes,omitempty"`
	Hooks        []*position    `json:"hooks,omitempty"`
	Interceptors []*position    `json:"interceptors,omitempty"`
	Policy       []*position    `json:"policy,omitempty"`
	Annotations  map[string]any `json:"annotations,omitempty"`
}

// position locates a field, hook, interceptor or policy in the schema or in one of its
// mixins. Ent gives it no JSON tags: its Go field names are its JSON names.
type position struct {
	Index      int
	MixedIn    bool
	MixinIndex int
}

type fieldJSON struct {
	Name             string                  `json:"name,omitempty"`
	Info             *field.TypeInfo         `json:"type,omitempty"`
	ValueScanner     bool                    `json:"value_scanner,omitempty"`
	Tag              string                  `json:"tag,omitempty"`
	Size             *int64                  `json:"size,omitempty"`
	Enums            []struct{ N, V string } `json:"enums,omitempty"`
	Unique           bool                    `json:"unique,omitempty"`
	Nillable         bool                    `json:"nillable,omitempty"`
	Optional         bool                    `json:"optional,omitempty"`
	Default          bool                    `json:"default,omitempty"`
	DefaultValue     any                     `json:"default_value,omitempty"`
	DefaultKind      reflect.Kind            `json:"default_kind,omitempty"`
	UpdateDefault    bool                    `json:"update_default,omitempty"`
	Immutable        bool                    `json:"immutable,omitempty"`
	Validators       int                     `json:"validators,omitempty"`
	StorageKey       string                  `json:"storage_key,omitempty"`
	Position         *position               `json:"position,omitempty"`
	Sensitive        bool                    `json:"sensitive,omitempty"`
	SchemaType       map[string]string       `json:"schema_type,omitempty"`
	Annotations      map[string]any          `json:"annotations,omitempty"`
	Comment          string                  `json:"comment,omitempty"`
	Deprecated       bool                    `json:"deprecated,omitempty"`
	DeprecatedReason string                  `json:"deprecated_reason,omitempty"`
}

type edgeJSON struct {
	Name        string                 `json:"name,omitempty"`
	Type        string                 `json:"type,omitempty"`
	Tag         string                 `json:"tag,omitempty"`
	Field       string                 `json:"field,omitempty"`
	RefName     string                 `json:"ref_name,omitempty"`
	Ref         *edgeJSON              `json:"ref,omitempty"`
	Through     *struct{ N, T string } `json:"through,omitempty"`
	Unique      bool                   `json:"unique,omitempty"`
	Inverse     bool                   `json:"inverse,omitempty"`
	Required    bool                   `json:"required,omitempty"`
	Immutable   bool                   `json:"immutable,omitempty"`
	StorageKey  *edge.StorageKey       `json:"storage_key,omitempty"`
	Annotations map[string]any         `json:"annotations,omitempty"`
	Comment     string                 `json:"comment,omitempty"`
}

type indexJSON struct {
	Unique      bool           `json:"unique,omitempty"`
	Edges       []string       `json:"edges,omitempty"`
	Fields      []string       `json:"fields,omitempty"`
	StorageKey  string         `json:"storage_key,omitempty"`
	Annotations map[string]any `json:"annotations,omitempty"`
}

// Marshal returns s as entc/load.MarshalSchema of Ent v0.14.5 marshals it, byte for byte.
//
// As Ent's, it calls the schema's methods in Ent's order (Config, Mixin, then each mixin's
// Fields, Edges, Indexes, Hooks, Interceptors, Policy and Annotations, then the schema's
// Annotations, Fields, Edges, Indexes, Hooks, Interceptors and Policy), turns a panic in any of
// them but Config and Annotations into an error, and fails on a field whose definition failed
// (its descriptor's Err) or has no type information, and on a schema annotation whose Err
// method reports an error. Its errors read as Ent's.
func Marshal(s ent.Interface) ([]byte, error) {
	out := &schemaJSON{
		Config:      s.Config(),
		Name:        typeName(s),
		Annotations: map[string]any{},
	}
	_, out.View = s.(ent.Viewer)
	if err := out.addMixins(s); err != nil {
		return nil, fmt.Errorf("schema %q: %w", out.Name, err)
	}
	// The schema's own annotations come after its mixins' and win over them, unless the first
	// one merges the next (schema.Merger).
	for _, a := range s.Annotations() {
		if e, ok := a.(interface{ Err() error }); ok && e.Err() != nil {
			return nil, fmt.Errorf("schema %q: %w", out.Name, e.Err())
		}
		annotate(out.Annotations, a)
	}
	// The schema's own parts come last, at positions that are not mixed in; their errors are
	// bare, the schema named above them.
	if err := out.addParts(s, &position{}); err != nil {
		return nil, fmt.Errorf("schema %q: %w", out.Name, err)
	}
	return json.Marshal(out)
}

// addMixins adds what each of the schema's mixins defines, in mixin order, each mixin's
// positions naming it by its index.
func (out *schemaJSON) addMixins(s ent.Interface) error {
	mixins, err := guard(s.Mixin, "schema.Mixin")
	if err != nil {
		return err
	}
	for i, m := range mixins {
		if err := out.addParts(m, &position{MixedIn: true, MixinIndex: i}); err != nil {
			return fmt.Errorf("mixin %q: %w", typeName(m), err)
		}
		for _, a := range m.Annotations() {
			annotate(out.Annotations, a)
		}
	}
	return nil
}

// parts is what a schema and a mixin both define.
type parts interface {
	Fields() []ent.Field
	Edges() []ent.Edge
	Indexes() []ent.Index
	Hooks() []ent.Hook
	Interceptors() []ent.Interceptor
	Policy() ent.Policy
}

// addParts adds the fields, edges, indexes, hooks, interceptors and policy of p (a mixin or
// the schema), their positions made from at (the mixin's, or the schema's zero position).
func (out *schemaJSON) addParts(p parts, at *position) error {
	fields, err := guard(p.Fields, fmt.Sprintf("%T.Fields", p))
	if err != nil {
		return err
	}
	for i, f := range fields {
		fj, err := newField(f.Descriptor())
		if err != nil {
			return err
		}
		fj.Position = at.at(i)
		out.Fields = append(out.Fields, fj)
	}
	edges, err := guard(p.Edges, "schema.Edges")
	if err != nil {
		return err
	}
	for _, e := range edges {
		out.Edges = append(out.Edges, newEdge(e.Descriptor()))
	}
	indexes, err := guard(p.Indexes, "schema.Indexes")
	if err != nil {
		return err
	}
	for _, x := range indexes {
		out.Indexes = append(out.Indexes, newIndex(x.Descriptor()))
	}
	hooks, err := guard(p.Hooks, "schema.Hooks")
	if err != nil {
		return err
	}
	for i := range hooks {
		out.Hooks = append(out.Hooks, at.at(i))
	}
	inters, err := guard(p.Interceptors, "schema.Interceptors")
	if err != nil {
		return err
	}
	for i := range inters {
		out.Interceptors = append(out.Interceptors, at.at(i))
	}
	policy, err := guard(p.Policy, "schema.Policy")
	if err != nil {
		return err
	}
	// A policy is one position whatever it holds (index 0); any non-nil interface counts, a
	// typed nil included, as in Ent.
	if policy != nil {
		out.Policy = append(out.Policy, at.at(0))
	}
	return nil
}

// at returns a copy of the position with index i.
func (p *position) at(i int) *position {
	c := *p
	c.Index = i
	return &c
}

// guard calls f and turns a panic into the error "<what> panics: <value>", Ent's message.
func guard[T any](f func() T, what string) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, fmt.Errorf("%s panics: %v", what, r)
		}
	}()
	return f(), nil
}

// newField returns the JSON of a field as Ent's load.NewField makes it.
func newField(d *field.Descriptor) (*fieldJSON, error) {
	if d.Err != nil {
		return nil, fmt.Errorf("field %q: %v", d.Name, d.Err)
	}
	if d.Info == nil {
		return nil, fmt.Errorf("missing type info for field %q", d.Name)
	}
	f := &fieldJSON{
		Name:             d.Name,
		Info:             d.Info,
		ValueScanner:     d.ValueScanner != nil,
		Tag:              d.Tag,
		Enums:            d.Enums,
		Unique:           d.Unique,
		Nillable:         d.Nillable,
		Optional:         d.Optional,
		Default:          d.Default != nil,
		UpdateDefault:    d.UpdateDefault != nil,
		Immutable:        d.Immutable,
		StorageKey:       d.StorageKey,
		Validators:       len(d.Validators),
		Sensitive:        d.Sensitive,
		SchemaType:       d.SchemaType,
		Annotations:      annotations(d.Annotations),
		Comment:          d.Comment,
		Deprecated:       d.Deprecated,
		DeprecatedReason: d.DeprecatedReason,
	}
	if d.Size != 0 {
		size := int64(d.Size)
		f.Size = &size
	}
	if f.Default {
		f.DefaultKind = reflect.TypeOf(d.Default).Kind()
	}
	// The default's value travels only when it encodes (a literal, not a function such as
	// time.Now); its kind says which it was.
	if _, err := json.Marshal(d.Default); err == nil {
		f.DefaultValue = d.Default
	}
	return f, nil
}

// newEdge returns the JSON of an edge as Ent's load.NewEdge makes it: an inverse edge carries
// its reference, and takes the reference's storage key in place of its own.
func newEdge(d *edge.Descriptor) *edgeJSON {
	e := &edgeJSON{
		Name:        d.Name,
		Type:        d.Type,
		Tag:         d.Tag,
		Field:       d.Field,
		RefName:     d.RefName,
		Through:     d.Through,
		Unique:      d.Unique,
		Inverse:     d.Inverse,
		Required:    d.Required,
		Immutable:   d.Immutable,
		StorageKey:  d.StorageKey,
		Annotations: annotations(d.Annotations),
		Comment:     d.Comment,
	}
	if d.Ref != nil {
		e.Ref = newEdge(d.Ref)
		e.StorageKey = e.Ref.StorageKey
	}
	return e
}

// newIndex returns the JSON of an index as Ent's load.NewIndex makes it.
func newIndex(d *index.Descriptor) *indexJSON {
	return &indexJSON{
		Unique:      d.Unique,
		Edges:       d.Edges,
		Fields:      d.Fields,
		StorageKey:  d.StorageKey,
		Annotations: annotations(d.Annotations),
	}
}

// annotations returns the annotations by name, as annotate adds them in order.
func annotations(as []schema.Annotation) map[string]any {
	m := make(map[string]any, len(as))
	for _, a := range as {
		annotate(m, a)
	}
	return m
}

// annotate adds a to m: under its name if none is there yet; merged into the one there if
// that one is a schema.Merger; otherwise not at all (the first annotation of a name wins).
func annotate(m map[string]any, a schema.Annotation) {
	prev, ok := m[a.Name()]
	if !ok {
		m[a.Name()] = a
		return
	}
	if mg, ok := prev.(schema.Merger); ok {
		m[a.Name()] = mg.Merge(a)
	}
}

// typeName is the name of v's type, pointers dereferenced, as Ent names schemas and mixins.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// LoadTypes are the types of Ent's entc/load that Marshal's JSON mirrors, as the caller links
// them (at the Ent version of its module): Schema, Field, Edge, Index and Position.
type LoadTypes struct {
	Schema, Field, Edge, Index, Position reflect.Type
}

// CheckShape returns an error unless Ent's loaded-schema types have the JSON shape Marshal
// writes: the same JSON names, options and types, in the same order. The kernia tool, which links entc/load
// at the module's Ent version, calls it before decoding what the loader program marshalled, so
// that a later Ent whose loader writes more (a field Marshal would silently drop) is refused
// with an error instead of generating code from less than the schema says.
func CheckShape(types LoadTypes) error {
	ours := map[reflect.Type]string{
		reflect.TypeFor[schemaJSON](): "Schema", reflect.TypeFor[fieldJSON](): "Field",
		reflect.TypeFor[edgeJSON](): "Edge", reflect.TypeFor[indexJSON](): "Index",
		reflect.TypeFor[position](): "Position",
	}
	theirs := map[reflect.Type]string{
		types.Schema: "Schema", types.Field: "Field", types.Edge: "Edge", types.Index: "Index", types.Position: "Position",
	}
	// The leaves first: a difference is reported where it is, not as the schema's that holds it.
	for _, pair := range []struct {
		name        string
		ours, their reflect.Type
	}{
		{"Position", reflect.TypeFor[position](), types.Position},
		{"Index", reflect.TypeFor[indexJSON](), types.Index},
		{"Edge", reflect.TypeFor[edgeJSON](), types.Edge},
		{"Field", reflect.TypeFor[fieldJSON](), types.Field},
		{"Schema", reflect.TypeFor[schemaJSON](), types.Schema},
	} {
		if d := shapeDiff(jsonShape(pair.ours, ours), jsonShape(pair.their, theirs)); d != "" {
			return fmt.Errorf("entjson: Ent's entc/load.%s %s Kernia's marshaller, which mirrors Ent %s: use Ent %s in go.mod (go get entgo.io/ent@%s) or a Kernia release that supports this Ent version",
				pair.name, d, EntVersion, EntVersion, EntVersion)
		}
	}
	return nil
}

// shapeDiff says how got, Ent's shape, first differs from want, the marshaller's ("" if not),
// to be followed by "Kernia's marshaller".
func shapeDiff(want, got []string) string {
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(want):
			return fmt.Sprintf("has %s, which is not written by", got[i])
		case i >= len(got):
			return fmt.Sprintf("lacks %s, which is written by", want[i])
		case got[i] != want[i]:
			return fmt.Sprintf("has %s where %s is written by", got[i], want[i])
		}
	}
	return ""
}

// jsonShape lists the JSON-encoded fields of struct type t as "key type `tag`", the mirrored
// struct types named by names.
func jsonShape(t reflect.Type, names map[reflect.Type]string) []string {
	if t == nil || t.Kind() != reflect.Struct {
		return []string{fmt.Sprint("not a struct: ", t)}
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		key, _, _ := strings.Cut(tag, ",")
		if key == "" {
			key = f.Name
		}
		out = append(out, fmt.Sprintf("%s %s `%s`", key, typeString(f.Type, names), tag))
	}
	return out
}

// typeString is t as Go writes it, the mirrored struct types named by names.
func typeString(t reflect.Type, names map[reflect.Type]string) string {
	switch n, ok := names[t]; {
	case ok:
		return n
	case t.Kind() == reflect.Pointer:
		return "*" + typeString(t.Elem(), names)
	case t.Kind() == reflect.Slice:
		return "[]" + typeString(t.Elem(), names)
	}
	return t.String()
}
