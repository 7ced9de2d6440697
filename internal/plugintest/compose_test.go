package plugintest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/plugins/builtin"
	"github.com/kernia/kernia/plugins/organization"
	"github.com/kernia/kernia/plugins/scim"
	"github.com/kernia/kernia/plugins/sso"
	"github.com/kernia/kernia/plugins/stripe"
	"github.com/kernia/kernia/plugins/username"
)

// config is a plugin configuration under test.
type config struct {
	name    string
	plugins []kernia.Plugin
	// databaseRateLimit is Options.DatabaseRateLimit: the core rate_limits table.
	databaseRateLimit bool
}

// options returns the configuration's options.
func (c config) options() kernia.Options {
	return kernia.Options{Plugins: c.plugins, DatabaseRateLimit: c.databaseRateLimit}
}

// configs returns each built-in plugin alone with every option (builtin.All), the plugins with
// options also with their defaults, stripe with organizations, the core rate_limits table
// alone, and all plugins together with it (the dogfood configuration).
func configs() []config {
	var cs []config
	for _, p := range builtin.All() {
		cs = append(cs, config{p.ID(), []kernia.Plugin{p}, false})
	}
	cs = append(cs,
		config{"organization-default", []kernia.Plugin{organization.New()}, false},
		config{"organization-teams", []kernia.Plugin{organization.New(organization.WithTeams())}, false},
		config{"sso-default", []kernia.Plugin{sso.New()}, false},
		config{"scim-default", []kernia.Plugin{scim.New()}, false},
		config{"stripe-default", []kernia.Plugin{stripe.New()}, false},
		config{"stripe-organization", []kernia.Plugin{organization.New(), stripe.New()}, false},
		config{"username-without-display", []kernia.Plugin{username.New(username.WithoutDisplayUsername())}, false},
		config{"rate-limit", nil, true},
		config{"all", builtin.All(), true},
	)
	return cs
}

// TestComposedSchemaGolden renders the composed schema of every configuration and compares it
// with testdata/schema/<config>.golden (all files of the schema package, one after another).
func TestComposedSchemaGolden(t *testing.T) {
	for _, c := range configs() {
		t.Run(c.name, func(t *testing.T) {
			plan, err := compose.Build(kernia.New(c.options()))
			assert.NilError(t, err)
			files, err := compose.Render(plan)
			assert.NilError(t, err)
			var b strings.Builder
			for _, f := range files {
				fmt.Fprintf(&b, "-- %s --\n%s", f.Name, f.Content)
			}
			golden.Assert(t, b.String(), "schema/"+c.name+".golden")
		})
	}
}

// TestContributors checks, per plugin, the tables it owns and the columns it adds to tables it
// does not own (and the core's tables, rate_limits included): the list of the issue's
// closing note.
func TestContributors(t *testing.T) {
	plan, err := compose.Build(kernia.New(kernia.Options{Plugins: builtin.All(), DatabaseRateLimit: true}))
	assert.NilError(t, err)
	got := map[string][]string{}
	for _, e := range plan.Entities {
		got[e.Owner] = append(got[e.Owner], e.Table)
		for _, c := range e.Columns {
			if c.Contributor != e.Owner {
				got[c.Contributor] = append(got[c.Contributor], e.Table+"."+c.Name)
			}
		}
	}
	var b strings.Builder
	for _, id := range append([]string{kernia.Core}, builtin.IDs()...) {
		items := got[id]
		slices.Sort(items)
		fmt.Fprintf(&b, "%s: %s\n", id, strings.Join(items, ", "))
	}
	golden.Assert(t, b.String(), "contributors.golden")
}

func TestBuiltinList(t *testing.T) {
	assert.DeepEqual(t, builtin.IDs(), []string{
		"two-factor", "organization", "api-key", "passkey", "sso", "scim", "stripe",
		"phone-number", "admin", "username", "jwt", "anonymous",
		"device-authorization", "siwe", "last-login-method", "oauth-provider",
	})
	for _, id := range builtin.IDs() {
		p, ok := builtin.ByID(id)
		assert.Assert(t, ok, id)
		assert.Equal(t, p.ID(), id)
	}
	_, ok := builtin.ByID("nope")
	assert.Assert(t, !ok)
	org, _ := builtin.ByID("organization")
	assert.Assert(t, !org.(organization.Plugin).Teams(), "ByID returns default options")
	for _, p := range builtin.All() {
		if o, ok := p.(organization.Plugin); ok {
			assert.Assert(t, o.Teams(), "All enables organization teams")
		}
	}
}

// TestDatabaseRateLimit checks that Options.DatabaseRateLimit alone adds the core's
// rate_limits table, with every plugin enabled or none.
func TestDatabaseRateLimit(t *testing.T) {
	for _, c := range []struct {
		name    string
		plugins []kernia.Plugin
		on      bool
	}{
		{"core off", nil, false},
		{"core on", nil, true},
		{"all off", builtin.All(), false},
		{"all on", builtin.All(), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan, err := compose.Build(kernia.New(kernia.Options{Plugins: c.plugins, DatabaseRateLimit: c.on}))
			assert.NilError(t, err)
			var got *compose.Entity
			for _, e := range plan.Entities {
				if e.Name == "RateLimit" {
					got = e
				}
			}
			if !c.on {
				assert.Assert(t, got == nil, "rate_limits without Options.DatabaseRateLimit")
				return
			}
			assert.Assert(t, got != nil, "no rate_limits with Options.DatabaseRateLimit")
			assert.Equal(t, got.Table, "rate_limits")
			assert.Equal(t, got.Owner, kernia.Core)
			assert.DeepEqual(t, sorted(got.Columns), []string{"count", "id", "key", "last_request"})
		})
	}
}
