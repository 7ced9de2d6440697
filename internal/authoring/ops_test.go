package authoring

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/moduletest"
)

func streams() (command.IO, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return command.IO{Stdout: &out, Stderr: &errb}, &out, &errb
}

// module writes a go.mod that already has the Mage tool, so init runs no go get.
func module(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/shop\n\ngo 1.26.0\n\ntool github.com/magefile/mage\n"), 0o644))
	return dir
}

func TestInitPrintWritesNothing(t *testing.T) {
	dir := module(t)
	before := moduletest.Snapshot(t, dir)
	io, out, errb := streams()
	assert.NilError(t, Init(context.Background(), InitFlags{Dir: dir, Plugins: "two-factor", Print: true}, io))
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)
	for _, p := range []string{".env.example", ".env", "auth/auth.go", "magefile.go", ".gitignore"} {
		assert.Check(t, is.Contains(out.String(), "==> "+p+" "), p)
	}
	assert.Check(t, is.Contains(errb.String(), "nothing written"))
}

func TestInitTwiceSkipsEverything(t *testing.T) {
	dir := module(t)
	t.Setenv("KERNIA_DATABASE_URL", "")
	io, _, errb := streams()
	assert.NilError(t, Init(context.Background(), InitFlags{Dir: dir, Plugins: "two-factor"}, io))
	assert.Check(t, is.Contains(errb.String(), "wrote    .env (mode 0600"))
	env, err := os.ReadFile(filepath.Join(dir, ".env"))
	assert.NilError(t, err)
	assert.Check(t, regexp.MustCompile(`(?m)^KERNIA_SECRET=[0-9a-f]{64}$`).Match(env), string(env))
	assert.Check(t, is.Contains(string(env), "KERNIA_DATABASE_URL=sqlite://kernia.db"))

	before := moduletest.Snapshot(t, dir)
	io, _, errb = streams()
	assert.NilError(t, Init(context.Background(), InitFlags{Dir: dir, Plugins: "two-factor"}, io))
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), before)
	assert.Check(t, is.Contains(errb.String(), "every file exists already: nothing written"))
	assert.Check(t, !strings.Contains(errb.String(), "wrote "))
}

func TestInitErrors(t *testing.T) {
	io, _, _ := streams()
	err := Init(context.Background(), InitFlags{Dir: t.TempDir()}, io)
	assert.ErrorContains(t, err, "is not inside a Go module")

	dir := module(t)
	err = Init(context.Background(), InitFlags{Dir: dir, Plugins: "two-factor,bogus"}, io)
	assert.ErrorContains(t, err, `unknown plugin "bogus"; the built-in plugins are: two-factor`)
	assert.Equal(t, command.ExitCode(err), 2)
	err = Init(context.Background(), InitFlags{Dir: dir, DatabaseURL: "oracle://root:s3cret@db/x"}, io)
	assert.Equal(t, command.ExitCode(err), 2)
	assert.Check(t, !strings.Contains(err.Error(), "s3cret"))
	assert.DeepEqual(t, moduletest.Snapshot(t, dir), map[string]string{"go.mod": "module example.com/shop\n\ngo 1.26.0\n\ntool github.com/magefile/mage\n"})
}
