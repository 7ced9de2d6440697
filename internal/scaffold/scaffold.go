// Package scaffold renders the files `kernia init` writes into a user's module: .env.example,
// .env (a fresh secret, mode 0600), the auth module, a magefile wired to Kernia's targets and
// the .gitignore lines, and writes them without ever overwriting a file.
package scaffold

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"golang.org/x/mod/modfile"
	gomodule "golang.org/x/mod/module"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/workdir"
	"github.com/kernia/kernia/plugins/builtin"
)

// Paths of the files init writes, relative to the module root.
const (
	EnvExample = ".env.example"
	Env        = ".env"
	AuthFile   = "auth/auth.go"
	Magefile   = "magefile.go"
	Gitignore  = ".gitignore"
)

// IgnoreLines are the lines init makes sure .gitignore holds: the loader's work directory, the
// file holding the secret, and the default SQLite database with its write-ahead log and
// shared-memory files (a clone without .env falls back to it).
var IgnoreLines = []string{".kernia/", ".env", "kernia.db", "kernia.db-wal", "kernia.db-shm"}

// ignoreLines returns IgnoreLines plus, for a SQLite database URL naming another relative file
// inside the module, that file and its -wal and -shm files.
func ignoreLines(dbURL string) []string {
	lines := slices.Clone(IgnoreLines)
	u, err := database.Parse(dbURL)
	if err != nil || u.Dialect != kernia.SQLite || u.Path == "" || u.Path == ":memory:" || filepath.IsAbs(u.Path) {
		return lines
	}
	p := path.Clean(filepath.ToSlash(u.Path))
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || !plainEnvValue.MatchString(p) {
		return lines
	}
	for _, l := range []string{p, p + "-wal", p + "-shm"} {
		if !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	return lines
}

// Options describe the module to scaffold.
type Options struct {
	// ModulePath is the module's path from go.mod, e.g. example.com/shop.
	ModulePath string
	// DatabaseURL goes to .env (and, without its password, to .env.example).
	DatabaseURL string
	// BaseURL goes to .env and .env.example.
	BaseURL string
	// Secret is the fresh KERNIA_SECRET for .env.
	Secret string
	// Dialects go to Options.Dialects of auth/auth.go: the committed list of the dialects
	// migrations are written for (empty: the line is left out).
	Dialects []string
	// ProjectID makes the magefile's text this project's own (see magefileTemplate); empty:
	// Files draws 8 random hex characters.
	ProjectID string
}

// File is a file to write.
type File struct {
	// Path is relative to the module root, slash-separated.
	Path    string
	Content []byte
	Mode    fs.FileMode
	// Lines, for .gitignore, are the lines to add when the file exists.
	Lines []string
}

// Module finds the Go module containing dir (workdir.Module): its root directory and module
// path.
func Module(dir string) (root, modPath string, err error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", "", fmt.Errorf("init: %s is not a directory", dir)
	}
	root, modPath, err = workdir.Module(dir)
	if errors.Is(err, workdir.ErrNoModule) {
		return "", "", fmt.Errorf("init: %w, then go get -tool github.com/kernia/kernia/cmd/kernia", err)
	}
	if err != nil {
		return "", "", fmt.Errorf("init: %w", err)
	}
	return root, modPath, nil
}

// ResolvePlugins turns plugin ids into built-in plugins, adding the plugins they require (after
// them) and reporting each addition. An unknown id is an error listing the valid ones.
func ResolvePlugins(ids []string) (plugins []kernia.Plugin, added []string, err error) {
	seen := map[string]bool{}
	var unknown []string
	var add func(id, by string)
	add = func(id, by string) {
		if seen[id] {
			return
		}
		p, ok := builtin.ByID(id)
		if !ok {
			unknown = append(unknown, id)
			return
		}
		seen[id] = true
		plugins = append(plugins, p)
		if by != "" {
			added = append(added, fmt.Sprintf("%s (required by %s)", id, by))
		}
		for _, req := range p.Requires() {
			add(req, id)
		}
	}
	for _, id := range ids {
		add(id, "")
	}
	if len(unknown) > 0 {
		return nil, nil, fmt.Errorf("init: unknown plugin %s; the built-in plugins are: %s", quoteAll(unknown), strings.Join(builtin.IDs(), ", "))
	}
	return plugins, added, nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// constructors holds the Go expression that builds a built-in plugin whose package's New()
// needs arguments, by plugin id. Every other plugin is <package>.New(), the convention of
// plugins/<name> (DESIGN §2); TestEveryBuiltinPluginCompiles proves it for each built-in.
var constructors = map[string]string{}

// Source is how the auth module spells a plugin: the import path of its package, the package
// name and the expression that builds it.
type Source struct {
	ImportPath, Package, Expr string
}

// PluginSource derives a plugin's Source from its Go type: the package that defines the plugin
// type is the package the user imports. Deriving it keeps plugins/builtin the one list of
// built-in plugins: a plugin added there needs no change here.
func PluginSource(p kernia.Plugin) (Source, error) {
	t := reflect.TypeOf(p)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() == "" {
		return Source{}, fmt.Errorf("init: plugin %s has no named type in a package", p.ID())
	}
	pkg, _, _ := strings.Cut(t.String(), ".")
	s := Source{ImportPath: t.PkgPath(), Package: pkg, Expr: pkg + ".New()"}
	if e, ok := constructors[p.ID()]; ok {
		s.Expr = e
	}
	return s, nil
}

// Files renders the files of a new module. Plugins must be resolved (ResolvePlugins). Every
// value must pass CheckValue, and the module path must be a valid import path: values reach
// .env lines and Go source only quoted (envValue, strconv.Quote).
func Files(o Options, plugins []kernia.Plugin) ([]File, error) {
	for _, v := range []struct{ what, value string }{
		{"the module path of go.mod", o.ModulePath},
		{"the database URL", o.DatabaseURL},
		{"the base URL ($" + kernia.EnvURL + ")", o.BaseURL},
		{"the secret", o.Secret},
	} {
		if err := CheckValue(v.what, v.value); err != nil {
			return nil, err
		}
	}
	if err := gomodule.CheckImportPath(o.ModulePath + "/auth"); err != nil {
		return nil, fmt.Errorf("init: the module path %s of go.mod is not a valid import path (%v): fix the module line of go.mod", strconv.Quote(o.ModulePath), err)
	}
	auth, err := RenderAuth(AuthConfig{AppName: path.Base(o.ModulePath), Dialects: o.Dialects, Plugins: plugins})
	if err != nil {
		return nil, err
	}
	if o.ProjectID == "" {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
		o.ProjectID = hex.EncodeToString(b[:])
	}
	if !projectIDRE.MatchString(o.ProjectID) {
		return nil, fmt.Errorf("init: project id %q: want 1 to 32 lowercase hex characters", o.ProjectID)
	}
	mage, err := renderGo(magefileTemplate, struct{ Project string }{o.ModulePath + " " + o.ProjectID})
	if err != nil {
		return nil, err
	}
	ignore := ignoreLines(o.DatabaseURL)
	return []File{
		{Path: EnvExample, Content: renderEnv(o, false), Mode: 0o644},
		{Path: Env, Content: renderEnv(o, true), Mode: 0o600},
		{Path: AuthFile, Content: auth, Mode: 0o644},
		{Path: Magefile, Content: mage, Mode: 0o644},
		{Path: Gitignore, Content: []byte(strings.Join(ignore, "\n") + "\n"), Mode: 0o644, Lines: ignore},
	}, nil
}

func renderEnv(o Options, real bool) []byte {
	var b strings.Builder
	if real {
		b.WriteString("# Kernia settings for development, written by kernia init. Never commit this file.\n")
		b.WriteString("# Variables already set in the environment win over these.\n")
		fmt.Fprintf(&b, "%s=%s\n", kernia.EnvSecret, envValue(o.Secret))
	} else {
		b.WriteString("# Kernia settings: copy to .env for development (kernia init did), set them in the\n")
		b.WriteString("# environment in production. Variables already set in the environment win over .env.\n\n")
		b.WriteString("# Signs cookies and tokens: make one with `go tool kernia secret`.\n")
		fmt.Fprintf(&b, "%s=\n", kernia.EnvSecret)
		b.WriteString("# To rotate without signing everyone out: `go tool kernia secret --rotate` prints\n")
		b.WriteString("# KERNIA_SECRETS=<new>,<old>, which replaces KERNIA_SECRET.\n")
		fmt.Fprintf(&b, "# %s=\n\n", kernia.EnvSecrets)
		b.WriteString("# The public URL of the application.\n")
	}
	fmt.Fprintf(&b, "%s=%s\n", kernia.EnvURL, envValue(o.BaseURL))
	if !real {
		b.WriteString("\n# The database migrations are applied to (Atlas URL forms: sqlite://file.db,\n")
		b.WriteString("# postgres://user:pass@host:5432/db?sslmode=disable, mysql://user:pass@host:3306/db).\n")
		fmt.Fprintf(&b, "%s=%s\n", kernia.EnvDatabaseURL, envValue(database.Redact(o.DatabaseURL)))
		b.WriteString("\n# Optional: the empty databases generate computes PostgreSQL and MySQL migrations on, one\n")
		b.WriteString("# URL per dialect separated by a space, e.g. postgres://user:pass@localhost:5432/dev\n")
		b.WriteString("# mysql://user:pass@localhost:3306/ (a MySQL URL naming no database: a temporary one on\n")
		b.WriteString("# that server). Default: a temporary database on the server of KERNIA_DATABASE_URL.\n")
		fmt.Fprintf(&b, "# %s=\n", kernia.EnvDevURL)
	} else {
		fmt.Fprintf(&b, "%s=%s\n", kernia.EnvDatabaseURL, envValue(o.DatabaseURL))
	}
	return []byte(b.String())
}

// projectIDRE is the form of Options.ProjectID.
var projectIDRE = regexp.MustCompile(`^[0-9a-f]{1,32}$`)

// magefileTemplate is the magefile. Mage names the binary it compiles a magefile into after a
// hash of the magefile's text (in ~/.magefile, or $MAGEFILE_CACHE): the project line, the
// module path and a random id, gives every project init sets up its own binary, so two
// projects on one machine never relink each other's. (The module path alone is not enough:
// two projects may share one, e.g. "app".) Every checkout of one project shares the text;
// the README says how to give each its own MAGEFILE_CACHE.
var magefileTemplate = template.Must(template.New("magefile").Parse(`//go:build mage

// Kernia's targets (go tool mage -l). They load the auth instance as go tool kernia does:
// $KERNIA_APP, else ./auth:Auth; to name another, add
//
//	func init() { app.Load("./internal/auth:Auth") }
//
// (import "github.com/kernia/kernia/mage/app"). This file does not import the auth package,
// so an edit of it costs Mage no relink.
package main

import (
	//mage:import
	_ "github.com/kernia/kernia/mage"
)

// kernia:project {{ .Project }}
//
// Mage caches the binary it compiles this file into under a hash of the file's text; the line
// above, written once by kernia init, makes that binary this project's own. Keep it.
`))

func renderGo(t *template.Template, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("init: render %s: %w", t.Name(), err)
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("init: format %s: %w", t.Name(), err)
	}
	return src, nil
}

// Outcome is what Write did with one file.
type Outcome struct {
	Path string
	// Action is "wrote", "skipped" (the file exists) or "appended" (lines added to .gitignore).
	Action string
	// Detail explains a skip or lists appended lines.
	Detail string
}

// Write writes files under root, never overwriting: an existing file is skipped, except that
// .gitignore gets the lines it lacks appended. New files are created exclusively (O_EXCL), so
// a file created meanwhile is skipped too.
func Write(root string, files []File) ([]Outcome, error) {
	var out []Outcome
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		if f.Lines != nil {
			o, err := appendLines(p, f)
			if err != nil {
				return out, err
			}
			out = append(out, o)
			continue
		}
		if _, err := os.Lstat(p); err == nil {
			out = append(out, Outcome{Path: f.Path, Action: "skipped", Detail: "exists"})
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return out, fmt.Errorf("init: %w", err)
		}
		w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.Mode)
		if errors.Is(err, fs.ErrExist) {
			out = append(out, Outcome{Path: f.Path, Action: "skipped", Detail: "exists"})
			continue
		}
		if err != nil {
			return out, fmt.Errorf("init: %w", err)
		}
		_, err = w.Write(f.Content)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(p)
			return out, fmt.Errorf("init: write %s: %w", f.Path, err)
		}
		out = append(out, Outcome{Path: f.Path, Action: "wrote"})
	}
	return out, nil
}

// appendLines adds to .gitignore the lines it does not hold yet (compared trimmed, so ".env"
// and "/.env" count as different but ".env " and ".env" as the same).
func appendLines(p string, f File) (Outcome, error) {
	cur, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(p, f.Content, f.Mode); err != nil {
			return Outcome{}, fmt.Errorf("init: write %s: %w", f.Path, err)
		}
		return Outcome{Path: f.Path, Action: "wrote"}, nil
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("init: read %s: %w", f.Path, err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(cur), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var missing []string
	for _, l := range f.Lines {
		if !have[l] {
			missing = append(missing, l)
		}
	}
	if len(missing) == 0 {
		return Outcome{Path: f.Path, Action: "skipped", Detail: "already ignores " + strings.Join(f.Lines, ", ")}, nil
	}
	var b bytes.Buffer
	if len(cur) > 0 && !bytes.HasSuffix(cur, []byte("\n")) {
		b.WriteByte('\n')
	}
	for _, l := range missing {
		b.WriteString(l + "\n")
	}
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return Outcome{}, fmt.Errorf("init: %w", err)
	}
	_, err = w.Write(b.Bytes())
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("init: append to %s: %w", f.Path, err)
	}
	return Outcome{Path: f.Path, Action: "appended", Detail: strings.Join(missing, ", ")}, nil
}

// HasTool reports whether the go.mod at root declares tool.
func HasTool(root, tool string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return false, err
	}
	mf, err := modfile.Parse("go.mod", b, nil)
	if err != nil {
		return false, fmt.Errorf("init: parse go.mod: %w", err)
	}
	for _, t := range mf.Tool {
		if t.Path == tool {
			return true, nil
		}
	}
	return false, nil
}
