package loader

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/buildcache"
	"github.com/kernia/kernia/internal/moduletest"
)

// keyModule writes a module whose loader program imports auth, which imports lib and a
// package of a module replaced by a local directory (../rep), beside an unimported package and
// the module cache's go.mod of a required module. It returns the module's root.
func keyModule(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "m")
	cache := filepath.Join(base, "modcache")
	files := map[string]string{
		"m/go.mod":                 "module example.com/m\n\ngo 1.24\n\nrequire (\n\texample.com/rep v0.0.0\n\texample.com/dep v1.0.0\n)\n\nreplace example.com/rep => ../rep\n",
		"m/go.sum":                 "example.com/dep v1.0.0 h1:x\n",
		"m/.kernia/loader/main.go": "package main\n\nimport _ \"example.com/m/auth\"\n\nfunc main() {}\n",
		"m/auth/auth.go":           "package auth\n\nimport (\n\t\"fmt\"\n\n\t_ \"example.com/dep/d\"\n\t_ \"example.com/m/lib\"\n)\n\nvar _ = fmt.Sprint\n",
		"m/lib/lib.go":             "package lib\n\nimport _ \"example.com/rep/x\"\n",
		"m/other/other.go":         "package other\n",
		"m/ent/ent.go":             "package ent\n",
		"rep/go.mod":               "module example.com/rep\n",
		"rep/x/x.go":               "package x\n",
		"rep/y/y.go":               "package y\n",
		"modcache/cache/download/example.com/dep/@v/v1.0.0.mod": "module example.com/dep\n\ngo 1.22\n\nrequire example.com/unrelated v1.0.0\n",
	}
	for name, content := range files {
		p := filepath.Join(base, filepath.FromSlash(name))
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	t.Setenv("GOMODCACHE", cache)
	t.Setenv("GOWORK", "")
	t.Setenv("GOENV", filepath.Join(base, "goenv"))
	return root
}

var keySrc = []byte("package main // the rendered program\n")

func mustKey(t *testing.T, root string) string {
	t.Helper()
	k, err := buildKey(root, "example.com/m", keySrc)
	assert.NilError(t, err)
	return k
}

func write(t *testing.T, p, content string) {
	t.Helper()
	assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
}

// TestBuildKey_EachInputChangesIt: every input of the loader program's build changes the key;
// files outside its import graph, and a file's modification time alone, do not.
func TestBuildKey_EachInputChangesIt(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, root string)
		changes bool
	}{
		{"the auth package edited", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "auth", "auth.go"), "package auth\n\nimport _ \"example.com/m/lib\"\n")
		}, true},
		{"a file added to the auth package", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "auth", "more.go"), "package auth\n")
		}, true},
		{"a non-Go file added to the auth package", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "auth", "x.syso"), "object")
		}, true},
		{"a package the auth package imports edited", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "lib", "lib.go"), "package lib\n\nimport _ \"example.com/rep/x\"\n\nconst A = 1\n")
		}, true},
		{"a package of the locally replaced module edited", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "..", "rep", "x", "x.go"), "package x\n\nconst B = 2\n")
		}, true},
		{"go.mod's requirement edited", func(t *testing.T, root string) {
			b, _ := os.ReadFile(filepath.Join(root, "go.mod"))
			write(t, filepath.Join(root, "..", "modcache/cache/download/example.com/dep/@v/v1.0.1.mod"), "module example.com/dep\n")
			write(t, filepath.Join(root, "go.mod"), strings.Replace(string(b), "example.com/dep v1.0.0", "example.com/dep v1.0.1", 1))
		}, true},
		{"go.mod's godebug line added", func(t *testing.T, root string) {
			b, _ := os.ReadFile(filepath.Join(root, "go.mod"))
			write(t, filepath.Join(root, "go.mod"), string(b)+"\ngodebug default=go1.21\n")
		}, true},
		{"go.mod respelled: comments, // indirect, one block, a tool line", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "go.mod"), "// The module.\nmodule example.com/m\n\ngo 1.24\n\nrequire example.com/dep v1.0.0 // indirect\n\nrequire example.com/rep v0.0.0\n\nreplace example.com/rep => ../rep\n\ntool example.com/m/other\n")
		}, false},
		{"go.sum edited", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "go.sum"), "example.com/dep v1.0.0 h1:y\n")
		}, true},
		{"GOFLAGS set", func(t *testing.T, root string) { t.Setenv("GOFLAGS", "-tags=other") }, true},
		{"CGO_ENABLED set", func(t *testing.T, root string) { t.Setenv("CGO_ENABLED", "0") }, true},
		{"PATH changed", func(t *testing.T, root string) {
			t.Setenv("PATH", os.Getenv("PATH")+string(os.PathListSeparator)+t.TempDir())
		}, true},
		{"the go environment file edited", func(t *testing.T, root string) {
			write(t, os.Getenv("GOENV"), "GOFLAGS=-mod=mod\n")
		}, true},
		{"a file the go command does not build added to the auth package", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "auth", "README.md"), "notes")
		}, false},
		{"an unimported package edited", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "other", "other.go"), "package other\n\nconst C = 3\n")
			write(t, filepath.Join(root, "ent", "ent.go"), "package ent\n\nconst D = 4\n")
			write(t, filepath.Join(root, "..", "rep", "y", "y.go"), "package y\n\nconst E = 5\n")
		}, false},
		{"a test file edited, one the go command ignores added", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "auth", "auth_test.go"), "package auth\n\nimport _ \"example.com/m/other\"\n")
			write(t, filepath.Join(root, "auth", "_draft.go"), "package auth\n")
		}, false},
		{"a file touched", func(t *testing.T, root string) {
			later := time.Now().Add(time.Hour)
			assert.NilError(t, os.Chtimes(filepath.Join(root, "auth", "auth.go"), later, later))
		}, false},
		{"an unrelated environment variable set", func(t *testing.T, root string) { t.Setenv("KERNIA_DEV_URL", "postgres://other") }, false},
		{"a directory of PATH repeated (as go tool, go run and go test run programs)", func(t *testing.T, root string) {
			first := filepath.SplitList(os.Getenv("PATH"))[0]
			t.Setenv("PATH", first+string(os.PathListSeparator)+os.Getenv("PATH"))
		}, false},
		{"the download, sum check and cache settings", func(t *testing.T, root string) {
			for _, name := range []string{"GOPROXY", "GONOPROXY", "GOPRIVATE", "GONOSUMDB", "GONOSUMCHECK", "GOSUMDB", "GOINSECURE", "GOVCS", "GOAUTH", "GOCACHE", "GOTMPDIR", "GOMAXPROCS"} {
				t.Setenv(name, "off")
			}
			t.Setenv("GOFLAGS", "-mod=mod -modcacherw")
		}, false},
		{"the go command's own runtime settings", func(t *testing.T, root string) {
			t.Setenv("GOGC", "400")
			t.Setenv("GOMEMLIMIT", "1GiB")
			t.Setenv("GOTRACEBACK", "all")
		}, false},
		{"GOFLAGS with -mod=mod and another flag", func(t *testing.T, root string) { t.Setenv("GOFLAGS", "-mod=mod -trimpath") }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := keyModule(t)
			before := mustKey(t, root)
			assert.Check(t, is.Equal(mustKey(t, root), before), "the key is not stable")
			tc.change(t, root)
			after := mustKey(t, root)
			assert.Check(t, (after != before) == tc.changes, "key changed: %v, want %v", after != before, tc.changes)
		})
	}
	t.Run("the program's source", func(t *testing.T) {
		root := keyModule(t)
		other, err := buildKey(root, "example.com/m", []byte("package main // another --app\n"))
		assert.NilError(t, err)
		assert.Check(t, other != mustKey(t, root))
	})
}

// TestBuildKey_NoKeyWhenTheGoCommandMustDecide: inputs the key cannot cover leave the build to
// the go command.
func TestBuildKey_NoKeyWhenTheGoCommandMustDecide(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, root string)
	}{
		{"a workspace", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "..", "go.work"), "go 1.24\n\nuse ./m\n")
		}},
		{"GOWORK set", func(t *testing.T, root string) { t.Setenv("GOWORK", filepath.Join(root, "go.work")) }},
		{"GOFLAGS with -modfile", func(t *testing.T, root string) { t.Setenv("GOFLAGS", "-modfile=alt.mod") }},
		{"GOFLAGS with -overlay in the go environment file", func(t *testing.T, root string) {
			write(t, os.Getenv("GOENV"), "GOFLAGS=-overlay=/tmp/overlay.json\n")
		}},
		{"a vendor directory", func(t *testing.T, root string) { write(t, filepath.Join(root, "vendor", "modules.txt"), "") }},
		{"an embed", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "lib", "embed.go"), "package lib\n\nimport _ \"embed\"\n\n//go:embed data.txt\nvar data string\n")
		}},
		{"cgo", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "auth", "c.go"), "package auth\n\n// int x;\nimport \"C\"\n")
		}},
		{"a nested module", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "lib", "go.mod"), "module example.com/m/lib\n")
		}},
		{"a file that does not parse", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "auth", "bad.go"), "package auth\n\nimport (\n")
		}},
		{"an imported package that is missing", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "auth", "more.go"), "package auth\n\nimport _ \"example.com/m/missing\"\n")
		}},
		{"a local replacement of one version", func(t *testing.T, root string) {
			b, _ := os.ReadFile(filepath.Join(root, "go.mod"))
			write(t, filepath.Join(root, "go.mod"), string(b)+"replace example.com/dep v1.0.0 => ../dep\n")
		}},
		{"a module of the cache requiring a mutable module", func(t *testing.T, root string) {
			write(t, filepath.Join(os.Getenv("GOMODCACHE"), "cache", "download", "example.com", "dep", "@v", "v1.0.0.mod"), "module example.com/dep\n\nrequire example.com/rep v0.0.0\n")
		}},
		{"a module of the cache requiring the main module", func(t *testing.T, root string) {
			write(t, filepath.Join(os.Getenv("GOMODCACHE"), "cache", "download", "example.com", "dep", "@v", "v1.0.0.mod"), "module example.com/dep\n\nrequire (\n\texample.com/unrelated v1.0.0\n\texample.com/m v0.1.0\n)\n")
		}},
		{"a module of the cache requiring a mutable module spelled with an escape", func(t *testing.T, root string) {
			write(t, filepath.Join(os.Getenv("GOMODCACHE"), "cache", "download", "example.com", "dep", "@v", "v1.0.0.mod"), "module example.com/dep\n\nrequire \"example.com/r\\x65p\" v0.0.0\n")
		}},
		{"a required module's go.mod not in the cache", func(t *testing.T, root string) {
			assert.NilError(t, os.Remove(filepath.Join(os.Getenv("GOMODCACHE"), "cache", "download", "example.com", "dep", "@v", "v1.0.0.mod")))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := keyModule(t)
			mustKey(t, root)
			tc.change(t, root)
			_, err := buildKey(root, "example.com/m", keySrc)
			var nk *buildcache.NoKeyError
			assert.Check(t, errors.As(err, &nk), "got %v, want no key", err)
		})
	}
}

// TestBuildKey_FileBindsTheKeyToTheBinary: a stored key matches only the binary it was stored
// beside, as it was; a missing, malformed or foreign key file is a mismatch.
func TestBuildKey_FileBindsTheKeyToTheBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "loader-0123456789abcdef")
	write(t, bin, "binary one")
	assert.Check(t, !buildcache.Matches(bin, "k1"), "no key file, yet a match")
	buildcache.Store(bin, "k1")
	assert.Check(t, buildcache.Matches(bin, "k1"))
	assert.Check(t, !buildcache.Matches(bin, "k2"), "another key matched")
	// Rewritten by someone else (another run's build, same size): no match.
	write(t, bin, "binary two")
	assert.Check(t, !buildcache.Matches(bin, "k1"), "a rewritten binary matched")
	buildcache.Store(bin, "k1")
	assert.Check(t, buildcache.Matches(bin, "k1"))
	// Marked as used (modification time set): still a match.
	later := time.Now().Add(time.Hour)
	assert.NilError(t, os.Chtimes(bin, later, later))
	assert.Check(t, buildcache.Matches(bin, "k1"))
	for _, corrupt := range []string{"", "garbage", buildcache.KeyVersion + "\nk1\n", buildcache.KeyVersion + "\nk1\nnot-the-sum\n"} {
		write(t, buildcache.KeyFile(bin), corrupt)
		assert.Check(t, !buildcache.Matches(bin, "k1"), "the key file %q matched", corrupt)
	}
	buildcache.Store(bin, "k1")
	assert.NilError(t, os.Remove(bin))
	assert.Check(t, !buildcache.Matches(bin, "k1"), "a key matched a missing binary")
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	for _, e := range entries {
		assert.Check(t, e.Name() == filepath.Base(buildcache.KeyFile(bin)), "left behind: %s", e.Name())
	}
}

// TestBuildKey_LockExcludesConcurrentBuilds: a second run waits for the first's build lock and
// gets it once released; an interrupt ends the wait.
func TestBuildKey_LockExcludesConcurrentBuilds(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "loader-0123456789abcdef")
	unlock, err := buildcache.Lock(context.Background(), bin)
	assert.NilError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = buildcache.Lock(ctx, bin)
	assert.Check(t, errors.Is(err, context.DeadlineExceeded), "got %v while the lock was held", err)
	got := make(chan error, 1)
	go func() {
		u, err := buildcache.Lock(context.Background(), bin)
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("took the lock while it was held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		assert.NilError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the lock was not taken after its release")
	}
}

// TestBuildKey_CollectRemovesSidecars: collecting a binary removes its key and lock files.
func TestBuildKey_CollectRemovesSidecars(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	old := filepath.Join(dir, "loader-00000000000000aa")
	write(t, old, "old")
	write(t, buildcache.KeyFile(old), "key")
	write(t, buildcache.LockFile(old), "")
	past := now.Add(-2 * CacheMaxAge)
	// Unused for twice CacheMaxAge: the binary and its key file, which marks a keyed binary's
	// use.
	assert.NilError(t, os.Chtimes(old, past, past))
	assert.NilError(t, os.Chtimes(buildcache.KeyFile(old), past, past))
	removed, err := pool(dir).Collect("", now)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(removed, []string{filepath.Base(old)}))
	for _, p := range []string{old, buildcache.KeyFile(old), buildcache.LockFile(old)} {
		_, err := os.Stat(p)
		assert.Check(t, os.IsNotExist(err), "%s survived", p)
	}
}

// TestBuildKey_RealRunSkipsTheBuild: `kernia info` (the module's tool binary, as go tool runs
// it) in a fresh module builds the
// loader program and records its key the first time; run again with nothing changed it builds
// nothing (the key file, rewritten after every build, keeps its content) and loads the same
// instance; after an edit of the auth package it builds again and loads the edited instance.
func TestBuildKey_RealRunSkipsTheBuild(t *testing.T) {
	auth := func(name string) map[string]string {
		return map[string]string{"auth/auth.go": `package auth

import "github.com/kernia/kernia"

// Auth is the instance.
var Auth = kernia.New(kernia.Options{AppName: "` + name + `"})
`}
	}
	dir := moduletest.New(t, "example.com/keyed", auth("first"))
	cache, err := cacheDir()
	assert.NilError(t, err)
	root, err := filepath.EvalSymlinks(dir)
	assert.NilError(t, err)
	key := buildcache.KeyFile(binaryFile(cache, root, App{Package: "./auth", Var: "Auth"}))
	t.Cleanup(func() {
		os.Remove(key)
		os.Remove(strings.TrimSuffix(key, ".key"))
		os.Remove(buildcache.LockFile(strings.TrimSuffix(key, ".key")))
	})
	// The module's kernia tool, as go tool runs it (linked once per dependency set).
	kernia := moduletest.Tool(t, dir, "kernia")
	var last *string
	run := func() (out string, built bool) {
		t.Helper()
		cmd := moduletest.Command(dir, kernia, "info", "--json")
		cmd.Env = append(cmd.Env, "KERNIA_APP=")
		b, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); ok && exit.ExitCode() == 1 {
			err = nil // info exits 1 for problems (no secret here)
		}
		assert.NilError(t, err, string(b))
		// A build records the key with the new binary's SHA-256 and file stamp; a run that
		// builds nothing leaves the key file's content alone (it only marks its time).
		content, err := os.ReadFile(key)
		assert.NilError(t, err, "no build key was recorded")
		built = last == nil || string(content) != *last
		last = new(string(content))
		return string(b), built
	}
	out, built := run()
	assert.Check(t, built, "the first run did not build the loader program")
	assert.Check(t, is.Contains(out, `"first"`), out)
	out, built = run()
	assert.Check(t, !built, "a run with nothing changed built the loader program")
	assert.Check(t, is.Contains(out, `"first"`), out)
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "auth", "auth.go"), []byte(auth("second")["auth/auth.go"]), 0o644))
	out, built = run()
	assert.Check(t, built, "a run after an edit of the auth package did not build the loader program")
	assert.Check(t, is.Contains(out, `"second"`), out)
}
