package scaffold

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/plugins/builtin"
)

func files(t *testing.T, ids ...string) []File {
	t.Helper()
	plugins, _, err := ResolvePlugins(ids)
	assert.NilError(t, err)
	fs, err := Files(Options{
		ModulePath:  "example.com/shop",
		DatabaseURL: "postgres://app:s3cret@127.0.0.1:5432/shop?sslmode=disable",
		BaseURL:     "http://localhost:3000",
		Secret:      strings.Repeat("ab12", 16),
		Dialects:    []string{"postgres", "sqlite"},
	}, plugins)
	assert.NilError(t, err)
	return fs
}

func TestWriteNeverOverwrites(t *testing.T) {
	root := t.TempDir()
	mine := []byte("package auth // mine\n")
	assert.NilError(t, os.MkdirAll(filepath.Join(root, "auth"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(root, AuthFile), mine, 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(root, Gitignore), []byte("node_modules\n.env"), 0o644))

	out, err := Write(root, files(t, "two-factor"))
	assert.NilError(t, err)
	actions := map[string]string{}
	for _, o := range out {
		actions[o.Path] = o.Action
	}
	assert.DeepEqual(t, actions, map[string]string{
		EnvExample: "wrote", Env: "wrote", AuthFile: "skipped", Magefile: "wrote", Gitignore: "appended",
	})
	got, _ := os.ReadFile(filepath.Join(root, AuthFile))
	assert.DeepEqual(t, got, mine)
	gi, _ := os.ReadFile(filepath.Join(root, Gitignore))
	assert.Equal(t, string(gi), "node_modules\n.env\n.kernia/\nkernia.db\nkernia.db-wal\nkernia.db-shm\n")
	st, err := os.Stat(filepath.Join(root, Env))
	assert.NilError(t, err)
	assert.Equal(t, st.Mode().Perm(), os.FileMode(0o600))

	// A second run skips every file and changes nothing.
	before := moduletest.Snapshot(t, root)
	out, err = Write(root, files(t, "two-factor"))
	assert.NilError(t, err)
	for _, o := range out {
		assert.Check(t, is.Equal(o.Action, "skipped"), o.Path)
	}
	assert.DeepEqual(t, moduletest.Snapshot(t, root), before)
}

func TestFilesContent(t *testing.T) {
	byPath := map[string]string{}
	for _, f := range files(t, "two-factor") {
		byPath[f.Path] = string(f.Content)
	}
	assert.Check(t, is.Contains(byPath[Env], "KERNIA_SECRET="+strings.Repeat("ab12", 16)))
	assert.Check(t, is.Contains(byPath[Env], "s3cret"), "the real .env holds the database URL")
	assert.Check(t, !strings.Contains(byPath[EnvExample], "s3cret"), byPath[EnvExample])
	assert.Check(t, !strings.Contains(byPath[EnvExample], "ab12ab12"))
	assert.Check(t, is.Contains(byPath[AuthFile], `"github.com/kernia/kernia/plugins/twofactor"`))
	assert.Check(t, is.Contains(byPath[AuthFile], "twofactor.New(),"))
	assert.Check(t, is.Contains(byPath[AuthFile], "Dialects: []string{kernia.Postgres, kernia.SQLite},"), "the dialects are committed code")
	assert.Check(t, !strings.Contains(byPath[AuthFile], "s3cret"))
	// The magefile imports only the targets: they load ./auth:Auth, so an edit of the auth
	// package costs Mage no relink.
	assert.Check(t, !strings.Contains(byPath[Magefile], `"example.com/shop/auth"`), byPath[Magefile])
	assert.Check(t, is.Contains(byPath[Magefile], "import (\n\t//mage:import\n\t_ \"github.com/kernia/kernia/mage\"\n)\n"), byPath[Magefile])
}

func TestResolvePlugins(t *testing.T) {
	_, _, err := ResolvePlugins([]string{"two-factor", "nope", "also-nope"})
	assert.ErrorContains(t, err, `unknown plugin "nope", "also-nope"`)
	assert.ErrorContains(t, err, strings.Join(builtin.IDs(), ", "))
	ps, _, err := ResolvePlugins([]string{"two-factor", "two-factor"})
	assert.NilError(t, err)
	assert.Equal(t, len(ps), 1)
	// Every plugin's requirements are enabled with it.
	for _, id := range builtin.IDs() {
		ps, _, err := ResolvePlugins([]string{id})
		assert.NilError(t, err)
		have := map[string]bool{}
		for _, p := range ps {
			have[p.ID()] = true
		}
		for _, p := range ps {
			for _, r := range p.Requires() {
				assert.Check(t, have[r], "%s requires %s", p.ID(), r)
			}
		}
	}
}

// TestEveryBuiltinPluginCompiles: the auth module init writes for all built-in plugins at
// once compiles (the magefile is compiled by the end-to-end test's go tool mage), so PluginSource's import path and constructor are right for each of them.
func TestEveryBuiltinPluginCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	fs := files(t, builtin.IDs()...)
	content := map[string]string{}
	for _, f := range fs {
		if f.Path == AuthFile {
			content[f.Path] = string(f.Content)
		}
	}
	dir := moduletest.New(t, "example.com/shop", content)
	moduletest.Run(t, dir, "go", "vet", "./auth")
}
