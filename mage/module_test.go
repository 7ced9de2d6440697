package mage

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/moduletest"
)

const (
	moduleAuth = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/twofactor"
)

// Auth is the shop's auth instance.
var Auth = kernia.New(kernia.Options{Plugins: []kernia.Plugin{twofactor.New()}})
`
)

// heavy are the modules and packages of the pipeline, which the kernia tool links and a
// magefile must not: Ent's code generator, Atlas, the database drivers, goose, and Kernia's
// commands.
var (
	heavyModules  = []string{"ariga.io/atlas", "github.com/jackc/pgx/v5", "modernc.org/sqlite", "github.com/go-sql-driver/mysql", "github.com/pressly/goose/v3", "github.com/hashicorp/hcl/v2"}
	heavyPackages = []string{"entgo.io/ent/entc/gen.", "entgo.io/ent/dialect/sql/schema.", "github.com/kernia/kernia/internal/command.", "github.com/kernia/kernia/internal/generator.", "github.com/kernia/kernia/internal/migration.", "github.com/kernia/kernia/internal/diff."}
)

// TestMagefileLinksNoPipeline compiles the magefile of a user module (go tool mage -compile)
// and reads the binary: no module of Atlas, of a database driver or of goose in its build
// information, and no symbol of Ent's code generator or Kernia's commands (the kernia tool
// does that work). The magefile kernia init writes links nothing of the auth package, of
// Kernia's options or of Ent either (the targets load the instance with a loader program), so
// an edit of the auth package costs Mage no relink, and its check that the binary is up to
// date looks at fewer packages; one that calls app.Use links those, but still no pipeline.
// Without the kernia tool in go.mod, a target fails before doing anything, with the go get
// -tool line that adds it (and under -json the error object).
func TestMagefileLinksNoPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a user module's magefile")
	}
	dir := moduletest.New(t, "example.com/shop", map[string]string{
		"auth/auth.go":        moduleAuth,
		"magefile.go":         moduletest.Magefile,
		"usemage/magefile.go": moduletest.UseMagefile("example.com/shop/auth"),
	})
	bin := filepath.Join(t.TempDir(), "magefile")
	moduletest.Run(t, dir, "go", "tool", "mage", "-compile", bin)
	useBin := filepath.Join(t.TempDir(), "usemagefile")
	moduletest.Run(t, dir, "go", "tool", "mage", "-d", "usemage", "-w", ".", "-compile", useBin)

	// What the default magefile must not link and the app.Use one does (so the checks see it).
	options := []string{"example.com/shop/auth.", "github.com/kernia/kernia.", "github.com/kernia/kernia/internal/spec."}
	for _, b := range []struct {
		name, bin string
		use       bool
	}{{"the magefile", bin, false}, {"the app.Use magefile", useBin, true}} {
		bi, err := buildinfo.ReadFile(b.bin)
		assert.NilError(t, err)
		var mods []string
		for _, m := range bi.Deps {
			mods = append(mods, m.Path)
		}
		assert.Check(t, is.Contains(mods, "github.com/kernia/kernia"))
		for _, m := range heavyModules {
			assert.Check(t, !slices.Contains(mods, m), "%s links the module %s", b.name, m)
		}
		assert.Check(t, slices.Contains(mods, "entgo.io/ent") == b.use, "%s: links entgo.io/ent: %v", b.name, !b.use)
		if runtime.GOOS != "linux" { // the symbol table read as ELF; elsewhere the build info only
			continue
		}
		assert.Check(t, linksPackage(t, b.bin, "github.com/kernia/kernia/internal/launch."), "%s: the symbol check sees no package at all", b.name)
		for _, p := range heavyPackages {
			assert.Check(t, !linksPackage(t, b.bin, p), "%s links %s", b.name, strings.TrimSuffix(p, "."))
		}
		for _, p := range options {
			assert.Check(t, linksPackage(t, b.bin, p) == b.use, "%s: links %s: %v", b.name, strings.TrimSuffix(p, "."), !b.use)
		}
	}

	moduletest.Run(t, dir, "go", "mod", "edit", "-droptool=github.com/kernia/kernia/cmd/kernia")
	assert.NilError(t, os.RemoveAll(filepath.Join(dir, "usemage")))
	cmd := moduletest.Command(dir, "go", "tool", "mage", "info", "-json")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	exit, ok := err.(*exec.ExitError)
	assert.Assert(t, ok, "%v\n%s", err, stderr.String())
	assert.Check(t, is.Equal(exit.ExitCode(), 1))
	want := "the Mage targets run the kernia tool of the module, and go.mod has no tool directive for it: run go get -tool github.com/kernia/kernia/cmd/kernia"
	assert.Check(t, is.Contains(stderr.String(), "Error: kernia: "+want))
	var obj struct {
		Error struct {
			Message  string `json:"message"`
			ExitCode int    `json:"exit_code"`
		} `json:"error"`
	}
	assert.NilError(t, json.Unmarshal([]byte(stdout.String()), &obj), stdout.String())
	assert.Check(t, is.Equal(obj.Error.Message, want))
	assert.Check(t, is.Equal(obj.Error.ExitCode, 1))
}

// linksPackage reports whether the Go binary bin has a symbol of the package prefix names
// ("<import path>."), reading its symbol table as ELF.
func linksPackage(t *testing.T, bin, prefix string) bool {
	t.Helper()
	f, err := elf.Open(bin)
	assert.NilError(t, err)
	defer f.Close()
	syms, err := f.Symbols()
	assert.NilError(t, err)
	return slices.ContainsFunc(syms, func(s elf.Symbol) bool { return strings.HasPrefix(s.Name, prefix) })
}

// TestMagefileChoosesTheInstance runs go tool mage info -json in a module with two instances,
// ./auth:Auth (app "default") and ./internal/other:Other (app "other"), under each way a
// magefile can wire the targets: the magefile init writes loads $KERNIA_APP, else ./auth:Auth,
// as go tool kernia does; app.Load names the instance, over $KERNIA_APP; app.Use hands one
// over. Calling both or handing over nil fails before the kernia tool runs, saying what to
// change (exit status 1, and the --json error object); the tool refuses a name outside the
// rules of --app as given to app.Load (exit 2), and reports a package that does not exist with
// how a magefile names another (app.Load, not the --app flag Mage has not got).
func TestMagefileChoosesTheInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a user module's magefiles")
	}
	magefile := func(imports, init string) string {
		return "//go:build mage\n\npackage main\n\nimport (\n" + imports +
			"\t\"github.com/kernia/kernia/mage/app\"\n\n\t//mage:import\n\t_ \"github.com/kernia/kernia/mage\"\n)\n\nfunc init() { " + init + " }\n"
	}
	other := "\t\"example.com/shop/internal/other\"\n"
	dir := moduletest.New(t, "example.com/shop", map[string]string{
		"auth/auth.go":            "package auth\n\nimport \"github.com/kernia/kernia\"\n\n// Auth is the default instance.\nvar Auth = kernia.New(kernia.Options{AppName: \"default\"})\n",
		"internal/other/other.go": "package other\n\nimport \"github.com/kernia/kernia\"\n\n// Other is another instance.\nvar Other = kernia.New(kernia.Options{AppName: \"other\"})\n",
		"magefile.go":             moduletest.Magefile,
		"mf/load/magefile.go":     magefile("", `app.Load("./internal/other:Other")`),
		"mf/use/magefile.go":      magefile(other, "app.Use(other.Other)"),
		"mf/both/magefile.go":     magefile(other, `app.Use(other.Other); app.Load("./internal/other:Other")`),
		"mf/nil/magefile.go":      magefile("", "app.Use(nil)"),
		"mf/bad/magefile.go":      magefile("", `app.Load("./internal/other")`),
	})
	for _, tc := range []struct {
		name, magefiles, envApp string
		code                    int
		app, err                string
		tool                    bool // the kernia tool reports it, not the Mage process ("Error: …")
	}{
		{name: "default", app: "default"},
		{name: "default, KERNIA_APP", envApp: "./internal/other:Other", app: "other"},
		{name: "app.Load over KERNIA_APP", magefiles: "mf/load", envApp: "./auth:Auth", app: "other"},
		{name: "app.Use", magefiles: "mf/use", app: "other"},
		{name: "KERNIA_APP names nothing", envApp: "./nope:Auth", code: 1, tool: true, err: `cannot load the auth instance: package directory ./nope does not exist. The Mage targets load $KERNIA_APP, else ./auth:Auth`},
		{name: "both", magefiles: "mf/both", code: 1, err: "the magefile calls both app.Use and app.Load: keep one"},
		{name: "nil", magefiles: "mf/nil", code: 1, err: "the magefile handed app.Use a nil auth instance"},
		{name: "bad app.Load", magefiles: "mf/bad", code: 2, tool: true, err: `the auth instance "./internal/other" (app.Load in the magefile): no <package>:<Var> separator`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"tool", "mage"}
			if tc.magefiles != "" {
				args = append(args, "-d", tc.magefiles, "-w", ".")
			}
			cmd := moduletest.Command(dir, "go", append(args, "info", "-json")...)
			cmd.Env = append(cmd.Env, "KERNIA_APP="+tc.envApp)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var obj struct {
				App struct {
					Name string `json:"name"`
				} `json:"app"`
				Error struct {
					Message  string `json:"message"`
					ExitCode int    `json:"exit_code"`
				} `json:"error"`
			}
			assert.NilError(t, json.Unmarshal([]byte(stdout.String()), &obj), "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
			if tc.code == 0 {
				assert.NilError(t, err, stderr.String())
				assert.Check(t, is.Equal(obj.App.Name, tc.app))
				return
			}
			exit, ok := err.(*exec.ExitError)
			assert.Assert(t, ok, "%v\n%s", err, stderr.String())
			assert.Check(t, is.Equal(exit.ExitCode(), tc.code))
			if tc.tool {
				assert.Check(t, is.Contains(stderr.String(), tc.err))
				assert.Check(t, !strings.Contains(stderr.String(), "Error:"), stderr.String())
			} else {
				assert.Check(t, is.Contains(stderr.String(), "Error: kernia: "+tc.err))
			}
			assert.Check(t, is.Contains(obj.Error.Message, tc.err))
			assert.Check(t, is.Equal(obj.Error.ExitCode, tc.code))
		})
	}
}
