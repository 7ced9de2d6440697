// Package codegen runs Ent's code generator with a fixed configuration and returns its output
// in memory, so the caller can write it together with the migrations, all or nothing.
package codegen

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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

// Output is what Ent generated.
type Output struct {
	// Files maps slash-separated paths relative to the client directory to their content.
	Files map[string][]byte
	// Tables is the SQL schema of the generated client, the desired state of migrations.
	Tables []*schema.Table
}

// Generate runs Ent's generator on the schemas (loading them with Ent's loader when
// cfg.Schemas is nil) into a temporary directory and returns the generated files and tables.
// It writes nothing in the module.
func Generate(cfg Config) (*Output, error) {
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
	defer os.RemoveAll(tmp)
	storage, err := gen.NewStorage("sql")
	if err != nil {
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
		return nil, fmt.Errorf("codegen: build graph: %w", err)
	}
	if err := graph.Gen(); err != nil {
		return nil, fmt.Errorf("codegen: generate: %w", err)
	}
	tables, err := graph.Tables()
	if err != nil {
		return nil, fmt.Errorf("codegen: tables: %w", err)
	}
	out := &Output{Files: map[string][]byte{}, Tables: tables}
	err = filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tmp, path)
		out.Files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("codegen: read output: %w", err)
	}
	return out, nil
}

// Load loads a schema package with Ent's loader (it builds and runs a program in the module).
func Load(schemaDir string) (*load.SchemaSpec, error) {
	spec, err := (&load.Config{Path: schemaDir}).Load()
	if err != nil {
		return nil, fmt.Errorf("codegen: load %s: %w", schemaDir, err)
	}
	return spec, nil
}
