package compose_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/plugins/builtin"
	"github.com/kernia/kernia/plugins/passkey"
	"github.com/kernia/kernia/plugins/twofactor"
)

// TestRenderGoldenBetterAuthNames renders core, two-factor and passkey (whose credential_id is
// Better Auth's credentialID, not credentialId) under BetterAuthNames, with an Options.Schema
// rename and an additional field on top of the mode's names.
func TestRenderGoldenBetterAuthNames(t *testing.T) {
	plan, err := compose.Build(kernia.New(kernia.Options{
		Naming:  kernia.BetterAuthNames,
		Plugins: []kernia.Plugin{twofactor.New(), passkey.New()},
		Schema: map[string]kernia.EntitySchema{
			"Verification": {Table: "authVerification", Columns: map[string]string{"expires_at": "validUntil"}},
			"User":         {Fields: []kernia.Field{{Name: "joined_at", Type: kernia.FieldTime, Default: kernia.DefaultNow}}},
		},
	}))
	assert.NilError(t, err)
	files, err := compose.Render(plan)
	assert.NilError(t, err)
	for _, f := range files {
		golden.Assert(t, string(f.Content), filepath.Join("betterauth", f.Name+".golden"))
	}
}

// TestBetterAuthNamesMatchBetterAuth composes every built-in plugin and the rate-limit table
// under BetterAuthNames and compares each table and its columns with Better Auth 1.7.25's own
// model and field names (testdata/better-auth-1.7.25-names.json, from getAuthTables).
func TestBetterAuthNamesMatchBetterAuth(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "better-auth-1.7.25-names.json"))
	assert.NilError(t, err)
	var ref struct {
		Models map[string]struct {
			ModelName string   `json:"modelName"`
			Fields    []string `json:"fields"`
		} `json:"models"`
	}
	assert.NilError(t, json.Unmarshal(b, &ref))

	plan, err := compose.Build(kernia.New(kernia.Options{Naming: kernia.BetterAuthNames, Plugins: builtin.All(), DatabaseRateLimit: true}))
	assert.NilError(t, err)
	got := map[string][]string{}
	for table, cols := range plan.Contributors() {
		for _, c := range cols {
			if c.Name != "id" {
				got[table] = append(got[table], c.Name)
			}
		}
		slices.Sort(got[table])
	}
	// Kept on purpose (README, Data model): Better Auth 1.7.0-1.7.2's account.issuer, nullable.
	extra := map[string][]string{"account": {"issuer"}}
	want := map[string][]string{}
	for _, m := range ref.Models {
		want[m.ModelName] = slices.Sorted(slices.Values(append(slices.Clone(m.Fields), extra[m.ModelName]...)))
	}
	assert.DeepEqual(t, got, want)
}

// TestNamingOrder: the mode gives the base names, Options.Schema renames on top, in both modes.
func TestNamingOrder(t *testing.T) {
	schema := map[string]kernia.EntitySchema{"Session": {Table: "auth_session", Columns: map[string]string{"user_id": "owner"}}}
	for _, tc := range []struct {
		naming         kernia.Naming
		user, sessions string
		columns        []string
	}{
		{kernia.SnakeCase, "users", "auth_session", []string{"id", "expires_at", "token", "created_at", "updated_at", "ip_address", "user_agent", "owner"}},
		{kernia.BetterAuthNames, "user", "auth_session", []string{"id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "owner"}},
	} {
		t.Run(tc.naming.String(), func(t *testing.T) {
			plan, err := compose.Build(kernia.New(kernia.Options{Naming: tc.naming, Schema: schema}))
			assert.NilError(t, err)
			c := plan.Contributors()
			assert.Check(t, c[tc.user] != nil, "no table %s in %v", tc.user, c)
			var names []string
			for _, col := range c[tc.sessions] {
				names = append(names, col.Name)
			}
			assert.DeepEqual(t, names, tc.columns)
		})
	}
}

func TestModelNameAndLowerCamel(t *testing.T) {
	for entity, want := range map[string]string{
		"User": "user", "TwoFactor": "twoFactor", "SSOProvider": "ssoProvider", "SCIMUser": "scimUser",
		"APIKey": "apiKey", "ID": "id", "X": "x", "AuditEvent": "auditEvent",
	} {
		assert.Check(t, is.Equal(compose.ModelName(kernia.Entity{Name: entity}), want), entity)
	}
	assert.Check(t, is.Equal(compose.ModelName(kernia.Entity{Name: "JSONWebKey", Model: "jwks"}), "jwks"))
	for snake, want := range map[string]string{
		"email_verified": "emailVerified", "id": "id", "user_id": "userId", "access_token_expires_at": "accessTokenExpiresAt",
		"_private": "_private", "a__b": "a_b", "x2_y": "x2Y",
	} {
		assert.Check(t, is.Equal(compose.LowerCamel(snake), want), snake)
	}
}

// TestBetterAuthNamesRefusals: names differing only in case collide on SQLite, and an unknown
// mode is an error, before anything is written.
func TestBetterAuthNamesRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts kernia.Options
		want []string
	}{
		{"tables differing in case", kernia.Options{Naming: kernia.BetterAuthNames, Schema: map[string]kernia.EntitySchema{"Session": {Table: "User"}}},
			[]string{"entities", "Session", "User", `both map to table`, "without case"}},
		{"columns differing in case", kernia.Options{Naming: kernia.BetterAuthNames, Schema: map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"name": "EmailVerified"}}}},
			[]string{"column user.", "emailVerified", "claimed by both"}},
		{"unknown mode", kernia.Options{Naming: 7}, []string{"Options.Naming: unknown naming mode 7", "kernia.BetterAuthNames"}},
		{"invalid camel table", kernia.Options{Naming: kernia.BetterAuthNames, Schema: map[string]kernia.EntitySchema{"User": {Table: "app-user"}}},
			[]string{"Options.Schema[User].Table", `"app-user" is not a valid table name`, "ASCII letters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compose.Build(kernia.New(tc.opts))
			assert.Assert(t, err != nil)
			for _, w := range tc.want {
				assert.Check(t, strings.Contains(strings.ToLower(err.Error()), strings.ToLower(w)), "%q lacks %q", err, w)
			}
		})
	}
}

// TestBetterAuthIndexName: the names @better-auth/core 1.7.25's getDatabaseIndexName gives
// (taken from running it under Node), the long one cut and hashed as Better Auth does.
func TestBetterAuthIndexName(t *testing.T) {
	for _, tc := range []struct {
		table   string
		columns []string
		unique  bool
		want    string
	}{
		{"deviceCode", []string{"deviceCode"}, true, "deviceCode_deviceCode_uidx"},
		{"oauthClientResource", []string{"clientId", "resourceId"}, true, "oauthClientResource_clientId_resourceId_uidx"},
		{"session", []string{"userId"}, false, "session_userId_idx"},
		{"scimManagedConnectionEvent", []string{"connectionRecordId", "provisioningDomainId", "extra"}, false, "scimManagedConnectionEvent_connectionRecordId_prov_2b95b851_idx"},
	} {
		assert.Check(t, is.Equal(compose.BetterAuthIndexName(tc.table, tc.columns, tc.unique), tc.want))
	}
}
