package generator_test

import (
	"runtime/debug"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/generator"
)

// TestVersionsOf: the fingerprint's versions are those of Kernia, Ent and Atlas, wherever they
// sit in the build information, so the loader program (`go tool kernia`) and the compiled
// magefile (`go tool mage`) of one module agree although their main packages differ; a new
// Ent or a replaced Kernia changes them.
func TestVersionsOf(t *testing.T) {
	deps := func(ent string) []*debug.Module {
		return []*debug.Module{
			{Path: "ariga.io/atlas", Version: "v0.32.1", Sum: "h1:a"},
			{Path: "entgo.io/ent", Version: ent, Sum: "h1:e" + ent},
			{Path: "github.com/jackc/pgx/v5", Version: "v5.7.0", Sum: "h1:p"},
			{Path: "github.com/kernia/kernia", Version: "v0.3.0", Sum: "h1:k"},
		}
	}
	loader := &debug.BuildInfo{Path: "example.com/shop/.kernia/loader", Main: debug.Module{Path: "example.com/shop", Version: "(devel)"}, Deps: deps("v0.14.5")}
	mage := &debug.BuildInfo{Path: "command-line-arguments", Main: debug.Module{Path: "example.com/shop", Version: "v0.0.0-20261201-abc", Sum: "h1:x"}, Deps: deps("v0.14.5")}
	newEnt := &debug.BuildInfo{Main: loader.Main, Deps: deps("v0.14.6")}
	replaced := &debug.BuildInfo{Main: loader.Main, Deps: append(deps("v0.14.5")[:3], &debug.Module{Path: "github.com/kernia/kernia", Version: "v0.3.0", Replace: &debug.Module{Path: "../kernia", Version: ""}})}
	// Kernia's own repository: Kernia is the main module.
	dogfood := &debug.BuildInfo{Main: debug.Module{Path: "github.com/kernia/kernia", Version: "(devel)"}, Deps: deps("v0.14.5")[:3]}

	assert.Equal(t, generator.VersionsOf(loader), generator.VersionsOf(mage))
	assert.Equal(t, generator.VersionsOf(loader), "ariga.io/atlas@v0.32.1 h1:a entgo.io/ent@v0.14.5 h1:ev0.14.5 github.com/kernia/kernia@v0.3.0 h1:k")
	assert.Assert(t, generator.VersionsOf(newEnt) != generator.VersionsOf(loader))
	assert.Assert(t, generator.VersionsOf(replaced) != generator.VersionsOf(loader))
	assert.Equal(t, generator.VersionsOf(dogfood), "ariga.io/atlas@v0.32.1 h1:a entgo.io/ent@v0.14.5 h1:ev0.14.5 github.com/kernia/kernia@(devel) ")
}
