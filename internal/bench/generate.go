package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/plugins/builtin"
)

// entgenGo is the hand-run baseline's codegen: what `go run entgo.io/ent/cmd/ent generate
// ./ent/schema` does, with Ent's loader.
const entgenGo = `package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	if err := entc.Generate("./ent/schema", &gen.Config{}); err != nil {
		log.Fatal(err)
	}
}
`

// atlasdiffGo is the hand-run baseline's diff: Ent's documented versioned-migration program,
// replaying each directory on a clean dev database (SQLite in memory, PostgreSQL at
// $KERNIA_DEV_URL) and writing the next file with Atlas.
const atlasdiffGo = `package main

import (
	"context"
	"database/sql"
	"log"
	"os"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	entmigrate "example.com/bench/ent/migrate"
)

func main() {
	ctx := context.Background()
	for _, t := range []struct{ dialect, driver, dsn, dir string }{
		{dialect.SQLite, "sqlite", "file::memory:?_pragma=foreign_keys(1)", "ent/migrate/migrations/sqlite"},
		{dialect.Postgres, "pgx", os.Getenv("KERNIA_DEV_URL"), "ent/migrate/migrations/postgres"},
	} {
		db, err := sql.Open(t.driver, t.dsn)
		if err != nil {
			log.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		dir, err := migrate.NewLocalDir(t.dir)
		if err != nil {
			log.Fatal(err)
		}
		m, err := schema.NewMigrate(entsql.OpenDB(t.dialect, db), schema.WithDir(dir),
			schema.WithMigrationMode(schema.ModeReplay), schema.WithFormatter(migrate.DefaultFormatter))
		if err != nil {
			log.Fatal(err)
		}
		if err := m.NamedDiff(ctx, "baseline", entmigrate.Tables...); err != nil {
			log.Fatal(err)
		}
		db.Close()
	}
}
`

// changed is the dogfood configuration with one more column: a real change to generate.
func changed(base kernia.Options) kernia.Options {
	base.Schema = map[string]kernia.EntitySchema{
		"User": {Fields: []kernia.Field{{Name: "bench_note", Type: kernia.FieldString, Optional: true}}},
	}
	return base
}

func benchGenerate(ctx context.Context, e *env) ([]measure, error) {
	dev, err := e.newDatabase(ctx)
	if err != nil {
		return nil, err
	}
	base := kernia.Options{Dialects: []string{kernia.SQLite, kernia.Postgres}, DevURL: dev, Plugins: builtin.All()}
	gen := func(o kernia.Options) error {
		_, err := generator.Run(ctx, kernia.New(o), generator.Options{})
		return err
	}
	if err := gen(base); err != nil {
		return nil, err
	}
	dirs := []string{"ent", ".kernia"}
	start, err := e.snapshot(dirs...)
	if err != nil {
		return nil, err
	}
	reset := func() error { return e.restore(start, dirs...) }
	n := e.cfg.Runs

	warm, err := timeN(n, reset, func() error { return gen(changed(base)) })
	if err != nil {
		return nil, err
	}
	noop, err := timeN(n, reset, func() error { return gen(base) })
	if err != nil {
		return nil, err
	}
	uncached, err := timeN(n, func() error {
		if err := reset(); err != nil {
			return err
		}
		return os.Remove(filepath.Join(e.dir, generator.FingerprintFile))
	}, func() error { return gen(base) })
	if err != nil {
		return nil, err
	}

	// The hand-run baseline: Ent codegen (with its loader) then Ent/Atlas's diff program,
	// which must be compiled against the regenerated client, as a user's would.
	for name, src := range map[string]string{"cmd/entgen/main.go": entgenGo, "cmd/atlasdiff/main.go": atlasdiffGo} {
		p := filepath.Join(e.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			return nil, err
		}
	}
	entgen := filepath.Join(e.dir, "bin", "entgen")
	if err := e.run(nil, "go", "build", "-o", entgen, "./cmd/entgen"); err != nil {
		return nil, err
	}
	plan, err := compose.Build(kernia.New(changed(base)))
	if err != nil {
		return nil, err
	}
	files, err := compose.Render(plan)
	if err != nil {
		return nil, err
	}
	devEnv := []string{kernia.EnvDevURL + "=" + dev}
	baseline, err := timeN(n, func() error {
		if err := reset(); err != nil {
			return err
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(e.dir, generator.SchemaDir, f.Name), f.Content, 0o644); err != nil {
				return err
			}
		}
		return nil
	}, func() error {
		if err := e.run(nil, entgen); err != nil {
			return err
		}
		return e.run(devEnv, "go", "run", "./cmd/atlasdiff")
	})
	if err := reset(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"cmd"} {
		if err := os.RemoveAll(filepath.Join(e.dir, p)); err != nil {
			return nil, err
		}
	}

	// End to end through Mage, as a developer types it.
	if err := e.run(devEnv, "go", "tool", "mage", "generate"); err != nil {
		return nil, err
	}
	mageNoop, err := timeN(n, nil, func() error { return e.run(devEnv, "go", "tool", "mage", "generate") })
	if err != nil {
		return nil, err
	}
	mageList, err := timeN(n, nil, func() error { return e.run(nil, "go", "tool", "mage", "nothing") })
	if err != nil {
		return nil, err
	}

	wm, bm, nm := measure{samples: warm}.median(), measure{samples: baseline}.median(), measure{samples: noop}.median()
	return []measure{
		{name: "warm, one column added (in-process)", samples: warm, note: ratio(wm, bm) + " of the baseline (target ≤ 0.60×)"},
		{name: "hand-run baseline, same change", samples: baseline, note: "Ent codegen with its loader + go run of Ent's diff program"},
		{name: "no-op (fingerprint match)", samples: noop, note: fmt.Sprintf("%.1f%% of warm (target ≤ 10%%)", 100*float64(nm)/float64(wm))},
		{name: "no-op without the fingerprint cache", samples: uncached, note: "full codegen and diffs, nothing written"},
		{name: "go tool mage generate, no-op", samples: mageNoop, note: ratio(measure{samples: mageNoop}.median(), measure{samples: mageList}.median()) + " of Mage's start-up"},
		{name: "go tool mage nothing", samples: mageList, note: "Mage's own start-up cost: an empty target"},
	}, nil
}
