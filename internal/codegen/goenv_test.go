package codegen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// goimportsEnv is the query goimports (x/tools' ProcessEnv) sends the go command before it
// formats a file: `go env -json` and these variables.
var goimportsEnv = []string{"GO111MODULE", "GOFLAGS", "GOINSECURE", "GOMOD", "GOMODCACHE", "GONOPROXY", "GONOSUMDB", "GOPATH", "GOPROXY", "GOROOT", "GOSUMDB", "GOWORK"}

// answerGoEnvOnce puts a go command first on PATH for the rest of the test: it answers
// goimportsEnv with what the real go command answered it once, here, in this working directory
// and environment, and runs the real go command for anything else. Ent's generator runs
// goimports on every file it writes, and every run asks the same question (imports.Process
// starts with an empty environment), which was most of Ent's time in TestFilesMatchEnt (700
// `go env` processes for the all-plugins client); the answer, and so Ent's output, is the same.
func answerGoEnvOnce(t *testing.T) {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	assert.NilError(t, err)
	query := append([]string{"env", "-json"}, goimportsEnv...)
	answer, err := exec.Command(goCmd, query...).Output()
	assert.NilError(t, err)
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "env.json"), answer, 0o644))
	script := "#!/bin/sh\nif [ \"$*\" = '" + strings.Join(query, " ") + "' ]; then exec cat '" + filepath.Join(dir, "env.json") + "'; fi\nexec '" + goCmd + "' \"$@\"\n"
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}
