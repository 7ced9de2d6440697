package resolve

import (
	"fmt"
	"testing"

	"entgo.io/ent/entc/load"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/entjson"
	"github.com/kernia/kernia/plugins/builtin"
)

// TestMarshalIsEntsLoader checks that every entity the core and the built-in plugins compose,
// as Resolve marshals it with internal/entjson, is the bytes Ent's own load.MarshalSchema
// gives for it: every plugin alone and all of them together, with their options (builtin.All)
// and without (builtin.Defaults), the optional rate_limits table, additional fields and
// renames, in both naming modes.
func TestMarshalIsEntsLoader(t *testing.T) {
	configs := map[string]kernia.Options{
		"all":      {Plugins: builtin.All(), DatabaseRateLimit: true},
		"defaults": {Plugins: builtin.Defaults()},
		"core":     {},
		"customized": {Plugins: builtin.All(), Schema: map[string]kernia.EntitySchema{
			"User": {Table: "app_users", Columns: map[string]string{"email": "email_address"}, Fields: []kernia.Field{
				{Name: "nickname", Type: kernia.FieldString, Optional: true, Default: "n"},
				{Name: "age", Type: kernia.FieldInt, Default: 7},
				{Name: "vip", Type: kernia.FieldBool, Default: true},
				{Name: "handle", Type: kernia.FieldString, Unique: true},
				{Name: "joined", Type: kernia.FieldTime, Default: kernia.DefaultNow},
				{Name: "prefs", Type: kernia.FieldJSON, Optional: true},
			}},
			"Session": {Columns: map[string]string{"token": "session_token"}},
		}},
	}
	for _, p := range builtin.All() {
		configs["plugin "+p.ID()] = kernia.Options{Plugins: []kernia.Plugin{p}}
	}
	entities := 0
	for name, o := range configs {
		for _, naming := range []kernia.Naming{kernia.SnakeCase, kernia.BetterAuthNames} {
			o.Naming = naming
			t.Run(fmt.Sprintf("%s, naming %d", name, naming), func(t *testing.T) {
				p, err := Resolve(kernia.New(o))
				assert.NilError(t, err)
				assert.Assert(t, is.Len(p.raw, len(p.Entities)))
				for i, e := range p.Entities {
					want, err := load.MarshalSchema(e.composed())
					assert.NilError(t, err)
					assert.Check(t, is.Equal(string(p.raw[i]), string(want)), "entity %s", e.Name)
					got, err := entjson.Marshal(e.composed())
					assert.NilError(t, err)
					assert.Check(t, is.Equal(string(got), string(want)), "entity %s", e.Name)
					entities++
				}
			})
		}
	}
	// Every built-in plugin's entities were there: far more than the core's few.
	assert.Check(t, entities > 100, "%d entities compared", entities)
}
