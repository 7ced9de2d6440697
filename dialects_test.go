package kernia_test

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
)

// TestDialectsDefault: the dialects are committed configuration. Options.Dialects, else the
// dialect of Options.DatabaseURL, else of $KERNIA_DATABASE_URL from the process environment,
// else SQLite; a $KERNIA_DATABASE_URL holding .env's value never chooses them: a PostgreSQL one
// is an error naming the line to commit, a SQLite one gives what a clone gets.
func TestDialectsDefault(t *testing.T) {
	const pg = "postgres://u:pw@127.0.0.1:5432/shop"
	tests := []struct {
		name    string
		opts    kernia.Options
		env     string // $KERNIA_DATABASE_URL ("" unset)
		dotenv  string // the module's .env ("" none)
		want    []string
		wantErr string
	}{
		{name: "nothing set", want: []string{"sqlite"}},
		{name: "Options.Dialects", opts: kernia.Options{Dialects: []string{kernia.Postgres, kernia.SQLite}}, env: "sqlite://x.db", want: []string{"postgres", "sqlite"}},
		{name: "Options.DatabaseURL", opts: kernia.Options{DatabaseURL: pg}, want: []string{"postgres"}},
		{name: "Options.DatabaseURL beats .env", opts: kernia.Options{DatabaseURL: pg}, env: pg, dotenv: "KERNIA_DATABASE_URL=" + pg + "\n", want: []string{"postgres"}},
		{name: "the process environment", env: pg, want: []string{"postgres"}},
		{name: "the environment differs from .env", env: pg, dotenv: "KERNIA_DATABASE_URL=postgres://other@127.0.0.1/x\n", want: []string{"postgres"}},
		{name: "postgres from .env alone", env: pg, dotenv: "KERNIA_SECRET=x\nKERNIA_DATABASE_URL=" + pg + "\n",
			wantErr: "kernia: the dialects are not configured: $KERNIA_DATABASE_URL comes from .env and is a postgres database, but .env is git-ignored and never chooses the dialects (a clone or CI job without it would generate for sqlite): set Dialects: []string{kernia.Postgres} in kernia.Options (auth/auth.go) and commit it"},
		{name: "sqlite from .env: what a clone gets", env: "sqlite://app.db", dotenv: "KERNIA_DATABASE_URL=sqlite://app.db\n", want: []string{"sqlite"}},
		{name: "Options.Dialects beats .env", opts: kernia.Options{Dialects: []string{kernia.Postgres}}, env: pg, dotenv: "KERNIA_DATABASE_URL=" + pg + "\n", want: []string{"postgres"}},
		{name: "a bad URL", env: "oracle://x", wantErr: `unsupported scheme "oracle"`},
		{name: "mysql", env: "mysql://root@127.0.0.1/shop", want: []string{"mysql"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			assert.NilError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/shop\n\ngo 1.26\n"), 0o644))
			if tc.dotenv != "" {
				assert.NilError(t, os.WriteFile(filepath.Join(dir, ".env"), []byte(tc.dotenv), 0o600))
			}
			assert.NilError(t, os.MkdirAll(filepath.Join(dir, "cmd", "server"), 0o755))
			t.Chdir(filepath.Join(dir, "cmd", "server")) // .env is the module root's
			t.Setenv(kernia.EnvDatabaseURL, tc.env)
			if tc.env == "" {
				os.Unsetenv(kernia.EnvDatabaseURL)
			}
			got, err := kernia.New(tc.opts).Dialects()
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				assert.Check(t, !is.Contains(err.Error(), "pw")().Success(), "never the URL: %v", err)
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, got, tc.want)
		})
	}
}
