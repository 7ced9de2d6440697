package diff

import (
	"context"
	"testing"

	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/codegen"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/dogfood"
	"github.com/kernia/kernia/internal/pgtest"
)

// dogfoodDir is the repository's committed PostgreSQL migration directory.
const dogfoodDir = "../../ent/migrate/migrations/postgres"

// dogfoodTables returns the Ent tables of the dogfood configuration (the core and every
// built-in plugin) with one more optional column on users: the one-field edit of a user's loop.
func dogfoodTables(tb testing.TB) []*entschema.Table {
	tb.Helper()
	plan, err := compose.Build(dogfood.Auth())
	assert.NilError(tb, err)
	schemas, err := compose.Schemas(plan)
	assert.NilError(tb, err)
	g, err := codegen.NewGraph(codegen.Config{Schemas: schemas, SchemaPackage: "github.com/kernia/kernia/ent/schema",
		SchemaDir: "./ent/schema", Package: "github.com/kernia/kernia/ent", Header: compose.Header})
	assert.NilError(tb, err)
	defer g.Close()
	tables, err := g.Tables()
	assert.NilError(tb, err)
	for _, t := range tables {
		if t.Name == "users" {
			t.AddColumn(&entschema.Column{Name: "nickname_bench", Type: field.TypeString, Nullable: true})
		}
	}
	return tables
}

// BenchmarkDogfoodPostgres diffs the dogfood's PostgreSQL directory (the committed files) with
// its tables plus one column, on a dev database given by URL: the states as Ent's sequential
// differ reads them, the states as Diff reads them (split, in rolled-back transactions), and
// the whole Diff.
func BenchmarkDogfoodPostgres(b *testing.B) {
	ctx := context.Background()
	dev, err := OpenDev(ctx, kernia.Postgres, pgtest.NewDatabase(b), "")
	assert.NilError(b, err)
	defer dev.Close()
	dir, _, err := readDir(dogfoodDir)
	assert.NilError(b, err)
	opts := Options{Dev: dev, Dir: dogfoodDir, Tables: dogfoodTables(b), Name: "kernia"}
	b.Run("states=ent-sequential", func(b *testing.B) {
		for b.Loop() {
			_, _, err := sequentialStates(ctx, opts, dir)
			assert.NilError(b, err)
		}
	})
	b.Run("states=split", func(b *testing.B) {
		for b.Loop() {
			_, _, err := states(ctx, opts, dir)
			assert.NilError(b, err)
		}
	})
	b.Run("diff", func(b *testing.B) {
		for b.Loop() {
			res, err := Diff(ctx, opts)
			assert.NilError(b, err)
			assert.Equal(b, len(res.Files), 1)
		}
	})
}
