package generator_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/plugins/twofactor"
)

// TestFingerprint: a no-op generate skips codegen and diffing, and a change of any input
// invalidates the fingerprint and runs the whole pipeline again.
func TestFingerprint(t *testing.T) {
	dir := newModule(t)
	base := kernia.Options{Dialects: []string{kernia.SQLite}}
	run := func(t *testing.T, o kernia.Options) *generator.Result {
		t.Helper()
		res, err := generator.Run(context.Background(), kernia.New(o), generator.Options{Now: clock, AllowDestructive: true})
		assert.NilError(t, err)
		return res
	}
	first := run(t, base)
	assert.Assert(t, first.Written && !first.Cached)
	_, err := os.Stat(filepath.Join(dir, generator.FingerprintFile))
	assert.NilError(t, err)
	assert.Assert(t, run(t, base).Cached, "an unchanged run was not skipped")

	tests := []struct {
		name   string
		change func(t *testing.T) (kernia.Options, func())
		// wrote is whether the full run must write files (it always must not be cached).
		wrote bool
	}{
		{"a plugin enabled", func(t *testing.T) (kernia.Options, func()) {
			o := base
			o.Plugins = []kernia.Plugin{twofactor.New()}
			return o, nil
		}, true},
		{"a column renamed", func(t *testing.T) (kernia.Options, func()) {
			o := base
			o.Schema = map[string]kernia.EntitySchema{"User": {Columns: map[string]string{"image": "avatar"}}}
			return o, nil
		}, true},
		{"a generated client file edited", func(t *testing.T) (kernia.Options, func()) {
			p := filepath.Join(dir, "ent/user.go")
			b, err := os.ReadFile(p)
			assert.NilError(t, err)
			assert.NilError(t, os.WriteFile(p, append(b, []byte("\n// edited\n")...), 0o644))
			return base, func() {
				after, err := os.ReadFile(p)
				assert.NilError(t, err)
				assert.DeepEqual(t, after, b)
			}
		}, true},
		{"a generated schema file deleted", func(t *testing.T) (kernia.Options, func()) {
			assert.NilError(t, os.Remove(filepath.Join(dir, "ent/schema/session.go")))
			return base, nil
		}, true},
		{"the migration directory changed", func(t *testing.T) (kernia.Options, func()) {
			// A data migration of another branch, merged with its atlas.sum entry.
			d := filepath.Join(dir, "ent/migrate/migrations/sqlite")
			extra := filepath.Join(d, "20260102030500_branch.sql")
			assert.NilError(t, os.WriteFile(extra, []byte("UPDATE `users` SET `name` = trim(`name`);\n"), 0o644))
			rehash(t, d)
			return base, func() {
				assert.NilError(t, os.Remove(extra))
				rehash(t, d)
			}
		}, false},
		{"another Ent version", func(t *testing.T) (kernia.Options, func()) {
			restore := generator.SetBuildVersions("entgo.io/ent@v9.9.9")
			return base, restore
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, after := tc.change(t)
			if after != nil {
				defer after()
			}
			res := run(t, o)
			assert.Assert(t, !res.Cached, "the change did not invalidate the fingerprint")
			assert.Equal(t, res.Written && !res.UpToDate(), tc.wrote, "changed: %v", res.Changed)
		})
		// Back to the base configuration; the next identical run is cached again.
		run(t, base)
		assert.Assert(t, run(t, base).Cached, "after %s", tc.name)
	}
}

func rehash(t *testing.T, path string) {
	t.Helper()
	d, err := migrate.NewLocalDir(path)
	assert.NilError(t, err)
	sum, err := d.Checksum()
	assert.NilError(t, err)
	assert.NilError(t, migrate.WriteSumFile(d, sum))
}
