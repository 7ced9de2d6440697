package authoring

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
)

// TestDialectWarnings: a migration directory of a dialect the configuration does not target,
// and dialects that only $KERNIA_DATABASE_URL chooses, each give one line naming the directory
// or variable, the configured dialects and the fix; a configuration that agrees gives none.
func TestDialectWarnings(t *testing.T) {
	tests := []struct {
		name string
		dirs []string
		opts kernia.Options
		env  string
		want []string // substrings, one entry per warning line
	}{
		{name: "postgres directory, default sqlite", dirs: []string{"postgres"},
			want: []string{"migration directory MIG/postgres/ holds postgres migrations, but the configuration targets sqlite only, from the dialect of the database URL (the default sqlite://kernia.db; Options.Dialects is not set): to keep postgres, set Dialects: []string{kernia.Postgres} in kernia.Options (auth/auth.go) and commit it; if the directory is stale, remove it"}},
		{name: "postgres directory, Dialects sqlite", dirs: []string{"postgres", "sqlite"}, opts: kernia.Options{Dialects: []string{kernia.SQLite}},
			want: []string{"MIG/postgres/ holds postgres migrations, but the configuration targets sqlite only, from Options.Dialects: to keep postgres, set Dialects: []string{kernia.SQLite, kernia.Postgres}"}},
		{name: "both directories, both configured", dirs: []string{"postgres", "sqlite"}, opts: kernia.Options{Dialects: []string{kernia.SQLite, kernia.Postgres}}},
		{name: "postgres configured", dirs: []string{"postgres"}, opts: kernia.Options{Dialects: []string{kernia.Postgres}}},
		{name: "a directory that is no dialect's", dirs: []string{"custom", "mysql-old"}, opts: kernia.Options{Dialects: []string{kernia.SQLite}}},
		{name: "no migration directory yet"},
		{name: "dialect from the environment only", dirs: []string{"postgres"}, env: "postgres://u:secret@127.0.0.1:5432/shop",
			want: []string{"the configuration targets postgres only because $KERNIA_DATABASE_URL in the environment says so, and a clone or CI job without it targets sqlite: set Dialects: []string{kernia.Postgres} in kernia.Options (auth/auth.go) and commit it"}},
		{name: "sqlite from the environment: a clone gets the same", dirs: []string{"sqlite"}, env: "sqlite://other.db"},
		{name: "database URL in Options", dirs: []string{"postgres"}, env: "sqlite://x.db", opts: kernia.Options{DatabaseURL: "postgres://u@127.0.0.1/shop"}},
		{name: "sqlite directory while the environment says postgres", dirs: []string{"sqlite"}, env: "postgres://u@127.0.0.1/shop",
			want: []string{
				"MIG/sqlite/ holds sqlite migrations, but the configuration targets postgres only, from the dialect of the database URL ($KERNIA_DATABASE_URL; Options.Dialects is not set): to keep sqlite, set Dialects: []string{kernia.SQLite}",
				"targets postgres only because $KERNIA_DATABASE_URL",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			mig := "migrations"
			for _, d := range tc.dirs {
				assert.NilError(t, os.MkdirAll(filepath.Join(mig, d), 0o755))
			}
			t.Setenv(kernia.EnvDatabaseURL, tc.env)
			if tc.env == "" {
				os.Unsetenv(kernia.EnvDatabaseURL)
			}
			opts := tc.opts
			opts.MigrationsDir = mig
			got := DialectWarnings(kernia.New(opts))
			assert.Equal(t, len(got), len(tc.want), "%q", got)
			for i, w := range tc.want {
				w = strings.ReplaceAll(w, "MIG/", filepath.ToSlash(mig)+"/")
				assert.Check(t, is.Contains(got[i], w))
				assert.Check(t, strings.HasPrefix(got[i], "kernia: warning: "), got[i])
				assert.Check(t, !strings.Contains(got[i], "\n"), "one line")
				assert.Check(t, !strings.Contains(got[i], "secret"), "never the URL")
			}
		})
	}
}

// TestDialectWarningsIgnoreAFileNamedLikeADialect: only directories count.
func TestDialectWarningsIgnoreAFileNamedLikeADialect(t *testing.T) {
	t.Chdir(t.TempDir())
	mig := "migrations"
	assert.NilError(t, os.MkdirAll(mig, 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(mig, "postgres"), nil, 0o644))
	t.Setenv(kernia.EnvDatabaseURL, "")
	assert.Check(t, is.Len(DialectWarnings(kernia.New(kernia.Options{MigrationsDir: mig})), 0))
}

// TestInitOnAnInitialisedModule: init --plugins on a module init set up adds the plugin to the
// unmodified scaffold and says so; once the file is edited it leaves it alone and prints the
// lines to add; .gitignore gets the SQLite lines once.
func TestInitOnAnInitialisedModule(t *testing.T) {
	dir := module(t)
	t.Setenv(kernia.EnvDatabaseURL, "")
	run := func(f InitFlags) string {
		t.Helper()
		io, _, errb := streams()
		f.Dir = dir
		assert.NilError(t, Init(t.Context(), f, io))
		return errb.String()
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		assert.NilError(t, err)
		return string(b)
	}
	run(InitFlags{Plugins: "two-factor"})
	auth := read("auth/auth.go")
	assert.Check(t, is.Contains(auth, "Dialects: []string{kernia.SQLite},"))
	assert.Check(t, is.Equal(read(".gitignore"), ".kernia/\n.env\nkernia.db\nkernia.db-wal\nkernia.db-shm\n"))

	tests := []struct {
		name     string
		flags    InitFlags
		edit     func(string) string
		stderr   []string
		contains []string // in auth/auth.go afterwards
		same     bool     // auth/auth.go unchanged
	}{
		{name: "a new plugin in the scaffold", flags: InitFlags{Plugins: "jwt"},
			stderr:   []string{"updated  auth/auth.go: added plugin jwt (it was Kernia's unmodified scaffold, so rewriting it is safe; review the change)", "Next: go tool kernia generate"},
			contains: []string{`"github.com/kernia/kernia/plugins/jwt"`, "jwt.New(),", "twofactor.New(),", "Dialects: []string{kernia.SQLite},"}},
		{name: "plugins it has", flags: InitFlags{Plugins: "jwt,two-factor"},
			stderr: []string{"init: auth/auth.go enables jwt, two-factor already", "every file exists already: nothing written"}, same: true},
		{name: "a dialect for the scaffold", flags: InitFlags{DatabaseURL: "postgres://u:pw@127.0.0.1:5432/shop"},
			stderr:   []string{"updated  auth/auth.go: added dialect postgres (Options.Dialects)"},
			contains: []string{"Dialects: []string{kernia.SQLite, kernia.Postgres},"}},
		{name: "an edited file", flags: InitFlags{Plugins: "admin,username"}, edit: func(s string) string {
			return strings.Replace(s, "BasePath:", "BaseURL: \"https://shop.example.com\",\n\tBasePath:", 1)
		},
			stderr: []string{
				"init: auth/auth.go is not Kernia's unmodified scaffold (it was edited), so init left it alone and did not add plugins admin, username. Add these lines to it:",
				`    in the import block:      "github.com/kernia/kernia/plugins/admin"`,
				"    in Options.Plugins:       admin.New(),",
				`    in the import block:      "github.com/kernia/kernia/plugins/username"`,
				"    in Options.Plugins:       username.New(),",
				"Next: add the lines above to auth/auth.go, then go tool kernia generate",
			}, same: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.edit != nil {
				p := filepath.Join(dir, "auth/auth.go")
				assert.NilError(t, os.WriteFile(p, []byte(tc.edit(read("auth/auth.go"))), 0o644))
			}
			before := read("auth/auth.go")
			stderr := run(tc.flags)
			for _, s := range tc.stderr {
				assert.Check(t, is.Contains(stderr, s))
			}
			after := read("auth/auth.go")
			if tc.same {
				assert.Check(t, is.Equal(after, before))
			}
			for _, s := range tc.contains {
				assert.Check(t, is.Contains(after, s))
			}
			assert.Check(t, is.Equal(read(".gitignore"), ".kernia/\n.env\nkernia.db\nkernia.db-wal\nkernia.db-shm\n"), "never duplicated")
		})
	}
}
