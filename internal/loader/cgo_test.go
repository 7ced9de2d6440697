package loader

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/moduletest"
)

// nativeAuth is an auth package whose configuration needs C: its app name comes from a
// function of a cgo-only package, which does not build with CGO_ENABLED=0.
var nativeAuth = map[string]string{
	"native/native.go": `package native

// int three(void) { return 3; }
import "C"

// Three returns 3, computed in C.
func Three() int { return int(C.three()) }
`,
	"auth/auth.go": `package auth

import (
	"strconv"

	"github.com/kernia/kernia"

	"example.com/cgo/native"
)

// Auth is the instance.
var Auth = kernia.New(kernia.Options{AppName: "app" + strconv.Itoa(native.Three())})
`,
}

// plainAuth is an auth package of Kernia's packages alone.
var plainAuth = map[string]string{"auth/auth.go": `package auth

import "github.com/kernia/kernia"

// Auth is the instance.
var Auth = kernia.New(kernia.Options{AppName: "plain"})
`}

// TestLoaderBuild13_WithoutCgoFirst: the loader program is built with CGO_ENABLED=0 (a static
// binary, a shorter build: BuildEnv), unless $CGO_ENABLED is set; a configuration that needs
// C fails that build, is built again as the go command does by default, and the run says so
// with a note on how to skip the first attempt. Every case loads the instance it names.
func TestLoaderBuild13_WithoutCgoFirst(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the loader binary as ELF")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Fatalf("the cgo case needs a C compiler (gcc): %v", err)
	}
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	assert.NilError(t, err)
	for _, tc := range []struct {
		name   string
		files  map[string]string
		env    []string // added to the command's environment, without $CGO_ENABLED
		app    string   // the app name info reports
		cgo    string   // the loader binary's CGO_ENABLED build setting
		static bool     // no program interpreter: statically linked
		note   bool     // the fallback's note on stderr
	}{
		{name: "plain configuration: without cgo", files: plainAuth, app: "plain", cgo: "0", static: true},
		{name: "configuration needing C: built again with cgo", files: nativeAuth, app: "app3", cgo: "1", note: true},
		{name: "CGO_ENABLED=1 set: built with cgo at once", files: nativeAuth, env: []string{"CGO_ENABLED=1"}, app: "app3", cgo: "1"},
		{name: "CGO_ENABLED=1 set, plain configuration: kept", files: plainAuth, env: []string{"CGO_ENABLED=1"}, app: "plain", cgo: "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := moduletest.New(t, "example.com/cgo", tc.files)
			xdg := t.TempDir()
			cmd := moduletest.Command(dir, "go", "tool", "kernia", "info", "--json")
			cmd.Env = slices.DeleteFunc(cmd.Env, func(v string) bool { return strings.HasPrefix(v, "CGO_ENABLED=") })
			cmd.Env = append(cmd.Env, "XDG_CACHE_HOME="+xdg, "GOCACHE="+strings.TrimSpace(string(gocache)), "KERNIA_SECRET=", "KERNIA_SECRETS=", "KERNIA_APP=")
			cmd.Env = append(cmd.Env, tc.env...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if exit, ok := err.(*exec.ExitError); ok && exit.ExitCode() == 1 {
				err = nil // info exits 1 for problems (no secret here)
			}
			assert.NilError(t, err, stderr.String())
			var report struct {
				App struct{ Name string } `json:"app"`
			}
			assert.NilError(t, json.Unmarshal([]byte(stdout.String()), &report), stdout.String())
			assert.Check(t, is.Equal(report.App.Name, tc.app))
			const note = "needs cgo: it did not build with CGO_ENABLED=0"
			assert.Check(t, is.Equal(strings.Contains(stderr.String(), note), tc.note), "stderr: %s", stderr.String())

			bins, err := filepath.Glob(filepath.Join(xdg, "kernia", "loader-????????????????"))
			assert.NilError(t, err)
			assert.Assert(t, is.Len(bins, 1))
			bi, err := buildinfo.ReadFile(bins[0])
			assert.NilError(t, err)
			settings := map[string]string{}
			for _, s := range bi.Settings {
				settings[s.Key] = s.Value
			}
			assert.Check(t, is.Equal(settings["CGO_ENABLED"], tc.cgo), "build settings %v", bi.Settings)
			f, err := elf.Open(bins[0])
			assert.NilError(t, err)
			defer f.Close()
			interp := slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP })
			if tc.static {
				assert.Check(t, !interp, "the loader binary is dynamically linked")
			}
			st, err := os.Stat(bins[0])
			assert.NilError(t, err)
			assert.Check(t, st.Size() > 1<<20, "the loader binary is %d bytes", st.Size())
		})
	}
}
