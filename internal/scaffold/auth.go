package scaffold

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"

	gomodule "golang.org/x/mod/module"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/builtin"
)

// AuthConfig holds the values init renders auth/auth.go from.
type AuthConfig struct {
	// AppName is Options.AppName (init uses the last element of the module path).
	AppName string
	// Dialects is Options.Dialects; empty leaves the line out (scaffolds written before init
	// committed the dialects have none).
	Dialects []string
	// Plugins are the enabled plugins, resolved (ResolvePlugins).
	Plugins []kernia.Plugin
}

var authTemplate = template.Must(template.New("auth").Parse(`// Package auth configures the application's Kernia auth instance. The kernia command loads it
// as ./auth:Auth; the mage targets get it from magefile.go.
package auth

import (
	"github.com/kernia/kernia"
{{- range .Imports }}
	{{ . }}
{{- end }}
)

// Auth is the application's auth instance. Settings left out here come from the environment
// (.env in development): the base URL from KERNIA_URL, the database from KERNIA_DATABASE_URL
// and the secret from KERNIA_SECRET. Set a field to fix it for every environment.
var Auth = kernia.New(kernia.Options{
	AppName:  {{ .AppName }},
	BasePath: {{ .BasePath }},
{{- if .Dialects }}
	// Dialects are the databases migrations are written for, one directory each under
	// ent/migrate/migrations/. They are set here, in committed code, so that every clone and
	// CI job generates and checks the same migrations whatever its .env says.
	Dialects: []string{ {{- .Dialects -}} },
{{- end }}
	Plugins: []kernia.Plugin{
{{- range .Exprs }}
		{{ . }},
{{- end }}
	},
})
`))

// dialectExprs spells each dialect as the kernia constant that names it.
var dialectExprs = map[string]string{kernia.SQLite: "kernia.SQLite", kernia.Postgres: "kernia.Postgres", kernia.MySQL: "kernia.MySQL"}

// DialectExpr returns the Go expression for a dialect in auth/auth.go: its kernia constant
// (kernia.Postgres), else the quoted name.
func DialectExpr(d string) string {
	if e, ok := dialectExprs[d]; ok {
		return e
	}
	return strconv.Quote(d)
}

// RenderAuth renders auth/auth.go for c.
func RenderAuth(c AuthConfig) ([]byte, error) {
	data := struct {
		AppName, BasePath, Dialects string
		Imports, Exprs              []string
	}{AppName: strconv.Quote(c.AppName), BasePath: strconv.Quote(kernia.DefaultBasePath)}
	if err := CheckValue("the app name", c.AppName); err != nil {
		return nil, err
	}
	var ds []string
	for _, d := range c.Dialects {
		ds = append(ds, DialectExpr(d))
	}
	data.Dialects = strings.Join(ds, ", ")
	for _, p := range c.Plugins {
		s, err := PluginSource(p)
		if err != nil {
			return nil, err
		}
		if !token.IsIdentifier(s.Package) || gomodule.CheckImportPath(s.ImportPath) != nil {
			return nil, fmt.Errorf("init: plugin %s: package %s (%s) cannot be imported by name", p.ID(), strconv.Quote(s.Package), strconv.Quote(s.ImportPath))
		}
		if lit := strconv.Quote(s.ImportPath); !slices.Contains(data.Imports, lit) {
			data.Imports = append(data.Imports, lit)
		}
		data.Exprs = append(data.Exprs, s.Expr)
	}
	slices.Sort(data.Imports)
	return renderGo(authTemplate, data)
}

// authFile is what an auth module says, as far as init can read it.
type authFile struct {
	imports  []string
	appName  string
	dialects []string
	// hasDialects reports whether the Options literal sets Dialects.
	hasDialects bool
	plugins     []kernia.Plugin
	// scaffold is false when anything in the file is not in the shape init writes.
	scaffold bool
}

// readAuth parses an auth module. It never fails: a file it cannot read as init's shape has
// scaffold false, with whatever imports and dialects it found.
func readAuth(src []byte) authFile {
	var a authFile
	f, err := parser.ParseFile(token.NewFileSet(), AuthFile, src, parser.ParseComments)
	if err != nil {
		return a
	}
	for _, im := range f.Imports {
		if p, err := strconv.Unquote(im.Path.Value); err == nil {
			a.imports = append(a.imports, p)
		}
	}
	lit, vars := optionsLiteral(f)
	if lit == nil {
		return a
	}
	a.scaffold = vars == 1 && len(f.Decls) == 2
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		key, _ := kv.Key.(*ast.Ident)
		if !ok || key == nil {
			a.scaffold = false
			continue
		}
		switch key.Name {
		case "AppName":
			s, ok := stringLit(kv.Value)
			a.appName, a.scaffold = s, a.scaffold && ok
		case "BasePath":
			// RenderAuth writes the default; any other value makes the comparison fail.
		case "Dialects":
			a.hasDialects = true
			ds, ok := kv.Value.(*ast.CompositeLit)
			if !ok {
				a.scaffold = false
				continue
			}
			for _, d := range ds.Elts {
				name, ok := dialectOf(d)
				if !ok {
					a.scaffold = false
					continue
				}
				a.dialects = append(a.dialects, name)
			}
		case "Plugins":
			ps, ok := kv.Value.(*ast.CompositeLit)
			if !ok {
				a.scaffold = false
				continue
			}
			for _, e := range ps.Elts {
				p, ok := builtinPlugin(types.ExprString(e), a.imports)
				if !ok {
					a.scaffold = false
					continue
				}
				a.plugins = append(a.plugins, p)
			}
		default:
			a.scaffold = false
		}
	}
	return a
}

// optionsLiteral finds the kernia.Options literal of `var Auth = kernia.New(kernia.Options{…})`
// and counts the file's var specs.
func optionsLiteral(f *ast.File) (*ast.CompositeLit, int) {
	var lit *ast.CompositeLit
	vars := 0
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vars++
			vs := s.(*ast.ValueSpec)
			if len(vs.Names) != 1 || vs.Names[0].Name != "Auth" || len(vs.Values) != 1 {
				continue
			}
			call, ok := vs.Values[0].(*ast.CallExpr)
			if !ok || types.ExprString(call.Fun) != "kernia.New" || len(call.Args) != 1 {
				continue
			}
			if cl, ok := call.Args[0].(*ast.CompositeLit); ok && types.ExprString(cl.Type) == "kernia.Options" {
				lit = cl
			}
		}
	}
	return lit, vars
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

func dialectOf(e ast.Expr) (string, bool) {
	if s, ok := stringLit(e); ok {
		return s, true
	}
	x := types.ExprString(e)
	for d, expr := range dialectExprs {
		if x == expr {
			return d, true
		}
	}
	return "", false
}

// builtinPlugin returns the built-in plugin whose constructor expression is expr and whose
// package the file imports.
func builtinPlugin(expr string, imports []string) (kernia.Plugin, bool) {
	for _, id := range builtin.IDs() {
		p, ok := builtin.ByID(id)
		if !ok {
			continue
		}
		s, err := PluginSource(p)
		if err == nil && s.Expr == expr && slices.Contains(imports, s.ImportPath) {
			return p, true
		}
	}
	return nil, false
}

// AuthUpdate is what init does about an auth/auth.go that exists already.
type AuthUpdate struct {
	// Scaffold reports whether the file is byte-for-byte what init writes for the values it
	// holds: Kernia's unmodified scaffold, which init may rewrite.
	Scaffold bool
	// Content is the rewritten file when Scaffold and something is added; else nil.
	Content []byte
	// Plugins are the requested plugins the file lacks (with the plugins they require): those
	// Content adds, or, for a file that is not the scaffold, those the user must add.
	Plugins []kernia.Plugin
	// Dialects are the requested dialects Options.Dialects lacks, likewise.
	Dialects []string
	// Listed are the dialects Options.Dialects lists already.
	Listed []string
	// HasDialects reports whether the file sets Options.Dialects at all.
	HasDialects bool
}

// PlanAuthUpdate decides what init does with the auth module cur when asked for plugins (as
// resolved by ResolvePlugins) and, when dialect is not empty, for that dialect: nothing when
// the file has them; a rewrite (Content) when the file is Kernia's unmodified scaffold; else
// the plugins and dialects the user must add by hand (Lines).
func PlanAuthUpdate(cur []byte, plugins []kernia.Plugin, dialect string) (AuthUpdate, error) {
	a := readAuth(cur)
	u := AuthUpdate{Listed: a.dialects, HasDialects: a.hasDialects}
	if a.scaffold {
		again, err := RenderAuth(AuthConfig{AppName: a.appName, Dialects: a.dialects, Plugins: a.plugins})
		u.Scaffold = err == nil && bytes.Equal(again, cur)
	}
	have := map[string]bool{}
	for _, p := range a.plugins {
		have[p.ID()] = true
	}
	for _, p := range plugins {
		s, err := PluginSource(p)
		if err != nil {
			return u, err
		}
		// An edited file may spell the plugin otherwise: importing its package counts.
		if !have[p.ID()] && !slices.Contains(a.imports, s.ImportPath) {
			u.Plugins = append(u.Plugins, p)
		}
	}
	if dialect != "" && !slices.Contains(a.dialects, dialect) {
		u.Dialects = []string{dialect}
	}
	if !u.Scaffold || len(u.Plugins)+len(u.Dialects) == 0 {
		return u, nil
	}
	ids := make([]string, 0, len(a.plugins)+len(u.Plugins))
	for _, p := range append(slices.Clone(a.plugins), u.Plugins...) {
		ids = append(ids, p.ID())
	}
	merged, _, err := ResolvePlugins(ids)
	if err != nil {
		return u, err
	}
	u.Content, err = RenderAuth(AuthConfig{AppName: a.appName, Dialects: append(slices.Clone(a.dialects), u.Dialects...), Plugins: merged})
	return u, err
}

// Lines returns the lines a user adds to an edited auth/auth.go for the plugins and dialects
// of u, each with where it goes.
func (u AuthUpdate) Lines() ([]string, error) {
	var lines []string
	for _, p := range u.Plugins {
		s, err := PluginSource(p)
		if err != nil {
			return nil, err
		}
		lines = append(lines, fmt.Sprintf("in the import block:      %s", strconv.Quote(s.ImportPath)))
		lines = append(lines, fmt.Sprintf("in Options.Plugins:       %s,", s.Expr))
	}
	if len(u.Dialects) > 0 {
		var ds []string
		for _, d := range append(slices.Clone(u.Listed), u.Dialects...) {
			ds = append(ds, DialectExpr(d))
		}
		verb := "in kernia.Options:        "
		if u.HasDialects {
			verb = "replace Options.Dialects: "
		}
		lines = append(lines, fmt.Sprintf("%sDialects: []string{%s},", verb, strings.Join(ds, ", ")))
	}
	return lines, nil
}

// Rewrite replaces the file at root/rel, whose content was old, with content: atomically (a
// temporary file renamed over it, its mode kept), and only if it still holds old.
func Rewrite(root, rel string, old, content []byte) error {
	p := filepath.Join(root, filepath.FromSlash(rel))
	st, err := os.Lstat(p)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("init: %s is not a regular file: init rewrites only its own scaffold", rel)
	}
	cur, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if !bytes.Equal(cur, old) {
		return fmt.Errorf("init: %s changed while init ran: nothing written; run init again", rel)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".auth.go.tmp*")
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	_, err = tmp.Write(content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), st.Mode().Perm())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("init: rewrite %s: %w", rel, err)
	}
	return nil
}
