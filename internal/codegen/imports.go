package codegen

import (
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	goformat "go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/imports"
)

// stdlib maps the names of the standard library packages Ent's templates refer to (some
// without importing them, relying on goimports) to their import paths. Each name is that of
// exactly one standard package, so no choice is made here (rand, for one, is not listed).
var stdlib = map[string]string{
	"bytes":   "bytes",
	"context": "context",
	"driver":  "database/sql/driver",
	"errors":  "errors",
	"fmt":     "fmt",
	"io":      "io",
	"json":    "encoding/json",
	"log":     "log",
	"math":    "math",
	"reflect": "reflect",
	"sort":    "sort",
	"strconv": "strconv",
	"strings": "strings",
	"sync":    "sync",
	"time":    "time",
}

// formatOptions are goimports' defaults (imports.Process with nil options) without its fix
// pass: parse, merge and sort the import blocks, separate the groups, print, gofmt. No go
// command runs.
var formatOptions = &imports.Options{FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8}

// source is one generated file as the templates wrote it, and what resolving imports needs
// of it (the syntax tree itself is not kept).
type source struct {
	name    string // slash-separated path relative to the client directory
	dir     string // path.Dir(name)
	src     []byte
	pkgName string
	// header is the length of the file's head: everything up to the line that ends its last
	// import declaration (or its package clause), when the rest of that line is blank. The
	// imports are fixed and formatted in the head alone, and the whole file is then
	// gofmt'ed once. 0 when the head cannot be cut off cleanly: the whole file is fixed.
	header  int
	refs    map[string]map[string]bool // unresolved X of X.Sel (Sel exported) → the Sels
	imports []importInfo               // imports, without blank, dot and "C" imports
	decls   []string                   // exported top-level names, for a package's exports
	globals map[string]bool            // top-level names the package's other files may use
}

// importInfo is an import as written: Name is empty unless the file names it.
type importInfo struct {
	Name, Path string
}

// ident is the name the import declares in the file.
func (i importInfo) ident() string {
	if i.Name != "" {
		return i.Name
	}
	return assumedName(i.Path)
}

// complete reports whether every package name the file uses is one of its imports: its
// imports can then be fixed without looking at the other files.
func (s *source) complete() bool {
	for name := range s.refs {
		if !slices.ContainsFunc(s.imports, func(imp importInfo) bool { return imp.ident() == name }) {
			return false
		}
	}
	return true
}

// fixImports does for every generated file what goimports (golang.org/x/tools/imports,
// Process with nil options) does for Ent, but from the run's own files only, with no go
// command, and the same for every run:
//
//   - an import whose name no selector of the file uses is deleted;
//   - a package name the file uses without importing it (and that is no top-level name of
//     another file of its package) gets an import. The candidates are, in order, the imports
//     of the other files of its directory, those of the run's other files, the generated
//     packages (Package/<dir>), and the standard library packages of the stdlib table; a
//     candidate must declare (a generated package) or be used elsewhere with (an imported
//     package) every selector the file uses, and is never the file's own package. No
//     candidate, or two different import paths, is an error naming the file and the name.
//
// The files are then formatted as goimports formats them. Package names are assumed from
// import paths (goimports' ImportPathToAssumedName) unless a file names the import, which
// Ent's templates do whenever the package's name differs from its path's last element.
//
// The files arrive on in as the templates render them; a file that uses only packages it
// imports is finished at once, alongside the rendering, and the others once every file is in.
func fixImports(pkg string, in <-chan rendered) (map[string][]byte, error) {
	var (
		mu     sync.Mutex
		srcs   []*source
		parked []*source
		files  = map[string][]byte{}
		errs   = map[string]error{}
	)
	fail := func(name string, err error) {
		mu.Lock()
		errs[name] = err
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for f := range in {
				s, err := parseSource(f.name, f.src)
				if err != nil {
					fail(f.name, err)
					continue
				}
				early := s.complete()
				mu.Lock()
				srcs = append(srcs, s)
				if !early {
					parked = append(parked, s)
				}
				mu.Unlock()
				if !early {
					continue
				}
				b, err := fix(s, nil)
				if err != nil {
					fail(s.name, err)
					continue
				}
				mu.Lock()
				files[s.name] = b
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, err
	}
	slices.SortFunc(srcs, func(a, b *source) int { return strings.Compare(a.name, b.name) })
	slices.SortFunc(parked, func(a, b *source) int { return strings.Compare(a.name, b.name) })
	r := newResolver(pkg, srcs)
	out := make([][]byte, len(parked))
	if err := parallel(len(parked), func(i int) (err error) {
		out[i], err = fix(parked[i], r)
		return err
	}); err != nil {
		return nil, err
	}
	for i, s := range parked {
		files[s.name] = out[i]
	}
	return files, nil
}

// firstError returns the error of the first file by name, so the error does not depend on
// scheduling.
func firstError(errs map[string]error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[sortedKeys(errs)[0]]
}

// parallel runs f(0) … f(n-1) on GOMAXPROCS goroutines and returns the error of the lowest
// index that failed, so the error does not depend on scheduling.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = f(i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// parseSource parses a generated file (with object resolution, which tells a package name
// from a local variable in the file) and collects what resolving imports needs.
func parseSource(name string, src []byte) (*source, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("codegen: Ent's template output %s does not parse: %w", name, err)
	}
	s := &source{name: name, dir: path.Dir(name), src: src, pkgName: f.Name.Name, globals: map[string]bool{}}
	s.refs = references(f)
	for _, imp := range f.Imports {
		var n string
		if imp.Name != nil {
			n = imp.Name.Name
		}
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || p == "C" || n == "_" || n == "." {
			continue
		}
		s.imports = append(s.imports, importInfo{Name: n, Path: p})
	}
	end := f.Name.End()
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				s.global(d.Name.Name)
			}
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				end = d.End()
			}
			for _, spec := range d.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					s.global(spec.Name.Name)
				case *ast.ValueSpec:
					for _, n := range spec.Names {
						s.global(n.Name)
					}
				}
			}
		}
	}
	s.header = headerEnd(src, fset.File(f.Pos()).Offset(end), f, fset)
	return s, nil
}

// headerEnd returns the offset just past the newline of the line on which the file's head
// ends (at offset end), or 0 if something other than blanks follows on that line, or if a
// comment starts before that line ends and ends after it.
func headerEnd(src []byte, end int, f *ast.File, fset *token.FileSet) int {
	nl := bytes.IndexByte(src[end:], '\n')
	if nl < 0 || len(bytes.TrimSpace(src[end:end+nl])) > 0 {
		return 0
	}
	cut := end + nl + 1
	tf := fset.File(f.Pos())
	for _, cg := range f.Comments {
		if tf.Offset(cg.Pos()) < cut && tf.Offset(cg.End()) > cut {
			return 0
		}
	}
	return cut
}

func (s *source) global(name string) {
	s.globals[name] = true
	if ast.IsExported(name) {
		s.decls = append(s.decls, name)
	}
}

// references returns the selectors X.Sel of f whose X the parser did not resolve and whose
// Sel is exported: the uses of imported packages (goimports' collectReferences).
func references(f *ast.File) map[string]map[string]bool {
	refs := map[string]map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || x.Obj != nil || !ast.IsExported(sel.Sel.Name) {
			return true
		}
		if refs[x.Name] == nil {
			refs[x.Name] = map[string]bool{}
		}
		refs[x.Name][sel.Sel.Name] = true
		return true
	})
	return refs
}

// resolver holds what every file's fix draws on: the run's files by directory and package,
// the generated packages' exports, and the selectors each imported package is used with.
type resolver struct {
	pkg      string
	srcs     []*source                  // sorted by name
	packages map[string]string          // generated package path → package name
	exports  map[string]map[string]bool // import path → known exported names
	globals  map[string]map[string]bool // dir + " " + package name → top-level names
}

func newResolver(pkg string, srcs []*source) *resolver {
	r := &resolver{pkg: pkg, srcs: srcs, packages: map[string]string{}, exports: map[string]map[string]bool{}, globals: map[string]map[string]bool{}}
	add := func(path, name string) {
		if r.exports[path] == nil {
			r.exports[path] = map[string]bool{}
		}
		r.exports[path][name] = true
	}
	for _, s := range srcs {
		p := r.importPath(s.dir)
		r.packages[p] = s.pkgName
		for _, d := range s.decls {
			add(p, d)
		}
		key := s.dir + " " + s.pkgName
		if r.globals[key] == nil {
			r.globals[key] = map[string]bool{}
		}
		for g := range s.globals {
			r.globals[key][g] = true
		}
	}
	// An imported package is assumed to export what the run's files use it with (goimports'
	// assumeSiblingImportsValid, over all the files rather than one directory's). A generated
	// package's exports are known exactly: they are not widened.
	for _, s := range srcs {
		for _, imp := range s.imports {
			if _, ok := r.packages[imp.Path]; ok {
				continue
			}
			for sel := range s.refs[imp.ident()] {
				add(imp.Path, sel)
			}
		}
	}
	return r
}

// importPath is the import path of the generated package in dir.
func (r *resolver) importPath(dir string) string {
	if dir == "." {
		return r.pkg
	}
	return r.pkg + "/" + dir
}

// fix returns the file with its imports fixed, formatted. r is nil for a complete file.
func fix(s *source, r *resolver) ([]byte, error) {
	var deletes, adds []importInfo
	for _, imp := range s.imports {
		if _, used := s.refs[imp.ident()]; !used {
			deletes = append(deletes, imp)
		}
	}
	if r != nil {
		existing := map[string]bool{}
		for _, imp := range s.imports {
			existing[imp.ident()] = true
		}
		globals := r.globals[s.dir+" "+s.pkgName]
		for _, name := range sortedKeys(s.refs) {
			if existing[name] || globals[name] {
				continue
			}
			imp, err := r.resolve(s, name, s.refs[name])
			if err != nil {
				return nil, err
			}
			adds = append(adds, imp)
		}
	}
	if s.header == 0 {
		head, err := fixHead(s.name, s.src, deletes, adds)
		if err != nil {
			return nil, err
		}
		return head, nil
	}
	head, err := fixHead(s.name, s.src[:s.header], deletes, adds)
	if err != nil {
		return nil, err
	}
	// goimports prints the whole file and gofmts it; the part after the imports comes out
	// of that as gofmt alone makes it.
	out, err := goformat.Source(append(head, s.src[s.header:]...))
	if err != nil {
		return nil, fmt.Errorf("codegen: format %s: %w", s.name, err)
	}
	return out, nil
}

// fixHead applies the import fixes to src (a whole file, or the head of one) as goimports
// does, and formats it as goimports does.
func fixHead(name string, src []byte, deletes, adds []importInfo) ([]byte, error) {
	if len(deletes) == 0 && len(adds) == 0 {
		return format(name, src)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("codegen: parse %s: %w", name, err)
	}
	// goimports applies the deletions, then the additions, each sorted by path and name.
	byPath := func(a, b importInfo) int { return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Name, b.Name)) }
	slices.SortFunc(deletes, byPath)
	slices.SortFunc(adds, byPath)
	for _, imp := range deletes {
		astutil.DeleteNamedImport(fset, f, imp.Name, imp.Path)
	}
	for _, imp := range adds {
		astutil.AddNamedImport(fset, f, imp.Name, imp.Path)
	}
	var b bytes.Buffer
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	if err := cfg.Fprint(&b, fset, f); err != nil {
		return nil, fmt.Errorf("codegen: print %s: %w", name, err)
	}
	return format(name, b.Bytes())
}

// format formats a file as goimports does, without adding or removing imports.
func format(name string, src []byte) ([]byte, error) {
	out, err := imports.Process(name, src, formatOptions)
	if err != nil {
		return nil, fmt.Errorf("codegen: format %s: %w", name, err)
	}
	return out, nil
}

// resolve finds the import that provides the package name in s, used with sels.
func (r *resolver) resolve(s *source, name string, sels map[string]bool) (importInfo, error) {
	self := r.importPath(s.dir)
	var (
		found []importInfo
		paths = map[string]bool{}
	)
	consider := func(imp importInfo, exports map[string]bool, known bool) {
		if imp.Path == self || imp.ident() != name {
			return
		}
		if !known {
			for sel := range sels {
				if !exports[sel] {
					return
				}
			}
		}
		if !paths[imp.Path] {
			paths[imp.Path] = true
			found = append(found, imp)
		}
	}
	for _, sibling := range []bool{true, false} {
		for _, o := range r.srcs {
			if o == s || (o.dir == s.dir) != sibling {
				continue
			}
			for _, imp := range o.imports {
				consider(imp, r.exports[imp.Path], false)
			}
		}
	}
	for _, p := range sortedKeys(r.packages) {
		if r.packages[p] == name {
			consider(importInfo{Path: p}, r.exports[p], false)
		}
	}
	if p, ok := stdlib[name]; ok {
		consider(importInfo{Path: p}, nil, true)
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return importInfo{}, fmt.Errorf("codegen: %s uses %s.%s, and no import of the run's files, no generated package and no standard package the templates use provides a package %s with these names; Ent's templates changed: extend internal/codegen's import resolution", s.name, name, strings.Join(sortedKeys(sels), ", "+name+"."), name)
	default:
		var ps []string
		for _, imp := range found {
			ps = append(ps, strconv.Quote(imp.Path))
		}
		return importInfo{}, fmt.Errorf("codegen: %s uses package %s (%s.%s), which %s all provide: refusing to guess; extend internal/codegen's import resolution", s.name, name, name, strings.Join(sortedKeys(sels), ", "+name+"."), strings.Join(ps, " and "))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// assumedName is the package name goimports assumes for an import path
// (x/tools internal/imports ImportPathToAssumedName): the last element, or the one before a
// major version suffix, without a "go-" prefix, cut at the first character that cannot be in
// an identifier.
func assumedName(importPath string) string {
	base := path.Base(importPath)
	if strings.HasPrefix(base, "v") {
		if _, err := strconv.Atoi(base[1:]); err == nil {
			if dir := path.Dir(importPath); dir != "." {
				base = path.Base(dir)
			}
		}
	}
	base = strings.TrimPrefix(base, "go-")
	if i := strings.IndexFunc(base, notIdentifier); i >= 0 {
		base = base[:i]
	}
	return base
}

// notIdentifier reports whether ch cannot be part of a Go identifier.
func notIdentifier(ch rune) bool {
	return !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' ||
		'0' <= ch && ch <= '9' ||
		ch == '_' ||
		ch >= utf8.RuneSelf && (unicode.IsLetter(ch) || unicode.IsDigit(ch)))
}
