// Package codegen runs Ent's code generator with a fixed configuration and returns its output
// in memory, so the caller can write it together with the migrations, all or nothing. The
// graph's tables are available before code generation, so diffs can run meanwhile.
package codegen

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	"entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/entc/load"
)

// Config says what to generate.
type Config struct {
	// Schemas are the loaded schemas, when the caller has them in-process. When nil, they are
	// loaded from SchemaDir with Ent's loader, which builds and runs a program.
	Schemas []*load.Schema
	// SchemaPackage is the import path of the schema package (required with Schemas).
	SchemaPackage string
	// SchemaDir is the path of the Ent schema package, relative to the working directory,
	// which must be inside the module (e.g. "./ent/schema").
	SchemaDir string
	// Package is the import path of the generated client (e.g. "example.com/app/ent").
	Package string
	// Header starts every generated file.
	Header string
}

// Graph is a loaded Ent graph, ready to generate code and to describe its tables.
type Graph struct {
	graph *gen.Graph
	tmp   string
}

// NewGraph builds the Ent graph of the schemas (loading them with Ent's loader when
// cfg.Schemas is nil). Close removes its temporary directory.
func NewGraph(cfg Config) (*Graph, error) {
	spec := &load.SchemaSpec{Schemas: cfg.Schemas, PkgPath: cfg.SchemaPackage}
	if cfg.Schemas == nil {
		var err error
		if spec, err = Load(cfg.SchemaDir); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp("", "kernia-codegen-")
	if err != nil {
		return nil, fmt.Errorf("codegen: %w", err)
	}
	storage, err := gen.NewStorage("sql")
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("codegen: %w", err)
	}
	graph, err := gen.NewGraph(&gen.Config{
		Schema:  spec.PkgPath,
		Target:  tmp,
		Package: cfg.Package,
		Header:  cfg.Header,
		Storage: storage,
	}, spec.Schemas...)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("codegen: build graph: %w", err)
	}
	return &Graph{graph: graph, tmp: tmp}, nil
}

// Close removes the graph's temporary directory.
func (g *Graph) Close() error { return os.RemoveAll(g.tmp) }

// Tables returns a fresh copy of the SQL schema of the generated client, the desired state of
// migrations. Each diff needs its own: Ent's differ annotates the tables it is given.
func (g *Graph) Tables() ([]*schema.Table, error) {
	tables, err := g.graph.Tables()
	if err != nil {
		return nil, fmt.Errorf("codegen: tables: %w", err)
	}
	return tables, nil
}

// Files runs Ent's generator into the temporary directory and returns the generated files,
// keyed by slash-separated paths relative to the client directory. It writes nothing in the
// module.
func (g *Graph) Files() (map[string][]byte, error) {
	// Ent's templates and goimports allocate heavily and briefly: collecting less often
	// saves about a tenth of the run for a few hundred megabytes at most.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	if err := g.graph.Gen(); err != nil {
		return nil, fmt.Errorf("codegen: generate: %w", err)
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(g.tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(g.tmp, path)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("codegen: read output: %w", err)
	}
	return files, nil
}

// Load loads a schema package with Ent's loader (it builds and runs a program in the module).
func Load(schemaDir string) (*load.SchemaSpec, error) {
	spec, err := (&load.Config{Path: schemaDir}).Load()
	if err != nil {
		return nil, fmt.Errorf("codegen: load %s: %w", schemaDir, err)
	}
	return spec, nil
}
