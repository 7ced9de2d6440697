package entjson_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/entc/load"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"golang.org/x/mod/modfile"

	"github.com/kernia/kernia/internal/entjson"
)

// Types with methods, for GoType and ValueScanner fields (their RType lists the methods).

// Level is a string type with methods.
type Level string

func (l Level) String() string                       { return string(l) }
func (l Level) Value() (driver.Value, error)         { return string(l), nil }
func (l *Level) Scan(v any) error                    { *l = Level(fmt.Sprint(v)); return nil }
func (Level) Values() []string                       { return []string{"low", "high"} }
func (l Level) MarshalText() ([]byte, error)         { return []byte(l), nil }
func (l *Level) UnmarshalText(b []byte) error        { *l = Level(b); return nil }
func (l Level) Compare(o Level, n int) (bool, error) { return l == o, nil }

// Count is an int type with methods.
type Count int

func (c Count) Value() (driver.Value, error) { return int64(c), nil }
func (c *Count) Scan(v any) error            { return nil }

// Point is a struct type scanned by its pointer, for Other and JSON fields.
type Point struct{ X, Y float64 }

func (p *Point) Value() (driver.Value, error) { return fmt.Sprint(p.X, p.Y), nil }
func (p *Point) Scan(v any) error             { return nil }

// Blob is a bytes type with methods.
type Blob []byte

func (b Blob) Value() (driver.Value, error) { return []byte(b), nil }
func (b *Blob) Scan(v any) error            { return nil }

// ID is a UUID type: an array of 16 bytes.
type ID [16]byte

func (i ID) Value() (driver.Value, error) { return fmt.Sprintf("%x", i[:]), nil }
func (i ID) String() string               { return fmt.Sprintf("%x", i[:]) }

func newID() ID { return ID{1} }

// Key is a UUID type scanned by its pointer.
type Key [16]byte

func (k *Key) Value() (driver.Value, error) { return fmt.Sprintf("%x", k[:]), nil }
func (k *Key) Scan(v any) error             { return nil }
func (i *ID) Scan(v any) error              { return nil }

// Rate is a float type.
type Rate float64

// custom is an annotation of its own, with a JSON encoding of its own.
type custom struct {
	Name_ string   `json:"name"`
	Tags  []string `json:"tags,omitempty"`
}

func (c custom) Name() string { return "Custom" + c.Name_ }

// merging is an annotation that merges the next one of its name.
type merging struct{ Values []string }

func (merging) Name() string { return "Merging" }

func (m merging) Merge(o schema.Annotation) schema.Annotation {
	if n, ok := o.(merging); ok {
		m.Values = append(append([]string{}, m.Values...), n.Values...)
	}
	return m
}

// failing is a schema annotation whose Err reports an error.
type failing struct{}

func (failing) Name() string { return "Failing" }
func (failing) Err() error   { return errors.New("the annotation is invalid") }

// healthy is a schema annotation whose Err reports none.
type healthy struct{ OK bool }

func (healthy) Name() string { return "Healthy" }
func (healthy) Err() error   { return nil }

// policy is an ent.Policy.
type policy struct{}

func (policy) EvalMutation(context.Context, ent.Mutation) error { return nil }
func (policy) EvalQuery(context.Context, ent.Query) error       { return nil }

// rules is an ent.Policy of a slice type, nil or not.
type rules []policy

func (rules) EvalMutation(context.Context, ent.Mutation) error { return nil }
func (rules) EvalQuery(context.Context, ent.Query) error       { return nil }

func hook(next ent.Mutator) ent.Mutator { return next }

var interceptor = ent.InterceptFunc(func(next ent.Querier) ent.Querier { return next })

// noInfo is an ent.Field whose descriptor has no type information.
type noInfo struct{}

func (noInfo) Descriptor() *field.Descriptor { return &field.Descriptor{Name: "bare"} }

// Every field type, option and default kind.

type Fields struct{ ent.Schema }

func (Fields) Fields() []ent.Field {
	return []ent.Field{
		field.String("s").Default("x").MaxLen(64).NotEmpty().Match(regexp.MustCompile(`^[a-z]+$`)).
			Unique().StorageKey("s_col").Comment("a string").StructTag(`xml:"s"`).
			SchemaType(map[string]string{dialect.Postgres: "citext", dialect.MySQL: "varchar(64)"}).
			Annotations(entsql.Default("'x'"), custom{Name_: "F", Tags: []string{"a"}}, &entsql.Annotation{Size: 10}),
		field.String("s_func").DefaultFunc(func() string { return "f" }).Immutable().Sensitive(),
		field.String("s_go").GoType(Level("")).Default("low").Optional().Nillable(),
		field.String("s_vs").GoType(&url.URL{}).ValueScanner(field.BinaryValueScanner[*url.URL]{}).Optional(),
		field.String("s_dep").Deprecated("use s").Validate(func(string) error { return nil }),
		field.String("s_dep_bare").Deprecated(),
		field.Text("t").Optional().Comment("text <&> \u2028 é"),
		field.Bool("b").Default(true),
		field.Bool("b_false").Default(false).Optional(),
		field.Int("i").Default(7).Positive().Range(1, 100).UpdateDefault(func() int { return 8 }),
		field.Int("i_go").GoType(Count(0)).Optional(),
		field.Int8("i8").Default(-8),
		field.Int16("i16").Min(-3),
		field.Int32("i32").Default(math.MaxInt32),
		field.Int64("i64").Default(math.MaxInt64).Max(math.MaxInt64),
		field.Int64("i64_func").DefaultFunc(func() int64 { return 1 }),
		field.Uint("u").Default(3),
		field.Uint8("u8").Default(255),
		field.Uint16("u16"),
		field.Uint32("u32").Default(1),
		field.Uint64("u64").Default(math.MaxUint64),
		field.Float("f").Default(1.5).Min(0),
		field.Float32("f32").Default(2.25),
		field.Float("f_go").GoType(Rate(0)).Default(0.5),
		field.Time("created").Default(time.Now).Immutable(),
		field.Time("updated").Default(time.Now).UpdateDefault(time.Now),
		field.Time("fixed").Default(func() time.Time { return time.Unix(0, 0) }).Optional().Nillable(),
		field.Bytes("raw").Default([]byte("raw")).MaxLen(16),
		field.Bytes("blob").GoType(Blob{}).Optional(),
		field.JSON("tags", []string{}).Default([]string{"a", "b"}),
		field.JSON("point", &Point{}).Optional(),
		field.JSON("meta", map[string]any{}).Optional(),
		field.Strings("strs").Default([]string{"x"}),
		field.Ints("ints").Optional(),
		field.Floats("floats").Optional(),
		field.Any("anything").Optional(),
		field.Enum("state").Values("on", "off").Default("on"),
		field.Enum("named").NamedValues("Low", "low", "High", "high"),
		field.Enum("level").GoType(Level("")).Default("high"),
		field.UUID("id", ID{}).Default(newID).Unique().Immutable(),
		field.UUID("key", &Key{}).Optional().Nillable(),
		field.UUID("zero_id", ID{}).Default(func() ID { return ID{} }),
		field.Other("geo", &Point{}).SchemaType(map[string]string{dialect.Postgres: "point", dialect.SQLite: "text", dialect.MySQL: "text"}).Optional(),
		field.Other("geo_default", &Point{}).Default(&Point{X: 1, Y: 2}).
			SchemaType(map[string]string{dialect.Postgres: "point", dialect.SQLite: "text", dialect.MySQL: "text"}),
	}
}

// Graph has edges and indexes of every kind, and annotations everywhere.

type Graph struct{ ent.Schema }

func (Graph) Config() ent.Config { return ent.Config{Table: "graphs"} }

func (Graph) Fields() []ent.Field {
	return []ent.Field{field.Int("owner_id").Optional(), field.String("name")}
}

func (Graph) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Graph.Type).Comment("kids").
			StorageKey(edge.Table("graph_children"), edge.Columns("parent_id", "child_id"), edge.Symbols("fk_a", "fk_b")).
			Annotations(entsql.OnDelete(entsql.Cascade), custom{Name_: "E"}),
		edge.From("parents", Graph.Type).Ref("children"),
		edge.From("owner", User.Type).Ref("graphs").Field("owner_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.SetNull)).StructTag(`json:"o"`),
		edge.To("friends", User.Type).Through("friendships", Friendship.Type).StorageKey(edge.Column("friend_id"), edge.Symbol("fk_f")),
		edge.From("inverse_keyed", User.Type).Ref("keyed").
			Annotations(merging{Values: []string{"1"}}, merging{Values: []string{"2"}}),
		edge.To("single", User.Type).Unique().StorageKey(edge.Column("single_user")),
	}
}

func (Graph) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("name").Unique(),
		index.Fields("name", "owner_id").StorageKey("graph_name_owner").Annotations(entsql.IndexWhere("owner_id IS NOT NULL"), entsql.Prefix(8)),
		index.Fields("name").Edges("owner").Unique(),
		index.Edges("owner").Annotations(entsql.IndexType("HASH"), entsql.IndexType("BTREE")),
	}
}

func (Graph) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Annotation{Table: "graphs", Charset: "utf8mb4"},
		entsql.WithComments(true),
		custom{Name_: "S", Tags: []string{"x", "y"}},
		healthy{OK: true},
		schema.Comment("the graph"),
	}
}

// User and Friendship are edge targets.
type (
	User       struct{ ent.Schema }
	Friendship struct{ ent.Schema }
)

// Mixed is made of mixins that define everything, and defines everything itself.

type Mixed struct{ ent.Schema }

func (Mixed) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.Time{}, &Full{Tag: "a"}, Full{Tag: "b"}, mixin.AnnotateFields(mixin.CreateTime{}, custom{Name_: "A"})}
}

func (Mixed) Fields() []ent.Field             { return []ent.Field{field.String("own")} }
func (Mixed) Edges() []ent.Edge               { return []ent.Edge{edge.To("users", User.Type)} }
func (Mixed) Indexes() []ent.Index            { return []ent.Index{index.Fields("own")} }
func (Mixed) Hooks() []ent.Hook               { return []ent.Hook{hook, hook} }
func (Mixed) Interceptors() []ent.Interceptor { return []ent.Interceptor{interceptor} }
func (Mixed) Policy() ent.Policy              { return policy{} }
func (Mixed) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("mixed"), merging{Values: []string{"schema"}}, custom{Name_: "M", Tags: []string{"schema"}}}
}

// Full is a mixin that defines everything; Tag makes its names its own.
type Full struct {
	mixin.Schema
	Tag string
}

func (f Full) Fields() []ent.Field {
	return []ent.Field{field.String("full_" + f.Tag).Default(f.Tag), field.Int("n_" + f.Tag).Optional()}
}
func (f Full) Edges() []ent.Edge { return []ent.Edge{edge.To("e_"+f.Tag, User.Type).Unique()} }
func (f Full) Indexes() []ent.Index {
	return []ent.Index{index.Fields("full_"+f.Tag, "n_"+f.Tag).Unique()}
}
func (Full) Hooks() []ent.Hook               { return []ent.Hook{hook} }
func (Full) Interceptors() []ent.Interceptor { return []ent.Interceptor{interceptor, interceptor} }
func (f Full) Policy() ent.Policy {
	if f.Tag == "a" {
		return rules(nil) // a typed nil policy counts
	}
	return rules{policy{}}
}
func (f Full) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Annotation{Table: "full_" + f.Tag, Collation: "utf8mb4_bin"},
		merging{Values: []string{f.Tag}},
		custom{Name_: "M", Tags: []string{f.Tag}},
	}
}

// View is a view schema.
type View struct{ ent.View }

func (View) Fields() []ent.Field { return []ent.Field{field.String("name"), field.Int("n")} }
func (View) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.View("SELECT name, 1 AS n FROM users")}
}

// Empty defines nothing.
type Empty struct{ ent.Schema }

// panicking panics in the method it names.
type panicking struct {
	ent.Schema
	in string
}

func (p panicking) boom(m string) {
	if p.in == m {
		panic(fmt.Sprintf("%s exploded", m))
	}
}

func (p panicking) Mixin() []ent.Mixin {
	p.boom("Mixin")
	if strings.HasPrefix(p.in, "mixin ") {
		return []ent.Mixin{mixin.Time{}, panickingMixin{in: strings.TrimPrefix(p.in, "mixin ")}}
	}
	return nil
}
func (p panicking) Fields() []ent.Field {
	p.boom("Fields")
	switch p.in {
	case "field error":
		return []ent.Field{field.String("ok"), field.String("bad").GoType(1)}
	case "no type info":
		return []ent.Field{noInfo{}}
	}
	return []ent.Field{field.String("ok")}
}
func (p panicking) Edges() []ent.Edge               { p.boom("Edges"); return nil }
func (p panicking) Indexes() []ent.Index            { p.boom("Indexes"); return nil }
func (p panicking) Hooks() []ent.Hook               { p.boom("Hooks"); return nil }
func (p panicking) Interceptors() []ent.Interceptor { p.boom("Interceptors"); return nil }
func (p panicking) Policy() ent.Policy              { p.boom("Policy"); return nil }
func (p panicking) Annotations() []schema.Annotation {
	if p.in == "annotation error" {
		return []schema.Annotation{healthy{}, failing{}}
	}
	return nil
}

// panickingMixin panics in the method it names.
type panickingMixin struct {
	mixin.Schema
	in string
}

func (p panickingMixin) boom(m string) {
	if p.in == m {
		panic(errors.New(m + " exploded"))
	}
}

func (p panickingMixin) Fields() []ent.Field {
	p.boom("Fields")
	if p.in == "field error" {
		return []ent.Field{field.Time("t").GoType(1)} // a time field of a non-time Go type
	}
	return nil
}
func (p panickingMixin) Edges() []ent.Edge               { p.boom("Edges"); return nil }
func (p panickingMixin) Indexes() []ent.Index            { p.boom("Indexes"); return nil }
func (p panickingMixin) Hooks() []ent.Hook               { p.boom("Hooks"); return nil }
func (p panickingMixin) Interceptors() []ent.Interceptor { p.boom("Interceptors"); return nil }
func (p panickingMixin) Policy() ent.Policy              { p.boom("Policy"); return nil }

// TestMarshalIsEntsBytes marshals synthetic schemas that use every part of Ent's schema
// definitions, and their error paths, with Marshal and with Ent's own load.MarshalSchema: the
// bytes, or the error messages, are the same.
func TestMarshalIsEntsBytes(t *testing.T) {
	cases := map[string]ent.Interface{
		"fields":                         Fields{},
		"edges, indexes and annotations": Graph{},
		"mixins":                         Mixed{},
		"pointer schema":                 &Mixed{},
		"view":                           View{},
		"empty":                          Empty{},
		"edge target":                    User{},
	}
	for _, in := range []string{"Mixin", "Fields", "Edges", "Indexes", "Hooks", "Interceptors", "Policy", "field error", "no type info", "annotation error"} {
		cases["schema "+in] = panicking{in: in}
	}
	for _, in := range []string{"Fields", "Edges", "Indexes", "Hooks", "Interceptors", "Policy", "field error"} {
		cases["mixin "+in] = panicking{in: "mixin " + in}
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			want, wantErr := load.MarshalSchema(s)
			got, err := entjson.Marshal(s)
			// Every panicking case is an error path of Ent's.
			_, failing := s.(panicking)
			assert.Check(t, is.Equal(wantErr != nil, failing), "Ent's error: %v", wantErr)
			if wantErr != nil {
				assert.Check(t, is.Nil(got))
				assert.Check(t, is.Error(err, wantErr.Error()))
				return
			}
			assert.NilError(t, err)
			assert.Check(t, is.Equal(string(got), string(want)))
		})
	}
}

// TestMarshalCoversTheCases checks that the synthetic schemas exercise what they claim: had Ent
// dropped a part from its JSON (or had a case lost it), equal bytes would prove less.
func TestMarshalCoversTheCases(t *testing.T) {
	cases := map[string]struct {
		s    ent.Interface
		want []string
	}{
		"fields": {Fields{}, []string{
			`"default_kind":19`, `"default_kind":24`, `"default_kind":2`, `"default_kind":23`, `"default_kind":22`,
			`"update_default":true`, `"value_scanner":true`, `"validators":3`, `"storage_key":"s_col"`,
			`"sensitive":true`, `"schema_type":{`, `"comment":"a string"`, `"deprecated":true`,
			`"deprecated_reason":"use s"`, `"enums":[{"N":"Low","V":"low"}`, `"Methods":{`, `"size":64`,
			`"default_value":18446744073709551615`, `"annotations":{"Custom`, `"tag":"xml:\"s\""`,
		}},
		"graph": {Graph{}, []string{
			`"config":{"Table":"graphs"}`, `"ref_name":"children"`, `"inverse":true`, `"required":true`,
			`"immutable":true`, `"through":{"N":"friendships","T":"Friendship"}`, `"field":"owner_id"`,
			`"storage_key":{"Table":"graph_children"`, `"storage_key":"graph_name_owner"`, `"edges":["owner"]`,
			`"Merging":{"Values":["1","2"]}`, `"CustomS":{"name":"S","tags":["x","y"]}`, `"Healthy":{"OK":true}`,
		}},
		"mixins": {Mixed{}, []string{
			`"MixedIn":true,"MixinIndex":1`, `"MixedIn":true,"MixinIndex":2`, `"MixedIn":true,"MixinIndex":3`,
			`"hooks":[{"Index":0,"MixedIn":true,"MixinIndex":1}`, `"interceptors":[{"Index":0,"MixedIn":true,"MixinIndex":1},{"Index":1,"MixedIn":true,"MixinIndex":1}`,
			`"policy":[{"Index":0,"MixedIn":true,"MixinIndex":1},{"Index":0,"MixedIn":true,"MixinIndex":2},{"Index":0,"MixedIn":false,"MixinIndex":0}]`,
			`"Merging":{"Values":["a","b","schema"]}`, `"CustomM":{"name":"M","tags":["a"]}`, `"CustomA"`,
		}},
		"view": {View{}, []string{`"view":true`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := entjson.Marshal(tc.s)
			assert.NilError(t, err)
			for _, w := range tc.want {
				assert.Check(t, is.Contains(string(b), w))
			}
		})
	}
}

// TestCheckShape checks that Ent's loaded-schema types have Marshal's JSON shape, and that a
// loader that writes more, or under another name, is refused with an error that says what
// differs.
func TestCheckShape(t *testing.T) {
	ents := entjson.LoadTypes{
		Schema: reflect.TypeFor[load.Schema](), Field: reflect.TypeFor[load.Field](), Edge: reflect.TypeFor[load.Edge](),
		Index: reflect.TypeFor[load.Index](), Position: reflect.TypeFor[load.Position](),
	}
	assert.NilError(t, entjson.CheckShape(ents))

	type laterIndex struct { // a later Ent's index, with one more property
		Unique      bool           `json:"unique,omitempty"`
		Edges       []string       `json:"edges,omitempty"`
		Fields      []string       `json:"fields,omitempty"`
		StorageKey  string         `json:"storage_key,omitempty"`
		Annotations map[string]any `json:"annotations,omitempty"`
		Nulls       bool           `json:"nulls_not_distinct,omitempty"`
	}
	type renamedPosition struct {
		Index      int `json:"index"`
		MixedIn    bool
		MixinIndex int
	}
	cases := map[string]struct {
		change func(*entjson.LoadTypes)
		want   string
	}{
		"a property more":    {func(l *entjson.LoadTypes) { l.Index = reflect.TypeFor[laterIndex]() }, "entjson: Ent's entc/load.Index has nulls_not_distinct bool `nulls_not_distinct,omitempty`, which is not written by Kernia's marshaller, which mirrors Ent v0.14.5"},
		"a property renamed": {func(l *entjson.LoadTypes) { l.Position = reflect.TypeFor[renamedPosition]() }, "entc/load.Position has index int `index` where Index int `` is written by Kernia's marshaller"},
		"a type swapped":     {func(l *entjson.LoadTypes) { l.Field = reflect.TypeFor[load.Edge]() }, "entc/load.Field has type string `type,omitempty` where type *field.TypeInfo `type,omitempty` is written by"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l := ents
			tc.change(&l)
			err := entjson.CheckShape(l)
			assert.Check(t, is.ErrorContains(err, tc.want))
			assert.Check(t, is.ErrorContains(err, "go get entgo.io/ent@v0.14.5"))
		})
	}
}

// TestEntVersionIsTheModules checks that EntVersion is the Ent version Kernia's go.mod
// requires, which the byte-for-byte tests compare with: after an upgrade of Ent, compare its
// entc/load/schema.go with entjson.go, then update EntVersion.
func TestEntVersionIsTheModules(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	assert.NilError(t, err)
	mf, err := modfile.Parse("go.mod", b, nil)
	assert.NilError(t, err)
	var version string
	for _, r := range mf.Require {
		if r.Mod.Path == "entgo.io/ent" {
			version = r.Mod.Version
		}
	}
	assert.Check(t, is.Equal(version, entjson.EntVersion), "go.mod requires Ent %s: compare its entc/load/schema.go with internal/entjson, then update EntVersion", version)
}
