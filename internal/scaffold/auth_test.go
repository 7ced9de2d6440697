package scaffold

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
)

func resolved(t *testing.T, ids ...string) []kernia.Plugin {
	t.Helper()
	ps, _, err := ResolvePlugins(ids)
	assert.NilError(t, err)
	return ps
}

func render(t *testing.T, dialects []string, ids ...string) []byte {
	t.Helper()
	b, err := RenderAuth(AuthConfig{AppName: "shop", Dialects: dialects, Plugins: resolved(t, ids...)})
	assert.NilError(t, err)
	return b
}

// TestPlanAuthUpdate: init on an initialised module rewrites auth/auth.go only when it is byte
// for byte Kernia's scaffold (also one written before init committed the dialects), and
// otherwise names what it did not add with the exact lines to add.
func TestPlanAuthUpdate(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "auth-before-dialects.go.txt"))
	assert.NilError(t, err)
	pg := []string{kernia.Postgres}
	edited := strings.Replace(string(render(t, pg, "two-factor")), "BasePath:", "// ours\n\tBasePath:", 1)
	tests := []struct {
		name      string
		cur       []byte
		plugins   []string
		dialect   string
		scaffold  bool
		want      []byte // the rewritten file; nil: not rewritten
		missing   []string
		dialects  []string
		wantLines []string
	}{
		{name: "scaffold, a new plugin", cur: render(t, pg, "two-factor"), plugins: []string{"jwt"},
			scaffold: true, want: render(t, pg, "two-factor", "jwt"), missing: []string{"jwt"}},
		{name: "scaffold, plugins it has", cur: render(t, pg, "two-factor", "jwt"), plugins: []string{"jwt", "two-factor"},
			scaffold: true},
		{name: "scaffold without plugins, two new", cur: render(t, nil), plugins: []string{"admin", "username"},
			scaffold: true, want: render(t, nil, "admin", "username"), missing: []string{"admin", "username"}},
		{name: "scaffold of an older init (no Dialects), a new plugin", cur: old, plugins: []string{"jwt"},
			scaffold: true, want: render(t, nil, "two-factor", "organization", "jwt"), missing: []string{"jwt"}},
		{name: "scaffold of an older init, --database-url postgres", cur: old, dialect: kernia.Postgres,
			scaffold: true, want: render(t, pg, "two-factor", "organization"), dialects: pg},
		{name: "scaffold for postgres, --database-url sqlite", cur: render(t, pg), dialect: kernia.SQLite,
			scaffold: true, want: render(t, []string{kernia.Postgres, kernia.SQLite}), dialects: []string{kernia.SQLite}},
		{name: "edited, a new plugin", cur: []byte(edited), plugins: []string{"jwt"},
			missing: []string{"jwt"}, wantLines: []string{
				`in the import block:      "github.com/kernia/kernia/plugins/jwt"`,
				`in Options.Plugins:       jwt.New(),`,
			}},
		{name: "edited, a plugin it has", cur: []byte(edited), plugins: []string{"two-factor"}},
		{name: "edited, a dialect it lacks", cur: []byte(edited), dialect: kernia.SQLite, dialects: []string{kernia.SQLite},
			wantLines: []string{`replace Options.Dialects: Dialects: []string{kernia.Postgres, kernia.SQLite},`}},
		{name: "hand-written without Dialects", cur: []byte("package auth\n\nimport \"github.com/kernia/kernia\"\n\nvar Auth = kernia.New(kernia.Options{BaseURL: \"https://x\"})\n"),
			plugins: []string{"jwt"}, dialect: kernia.Postgres, missing: []string{"jwt"}, dialects: pg, wantLines: []string{
				`in the import block:      "github.com/kernia/kernia/plugins/jwt"`,
				`in Options.Plugins:       jwt.New(),`,
				`in kernia.Options:        Dialects: []string{kernia.Postgres},`,
			}},
		{name: "not Go at all", cur: []byte("package auth\nfunc {"), plugins: []string{"jwt"}, missing: []string{"jwt"},
			wantLines: []string{`in the import block:      "github.com/kernia/kernia/plugins/jwt"`, `in Options.Plugins:       jwt.New(),`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := PlanAuthUpdate(tc.cur, resolved(t, tc.plugins...), tc.dialect)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(u.Scaffold, tc.scaffold))
			assert.Check(t, is.Equal(string(u.Content), string(tc.want)))
			var ids []string
			for _, p := range u.Plugins {
				ids = append(ids, p.ID())
			}
			assert.Check(t, is.DeepEqual(ids, tc.missing))
			assert.Check(t, is.DeepEqual(u.Dialects, tc.dialects))
			if tc.wantLines != nil {
				lines, err := u.Lines()
				assert.NilError(t, err)
				assert.Check(t, is.DeepEqual(lines, tc.wantLines))
			}
		})
	}
}

func TestIgnoreLines(t *testing.T) {
	def := []string{".kernia/", ".env", "kernia.db", "kernia.db-wal", "kernia.db-shm"}
	tests := []struct {
		url  string
		want []string
	}{
		{"sqlite://kernia.db", def},
		{"postgres://u:p@127.0.0.1:5432/shop", def},
		{"sqlite://data/app.db?_pragma=foreign_keys(1)", append(def[:5:5], "data/app.db", "data/app.db-wal", "data/app.db-shm")},
		{"sqlite:///var/lib/app.db", def},
		{"sqlite://../elsewhere.db", def},
		{"sqlite://:memory:", def},
		{"sqlite://a*b.db", def},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			assert.DeepEqual(t, ignoreLines(tc.url), tc.want)
		})
	}
}

// TestRewrite: the rewrite keeps the file's mode, and refuses a file that changed meanwhile.
func TestRewrite(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, AuthFile)
	assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	assert.NilError(t, os.WriteFile(p, []byte("old"), 0o640))
	assert.ErrorContains(t, Rewrite(root, AuthFile, []byte("other"), []byte("new")), "changed while init ran")
	got, _ := os.ReadFile(p)
	assert.Equal(t, string(got), "old")
	assert.NilError(t, Rewrite(root, AuthFile, []byte("old"), []byte("new")))
	got, _ = os.ReadFile(p)
	assert.Equal(t, string(got), "new")
	st, err := os.Stat(p)
	assert.NilError(t, err)
	assert.Equal(t, st.Mode().Perm(), os.FileMode(0o640))
	left, _ := filepath.Glob(filepath.Join(root, "auth", ".auth.go.tmp*"))
	assert.Check(t, is.Len(left, 0))
}
