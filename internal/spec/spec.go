// Package spec is the configuration a loader program hands to the kernia tool: everything the
// commands need from the user's auth instance, resolved where the instance's code runs (the
// options, the plugins' metadata, and the composed schema as Ent's loader marshals it, see
// internal/resolve), as versioned JSON.
//
// The loader program the kernia command builds inside the user's module links only the
// instance's packages and this (no Ent code generator, Atlas or database driver), so an edit
// of the auth package relinks a small binary; the kernia tool, which go tool builds once per
// dependency set, decodes the configuration into a *kernia.Auth and does the work.
//
// The configuration holds the options' database URLs, which may hold passwords: it travels
// through a pipe between the two processes and is never written to a file.
//
// Nothing of the instance is lost: its plugins are Go values, and what the commands use of
// them is their ID, Requires, the names of their entities and extended entities (recorded,
// panics included) and their mixins, which only composition uses (the plan carries their
// import paths and types for the rendered schema files and their marshalled schemas for Ent's
// codegen; hooks, interceptors and policies are marshalled by Ent as positions and run from
// the generated schema package, never from the marshalled form).
package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"maps"
	"runtime/debug"
	"slices"
	"strconv"
	"unicode"

	gomodule "golang.org/x/mod/module"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/authx"
	"github.com/kernia/kernia/internal/resolve"
)

// Format names the version of the configuration's shape: Decode refuses any other.
const Format = "kernia-loader-config/1"

// MageApp is the instance name (Config.App) of the configuration a Mage target hands over:
// the instance the magefile passed to github.com/kernia/kernia/mage/app.Use.
const MageApp = "magefile:app.Use"

// MageArg is the first argument with which a Mage target starts the kernia tool of the
// module: the tool then reads the configuration from file descriptor 3 (standard input on
// Windows) and decodes it, instead of building a loader program.
const MageArg = "--config-from-mage"

// Config is the configuration of one auth instance.
type Config struct {
	// Format is the constant Format.
	Format string `json:"format"`
	// Versions are the versions of Kernia and Ent the loader program was built with.
	Versions Versions `json:"versions"`
	// App is the instance, as <import path>:<Var>.
	App string `json:"app"`
	// Options are the instance's options, Plugins apart.
	Options Options `json:"options"`
	// Err is the message of the instance's Auth.Err, "" for none.
	Err string `json:"err,omitempty"`
	// Plugins are the enabled plugins, in configuration order.
	Plugins []Plugin `json:"plugins"`
	// Plan is the resolved plan (resolve.Resolve), when it succeeded.
	Plan *Plan `json:"plan,omitempty"`
	// PlanErr is Resolve's error message, when it failed.
	PlanErr string `json:"plan_err,omitempty"`
	// PlanPanic is the message and stack of a panic Resolve raised (a bug in a plugin).
	PlanPanic string `json:"plan_panic,omitempty"`
	// NoPlan says that the plan was not resolved, at the kernia command's request: the command
	// never composes the schema (EncodeWithoutPlan). Plan, PlanErr and PlanPanic are then
	// empty.
	NoPlan bool `json:"no_plan,omitempty"`
}

// Versions are module versions from a binary's build information.
type Versions struct {
	Kernia string `json:"kernia"`
	Ent    string `json:"ent"`
}

// Options are kernia.Options without Plugins.
type Options struct {
	AppName           string                  `json:"app_name,omitempty"`
	BaseURL           string                  `json:"base_url,omitempty"`
	BasePath          string                  `json:"base_path,omitempty"`
	DatabaseURL       string                  `json:"database_url,omitempty"`
	DevURL            string                  `json:"dev_url,omitempty"`
	Dialects          []string                `json:"dialects,omitempty"`
	Module            string                  `json:"module,omitempty"`
	MigrationsDir     string                  `json:"migrations_dir,omitempty"`
	MigrationFormat   string                  `json:"migration_format,omitempty"`
	Schema            map[string]EntitySchema `json:"schema,omitempty"`
	Naming            int                     `json:"naming,omitempty"`
	DatabaseRateLimit bool                    `json:"database_rate_limit,omitempty"`
}

// EntitySchema is kernia.EntitySchema.
type EntitySchema struct {
	Table   string            `json:"table,omitempty"`
	Columns map[string]string `json:"columns,omitempty"`
	Fields  []Field           `json:"fields,omitempty"`
}

// Field is kernia.Field, its Default typed.
type Field struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Optional bool   `json:"optional,omitempty"`
	Unique   bool   `json:"unique,omitempty"`
	Default  *Value `json:"default,omitempty"`
}

// Value is a field's default: a string, an int or a bool (what kernia.Options accepts), or,
// for a default the options refuse, its Go type and %v text (the instance's Err then says so).
type Value struct {
	Kind   string `json:"kind"` // "string", "int", "bool" or "other"
	String string `json:"string,omitempty"`
	Int    int    `json:"int,omitempty"`
	Bool   bool   `json:"bool,omitempty"`
	// GoType is the %T of an "other" value.
	GoType string `json:"go_type,omitempty"`
}

// Plugin is what the commands use of a plugin. Each method's result is recorded, or the
// message of the panic it raised, which the decoded plugin raises again.
type Plugin struct {
	// Nil is a nil entry of Options.Plugins.
	Nil bool `json:"nil,omitempty"`
	ID  Call `json:"id"`
	// Requires, Entities (their names) and Extensions (extended entity names and IfPresent).
	Requires   Call `json:"requires"`
	Entities   Call `json:"entities"`
	Extensions Call `json:"extensions"`
}

// Call is a method's result (JSON) or its panic.
type Call struct {
	Value json.RawMessage `json:"value,omitempty"`
	Panic *string         `json:"panic,omitempty"`
}

// Extension is what the commands use of a kernia.Extension.
type Extension struct {
	Entity    string `json:"entity"`
	IfPresent bool   `json:"if_present,omitempty"`
}

// Plan is resolve.Plan.
type Plan struct {
	Entities []Entity `json:"entities"`
}

// Entity is resolve.Entity with its marshalled schema.
type Entity struct {
	Name    string          `json:"name"`
	Table   string          `json:"table"`
	Owner   string          `json:"owner"`
	Mixins  []Mixin         `json:"mixins"`
	Columns []Column        `json:"columns"`
	Schema  json.RawMessage `json:"schema"`
	// BaseNames are, per field, its base column names under kernia.SnakeCase and
	// kernia.BetterAuthNames.
	BaseNames map[string][2]string `json:"base_names,omitempty"`
}

// Mixin is resolve.Mixin.
type Mixin struct {
	Contributor   string            `json:"contributor"`
	ImportPath    string            `json:"import_path,omitempty"`
	Package       string            `json:"package,omitempty"`
	Type          string            `json:"type,omitempty"`
	Columns       map[string]string `json:"columns,omitempty"`
	IndexNames    map[string]string `json:"index_names,omitempty"`
	UniqueIndexes map[string]string `json:"unique_indexes,omitempty"`
	Fields        []Field           `json:"fields,omitempty"`
}

// Column is resolve.Column.
type Column struct {
	Name        string `json:"name"`
	Field       string `json:"field"`
	Contributor string `json:"contributor"`
}

// Encode returns the configuration of auth, the instance named app, as the loader program
// hands it over. A panic of a plugin is recorded, never raised.
func Encode(auth *kernia.Auth, app string) ([]byte, error) { return encode(auth, app, true) }

// EncodeWithoutPlan is Encode without the resolved plan (Config.NoPlan), for a command that
// never composes the schema (migrate, status): resolving it, marshalling every entity's
// schema and decoding them again was about a third of the loader program's work.
func EncodeWithoutPlan(auth *kernia.Auth, app string) ([]byte, error) {
	return encode(auth, app, false)
}

func encode(auth *kernia.Auth, app string, withPlan bool) ([]byte, error) {
	c := Config{Format: Format, Versions: current(), App: app, Plugins: []Plugin{}}
	if auth == nil {
		return nil, fmt.Errorf("kernia: the auth instance %s is nil: set it with kernia.New(kernia.Options{...})", app)
	}
	o := auth.Options()
	c.Options = Options{
		AppName: o.AppName, BaseURL: o.BaseURL, BasePath: o.BasePath, DatabaseURL: o.DatabaseURL,
		DevURL: o.DevURL, Dialects: o.Dialects, Module: o.Module, MigrationsDir: o.MigrationsDir,
		MigrationFormat: o.MigrationFormat, Naming: int(o.Naming), DatabaseRateLimit: o.DatabaseRateLimit,
	}
	if o.Schema != nil {
		c.Options.Schema = map[string]EntitySchema{}
		for name, s := range o.Schema {
			c.Options.Schema[name] = EntitySchema{Table: s.Table, Columns: s.Columns, Fields: encodeFields(s.Fields)}
		}
	}
	if err := auth.Err(); err != nil {
		c.Err = err.Error()
	}
	for _, p := range o.Plugins {
		if p == nil {
			c.Plugins = append(c.Plugins, Plugin{Nil: true})
			continue
		}
		c.Plugins = append(c.Plugins, Plugin{
			ID:       record(func() any { return p.ID() }),
			Requires: record(func() any { return p.Requires() }),
			Entities: record(func() any {
				var names []string
				for _, e := range p.Entities() {
					names = append(names, e.Name)
				}
				return names
			}),
			Extensions: record(func() any {
				var xs []Extension
				for _, x := range p.Extensions() {
					xs = append(xs, Extension{Entity: x.Entity, IfPresent: x.IfPresent})
				}
				return xs
			}),
		})
	}
	if !withPlan {
		c.NoPlan = true
		return json.Marshal(c)
	}
	plan, err, panicked := resolveSafely(auth)
	switch {
	case panicked != "":
		c.PlanPanic = panicked
	case err != nil:
		c.PlanErr = err.Error()
	default:
		c.Plan = encodePlan(plan)
	}
	return json.Marshal(c)
}

// resolveSafely runs resolve.Resolve, turning a panic into its message and stack.
func resolveSafely(auth *kernia.Auth) (p *resolve.Plan, err error, panicked string) {
	defer func() {
		if v := recover(); v != nil {
			panicked = fmt.Sprintf("%v\n(raised in the loader program)\n%s", v, debug.Stack())
		}
	}()
	p, err = resolve.Resolve(auth)
	return p, err, ""
}

// record calls f and returns its result, or the message of its panic.
func record(f func() any) (c Call) {
	defer func() {
		if v := recover(); v != nil {
			msg := fmt.Sprint(v)
			c = Call{Panic: &msg}
		}
	}()
	b, err := json.Marshal(f())
	if err != nil {
		msg := err.Error()
		return Call{Panic: &msg}
	}
	return Call{Value: b}
}

func encodeFields(fs []kernia.Field) []Field {
	if fs == nil {
		return nil
	}
	out := make([]Field, 0, len(fs))
	for _, f := range fs {
		out = append(out, Field{Name: f.Name, Type: string(f.Type), Optional: f.Optional, Unique: f.Unique, Default: encodeValue(f.Default)})
	}
	return out
}

func encodeValue(v any) *Value {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return &Value{Kind: "string", String: v}
	case int:
		return &Value{Kind: "int", Int: v}
	case bool:
		return &Value{Kind: "bool", Bool: v}
	}
	return &Value{Kind: "other", String: fmt.Sprint(v), GoType: fmt.Sprintf("%T", v)}
}

func encodePlan(p *resolve.Plan) *Plan {
	out := &Plan{Entities: []Entity{}}
	raw := p.Raw()
	for i, e := range p.Entities {
		ee := Entity{Name: e.Name, Table: e.Table, Owner: e.Owner, Mixins: []Mixin{}, Columns: []Column{}, Schema: raw[i], BaseNames: e.BaseNames()}
		for _, m := range e.Mixins {
			ee.Mixins = append(ee.Mixins, Mixin{Contributor: m.Contributor, ImportPath: m.ImportPath, Package: m.Package, Type: m.Type, Columns: m.Columns, IndexNames: m.IndexNames, UniqueIndexes: m.UniqueIndexes, Fields: encodeFields(m.Fields)})
		}
		for _, c := range e.Columns {
			ee.Columns = append(ee.Columns, Column(c))
		}
		out.Entities = append(out.Entities, ee)
	}
	return out
}

// current returns the versions of Kernia and Ent this binary was built with.
func current() Versions {
	v := Versions{Kernia: "(devel)", Ent: "(devel)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
		ver := m.Version
		if r := m.Replace; r != nil {
			ver = r.Version
		}
		if ver == "" {
			ver = "(devel)"
		}
		switch m.Path {
		case "github.com/kernia/kernia":
			v.Kernia = ver
		case "entgo.io/ent":
			v.Ent = ver
		}
	}
	return v
}

// ErrInvalid marks a configuration Decode refuses.
var ErrInvalid = errors.New("invalid loader configuration")

// invalid returns an ErrInvalid error.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Decode checks the configuration a loader program wrote for the instance app and returns the
// instance it describes: its options, plugins that answer ID, Requires, Entities and
// Extensions as the originals did (entities and extensions without their mixins), and the
// carried plan that compose.Build returns for it.
func Decode(b []byte, app string) (*kernia.Auth, error) {
	var c Config
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return nil, invalid("%v", err)
	}
	if d.More() {
		return nil, invalid("data after the configuration")
	}
	if c.Format != Format {
		return nil, invalid("format %s, want %s", strconv.Quote(c.Format), strconv.Quote(Format))
	}
	if c.App != app {
		return nil, invalid("it is the configuration of %s, not of %s", strconv.Quote(c.App), strconv.Quote(app))
	}
	if cur := current(); c.Versions != cur {
		return nil, fmt.Errorf("%w: the loader program was built with Kernia %s and Ent %s, the kernia tool with Kernia %s and Ent %s: run the kernia tool of the module (go tool kernia), whose go.mod pins both", ErrInvalid, c.Versions.Kernia, c.Versions.Ent, cur.Kernia, cur.Ent)
	}
	o := kernia.Options{
		AppName: c.Options.AppName, BaseURL: c.Options.BaseURL, BasePath: c.Options.BasePath,
		DatabaseURL: c.Options.DatabaseURL, DevURL: c.Options.DevURL, Dialects: c.Options.Dialects,
		Module: c.Options.Module, MigrationsDir: c.Options.MigrationsDir,
		MigrationFormat: c.Options.MigrationFormat, Naming: kernia.Naming(c.Options.Naming),
		DatabaseRateLimit: c.Options.DatabaseRateLimit,
	}
	if c.Options.Schema != nil {
		o.Schema = map[string]kernia.EntitySchema{}
		for _, name := range slices.Sorted(maps.Keys(c.Options.Schema)) {
			s := c.Options.Schema[name]
			fs, err := decodeFields(s.Fields)
			if err != nil {
				return nil, invalid("Options.Schema[%s]: %v", name, err)
			}
			o.Schema[name] = kernia.EntitySchema{Table: s.Table, Columns: s.Columns, Fields: fs}
		}
	}
	for i, p := range c.Plugins {
		if p.Nil {
			o.Plugins = append(o.Plugins, nil)
			continue
		}
		dp, err := decodePlugin(p)
		if err != nil {
			return nil, invalid("plugin %d: %v", i, err)
		}
		o.Plugins = append(o.Plugins, dp)
	}
	carried := &resolve.Carried{Err: c.Err, PlanErr: c.PlanErr, PlanPanic: c.PlanPanic}
	if c.Plan != nil {
		p, err := decodePlan(c.Plan)
		if err != nil {
			return nil, invalid("plan: %v", err)
		}
		carried.Plan = p
	}
	switch n := btoi(c.Plan != nil) + btoi(c.PlanErr != "") + btoi(c.PlanPanic != ""); {
	case c.NoPlan && n != 0:
		return nil, invalid("no plan requested, yet a plan, its error or its panic")
	case !c.NoPlan && n != 1 && c.Err == "":
		return nil, invalid("want exactly one of a plan, its error and its panic, got %d", n)
	}
	return kernia.New(authx.Attach(o, carried).(kernia.Options)), nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func decodeFields(fs []Field) ([]kernia.Field, error) {
	if fs == nil {
		return nil, nil
	}
	out := make([]kernia.Field, 0, len(fs))
	for i, f := range fs {
		v, err := decodeValue(f.Default)
		if err != nil {
			return nil, fmt.Errorf("field %d (%s): %v", i, strconv.Quote(f.Name), err)
		}
		out = append(out, kernia.Field{Name: f.Name, Type: kernia.FieldType(f.Type), Optional: f.Optional, Unique: f.Unique, Default: v})
	}
	return out, nil
}

func decodeValue(v *Value) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch v.Kind {
	case "string":
		return v.String, nil
	case "int":
		return v.Int, nil
	case "bool":
		return v.Bool, nil
	case "other":
		return Other{GoType: v.GoType, Text: v.String}, nil
	}
	return nil, fmt.Errorf("default of unknown kind %s", strconv.Quote(v.Kind))
}

// Other stands for a field default of a type the options refuse (the instance's Err says
// why); it prints as the original did.
type Other struct{ GoType, Text string }

// String returns the original's %v text.
func (o Other) String() string { return o.Text }

// plugin is a decoded plugin: it answers as the original did, or panics as it did.
type plugin struct {
	id         string
	requires   []string
	entities   []kernia.Entity
	extensions []kernia.Extension
	panics     [4]*string // ID, Requires, Entities, Extensions
}

func (p *plugin) raise(i int) {
	if p.panics[i] != nil {
		panic(*p.panics[i])
	}
}

func (p *plugin) ID() string                     { p.raise(0); return p.id }
func (p *plugin) Requires() []string             { p.raise(1); return slices.Clone(p.requires) }
func (p *plugin) Entities() []kernia.Entity      { p.raise(2); return slices.Clone(p.entities) }
func (p *plugin) Extensions() []kernia.Extension { p.raise(3); return slices.Clone(p.extensions) }

func decodePlugin(c Plugin) (*plugin, error) {
	p := &plugin{}
	var names []string
	var xs []Extension
	for i, call := range []struct {
		c    Call
		into any
	}{{c.ID, &p.id}, {c.Requires, &p.requires}, {c.Entities, &names}, {c.Extensions, &xs}} {
		switch {
		case call.c.Panic != nil && call.c.Value != nil:
			return nil, errors.New("a method with both a result and a panic")
		case call.c.Panic != nil:
			p.panics[i] = call.c.Panic
		case call.c.Value == nil:
			return nil, errors.New("a method with neither a result nor a panic")
		default:
			if err := json.Unmarshal(call.c.Value, call.into); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range names {
		p.entities = append(p.entities, kernia.Entity{Name: n})
	}
	for _, x := range xs {
		p.extensions = append(p.extensions, kernia.Extension{Entity: x.Entity, IfPresent: x.IfPresent})
	}
	return p, nil
}

func decodePlan(p *Plan) (*resolve.Plan, error) {
	var entities []*resolve.Entity
	var raw [][]byte
	for _, e := range p.Entities {
		if err := checkEntity(e); err != nil {
			return nil, err
		}
		re := &resolve.Entity{Name: e.Name, Table: e.Table, Owner: e.Owner}
		re.SetBaseNames(e.BaseNames)
		for _, m := range e.Mixins {
			fs, err := decodeFields(m.Fields)
			if err != nil {
				return nil, fmt.Errorf("entity %s: %v", e.Name, err)
			}
			re.Mixins = append(re.Mixins, resolve.Mixin{Contributor: m.Contributor, ImportPath: m.ImportPath, Package: m.Package, Type: m.Type, Columns: m.Columns, IndexNames: m.IndexNames, UniqueIndexes: m.UniqueIndexes, Fields: fs})
		}
		for _, c := range e.Columns {
			re.Columns = append(re.Columns, resolve.Column(c))
		}
		entities = append(entities, re)
		raw = append(raw, []byte(e.Schema))
	}
	return resolve.NewPlan(entities, raw), nil
}

// checkEntity checks what of an entity reaches the rendered Go source of the schema package
// (identifiers, import paths, comments), so that no configuration can change that source's
// meaning, whatever the program that wrote it.
func checkEntity(e Entity) error {
	if !token.IsIdentifier(e.Name) || !token.IsExported(e.Name) {
		return fmt.Errorf("entity name %s is not an exported Go identifier", strconv.Quote(e.Name))
	}
	if !kernia.ValidIdentifier(e.Table) {
		return fmt.Errorf("entity %s: table %s is not a valid table name", e.Name, strconv.Quote(e.Table))
	}
	if !safeText(e.Owner) {
		return fmt.Errorf("entity %s: owner %s holds a character that cannot be in a comment", e.Name, strconv.Quote(e.Owner))
	}
	if len(e.Mixins) == 0 {
		return fmt.Errorf("entity %s has no mixin", e.Name)
	}
	if len(e.Schema) == 0 || !json.Valid(e.Schema) {
		return fmt.Errorf("entity %s: its marshalled schema is not JSON", e.Name)
	}
	for _, m := range e.Mixins {
		if !safeText(m.Contributor) {
			return fmt.Errorf("entity %s: contributor %s holds a character that cannot be in a comment", e.Name, strconv.Quote(m.Contributor))
		}
		if m.Fields != nil {
			for _, f := range m.Fields {
				switch kernia.FieldType(f.Type) {
				case kernia.FieldString, kernia.FieldInt, kernia.FieldBool, kernia.FieldTime, kernia.FieldJSON:
				default:
					return fmt.Errorf("entity %s: field %s has unknown type %s", e.Name, strconv.Quote(f.Name), strconv.Quote(f.Type))
				}
				if f.Default != nil && f.Default.Kind == "other" {
					return fmt.Errorf("entity %s: field %s has a default of type %s", e.Name, strconv.Quote(f.Name), f.Default.GoType)
				}
			}
			continue
		}
		if err := gomodule.CheckImportPath(m.ImportPath); err != nil {
			return fmt.Errorf("entity %s: mixin import path %s: %v", e.Name, strconv.Quote(m.ImportPath), err)
		}
		if !token.IsIdentifier(m.Package) || !token.IsIdentifier(m.Type) || !token.IsExported(m.Type) {
			return fmt.Errorf("entity %s: mixin %s.%s is not a package name and an exported type name", e.Name, strconv.Quote(m.Package), strconv.Quote(m.Type))
		}
	}
	for _, c := range e.Columns {
		if !safeText(c.Name) || !safeText(c.Field) || !safeText(c.Contributor) {
			return fmt.Errorf("entity %s: column %s holds a character that cannot be in a comment", e.Name, strconv.Quote(c.Name))
		}
	}
	return nil
}

// safeText reports whether s can stand in a line comment: printable, no line break.
func safeText(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
