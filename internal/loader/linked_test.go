package loader

import (
	"debug/elf"
	"debug/gosym"
	"os"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// heavy are packages the loader program must not link (issue 13: the loader links only what it
// must): Ent's schema-package loader and what it drags in, the type checker and the package
// loader, Ent's code generator, and the schema files' renderer (internal/compose renders, in
// the kernia tool). Each is a prefix of package paths.
var heavy = []string{
	"entgo.io/ent/entc/",
	"go/types",
	"go/constant",
	"go/parser",
	"go/printer",
	"go/format",
	"golang.org/x/tools/",
	"text/template",
}

// linkedPackages returns the Go packages that have functions in the binary at path, with their
// function counts, read from its function table (.gopclntab), which a binary linked with -s -w
// keeps: the runtime needs it for stack traces. ok is false when the binary is no ELF file.
func linkedPackages(t *testing.T, path string) (pkgs map[string]int, ok bool) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	assert.Assert(t, pcln != nil && text != nil, "%s has no .gopclntab or .text section", path)
	data, err := pcln.Data()
	assert.NilError(t, err)
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	assert.NilError(t, err)
	pkgs = map[string]int{}
	for _, fn := range tab.Funcs {
		pkgs[fn.PackageName()]++
	}
	return pkgs, true
}

// heavyIn returns the heavy packages among pkgs, sorted.
func heavyIn(pkgs map[string]int) []string {
	var out []string
	for p := range pkgs {
		for _, h := range heavy {
			if p == h || strings.HasPrefix(p, h) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkLinksOnlyWhatItMust checks that the loader binary at path links none of the heavy
// packages, and does link what reading the instance needs (which proves the function table
// was read).
func checkLinksOnlyWhatItMust(t *testing.T, path string) {
	t.Helper()
	pkgs, ok := linkedPackages(t, path)
	if !ok {
		t.Logf("%s is no ELF binary: its linked packages are not checked", path)
		return
	}
	for _, p := range []string{"github.com/kernia/kernia/loader", "github.com/kernia/kernia/internal/entjson", "entgo.io/ent/schema/field"} {
		assert.Check(t, pkgs[p] > 0, "the loader binary has no function of %s", p)
	}
	assert.Check(t, is.Len(heavyIn(pkgs), 0), "the loader binary links these packages")
}

// TestLinkedPackagesReadsTheFunctionTable checks the check on this test binary: its function
// table names this package and the testing package, and heavyIn finds heavy packages by
// prefix.
func TestLinkedPackagesReadsTheFunctionTable(t *testing.T) {
	exe, err := os.Executable()
	assert.NilError(t, err)
	pkgs, ok := linkedPackages(t, exe)
	if !ok {
		t.Logf("%s is no ELF binary: nothing to read", exe)
		return
	}
	assert.Check(t, pkgs["github.com/kernia/kernia/internal/loader"] > 0)
	assert.Check(t, pkgs["testing"] > 0)
	pkgs["entgo.io/ent/entc/load"], pkgs["go/types"], pkgs["golang.org/x/tools/go/packages"] = 1, 1, 1
	got := heavyIn(pkgs)
	for _, p := range []string{"entgo.io/ent/entc/load", "go/types", "golang.org/x/tools/go/packages"} {
		assert.Check(t, slices.Contains(got, p), "%v", got)
	}
	assert.Check(t, !slices.Contains(got, "go/token") && !slices.Contains(got, "testing"), "%v", got)
}
