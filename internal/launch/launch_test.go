package launch_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/launch"
	"github.com/kernia/kernia/internal/moduletest"
)

// The launcher under test is cmd/kernia of this checkout, built once by TestMain. Most tests
// run it against a small stand-in for Kernia (a module github.com/kernia/kernia whose engine
// package is the fakeEngine below), so that every build they cause is a link of a few
// packages instead of the real engine's 40 MB; TestRealEngine runs the real one.

var launcherBin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "kernia-launch-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		launcherBin = filepath.Join(dir, "kernia")
		out, err := exec.Command("go", "build", "-o", launcherBin, launch.ToolPackage).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "launch: build the launcher: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// fakeEngine is the stand-in engine: it prints its version and arguments, and does what its
// first argument says.
const fakeEngine = `package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	fmt.Printf("engine %s pid %d args %q\n", version, os.Getpid(), os.Args[1:])
	if len(os.Args) < 2 {
		return
	}
	switch os.Args[1] {
	case "exit":
		n, _ := strconv.Atoi(os.Args[2])
		os.Exit(n)
	case "fd3":
		b, err := io.ReadAll(os.NewFile(3, "config"))
		if err != nil {
			fmt.Println("fd3:", err)
			os.Exit(1)
		}
		fmt.Printf("fd3 %q\n", b)
	case "wait":
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		fmt.Println("ready")
		if <-c == syscall.SIGTERM {
			os.Exit(143)
		}
		os.Exit(130)
	}
}
`

// fakeKernia writes the stand-in Kernia module into dir, its engine printing version.
func fakeKernia(t *testing.T, dir, version string) {
	t.Helper()
	write(t, filepath.Join(dir, "go.mod"), "module github.com/kernia/kernia\n\ngo 1.26\n")
	write(t, filepath.Join(dir, "cmd/kernia/internal/engine/main.go"), fakeEngine)
	writeVersion(t, dir, version)
	write(t, filepath.Join(dir, "cmd/kernia/internal/engine/main_test.go"), "package main\n") // never keyed
}

func writeVersion(t *testing.T, dir, version string) {
	t.Helper()
	write(t, filepath.Join(dir, "cmd/kernia/internal/engine/version.go"), fmt.Sprintf("package main\n\nconst version = %q\n", version))
}

func write(t *testing.T, p, content string) {
	t.Helper()
	assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
}

// fixture is a user module that replaces Kernia by the stand-in, and a cache of its own.
type fixture struct {
	user, kernia, cache string
	env                 []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	base := t.TempDir()
	f := &fixture{user: filepath.Join(base, "user"), kernia: filepath.Join(base, "kernia"), cache: filepath.Join(base, "cache")}
	fakeKernia(t, f.kernia, "v1")
	write(t, filepath.Join(f.user, "go.mod"), "module example.com/user\n\ngo 1.26\n\nrequire github.com/kernia/kernia v0.0.0\n\nreplace github.com/kernia/kernia => ../kernia\n")
	write(t, filepath.Join(f.user, "go.sum"), "")
	// The engine's build keeps the run's Go build cache; kernia's cache is the fixture's.
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	assert.NilError(t, err)
	f.env = []string{"XDG_CACHE_HOME=" + f.cache, "GOCACHE=" + strings.TrimSpace(string(gocache)), launch.DebugEnv + "=1", "GOFLAGS="}
	return f
}

// result is one run of the launcher.
type result struct {
	stdout, stderr string
	code           int
}

// how is the launcher's account of how it got the engine: cached, built or no key (…).
func (r result) how() string {
	for _, line := range strings.Split(r.stderr, "\n") {
		if rest, ok := strings.CutPrefix(line, "kernia: launch: "); ok {
			return rest[:strings.Index(rest, " engine ")]
		}
	}
	return ""
}

func (f *fixture) command(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(launcherBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), f.env...), env...)
	return cmd
}

func (f *fixture) run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCmd(t, f.command(f.user, env, args...))
}

func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		assert.NilError(t, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// TestFastPathSkipsTheGoCommand: the first run builds the engine, the next ones exec it with
// no go command at all (a go wrapper first on PATH counts its runs), and the engine gets the
// arguments.
func TestFastPathSkipsTheGoCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the go wrapper is a shell script")
	}
	f := newFixture(t)
	goBin, err := exec.LookPath("go")
	assert.NilError(t, err)
	wrap := t.TempDir()
	log := filepath.Join(wrap, "log")
	write(t, filepath.Join(wrap, "go"), fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %s\nexec %s \"$@\"\n", log, goBin))
	assert.NilError(t, os.Chmod(filepath.Join(wrap, "go"), 0o755))
	path := []string{"PATH=" + wrap + string(filepath.ListSeparator) + os.Getenv("PATH")}

	r := f.run(t, path, "generate", "--app", "./auth:Auth")
	assert.Equal(t, r.code, 0, r.stderr)
	assert.Check(t, is.Equal(r.how(), "built"))
	assert.Check(t, is.Contains(r.stdout, `engine v1 pid `))
	assert.Check(t, is.Contains(r.stdout, `args ["generate" "--app" "./auth:Auth"]`))
	b, err := os.ReadFile(log)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(b), "build -ldflags=-s -w -buildvcs=false -o "))
	assert.NilError(t, os.Remove(log))
	for range 3 {
		r = f.run(t, path, "info")
		assert.Equal(t, r.code, 0, r.stderr)
		assert.Check(t, is.Equal(r.how(), "cached"))
		assert.Check(t, is.Contains(r.stdout, `args ["info"]`))
		assert.Check(t, is.Equal(strings.Count(r.stdout, "\n"), 1), "the launcher printed on stdout: %q", r.stdout)
	}
	_, err = os.Stat(log)
	assert.Check(t, os.IsNotExist(err), "the fast path ran the go command")
}

// TestWhatInvalidatesTheEngine: each input of the build key makes the next run build (and
// the engine built is the new one), and the run after it is cached again; the main module's
// own packages and the module line are no input.
func TestWhatInvalidatesTheEngine(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, nil)
	assert.Equal(t, r.code, 0, r.stderr)
	gomod := filepath.Join(f.user, "go.mod")
	goBin, err := exec.LookPath("go")
	assert.NilError(t, err)
	otherGo := t.TempDir()
	assert.NilError(t, os.Symlink(goBin, filepath.Join(otherGo, "go")))
	appendFile := func(p, s string) func(*testing.T) {
		return func(t *testing.T) {
			b, err := os.ReadFile(p)
			assert.NilError(t, err)
			write(t, p, string(b)+s)
		}
	}
	tests := []struct {
		name    string
		change  func(*testing.T)
		env     []string
		rebuild bool
		version string
	}{
		{name: "nothing", change: func(*testing.T) {}},
		{name: "the main module's own package", change: func(t *testing.T) {
			write(t, filepath.Join(f.user, "auth/auth.go"), "package auth\n")
		}},
		{name: "go.mod's module line", change: func(t *testing.T) {
			b, err := os.ReadFile(gomod)
			assert.NilError(t, err)
			write(t, gomod, strings.Replace(string(b), "module example.com/user", "module example.com/other", 1))
		}},
		{name: "PATH with its first directory repeated (as go tool runs tools)", env: []string{"PATH=" + filepath.Dir(goBin) + string(filepath.ListSeparator) + os.Getenv("PATH")}},
		{name: "GOPROXY, GOFLAGS=-mod=mod (downloads only)", env: []string{"GOPROXY=off", "GOFLAGS=-mod=mod"}},
		{name: "go.mod's godebug line", change: appendFile(gomod, "\ngodebug default=go1.25\n"), rebuild: true},
		{name: "go.sum", change: appendFile(filepath.Join(f.user, "go.sum"), "example.com/x v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"), rebuild: true},
		{name: "a Kernia source file (local replacement)", change: func(t *testing.T) { writeVersion(t, f.kernia, "v2") }, rebuild: true, version: "v2"},
		{name: "a Kernia test file", change: func(t *testing.T) {
			write(t, filepath.Join(f.kernia, "cmd/kernia/internal/engine/main_test.go"), "package main\n\n// edited\n")
		}},
		{name: "GOFLAGS", env: []string{"GOFLAGS=-trimpath"}, rebuild: true},
		{name: "CGO_ENABLED", env: []string{"CGO_ENABLED=0"}, rebuild: true},
		{name: "GOTOOLCHAIN", env: []string{"GOTOOLCHAIN=local"}, rebuild: true},
		{name: "another go command", env: []string{"PATH=" + otherGo + string(filepath.ListSeparator) + os.Getenv("PATH")}, rebuild: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.change != nil {
				tt.change(t)
			}
			r := f.run(t, tt.env)
			assert.Equal(t, r.code, 0, r.stderr)
			want := "cached"
			if tt.rebuild {
				want = "built"
			}
			assert.Check(t, is.Equal(r.how(), want))
			if tt.version != "" {
				assert.Check(t, is.Contains(r.stdout, "engine "+tt.version+" "))
			}
			r = f.run(t, tt.env)
			assert.Check(t, is.Equal(r.how(), "cached"), r.stderr)
		})
	}
}

// TestCorruptEngineNeverRuns: a cached engine whose bytes changed, or that was replaced by
// another program, is built again instead of run.
func TestCorruptEngineNeverRuns(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, nil)
	assert.Equal(t, r.code, 0, r.stderr)
	bin := enginePath(t, r)
	marker := filepath.Join(t.TempDir(), "ran")
	tests := []struct {
		name    string
		corrupt func(*testing.T)
	}{
		{name: "a byte changed in place", corrupt: func(t *testing.T) {
			fh, err := os.OpenFile(bin, os.O_RDWR, 0)
			assert.NilError(t, err)
			_, err = fh.WriteAt([]byte{0xff}, 4096)
			assert.NilError(t, err)
			assert.NilError(t, fh.Close())
		}},
		{name: "a byte changed in place, its modification time put back", corrupt: func(t *testing.T) {
			st, err := os.Stat(bin)
			assert.NilError(t, err)
			fh, err := os.OpenFile(bin, os.O_RDWR, 0)
			assert.NilError(t, err)
			_, err = fh.WriteAt([]byte{0xfe}, 8192)
			assert.NilError(t, err)
			assert.NilError(t, fh.Close())
			assert.NilError(t, os.Chtimes(bin, st.ModTime(), st.ModTime()))
		}},
		{name: "replaced by a script", corrupt: func(t *testing.T) {
			assert.NilError(t, os.Remove(bin))
			write(t, bin, "#!/bin/sh\ntouch "+marker+"\n")
			assert.NilError(t, os.Chmod(bin, 0o755))
		}},
		{name: "removed", corrupt: func(t *testing.T) { assert.NilError(t, os.Remove(bin)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.corrupt(t)
			r := f.run(t, nil)
			assert.Equal(t, r.code, 0, r.stderr)
			assert.Check(t, is.Equal(r.how(), "built"))
			assert.Check(t, is.Contains(r.stdout, "engine v1 "))
			_, err := os.Stat(marker)
			assert.Check(t, os.IsNotExist(err), "the replaced engine ran")
		})
	}
}

func enginePath(t *testing.T, r result) string {
	t.Helper()
	_, rest, ok := strings.Cut(r.stderr, " engine ")
	assert.Assert(t, ok, r.stderr)
	path, _, _ := strings.Cut(strings.SplitN(rest, "\n", 2)[0], " (in ")
	return path
}

// TestConcurrentFirstRunsBuildOnce: runs started together in a fresh cache all succeed, and
// one of them builds.
func TestConcurrentFirstRunsBuildOnce(t *testing.T) {
	f := newFixture(t)
	const n = 3
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = f.run(t, nil, "info") })
	}
	wg.Wait()
	built := 0
	for _, r := range results {
		assert.Check(t, is.Equal(r.code, 0), r.stderr)
		assert.Check(t, is.Contains(r.stdout, "engine v1 "))
		if r.how() == "built" {
			built++
		} else {
			assert.Check(t, is.Equal(r.how(), "cached"))
		}
	}
	assert.Check(t, is.Equal(built, 1))
}

// TestEngineIsTheProcess: the engine replaces the launcher (the same process id), gets file
// descriptor 3 (the Mage targets' configuration pipe), and its exit status and its handling
// of SIGINT and SIGTERM are the command's.
func TestEngineIsTheProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the launcher runs the engine as a child on Windows, where there is no exec")
	}
	f := newFixture(t)
	assert.Equal(t, f.run(t, nil).code, 0)

	t.Run("fd 3", func(t *testing.T) {
		cmd := f.command(f.user, nil, "fd3")
		r, w, err := os.Pipe()
		assert.NilError(t, err)
		cmd.ExtraFiles = []*os.File{r}
		go func() { _, _ = io.WriteString(w, "the configuration"); w.Close() }()
		res := runCmd(t, cmd)
		r.Close()
		assert.Equal(t, res.code, 0, res.stderr)
		assert.Check(t, is.Contains(res.stdout, `fd3 "the configuration"`))
	})
	for _, code := range []int{0, 1, 2, 3, 130} {
		t.Run(fmt.Sprintf("exit %d", code), func(t *testing.T) {
			r := f.run(t, nil, "exit", fmt.Sprint(code))
			assert.Check(t, is.Equal(r.code, code), r.stderr)
		})
	}
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			cmd := f.command(f.user, nil, "wait")
			out, err := cmd.StdoutPipe()
			assert.NilError(t, err)
			assert.NilError(t, cmd.Start())
			br := bufio.NewReader(out)
			line, err := br.ReadString('\n')
			assert.NilError(t, err)
			assert.Check(t, is.Contains(line, fmt.Sprintf("pid %d ", cmd.Process.Pid)), "the engine is not the launcher's process")
			ready, err := br.ReadString('\n')
			assert.NilError(t, err)
			assert.Check(t, is.Equal(ready, "ready\n"))
			assert.NilError(t, cmd.Process.Signal(tt.sig))
			err = cmd.Wait()
			exit, ok := err.(*exec.ExitError)
			assert.Assert(t, ok, "%v", err)
			assert.Check(t, is.Equal(exit.ExitCode(), tt.code))
		})
	}
}

// TestNoKeyBuildsEveryRun: where the key cannot tell (a vendor directory, a workspace), every
// run asks go build, and the engine still runs.
func TestNoKeyBuildsEveryRun(t *testing.T) {
	tests := []struct {
		name, why string
		setup     func(t *testing.T, f *fixture)
	}{
		{name: "workspace", why: "(a workspace)", setup: func(t *testing.T, f *fixture) {
			write(t, filepath.Join(f.user, "go.work"), "go 1.26\n\nuse .\n\nreplace github.com/kernia/kernia => ../kernia\n")
		}},
		{name: "GOFLAGS=-modfile", why: "GOFLAGS has -modfile", setup: func(t *testing.T, f *fixture) {
			b, err := os.ReadFile(filepath.Join(f.user, "go.mod"))
			assert.NilError(t, err)
			write(t, filepath.Join(f.user, "alt.mod"), string(b))
			f.env = append(f.env, "GOFLAGS=-modfile=alt.mod")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(t, f)
			for range 2 {
				r := f.run(t, nil, "info")
				assert.Equal(t, r.code, 0, r.stderr)
				assert.Check(t, is.Contains(r.how(), "no key ("))
				assert.Check(t, is.Contains(r.how(), tt.why))
				assert.Check(t, is.Contains(r.stdout, "engine v1 "))
			}
		})
	}
}

// TestErrorsSayWhatToDo: a broken go.mod, no go command, no module, a module without Kernia.
func TestErrorsSayWhatToDo(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture) (dir string, env []string)
		want  []string
	}{
		{name: "broken go.mod", setup: func(t *testing.T, f *fixture) (string, []string) {
			write(t, filepath.Join(f.user, "go.mod"), "module example.com/user\n\nrequire (\n")
			return f.user, nil
		}, want: []string{"kernia: building the kernia engine in " + "", "go.mod"}},
		{name: "no go command", setup: func(t *testing.T, f *fixture) (string, []string) {
			return f.user, []string{"PATH=" + t.TempDir()}
		}, want: []string{"kernia: the go command is not in PATH", "install Go"}},
		{name: "no module", setup: func(t *testing.T, f *fixture) (string, []string) {
			return t.TempDir(), nil
		}, want: []string{"is not inside a Go module", "go mod init", "go get -tool github.com/kernia/kernia/cmd/kernia"}},
		{name: "no Kernia requirement", setup: func(t *testing.T, f *fixture) (string, []string) {
			write(t, filepath.Join(f.user, "go.mod"), "module example.com/user\n\ngo 1.26\n")
			return f.user, nil
		}, want: []string{"does not require Kernia: run go get -tool github.com/kernia/kernia/cmd/kernia"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			dir, env := tt.setup(t, f)
			r := runCmd(t, f.command(dir, env, "generate"))
			assert.Check(t, is.Equal(r.code, 1))
			assert.Check(t, is.Equal(r.stdout, ""))
			for _, w := range tt.want {
				assert.Check(t, is.Contains(r.stderr, w))
			}
		})
	}
}

// TestKerniaFromTheModuleCache: Kernia downloaded from a module proxy (a file:// directory, a
// module cache of the test's own) rather than replaced: its packages are keyed by go.mod and
// go.sum, so the second run is cached, and an upgrade builds the new version.
func TestKerniaFromTheModuleCache(t *testing.T) {
	base := t.TempDir()
	proxy := filepath.Join(base, "proxy")
	for _, v := range []string{"v0.1.0", "v0.2.0"} {
		src := filepath.Join(base, "src", v)
		fakeKernia(t, src, v)
		dl := filepath.Join(proxy, "github.com/kernia/kernia/@v")
		assert.NilError(t, os.MkdirAll(dl, 0o755))
		zf, err := os.Create(filepath.Join(dl, v+".zip"))
		assert.NilError(t, err)
		assert.NilError(t, modzip.CreateFromDir(zf, module.Version{Path: "github.com/kernia/kernia", Version: v}, src))
		assert.NilError(t, zf.Close())
		write(t, filepath.Join(dl, v+".mod"), "module github.com/kernia/kernia\n\ngo 1.26\n")
		write(t, filepath.Join(dl, v+".info"), fmt.Sprintf(`{"Version":%q,"Time":"2026-01-01T00:00:00Z"}`, v))
	}
	write(t, filepath.Join(proxy, "github.com/kernia/kernia/@v/list"), "v0.1.0\nv0.2.0\n")
	f := newFixture(t)
	write(t, filepath.Join(f.user, "go.mod"), "module example.com/user\n\ngo 1.26\n\nrequire github.com/kernia/kernia v0.1.0\n")
	f.env = append(f.env, "GOPROXY=file://"+filepath.ToSlash(proxy), "GOSUMDB=off", "GOFLAGS=-modcacherw",
		"GOMODCACHE="+filepath.Join(base, "modcache"), "GONOSUMDB=github.com/kernia/kernia")
	get := func(v string) {
		cmd := exec.Command("go", "get", "github.com/kernia/kernia@"+v)
		cmd.Dir, cmd.Env = f.user, append(os.Environ(), f.env...)
		out, err := cmd.CombinedOutput()
		assert.NilError(t, err, string(out))
	}
	get("v0.1.0")
	r := f.run(t, nil)
	assert.Equal(t, r.code, 0, r.stderr)
	assert.Check(t, is.Equal(r.how(), "built"))
	assert.Check(t, is.Contains(r.stdout, "engine v0.1.0 "))
	r = f.run(t, nil)
	assert.Check(t, is.Equal(r.how(), "cached"), r.stderr)
	get("v0.2.0")
	r = f.run(t, nil)
	assert.Check(t, is.Equal(r.how(), "built"), r.stderr)
	assert.Check(t, is.Contains(r.stdout, "engine v0.2.0 "))
	r = f.run(t, nil)
	assert.Check(t, is.Equal(r.how(), "cached"), r.stderr)
}

// TestRealEngine: in a module that depends on this checkout (as the other test packages' do),
// tidied, the launcher builds the real engine with go.mod and go.sum as they are (the
// launcher's build-tagged import of the engine's packages kept their requirements and sums),
// which reports Kernia's version as the command always has, and runs it cached after.
func TestRealEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("links the real engine")
	}
	dir := moduletest.New(t, "example.com/launchreal", map[string]string{})
	// The user's own cache: shared with the other test packages' modules, which have the same
	// requirements, so the engine is linked once for all of them.
	for i := range 2 {
		cmd := exec.Command(launcherBin, "version")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=", launch.DebugEnv+"=1")
		r := runCmd(t, cmd)
		assert.Equal(t, r.code, 0, r.stderr)
		assert.Check(t, is.Contains(r.stdout, "kernia (devel) (github.com/kernia/kernia, go"))
		if i == 1 {
			assert.Check(t, is.Equal(r.how(), "cached"))
		}
	}
}

// TestCacheIsBounded: a run that finds no other run using the engine cache keeps its own
// engine and the CacheKeep-1 most recently used others, and removes the temporary binaries
// killed builds left.
func TestCacheIsBounded(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(f.cache, "kernia", "engine")
	assert.NilError(t, os.MkdirAll(dir, 0o700))
	for i := range launch.CacheKeep + 2 {
		p := filepath.Join(dir, fmt.Sprintf("engine-%016x", i))
		write(t, p, "old engine")
		write(t, p+".key", "key")
		used := time.Now().Add(-time.Duration(i+1) * time.Hour)
		assert.NilError(t, os.Chtimes(p, used, used))
		assert.NilError(t, os.Chtimes(p+".key", used, used))
	}
	temp := filepath.Join(dir, "engine-00000000000000ff.build123")
	write(t, temp, "half a binary")
	r := f.run(t, nil)
	assert.Equal(t, r.code, 0, r.stderr)
	var engines []string
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	for _, e := range entries {
		if !strings.Contains(e.Name(), ".") {
			engines = append(engines, e.Name())
		}
	}
	assert.Check(t, is.Len(engines, launch.CacheKeep), "%v", engines)
	assert.Check(t, is.Contains(engines, filepath.Base(enginePath(t, r))))
	for i := range launch.CacheKeep - 1 {
		assert.Check(t, is.Contains(engines, fmt.Sprintf("engine-%016x", i)))
	}
	_, err = os.Stat(temp)
	assert.Check(t, os.IsNotExist(err), "the temporary binary was left")
	_, err = os.Stat(filepath.Join(dir, fmt.Sprintf("engine-%016x.key", launch.CacheKeep+1)))
	assert.Check(t, os.IsNotExist(err), "a removed engine's key was left")
}

// TestInterruptDuringTheBuild: SIGINT or SIGTERM while the engine builds stops the build and
// exits 130 (143) with what happened, leaving no engine and no temporary binary.
func TestInterruptDuringTheBuild(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send to a process on Windows")
	}
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			// A package that takes seconds to compile, new to the build cache.
			var big strings.Builder
			fmt.Fprintf(&big, "package main\n\nconst seed = %q\n\n", t.Name()+time.Now().String())
			for i := range 20000 {
				fmt.Fprintf(&big, "func f%d(x int) int { if x > %d { return x * %d }; return len(seed) + x }\n", i, i, i)
			}
			write(t, filepath.Join(f.kernia, "cmd/kernia/internal/engine/big.go"), big.String())
			cmd := f.command(f.user, []string{"KERNIA_PROGRESS=1"}, "info")
			errPipe, err := cmd.StderrPipe()
			assert.NilError(t, err)
			assert.NilError(t, cmd.Start())
			br := bufio.NewReader(errPipe)
			line, err := br.ReadString('\n') // the progress line, a second into the build
			assert.NilError(t, err)
			assert.Check(t, is.Contains(line, "building the kernia engine"))
			assert.NilError(t, cmd.Process.Signal(tt.sig))
			rest, _ := io.ReadAll(br)
			err = cmd.Wait()
			exit, ok := err.(*exec.ExitError)
			assert.Assert(t, ok, "%v\n%s", err, rest)
			assert.Check(t, is.Equal(exit.ExitCode(), tt.code), string(rest))
			assert.Check(t, is.Contains(string(rest), "kernia: interrupted (received "+tt.name+") while building the kernia engine; nothing was written"))
			entries, err := os.ReadDir(filepath.Join(f.cache, "kernia", "engine"))
			assert.NilError(t, err)
			for _, e := range entries {
				assert.Check(t, strings.HasPrefix(e.Name(), ".") || strings.HasSuffix(e.Name(), ".lock"), "left behind: %s", e.Name())
			}
		})
	}
}
