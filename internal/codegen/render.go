package codegen

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"entgo.io/ent/entc/gen"
)

// templatesMu serializes the use of Ent's template set, a package variable of entc/gen that
// every initialisation replaces (and whose import table it rewrites) without a lock of its own.
var templatesMu sync.Mutex

// templateNames memoizes Ent's matchTemplate and hasTemplate template functions, which scan
// every template of the set by name on each call (matchTemplate with filepath.Match): about
// an eighth of the templates' run time, which is codegen's critical path. Their results depend
// only on the names of the set's templates, so they are kept until the set is parsed again:
// initTemplates resets them before it parses, under templatesMu. Graphs that add templates to
// the set (external templates) are refused by render. entFiles runs Ent's generator with the
// stock functions (stock).
var templateNames = &nameMemo{}

// nameMemo holds the memoized results. Ent copies gen.Funcs into each template set it parses:
// reset puts the memoizing functions there, stock Ent's own.
type nameMemo struct {
	mu               sync.Mutex
	match, memoMatch func(...string) []string
	has, memoHas     func(string) bool
	matches          map[string][]string
	found            map[string]bool
}

// reset forgets every result and puts the memoizing functions into gen.Funcs: call it before
// the template set is parsed, holding templatesMu.
func (m *nameMemo) reset() error {
	if m.match == nil {
		match, ok1 := gen.Funcs["matchTemplate"].(func(...string) []string)
		has, ok2 := gen.Funcs["hasTemplate"].(func(string) bool)
		if !ok1 || !ok2 {
			return errors.New("codegen: entc/gen.Funcs has no matchTemplate func(...string) []string or hasTemplate func(string) bool: this Ent version is not supported")
		}
		m.match, m.has = match, has
		m.memoMatch, m.memoHas = m.matchTemplate, m.hasTemplate
	}
	m.mu.Lock()
	m.matches, m.found = map[string][]string{}, map[string]bool{}
	m.mu.Unlock()
	gen.Funcs["matchTemplate"], gen.Funcs["hasTemplate"] = m.memoMatch, m.memoHas
	return nil
}

// stock puts Ent's own functions back into gen.Funcs, for a parse that must be Ent's alone;
// the caller holds templatesMu.
func (m *nameMemo) stock() {
	if m.match != nil {
		gen.Funcs["matchTemplate"], gen.Funcs["hasTemplate"] = m.match, m.has
	}
}

func (m *nameMemo) matchTemplate(patterns ...string) []string {
	key := strings.Join(patterns, "\x00")
	m.mu.Lock()
	names, ok := m.matches[key]
	m.mu.Unlock()
	if !ok {
		names = m.match(patterns...)
		m.mu.Lock()
		m.matches[key] = names
		m.mu.Unlock()
	}
	return slices.Clone(names)
}

func (m *nameMemo) hasTemplate(name string) bool {
	m.mu.Lock()
	found, ok := m.found[name]
	m.mu.Unlock()
	if !ok {
		found = m.has(name)
		m.mu.Lock()
		m.found[name] = found
		m.mu.Unlock()
	}
	return found
}

// render executes Ent's templates on the graph the way entc/gen's default generator
// (graph.go, generate) does for Kernia's configuration: every type template whose condition
// holds on every node, then every graph template not skipped, keyed by the slash-separated
// path the template's Format gives. It hands each file to emit as rendered, unformatted and
// with the imports as the templates wrote them, and writes nothing but the file that
// initialising the template set writes into the scratch directory dir.
//
// It refuses a graph with features or external templates: those change the template set and
// the files, and this mirror does not handle them.
func render(g *gen.Graph, dir string, emit func(rendered)) error {
	if len(g.Features) > 0 || len(g.Templates) > 0 || len(g.Hooks) > 0 {
		names := make([]string, 0, len(g.Features))
		for _, f := range g.Features {
			names = append(names, f.Name)
		}
		return fmt.Errorf("codegen: the graph has %d features %v, %d external templates and %d hooks; Kernia's generator mirrors only Ent's default templates: remove them, or generate with Ent's own generator", len(g.Features), names, len(g.Templates), len(g.Hooks))
	}
	templatesMu.Lock()
	defer templatesMu.Unlock()
	execute, err := initTemplates(dir)
	if err != nil {
		return err
	}
	// The same list as Ent's generate, in its order. They run one after the other, as there:
	// templates append to the graph's slices (`append $.Fields $.ID`), which writes into the
	// spare capacity they share, so two templates running at once race (the race detector
	// reports it) and could read each other's elements. No two of them share a path.
	type task struct {
		name, path string
		data       any
		node       string
	}
	var tasks []task
	for _, n := range g.Nodes {
		for _, tmpl := range gen.Templates {
			if tmpl.Cond == nil || tmpl.Cond(n) {
				tasks = append(tasks, task{tmpl.Name, path.Clean(tmpl.Format(n)), n, n.Name})
			}
		}
	}
	for _, tmpl := range gen.GraphTemplates {
		if tmpl.Skip == nil || !tmpl.Skip(g) {
			tasks = append(tasks, task{tmpl.Name, path.Clean(tmpl.Format), g, ""})
		}
	}
	seen := map[string]bool{}
	for _, t := range tasks {
		if seen[t.path] {
			return fmt.Errorf("codegen: two of Ent's templates render %s: this Ent version is not supported", t.path)
		}
		seen[t.path] = true
	}
	for _, t := range tasks {
		src, err := execute(t.name, t.data)
		if err != nil {
			if t.node != "" {
				return fmt.Errorf("codegen: execute template %q on %s: %w", t.name, t.node, err)
			}
			return fmt.Errorf("codegen: execute template %q: %w", t.name, err)
		}
		emit(rendered{name: t.path, src: []byte(src)})
	}
	// Ent's generate then removes the files of disabled features and of removed nodes from
	// its target directory; there is none in an output kept in memory.
	return nil
}

// rendered is one file as a template rendered it.
type rendered struct {
	name string // slash-separated, relative to the client directory
	src  []byte
}

// initTemplates (re)parses Ent's template set and returns the function that executes one of
// its templates by name. The set is unexported; the one exported path that initialises it
// without generating a whole graph is IncrementStarts.WriteToDisk, which parses the set and
// then writes one small file (internal/globalid.go) into dir, a scratch directory. Ent's
// generator parses the set afresh on every run too. The caller holds templatesMu.
func initTemplates(dir string) (func(name string, v any) (string, error), error) {
	if err := templateNames.reset(); err != nil {
		return nil, err
	}
	execute, ok := gen.Funcs["xtemplate"].(func(string, any) (string, error))
	if !ok {
		return nil, errors.New("codegen: entc/gen.Funcs has no xtemplate function of type func(string, any) (string, error): this Ent version is not supported")
	}
	if err := (gen.IncrementStarts{}).WriteToDisk(dir); err != nil {
		return nil, fmt.Errorf("codegen: initialise Ent's templates: %w", err)
	}
	return execute, nil
}
