package codegen

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/entc/gen"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/dogfood"
	"github.com/kernia/kernia/plugins/builtin"
	"github.com/kernia/kernia/plugins/organization"
	"github.com/kernia/kernia/plugins/scim"
	"github.com/kernia/kernia/plugins/sso"
	"github.com/kernia/kernia/plugins/stripe"
	"github.com/kernia/kernia/plugins/username"
)

const dogfoodPackage = "github.com/kernia/kernia/ent"

// config is a configuration whose client the tests generate.
type config struct {
	name string
	auth *kernia.Auth
	pkg  string // import path of the generated client
}

// configs returns the dogfood (the core and every built-in plugin, generated into this
// repository's ent/) and internal/plugintest's configurations (each built-in plugin alone,
// the plugins with options also with their defaults, stripe with organizations, all plugins),
// generated as in a user module example.com/app.
func configs() []config {
	const app = "example.com/app/ent"
	cs := []config{{"dogfood", dogfood.Auth(), dogfoodPackage}}
	plugins := func(name string, ps ...kernia.Plugin) {
		cs = append(cs, config{name, kernia.New(kernia.Options{Plugins: ps}), app})
	}
	plugins("core")
	for _, p := range builtin.All() {
		plugins(p.ID(), p)
	}
	plugins("organization-default", organization.New())
	plugins("organization-teams", organization.New(organization.WithTeams()))
	plugins("sso-default", sso.New())
	plugins("scim-default", scim.New())
	plugins("stripe-default", stripe.New())
	plugins("stripe-organization", organization.New(), stripe.New())
	plugins("username-without-display", username.New(username.WithoutDisplayUsername()))
	plugins("all", builtin.All()...)
	return cs
}

// newGraph builds the graph of c's composed schemas, marshalled in-process as the generator
// does for a schema package of Kernia's files only; each call gets schemas of its own.
func newGraph(t testing.TB, plan *compose.Plan, pkg string) *Graph {
	t.Helper()
	schemas, err := compose.Schemas(plan)
	assert.NilError(t, err)
	g, err := NewGraph(Config{Schemas: schemas, SchemaPackage: pkg + "/schema", Package: pkg, Header: compose.Header})
	assert.NilError(t, err)
	t.Cleanup(func() { assert.NilError(t, g.Close()) })
	return g
}

// TestFilesMatchEnt generates every configuration's client with Files and with Ent's own
// generator, and requires the same files, byte for byte. Ent's generator runs with GOMAXPROCS
// 1: its goimports pass then formats one file at a time, so no file is read while another
// is being rewritten, and its output is the correct one (concurrently, a sibling caught
// truncated can make goimports resolve "ent" to the working module's own client package).
func TestFilesMatchEnt(t *testing.T) {
	answerGoEnvOnce(t)
	for _, c := range configs() {
		t.Run(c.name, func(t *testing.T) {
			plan, err := compose.Build(c.auth)
			assert.NilError(t, err)
			got, err := newGraph(t, plan, c.pkg).Files()
			assert.NilError(t, err)

			stock := newGraph(t, plan, c.pkg)
			prev := runtime.GOMAXPROCS(1)
			want, err := stock.entFiles()
			runtime.GOMAXPROCS(prev)
			assert.NilError(t, err)

			assert.DeepEqual(t, sortedKeys(got), sortedKeys(want))
			for _, name := range sortedKeys(want) {
				if string(got[name]) != string(want[name]) {
					t.Errorf("%s differs from Ent's output:\n%s", name, firstDifference(string(got[name]), string(want[name])))
				}
			}
			// The proof is only as good as its coverage: the client of every configuration
			// needs an import goimports adds ("entgo.io/ent" in client.go) and many it removes.
			assert.Assert(t, strings.Contains(string(got["client.go"]), "\t\"entgo.io/ent\"\n"))
		})
	}
}

// firstDifference shows the first line where got and want differ, with two lines of context.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			lo := max(0, i-2)
			return fmt.Sprintf("line %d:\n  got:  %q\n  want: %q", i+1, g[lo:min(len(g), i+3)], w[lo:min(len(w), i+3)])
		}
	}
	return "(no line differs)"
}

// TestFilesConcurrent runs Files on two graphs at once, in one process: Ent's template set
// is a package variable that every initialisation replaces, so the runs must not interleave
// (templatesMu); under -race this also checks the formatting's own goroutines.
func TestFilesConcurrent(t *testing.T) {
	plan, err := compose.Build(kernia.New(kernia.Options{Plugins: builtin.All()}))
	assert.NilError(t, err)
	const pkg = "example.com/app/ent"
	want, err := newGraph(t, plan, pkg).Files()
	assert.NilError(t, err)
	graphs := []*Graph{newGraph(t, plan, pkg), newGraph(t, plan, pkg), newGraph(t, plan, pkg)}
	got := make([]map[string][]byte, len(graphs))
	errs := make([]error, len(graphs))
	var wg sync.WaitGroup
	for i, g := range graphs {
		wg.Go(func() { got[i], errs[i] = g.Files() })
	}
	wg.Wait()
	for i := range graphs {
		assert.NilError(t, errs[i])
		assert.DeepEqual(t, got[i], want)
	}
}

// TestFilesRefusesWhatItDoesNotMirror: features and external templates change Ent's template
// set and output, which render does not reproduce; it says so instead of generating
// something else than Ent would.
func TestFilesRefusesWhatItDoesNotMirror(t *testing.T) {
	plan, err := compose.Build(kernia.New(kernia.Options{}))
	assert.NilError(t, err)
	for _, tc := range []struct {
		name string
		edit func(*gen.Graph)
	}{
		{"feature", func(g *gen.Graph) { g.Features = []gen.Feature{gen.FeaturePrivacy} }},
		{"template", func(g *gen.Graph) { g.Templates = []*gen.Template{gen.NewTemplate("extra")} }},
		{"hook", func(g *gen.Graph) { g.Hooks = []gen.Hook{func(next gen.Generator) gen.Generator { return next }} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraph(t, plan, "example.com/app/ent")
			tc.edit(g.graph)
			files, err := g.Files()
			assert.ErrorContains(t, err, "mirrors only Ent's default templates")
			assert.Assert(t, files == nil)
		})
	}
}

// TestFilesPaths: the keys are slash-separated paths relative to the client directory, and
// every file starts with the header the generator's callers check.
func TestFilesPaths(t *testing.T) {
	plan, err := compose.Build(kernia.New(kernia.Options{}))
	assert.NilError(t, err)
	files, err := newGraph(t, plan, "example.com/app/ent").Files()
	assert.NilError(t, err)
	for _, name := range []string{"client.go", "ent.go", "user.go", "user/user.go", "user/where.go", "migrate/schema.go", "runtime/runtime.go", "enttest/enttest.go"} {
		assert.Assert(t, slices.Contains(sortedKeys(files), name), name)
	}
	for name, b := range files {
		assert.Assert(t, strings.HasPrefix(string(b), compose.Header+"\n"), name)
	}
}
