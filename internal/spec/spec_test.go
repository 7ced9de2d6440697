package spec_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/dogfood"
	"github.com/kernia/kernia/internal/spec"
	"github.com/kernia/kernia/plugins/twofactor"
)

const app = "example.com/app/auth:Auth"

// Bad is a plugin mixin with a field whose definition panics.
type Bad struct{ ent.Schema }

// Fields implements ent.Mixin.
func (Bad) Fields() []ent.Field { return []ent.Field{field.String("x")} }

type panicky struct {
	kernia.BasePlugin
	where string
}

func (p panicky) ID() string {
	if p.where == "id" {
		panic("ID exploded")
	}
	return "panicky"
}

func (p panicky) Entities() []kernia.Entity {
	if p.where == "entities" {
		panic(errors.New("entities exploded"))
	}
	return []kernia.Entity{{Name: "Thing", Mixin: Bad{}}}
}

func (p panicky) Extensions() []kernia.Extension {
	return []kernia.Extension{{Entity: "Organization", Mixin: Bad{}, IfPresent: true}}
}

// TestRoundTripIsExact encodes instances as the loader program does and decodes them as the
// kernia tool does: everything the commands read of the instance is the same, the composed
// plan, its marshalled schemas (Ent codegen's whole input) and rendered files included.
func TestRoundTripIsExact(t *testing.T) {
	cases := map[string]*kernia.Auth{
		"dogfood": dogfood.Auth(),
		"dogfood, Better Auth's names": func() *kernia.Auth {
			o := dogfood.Auth().Options()
			o.Naming = kernia.BetterAuthNames
			return kernia.New(o)
		}(),
		"empty": kernia.New(kernia.Options{}),
		"customized": kernia.New(kernia.Options{
			AppName: "shop", BaseURL: "https://shop.example.com", BasePath: "/auth",
			DatabaseURL: "postgres://shop:s3cret-pass@127.0.0.1:5432/shop", DevURL: "postgres://dev@127.0.0.1/dev",
			Dialects: []string{kernia.Postgres}, Module: "example.com/shop", MigrationsDir: "db/migrations",
			MigrationFormat: "goose",
			Plugins:         []kernia.Plugin{twofactor.New(), panicky{}},
			Schema: map[string]kernia.EntitySchema{
				"User": {Table: "app_users", Columns: map[string]string{"email": "email_address"}, Fields: []kernia.Field{
					{Name: "nickname", Type: kernia.FieldString, Optional: true, Default: "n"},
					{Name: "age", Type: kernia.FieldInt, Default: 7},
					{Name: "vip", Type: kernia.FieldBool, Default: true},
					{Name: "joined", Type: kernia.FieldTime, Default: kernia.DefaultNow},
					{Name: "prefs", Type: kernia.FieldJSON, Optional: true},
				}},
			},
			DatabaseRateLimit: true,
		}),
		"invalid options": kernia.New(kernia.Options{Dialects: []string{"oracle"}, Plugins: []kernia.Plugin{nil},
			Schema: map[string]kernia.EntitySchema{"User": {Fields: []kernia.Field{{Name: "f", Type: kernia.FieldInt, Default: 1.5}}}}}),
		"plan error":         kernia.New(kernia.Options{Schema: map[string]kernia.EntitySchema{"Nope": {Table: "x"}}}),
		"ID panics":          kernia.New(kernia.Options{Plugins: []kernia.Plugin{panicky{where: "id"}}}),
		"Entities panics":    kernia.New(kernia.Options{Plugins: []kernia.Plugin{panicky{where: "entities"}}}),
		"reserved column":    kernia.New(kernia.Options{Schema: map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"email": "xmin"}}}}),
		"derived name clash": kernia.New(kernia.Options{Schema: map[string]kernia.EntitySchema{"Session": {Table: "users_pkey"}}}),
	}
	for name, orig := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := spec.Encode(orig, app)
			assert.NilError(t, err)
			got, err := spec.Decode(b, app)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(errText(got.Err()), errText(orig.Err())))
			assert.Check(t, is.DeepEqual(scalars(got), scalars(orig)))
			assert.Check(t, is.DeepEqual(plugins(got), plugins(orig)))
			// What the --output flag does: a copy with one option changed keeps the rest.
			o := got.Options()
			o.MigrationsDir = "elsewhere"
			again := kernia.New(o)
			assert.Check(t, is.Equal(errText(again.Err()), errText(orig.Err())))
			assert.Check(t, is.Equal(again.MigrationsDir(), "elsewhere"))

			want, wantErr := build(orig)
			have, haveErr := build(got)
			assert.Check(t, is.Equal(haveErr, wantErr))
			assert.Check(t, is.DeepEqual(have, want))
			have, haveErr = build(again)
			assert.Check(t, is.Equal(haveErr, wantErr))
			assert.Check(t, is.DeepEqual(have, want))

			// Without the plan (migrate, status): the same instance, but no plan to compose.
			b, err = spec.EncodeWithoutPlan(orig, app)
			assert.NilError(t, err)
			assert.Check(t, !strings.Contains(string(b), `"plan`), "a plan in %s", b)
			lean, err := spec.Decode(b, app)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(errText(lean.Err()), errText(orig.Err())))
			assert.Check(t, is.DeepEqual(scalars(lean), scalars(orig)))
			assert.Check(t, is.DeepEqual(plugins(lean), plugins(orig)))
			if lean.Err() == nil {
				_, err = compose.Build(lean)
				assert.Check(t, is.ErrorContains(err, "holds no plan"))
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// scalars is what the commands read of an instance but its plugins and plan.
func scalars(a *kernia.Auth) map[string]any {
	o := a.Options()
	d, err := a.Dialects()
	// Defaults are typed exactly; one the options refuse (an Err) keeps its text only.
	schema := fmt.Sprintf("%#v", o.Schema)
	if a.Err() != nil {
		schema = fmt.Sprintf("%v", o.Schema)
	}
	return map[string]any{
		"AppName": a.AppName(), "BaseURL": a.BaseURL(), "BasePath": a.BasePath(),
		"DatabaseURL": a.DatabaseURL(), "DevURL": a.DevURL(), "MigrationsDir": a.MigrationsDir(),
		"Dialects": fmt.Sprint(d, err), "Module": o.Module, "OptionsDatabaseURL": o.DatabaseURL,
		"OptionsDevURL": o.DevURL, "MigrationFormat": o.MigrationFormat, "Naming": o.Naming, "OptionsBaseURL": o.BaseURL, "OptionsDialects": o.Dialects,
		"Schema": schema, "DatabaseRateLimit": o.DatabaseRateLimit,
		"Plugins": len(o.Plugins),
	}
}

// plugins is what the commands read of the plugins (internal/report, the generator).
func plugins(a *kernia.Auth) []string {
	var out []string
	call := func(f func() any) string {
		defer func() {
			if v := recover(); v != nil {
				out = append(out, fmt.Sprint("panic: ", v))
			}
		}()
		return fmt.Sprint(f())
	}
	for _, p := range a.Plugins() {
		if p == nil {
			out = append(out, "nil")
			continue
		}
		out = append(out, call(func() any { return p.ID() }), call(func() any { return p.Requires() }))
		out = append(out, call(func() any {
			var names []string
			for _, e := range p.Entities() {
				names = append(names, e.Name)
			}
			return names
		}))
		out = append(out, call(func() any {
			var xs []string
			for _, x := range p.Extensions() {
				xs = append(xs, fmt.Sprint(x.Entity, x.IfPresent))
			}
			return xs
		}))
	}
	return out
}

// build is everything generate and info derive from the plan, as text.
func build(a *kernia.Auth) (out map[string]string, err string) {
	defer func() {
		if v := recover(); v != nil {
			msg := fmt.Sprint(v)
			msg, _, _ = strings.Cut(msg, "\n")
			err = "panic: " + msg
		}
	}()
	plan, e := compose.Build(a)
	if e != nil {
		return nil, e.Error()
	}
	out = map[string]string{}
	schemas, e := compose.Schemas(plan)
	if e != nil {
		return nil, e.Error()
	}
	for _, s := range schemas {
		b, e := json.Marshal(s)
		if e != nil {
			return nil, e.Error()
		}
		out["schema "+s.Name] = string(b)
	}
	files, e := compose.Render(plan)
	if e != nil {
		return nil, e.Error()
	}
	for _, f := range files {
		out["file "+f.Name] = string(f.Content)
	}
	for _, e := range plan.Entities {
		out["entity "+e.Name] = fmt.Sprintf("%s %s %s %+v", e.Name, e.Table, e.Owner, e.Columns)
		for i, m := range e.Mixins {
			out[fmt.Sprintf("mixin %s %d", e.Name, i)] = fmt.Sprintf("%s %s %s %s %v %v %v %#v", m.Contributor, m.ImportPath, m.Package, m.Type, m.Columns, m.IndexNames, m.UniqueIndexes, m.Fields)
		}
	}
	out["identities"] = fmt.Sprintf("%+v", plan.Identities())
	out["contributors"] = fmt.Sprintf("%+v", plan.Contributors())
	// Renames need each field's base names (a switch of Options.Naming).
	out["base names"] = fmt.Sprint(basesOf(plan))
	renames, e := plan.Renames(plan.Identities())
	out["renames self"] = fmt.Sprint(renames, e)
	renames, e = plan.Renames(nil)
	out["renames"] = fmt.Sprint(renames, e)
	return out, ""
}

func basesOf(p *compose.Plan) []any {
	var out []any
	for _, e := range p.Entities {
		out = append(out, e.Name, e.BaseNames())
	}
	return out
}

// TestEveryOptionIsCarried fails when kernia.Options gains a field: internal/spec must carry
// it (Encode, Decode, and TestRoundTripIsExact's scalars), or the kernia tool would lose it.
func TestEveryOptionIsCarried(t *testing.T) {
	var got []string
	for f := range reflect.TypeFor[kernia.Options]().Fields() {
		if f.IsExported() {
			got = append(got, f.Name)
		}
	}
	assert.DeepEqual(t, got, []string{"AppName", "BaseURL", "BasePath", "DatabaseURL", "DevURL", "Dialects",
		"Module", "MigrationsDir", "MigrationFormat", "Plugins", "Schema", "Naming", "DatabaseRateLimit"})
}

// TestDecodeRefusesWhatIsNotAConfiguration: a configuration of another format, another
// instance, other versions, unknown fields, or whose names would change the rendered source,
// is refused, naming the problem.
func TestDecodeRefusesWhatIsNotAConfiguration(t *testing.T) {
	good, err := spec.Encode(kernia.New(kernia.Options{Plugins: []kernia.Plugin{twofactor.New()}}), app)
	assert.NilError(t, err)
	edit := func(f func(c map[string]any)) []byte {
		var c map[string]any
		assert.NilError(t, json.Unmarshal(good, &c))
		f(c)
		b, err := json.Marshal(c)
		assert.NilError(t, err)
		return b
	}
	mixin := func(c map[string]any) map[string]any {
		e := c["plan"].(map[string]any)["entities"].([]any)[0].(map[string]any)
		return e["mixins"].([]any)[0].(map[string]any)
	}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"not JSON", []byte("hello"), "invalid loader configuration: invalid character"},
		{"empty", nil, "invalid loader configuration: EOF"},
		{"trailing data", append(append([]byte{}, good...), "{}"...), "data after the configuration"},
		{"other format", edit(func(c map[string]any) { c["format"] = "kernia-loader-config/0" }), `format "kernia-loader-config/0", want "kernia-loader-config/1"`},
		{"other instance", edit(func(c map[string]any) { c["app"] = "x:Y" }), `it is the configuration of "x:Y", not of "example.com/app/auth:Auth"`},
		{"other versions", edit(func(c map[string]any) { c["versions"].(map[string]any)["ent"] = "v0.0.1" }), "the loader program was built with Kernia"},
		{"unknown field", edit(func(c map[string]any) { c["extra"] = 1 }), `unknown field "extra"`},
		{"no plan", edit(func(c map[string]any) { delete(c, "plan") }), "want exactly one of a plan, its error and its panic, got 0"},
		{"a plan where none was asked for", edit(func(c map[string]any) { c["no_plan"] = true }), "no plan requested, yet a plan"},
		{"quote in an import path", edit(func(c map[string]any) { mixin(c)["import_path"] = `x"; import "os` }), "mixin import path"},
		{"bad type name", edit(func(c map[string]any) { mixin(c)["type"] = "T{}; var _ = 1" }), "is not a package name and an exported type name"},
		{"line break in a contributor", edit(func(c map[string]any) { mixin(c)["contributor"] = "core\nfunc init() {}" }), "cannot be in a comment"},
		{"bad entity name", edit(func(c map[string]any) {
			c["plan"].(map[string]any)["entities"].([]any)[0].(map[string]any)["name"] = "user"
		}), `entity name "user" is not an exported Go identifier`},
		{"bad table", edit(func(c map[string]any) {
			c["plan"].(map[string]any)["entities"].([]any)[0].(map[string]any)["table"] = "a\"b"
		}), "is not a valid table name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spec.Decode(tc.in, app)
			assert.Check(t, errors.Is(err, spec.ErrInvalid), "%v", err)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err = spec.Decode(good, app)
	assert.NilError(t, err)
}

// TestEncodeNil: a nil instance is the message the loader program prints.
func TestEncodeNil(t *testing.T) {
	_, err := spec.Encode(nil, app)
	assert.Error(t, err, "kernia: the auth instance example.com/app/auth:Auth is nil: set it with kernia.New(kernia.Options{...})")
}
