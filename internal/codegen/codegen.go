// Package codegen runs Ent's code generator with a fixed configuration and returns its output
// in memory, so the caller can write it together with the migrations, all or nothing. The
// graph's tables are available before code generation, so diffs can run meanwhile.
//
// It renders Ent's own templates (render.go) but fixes and formats the files' imports itself
// (imports.go), from the run's files alone: Ent's generator runs goimports on every file,
// which costs a `go env` subprocess per file and, as it rewrites the files concurrently,
// sometimes resolves a package from the working module instead of the sibling files (the
// user's previously generated client, imported into itself). The output is byte-identical to
// what Ent's generator writes when it runs one file at a time.
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
	// ScratchDir is the directory the run's scratch directory (Ent's template initialisation)
	// is created in. Default: os.TempDir(). generate gives one under the module's .kernia, so
	// that the scratch of a killed run is found and removed by the next one.
	ScratchDir string
}

// ScratchPrefix starts the name of every scratch directory NewGraph creates.
const ScratchPrefix = "kernia-codegen-"

// Graph is a loaded Ent graph, ready to generate code and to describe its tables.
type Graph struct {
	graph *gen.Graph
	// tmp is the scratch directory of Ent's template initialisation (see initTemplates):
	// it holds a file from the start of Files, which is what shows a running codegen (the
	// reliability tests interrupt generate at that moment).
	tmp string
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
	tmp, err := os.MkdirTemp(cfg.ScratchDir, ScratchPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("codegen: %w", err)
	}
	storage, err := gen.NewStorage("sql")
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("codegen: %w", err)
	}
	// No Target: Files writes no output file (Ent's templates do not refer to it).
	graph, err := gen.NewGraph(&gen.Config{
		Schema:  spec.PkgPath,
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

// Files runs Ent's templates on the graph and returns the generated files, formatted and with
// their imports fixed, keyed by slash-separated paths relative to the client directory. It
// writes nothing in the module, and its output is byte-identical to Ent's own generator
// (Graph.Gen) run on its own: see render for the templates and fixImports for the imports,
// which it resolves from the run's files alone, without goimports' go command and module
// search (a go env per file; and, racing with the other files' rewrites, a search that could
// pick the user's previously generated package).
func (g *Graph) Files() (map[string][]byte, error) {
	// Ent's templates and the printer allocate heavily and briefly: collecting less often
	// saves about a tenth of the run for a few hundred megabytes at most.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	in := make(chan rendered, 8)
	var (
		files map[string][]byte
		err   error
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		files, err = fixImports(g.graph.Package, in)
	}()
	rerr := render(g.graph, g.tmp, func(f rendered) { in <- f })
	close(in)
	<-done
	if rerr != nil {
		return nil, rerr
	}
	return files, err
}

// entFiles runs Ent's own generator (templates, then goimports on every file, concurrently)
// into a temporary directory and reads its output back: what Files replaces, kept for the
// tests and the benchmark to compare with.
func (g *Graph) entFiles() (map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "kernia-codegen-")
	if err != nil {
		return nil, fmt.Errorf("codegen: %w", err)
	}
	defer os.RemoveAll(tmp)
	g.graph.Target = tmp
	defer func() { g.graph.Target = "" }()
	// Ent's generate re-initialises the template set that render uses.
	templatesMu.Lock()
	defer templatesMu.Unlock()
	templateNames.stock() // Ent's generator as it is, to compare with
	if err := g.graph.Gen(); err != nil {
		return nil, fmt.Errorf("codegen: generate: %w", err)
	}
	files := map[string][]byte{}
	err = filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tmp, path)
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
