// Package compose turns an auth instance into a schema plan (which entities exist, which
// mixins make each of them, which core or plugin contributes each column) and renders that
// plan as the Go files of the composed Ent schema package.
//
// The plan itself is internal/resolve's, the part that needs the instance's Go values and
// links nothing of Ent's generator (the loader program links it); this package adds the checks
// of the names Ent derives, with Ent's generator at the module's Ent version. The names below
// are resolve's.
//
// Planning is pure and deterministic: entities are sorted by name, mixins keep the core first
// and then configuration order, and the same instance always gives the same files.
package compose

import (
	"fmt"
	"reflect"
	"sync"

	"entgo.io/ent/entc/gen"
	"entgo.io/ent/entc/load"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/entjson"
	"github.com/kernia/kernia/internal/resolve"
)

type (
	// Plan is the composed schema of an auth instance.
	Plan = resolve.Plan
	// Entity is one composed entity (one table).
	Entity = resolve.Entity
	// Mixin is one contribution to an entity.
	Mixin = resolve.Mixin
	// Column is a column of an entity and the contributor that adds it.
	Column = resolve.Column
	// Identity is the identity record of a generated schema file.
	Identity = resolve.Identity
	// Renames are the table and column renames since the committed schema.
	Renames = resolve.Renames
)

// Header starts every file Kernia generates.
const Header = resolve.Header

// Options is the contributor name of fields added through kernia.Options.Schema.
const Options = resolve.Options

// MaxIdentifier is PostgreSQL's identifier limit in bytes.
const MaxIdentifier = resolve.MaxIdentifier

// RevisionsTable is the migration history table Kernia (and Atlas) keep in the database.
const RevisionsTable = resolve.RevisionsTable

// ErrNotGenerated marks a file in the schema directory that Kernia did not write.
var ErrNotGenerated = resolve.ErrNotGenerated

// Build composes the plan of an auth instance (resolve.Resolve: the options, plugin
// dependencies, entity and extension targets, mixin types, columns claimed twice, reserved and
// over-long table and column names) and checks the names Ent derives for indexes, unique
// constraints and foreign keys.
func Build(auth *kernia.Auth) (*Plan, error) {
	p, err := resolve.Resolve(auth)
	if err != nil {
		return nil, err
	}
	if err := checkEntNames(p); err != nil {
		return nil, err
	}
	if err := checkNames(p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkEntNames checks the names resolve derived without Ent's generator (tables and file
// names) against Ent's own functions at this module's Ent version.
func checkEntNames(p *Plan) error {
	plural, ok1 := gen.Funcs["plural"].(func(string) string)
	snake, ok2 := gen.Funcs["snake"].(func(string) string)
	if !ok1 || !ok2 {
		return fmt.Errorf("compose: entc/gen.Funcs has no plural or snake function of type func(string) string: this Ent version is not supported")
	}
	for _, e := range p.Entities {
		if got, want := resolve.TableName(e.Name), snake(plural(e.Name)); got != want {
			return fmt.Errorf("compose: entity %s: Kernia derives table %q where Ent derives %q: this Ent version is not supported (a bug in Kernia: please report it)", e.Name, got, want)
		}
		if got, want := resolve.FileName(e.Name), snake(e.Name)+".go"; got != want {
			return fmt.Errorf("compose: entity %s: Kernia derives file %q where Ent derives %q: this Ent version is not supported (a bug in Kernia: please report it)", e.Name, got, want)
		}
	}
	return nil
}

// loadShape checks once that entc/load, at this module's Ent version, has the shape of the JSON
// the loader program marshalled (internal/entjson mirrors one Ent version's).
var loadShape = sync.OnceValue(func() error {
	return entjson.CheckShape(entjson.LoadTypes{
		Schema: reflect.TypeFor[load.Schema](), Field: reflect.TypeFor[load.Field](), Edge: reflect.TypeFor[load.Edge](),
		Index: reflect.TypeFor[load.Index](), Position: reflect.TypeFor[load.Position](),
	})
})

// Schemas returns the plan as Ent's loader would load the rendered schema package: each
// entity as Resolve marshalled it, unmarshalled with Ent's load.UnmarshalSchema afresh on every
// call, so no two callers share them (Ent's differ annotates the tables of the schemas it is
// given).
func Schemas(p *Plan) ([]*load.Schema, error) {
	if err := loadShape(); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	raw := p.Raw()
	if len(raw) != len(p.Entities) {
		return nil, fmt.Errorf("compose: the plan holds %d marshalled entities for %d entities", len(raw), len(p.Entities))
	}
	out := make([]*load.Schema, 0, len(p.Entities))
	for i, e := range p.Entities {
		s, err := load.UnmarshalSchema(raw[i])
		if err != nil {
			return nil, fmt.Errorf("compose: unmarshal %s: %w", e.Name, err)
		}
		s.Name = e.Name
		out = append(out, s)
	}
	return out, nil
}

// FileName is the schema file name of an entity: its snake_case name plus ".go".
func FileName(entity string) string { return resolve.FileName(entity) }

// TableName returns the table name Ent derives from an entity name: snake_case, plural.
func TableName(entity string) string { return resolve.TableName(entity) }

// IsGenerated reports whether content is a file Kernia generated.
func IsGenerated(content []byte) bool { return resolve.IsGenerated(content) }

// ParseIdentity parses the identity record of a generated schema file.
func ParseIdentity(content []byte) (Identity, bool, error) { return resolve.ParseIdentity(content) }

// ReadIdentities reads the identity records of the generated files in dir.
func ReadIdentities(dir string) ([]Identity, error) { return resolve.ReadIdentities(dir) }

// ModelName returns an entity's Better Auth model name (resolve.ModelName).
func ModelName(e kernia.Entity) string { return resolve.ModelName(e) }

// LowerCamel returns the lowerCamelCase of a snake_case name (resolve.LowerCamel).
func LowerCamel(snake string) string { return resolve.LowerCamel(snake) }

// BetterAuthIndexName is the name Better Auth 1.7 gives an index (resolve.BetterAuthIndexName).
func BetterAuthIndexName(table string, columns []string, unique bool) string {
	return resolve.BetterAuthIndexName(table, columns, unique)
}
