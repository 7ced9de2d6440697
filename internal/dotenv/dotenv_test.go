package dotenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestParse(t *testing.T) {
	src := "\ufeff# comment\n\nA=1\nexport B = two words  \nC='single # not a comment'\nD=\"dq \\\"x\\\"\\n\" # trailing\nE=value # comment\nF=\nG=postgres://u:p@h/db?sslmode=disable&x=1\n"
	vars, err := Parse(strings.NewReader(src))
	assert.NilError(t, err)
	assert.DeepEqual(t, vars, []Var{
		{"A", "1"}, {"B", "two words"}, {"C", "single # not a comment"}, {"D", "dq \"x\"\n"},
		{"E", "value"}, {"F", ""}, {"G", "postgres://u:p@h/db?sslmode=disable&x=1"},
	})
}

func TestParseErrorsNameTheLineNotTheValue(t *testing.T) {
	for _, src := range []string{
		"A=1\nnot an assignment s3cret\n",
		"A=1\nB='s3cret\n",
		"A=1\nB=\"s3cret\" tail\n",
		"A=1\n1B=s3cret\n",
	} {
		_, err := Parse(strings.NewReader(src))
		assert.Check(t, is.ErrorContains(err, "line 2"), src)
		if err != nil {
			assert.Check(t, !strings.Contains(err.Error(), "s3cret"), err.Error())
		}
	}
}

func TestLoadDoesNotOverride(t *testing.T) {
	root := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(root, ".env"), []byte("KERNIA_T_SET=from-file\nKERNIA_T_EMPTY=from-file\nKERNIA_T_NEW=first\nKERNIA_T_NEW=from-file\n"), 0o600))
	sub := filepath.Join(root, "a", "b")
	assert.NilError(t, os.MkdirAll(sub, 0o755))
	t.Setenv("KERNIA_T_SET", "from-env")
	t.Setenv("KERNIA_T_EMPTY", "")
	t.Setenv("KERNIA_T_NEW", "")
	os.Unsetenv("KERNIA_T_NEW")
	set, err := Load(sub)
	assert.NilError(t, err)
	assert.DeepEqual(t, set, []string{"KERNIA_T_NEW"})
	assert.Equal(t, os.Getenv("KERNIA_T_SET"), "from-env")
	assert.Equal(t, os.Getenv("KERNIA_T_EMPTY"), "")
	assert.Equal(t, os.Getenv("KERNIA_T_NEW"), "from-file")
}

func TestLoadWithoutFileOrModule(t *testing.T) {
	set, err := Load(t.TempDir())
	assert.NilError(t, err)
	assert.Check(t, len(set) == 0)
}
