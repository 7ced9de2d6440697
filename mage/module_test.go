package mage

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
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
	moduleMagefile = `//go:build mage

package main

import (
	"example.com/shop/auth"
	"github.com/kernia/kernia/mage/app"

	//mage:import
	_ "github.com/kernia/kernia/mage"
)

func init() { app.Use(auth.Auth) }
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
// does that work). Without the kernia tool in go.mod, a target fails before doing anything,
// with the go get -tool line that adds it (and under -json the error object).
func TestMagefileLinksNoPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a user module's magefile")
	}
	dir := moduletest.New(t, "example.com/shop", map[string]string{"auth/auth.go": moduleAuth, "magefile.go": moduleMagefile})
	bin := filepath.Join(t.TempDir(), "magefile")
	moduletest.Run(t, dir, "go", "tool", "mage", "-compile", bin)

	bi, err := buildinfo.ReadFile(bin)
	assert.NilError(t, err)
	var mods []string
	for _, m := range bi.Deps {
		mods = append(mods, m.Path)
	}
	assert.Check(t, is.Contains(mods, "github.com/kernia/kernia"))
	for _, m := range heavyModules {
		assert.Check(t, !slices.Contains(mods, m), "the magefile links the module %s", m)
	}
	if runtime.GOOS == "linux" { // the symbol table read as ELF; elsewhere the build info only
		f, err := elf.Open(bin)
		assert.NilError(t, err)
		defer f.Close()
		syms, err := f.Symbols()
		assert.NilError(t, err)
		linked := map[string]bool{}
		for _, s := range syms {
			for _, p := range append(heavyPackages, "github.com/kernia/kernia/internal/spec.") {
				if strings.HasPrefix(s.Name, p) {
					linked[p] = true
				}
			}
		}
		assert.Check(t, linked["github.com/kernia/kernia/internal/spec."], "the symbol check sees no package at all")
		for _, p := range heavyPackages {
			assert.Check(t, !linked[p], "the magefile links %s", strings.TrimSuffix(p, "."))
		}
	}

	moduletest.Run(t, dir, "go", "mod", "edit", "-droptool=github.com/kernia/kernia/cmd/kernia")
	cmd := moduletest.Command(dir, "go", "tool", "mage", "info", "-json")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
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
