package loader

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/buildcache"
	"github.com/kernia/kernia/internal/moduletest"
)

// nobody is the uid the tests give a directory "someone else" owns.
const nobody = 65534

// needRoot skips a test that must chown to another user, except in CI, where it fails.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this test must run as root (it chowns a directory to another user); CI runs it as root")
	}
	t.Skip("needs root to chown a directory to another user")
}

// TestLoaderCache6_DirectoryOwnedByTheUserMode0700: the cache directory is created 0700; an
// existing one is used only when it is a real directory of the current user, and is made
// private; a directory of another user, a symlink, a file and a parent others can write to
// are refused with a message that names the directory, the rule and the fix.
func TestLoaderCache6_DirectoryOwnedByTheUserMode0700(t *testing.T) {
	tests := []struct {
		name  string
		root  bool                           // needs root (chown)
		setup func(t *testing.T, dir string) // prepares dir (absent before)
		want  string                         // error substring; "" means accepted
	}{
		{name: "absent: created 0700", setup: func(*testing.T, string) {}},
		{name: "existing 0700 of ours", setup: func(t *testing.T, dir string) {
			assert.NilError(t, os.Mkdir(dir, 0o700))
		}},
		{name: "existing 0777 of ours: made 0700", setup: func(t *testing.T, dir string) {
			assert.NilError(t, os.Mkdir(dir, 0o700))
			assert.NilError(t, os.Chmod(dir, 0o777))
		}},
		{name: "existing 0755 of ours: made 0700", setup: func(t *testing.T, dir string) {
			assert.NilError(t, os.Mkdir(dir, 0o755))
		}},
		{name: "owned by another user", root: true, setup: func(t *testing.T, dir string) {
			assert.NilError(t, os.Mkdir(dir, 0o700))
			assert.NilError(t, os.Chown(dir, nobody, nobody))
		}, want: "is owned by uid 65534, not by you (uid " + strconv.Itoa(os.Getuid()) + ")"},
		{name: "owned by another user, 0777", root: true, setup: func(t *testing.T, dir string) {
			assert.NilError(t, os.Mkdir(dir, 0o777))
			assert.NilError(t, os.Chmod(dir, 0o777))
			assert.NilError(t, os.Chown(dir, nobody, nobody))
		}, want: "is owned by uid 65534"},
		{name: "symlink to a directory of ours", setup: func(t *testing.T, dir string) {
			target := t.TempDir()
			assert.NilError(t, os.Symlink(target, dir))
		}, want: "is a symlink, not a directory"},
		{name: "symlink to another user's directory", root: true, setup: func(t *testing.T, dir string) {
			target := t.TempDir()
			assert.NilError(t, os.Chown(target, nobody, nobody))
			assert.NilError(t, os.Symlink(target, dir))
		}, want: "is a symlink"},
		{name: "a regular file", setup: func(t *testing.T, dir string) {
			assert.NilError(t, os.WriteFile(dir, []byte("x"), 0o600))
		}, want: "is not a directory"},
		{name: "parent writable by others without the sticky bit", setup: func(t *testing.T, dir string) {
			assert.NilError(t, os.Chmod(filepath.Dir(dir), 0o777))
		}, want: "is writable by other users without the sticky bit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needRoot(t)
			}
			parent := filepath.Join(t.TempDir(), "cache")
			assert.NilError(t, os.Mkdir(parent, 0o700))
			dir := filepath.Join(parent, "kernia")
			tc.setup(t, dir)
			got, err := buildcache.PrivateDir(dir)
			if tc.want != "" {
				assert.ErrorContains(t, err, tc.want)
				assert.ErrorContains(t, err, dir)         // names the directory
				assert.ErrorContains(t, err, "remove it") // and the fix
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, got, dir)
			st, err := os.Lstat(dir)
			assert.NilError(t, err)
			assert.Check(t, st.IsDir())
			assert.Check(t, is.Equal(st.Mode().Perm(), os.FileMode(0o700)))
			uid, ok := buildcache.FileOwner(st)
			assert.Check(t, ok && uid == os.Getuid(), "owner %d", uid)
		})
	}
}

// TestLoaderCache6_NoUserCacheDirFallsBackToAPerUserDirectory: with no $HOME and no
// $XDG_CACHE_HOME, or a home that cannot be created, the cache is <temp dir>/kernia-<uid>,
// 0700, never a shared <temp dir>/kernia; a kernia-<uid> planted by another user is refused.
func TestLoaderCache6_NoUserCacheDirFallsBackToAPerUserDirectory(t *testing.T) {
	perUser := "kernia-" + strconv.Itoa(os.Getuid())
	tests := []struct {
		name    string
		home    string // "" unsets HOME
		planted bool   // another user created the per-user directory first
		want    string
	}{
		{name: "no HOME"},
		{name: "HOME that cannot be created", home: "file/home"}, // under a regular file
		{name: "planted by another user", planted: true, want: "is owned by uid 65534"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.planted {
				needRoot(t)
			}
			tmp := t.TempDir()
			assert.NilError(t, os.Chmod(tmp, os.ModeSticky|0o777)) // like /tmp
			t.Setenv("TMPDIR", tmp)
			t.Setenv("XDG_CACHE_HOME", "")
			if tc.home == "" {
				t.Setenv("HOME", "")
				os.Unsetenv("HOME")
			} else {
				// Not even root can create a directory under a regular file.
				base := t.TempDir()
				assert.NilError(t, os.WriteFile(filepath.Join(base, "file"), nil, 0o600))
				t.Setenv("HOME", filepath.Join(base, tc.home))
			}
			want := filepath.Join(tmp, perUser)
			if tc.planted {
				assert.NilError(t, os.Mkdir(want, 0o777))
				assert.NilError(t, os.Chown(want, nobody, nobody))
			}
			got, err := cacheDir()
			if tc.want != "" {
				assert.ErrorContains(t, err, tc.want)
				assert.ErrorContains(t, err, want)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, got, want)
			st, err := os.Lstat(got)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(st.Mode().Perm(), os.FileMode(0o700)))
			_, err = os.Lstat(filepath.Join(tmp, "kernia"))
			assert.Check(t, os.IsNotExist(err), "a shared %s/kernia exists", tmp)
		})
	}
}

// TestLoaderCache6_BinaryPathUsesTheUserCacheAndMarksUse: binaryPath puts the binary in
// $XDG_CACHE_HOME/kernia (made 0700), keyed by module root and instance, and sets the existing
// binary's modification time to now.
func TestLoaderCache6_BinaryPathUsesTheUserCacheAndMarksUse(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	app := App{Package: "./auth", Var: "Auth"}
	bin, release, err := binaryPath("/src/shop", app)
	assert.NilError(t, err)
	release()
	assert.Equal(t, filepath.Dir(bin), filepath.Join(xdg, "kernia"))
	assert.Check(t, binaryName.MatchString(filepath.Base(bin)), bin)
	st, err := os.Stat(filepath.Dir(bin))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(st.Mode().Perm(), os.FileMode(0o700)))

	other, release, err := binaryPath("/src/other", app)
	assert.NilError(t, err)
	release()
	assert.Check(t, other != bin, "two modules share a binary")

	old := time.Now().Add(-30 * 24 * time.Hour)
	assert.NilError(t, os.WriteFile(bin, []byte("binary"), 0o755))
	assert.NilError(t, os.Chtimes(bin, old, old))
	again, release, err := binaryPath("/src/shop", app)
	assert.NilError(t, err)
	defer release()
	assert.Equal(t, again, bin)
	st, err = os.Stat(bin)
	assert.NilError(t, err)
	assert.Check(t, time.Since(st.ModTime()) < time.Hour, "not marked as used: mtime %s", st.ModTime())
}

// TestLoaderCache6_KeyedBinaryMarkedByItsKeyFile: a run marks a binary that has a build key as
// used by the key file's modification time and leaves the binary unwritten, so its file stamp
// still matches the key's and Matches does not hash it; collection counts the key file's
// time as the binary's last use.
func TestLoaderCache6_KeyedBinaryMarkedByItsKeyFile(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	app := App{Package: "./auth", Var: "Auth"}
	bin, release, err := binaryPath("/src/shop", app)
	assert.NilError(t, err)
	release()
	assert.NilError(t, os.WriteFile(bin, []byte("binary"), 0o755))
	buildcache.Store(bin, "k1")
	old := time.Now().Add(-30 * 24 * time.Hour)
	assert.NilError(t, os.Chtimes(bin, old, old))
	assert.NilError(t, os.Chtimes(buildcache.KeyFile(bin), old, old))
	buildcache.Store(bin, "k1") // the stamp of the binary as it is now
	before, err := os.Stat(bin)
	assert.NilError(t, err)

	again, release, err := binaryPath("/src/shop", app)
	assert.NilError(t, err)
	release()
	assert.Equal(t, again, bin)
	after, err := os.Stat(bin)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(after.Sys(), before.Sys()), "the binary was written (its stamp changed): every run would hash it")
	key, err := os.Stat(buildcache.KeyFile(bin))
	assert.NilError(t, err)
	assert.Check(t, time.Since(key.ModTime()) < time.Hour, "the key file not marked as used: mtime %s", key.ModTime())
	assert.Check(t, buildcache.Matches(bin, "k1"))

	// Collection sees the key file's time: the binary, 30 days old itself, stays.
	removed, err := pool(filepath.Dir(bin)).Collect("", time.Now())
	assert.NilError(t, err)
	assert.Check(t, is.Len(removed, 0))
}

// TestLoaderCache6_CollectRemovesStaleAndKeepsTheNewest: collection removes binaries unused
// for CacheMaxAge and all but the CacheKeep most recently used, never the running one's, and
// leaves files that are not loader binaries alone.
func TestLoaderCache6_CollectRemovesStaleAndKeepsTheNewest(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	name := func(i int) string { return fmt.Sprintf("loader-%016x", i) }
	tests := []struct {
		name    string
		ages    []time.Duration // binary i was last used ages[i] ago
		keep    int             // index of the running binary, -1 for none
		removed []int
		// orphans are binaries whose key and lock files exist without them (a failed build);
		// removedSides are the files of them Collect removes.
		orphans      []int
		removedSides []string
	}{
		{name: "few and recent: nothing removed", ages: []time.Duration{0, day, 13 * day}, keep: -1},
		{name: "older than 14 days removed", ages: []time.Duration{0, 13 * day, 15 * day, 100 * day}, keep: -1, removed: []int{2, 3}},
		{
			name: "twelve recent: the 8 newest kept",
			ages: []time.Duration{0, 1 * time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 5 * time.Hour, 6 * time.Hour, 7 * time.Hour, 8 * time.Hour, 9 * time.Hour, 10 * time.Hour, 11 * time.Hour},
			keep: -1, removed: []int{8, 9, 10, 11},
		},
		{
			name: "the running binary is kept even when old, and counts as one of the 8",
			ages: []time.Duration{0, 1, 2, 3, 4, 5, 6, 7, 8, 30 * day},
			keep: 9, removed: []int{7, 8},
		},
		{
			name: "the running binary not built yet counts as one of the 8",
			ages: []time.Duration{0, 1, 2, 3, 4, 5, 6, 7, 8},
			keep: 100, removed: []int{7, 8},
		},
		{name: "empty cache", keep: -1},
		{name: "the key and lock of a binary that is not there removed, but the running one's", ages: []time.Duration{0}, keep: 7,
			orphans: []int{3, 7}, removedSides: []string{name(3) + ".key", name(3) + ".lock"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, age := range tc.ages {
				p := filepath.Join(dir, name(i))
				assert.NilError(t, os.WriteFile(p, []byte("binary"), 0o755))
				assert.NilError(t, os.Chtimes(p, now.Add(-age), now.Add(-age)))
			}
			// Not loader binaries: never touched, however old.
			ancient := now.Add(-365 * day)
			for _, other := range []string{".lock", "loader-notahexname", "notes.txt"} {
				p := filepath.Join(dir, other)
				assert.NilError(t, os.WriteFile(p, nil, 0o600))
				assert.NilError(t, os.Chtimes(p, ancient, ancient))
			}
			for _, i := range tc.orphans {
				for _, side := range []string{".key", ".lock"} {
					assert.NilError(t, os.WriteFile(filepath.Join(dir, name(i)+side), nil, 0o600))
				}
			}
			keep := ""
			if tc.keep >= 0 {
				keep = name(tc.keep)
			}
			removed, err := pool(dir).Collect(keep, now)
			assert.NilError(t, err)
			var want []string
			for _, i := range tc.removed {
				want = append(want, name(i))
			}
			want = append(want, tc.removedSides...)
			slices.Sort(removed)
			slices.Sort(want)
			assert.DeepEqual(t, removed, want)
			for _, i := range tc.orphans {
				for _, side := range []string{".key", ".lock"} {
					_, err := os.Stat(filepath.Join(dir, name(i)+side))
					assert.Check(t, is.Equal(os.IsNotExist(err), slices.Contains(tc.removedSides, name(i)+side)), name(i)+side)
				}
			}
			for i := range tc.ages {
				_, err := os.Stat(filepath.Join(dir, name(i)))
				assert.Check(t, is.Equal(os.IsNotExist(err), slices.Contains(tc.removed, i)), name(i))
			}
			for _, other := range []string{".lock", "loader-notahexname", "notes.txt"} {
				_, err := os.Stat(filepath.Join(dir, other))
				assert.Check(t, err, other)
			}
		})
	}
}

// TestLoaderCache6_InUseBinaryNeverRemovedMidRun: while another process is between its build
// and the end of its loader program (it holds the cache lock shared), a run collects nothing,
// not even that process's stale binary; once it has ended, the next run collects.
func TestLoaderCache6_InUseBinaryNeverRemovedMidRun(t *testing.T) {
	dir, err := buildcache.PrivateDir(filepath.Join(t.TempDir(), "kernia"))
	assert.NilError(t, err)
	now := time.Now()
	old := now.Add(-30 * 24 * time.Hour)
	inUse := filepath.Join(dir, "loader-00000000000000aa")
	assert.NilError(t, os.WriteFile(inUse, []byte("binary"), 0o755))

	// The concurrent run: another process that takes the lock as binaryPath does and holds it
	// until its stdin closes, like a run whose loader program is still going.
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), "KERNIA_CACHE_HELPER_DIR="+dir, "KERNIA_CACHE_HELPER_BIN="+inUse)
	stdin, err := child.StdinPipe()
	assert.NilError(t, err)
	stdout, err := child.StdoutPipe()
	assert.NilError(t, err)
	child.Stderr = os.Stderr
	assert.NilError(t, child.Start())
	done := make(chan struct{}) // closed when the child has ended, with waitErr set
	var waitErr error
	go func() { waitErr = child.Wait(); close(done) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(time.Minute):
			_ = child.Process.Kill()
			<-done
		}
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		assert.Equal(t, strings.TrimSpace(line), "holding")
	case <-time.After(time.Minute):
		t.Fatal("the helper run did not take the cache lock within a minute")
	}
	// Its binary now looks stale (unused for 30 days) and there are more than CacheKeep newer
	// ones: collection would remove it, if it ran.
	assert.NilError(t, os.Chtimes(inUse, old, old))
	for i := range CacheKeep + 2 {
		p := filepath.Join(dir, fmt.Sprintf("loader-%016x", i+1))
		assert.NilError(t, os.WriteFile(p, []byte("binary"), 0o755))
	}

	// Runs during the other one: nothing is removed.
	for i := range 3 {
		release, err := pool(dir).Use(filepath.Join(dir, fmt.Sprintf("loader-%016x", 0x100+i)), now)
		assert.NilError(t, err)
		release()
		_, err = os.Stat(inUse)
		assert.NilError(t, err, "run %d removed the binary in use", i)
	}
	assert.Check(t, is.Len(binaries(t, dir), CacheKeep+3))

	// The other run ends: the next run collects its stale binary and the surplus.
	assert.NilError(t, stdin.Close())
	select {
	case <-done:
		assert.NilError(t, waitErr)
	case <-time.After(time.Minute):
		t.Fatal("the helper run did not end within a minute")
	}
	release, err := pool(dir).Use(filepath.Join(dir, "loader-0000000000000100"), now)
	assert.NilError(t, err)
	release()
	_, err = os.Stat(inUse)
	assert.Check(t, os.IsNotExist(err), "the stale binary survived a run with no other run in progress")
	// The run's own binary, not built here, is the CacheKeep-th.
	assert.Check(t, is.Len(binaries(t, dir), CacheKeep-1))
}

// TestLoaderCache6_RealRunUsesAPrivateBoundedCache: `go tool kernia info` in a fresh module,
// with a loader cache that is 0777 and holds 12 binaries of other modules (one unused for 30
// days), leaves the cache 0700 with its own binary, freshly used, and the 7 most recently used
// others.
func TestLoaderCache6_RealRunUsesAPrivateBoundedCache(t *testing.T) {
	dir := moduletest.New(t, "example.com/cached", map[string]string{"auth/auth.go": `package auth

import "github.com/kernia/kernia"

// Auth is the instance.
var Auth = kernia.New(kernia.Options{})
`})
	xdg := t.TempDir()
	cache := filepath.Join(xdg, "kernia")
	assert.NilError(t, os.Mkdir(cache, 0o700))
	assert.NilError(t, os.Chmod(cache, 0o777))
	now := time.Now()
	var others []string // most recently used first
	for i := range 12 {
		name := fmt.Sprintf("loader-%016x", i+1)
		p := filepath.Join(cache, name)
		assert.NilError(t, os.WriteFile(p, []byte("binary"), 0o755))
		used := now.Add(-time.Duration(i+1) * time.Hour)
		if i == 0 {
			used = now.Add(-30 * 24 * time.Hour) // the newest name, but stale
		}
		assert.NilError(t, os.Chtimes(p, used, used))
		if i > 0 {
			others = append(others, name)
		}
	}
	// The Go build cache defaults to $XDG_CACHE_HOME/go-build: keep the run's own, or the
	// command rebuilds Kernia and every dependency from nothing (minutes on a loaded machine).
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	assert.NilError(t, err)
	cmd := moduletest.Command(dir, "go", "tool", "kernia", "info", "--json")
	cmd.Env = append(cmd.Env, "XDG_CACHE_HOME="+xdg, "GOCACHE="+strings.TrimSpace(string(gocache)), "KERNIA_SECRET=", "KERNIA_SECRETS=", "KERNIA_APP=")
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok && exit.ExitCode() == 1 {
		err = nil // info exits 1 for problems (no secret here); the cache is what this test checks
	}
	assert.NilError(t, err, string(out))
	assert.Check(t, is.Contains(string(out), `"status": "missing"`), string(out))

	st, err := os.Lstat(cache)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(st.Mode().Perm(), os.FileMode(0o700)))
	got := binaries(t, cache)
	assert.Check(t, is.Len(got, CacheKeep), "%v", got)
	var own string
	for _, name := range got {
		if !slices.Contains(others, name) {
			own = name
		}
	}
	assert.Assert(t, own != "", "the run's own binary is not in the cache: %v", got)
	st, err = os.Stat(filepath.Join(cache, own))
	assert.NilError(t, err)
	assert.Check(t, st.Size() > 1<<20, "the run's binary is %d bytes", st.Size())
	// The loader program only resolves the configuration: nothing of Ent's code generator,
	// Atlas or a database driver is linked into it (the kernia tool does that work).
	bi, err := buildinfo.ReadFile(filepath.Join(cache, own))
	assert.NilError(t, err)
	for _, m := range bi.Deps {
		switch m.Path {
		case "ariga.io/atlas", "github.com/jackc/pgx/v5", "modernc.org/sqlite", "github.com/hashicorp/hcl/v2":
			t.Errorf("the loader program links %s", m.Path)
		}
	}
	// Nor Ent's schema-package loader, the type checker or golang.org/x/tools (internal/entjson
	// marshals the schema in their stead), nor the schema files' renderer.
	checkLinksOnlyWhatItMust(t, filepath.Join(cache, own))
	// Linked small (buildcache.Flags): no symbol table, no DWARF, no VCS stamp.
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	assert.Check(t, is.Equal(settings["-ldflags"], "-s -w"), "build settings %v", bi.Settings)
	for k := range settings {
		assert.Check(t, !strings.HasPrefix(k, "vcs"), "the loader binary is VCS-stamped: %v", bi.Settings)
	}
	if f, err := elf.Open(filepath.Join(cache, own)); err == nil {
		for _, sec := range f.Sections {
			assert.Check(t, sec.Name != ".symtab" && !strings.HasPrefix(sec.Name, ".debug_") && !strings.HasPrefix(sec.Name, ".zdebug_"), "the loader binary has section %s", sec.Name)
		}
		f.Close()
	}
	assert.Check(t, now.Sub(st.ModTime()) < time.Hour, "the run's binary was last used at %s", st.ModTime())
	for _, name := range others[:CacheKeep-1] {
		assert.Check(t, slices.Contains(got, name), "%s (recently used) was removed", name)
	}
	assert.Check(t, !slices.Contains(got, "loader-0000000000000001"), "the stale binary was kept")
}

// TestMain runs the concurrent run of TestLoaderCache6_InUseBinaryNeverRemovedMidRun when that
// test starts the test binary as its helper, and the tests otherwise.
func TestMain(m *testing.M) {
	if dir := os.Getenv("KERNIA_CACHE_HELPER_DIR"); dir != "" {
		os.Exit(helperRun(dir, os.Getenv("KERNIA_CACHE_HELPER_BIN")))
	}
	os.Exit(m.Run())
}

// helperRun takes the cache lock as a run does, says so, and holds it until stdin closes.
func helperRun(dir, bin string) int {
	release, err := pool(dir).Use(bin, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer release()
	fmt.Println("holding")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

func binaries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var out []string
	for _, e := range entries {
		if binaryName.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}
