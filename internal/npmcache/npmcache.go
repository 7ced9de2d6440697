// Package npmcache installs a pinned npm package tree (a package.json and its
// package-lock.json) once into a cache directory that every later run reuses: the Better Auth
// peer of the tests (internal/betterauthtest) and of the bench (internal/bench).
//
// An install goes into a directory of its own, gets a marker file written last, and is then
// renamed into place, so a concurrent or killed run never leaves a half-installed directory
// under the final name; a directory without the marker is never used.
package npmcache

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// CacheEnv names the cache directory (default <user cache dir>/kernia-betterauth).
const CacheEnv = "KERNIA_BETTERAUTH_CACHE"

// complete is written last into an install directory: one without it is not used.
const complete = ".kernia-complete"

// Spec is an install to make.
type Spec struct {
	// Key names the install in the cache: a hash of what it installs (the files, and whatever
	// else decides the result, such as Node's major version).
	Key string
	// Files are written into the install directory before npm runs (package.json,
	// package-lock.json, .npmrc).
	Files map[string][]byte
	// Args are npm's arguments ("ci", its flags).
	Args []string
	// Env is added to npm's environment.
	Env []string
	// Needs says, in a failure's message, what npm needs besides the registry.
	Needs string
}

// Install is an install in the cache.
type Install struct {
	// Dir holds node_modules.
	Dir string
	// Took is how long npm ran, or 0 when an earlier run's install was used.
	Took time.Duration
}

// Root returns the cache directory: $KERNIA_BETTERAUTH_CACHE, else <user cache dir>/kernia-betterauth.
func Root() (string, error) {
	if root := os.Getenv(CacheEnv); root != "" {
		return root, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the npm install (set %s or $HOME): %v", CacheEnv, err)
	}
	return filepath.Join(base, "kernia-betterauth"), nil
}

// Ensure returns the install of s in the cache, running npm (the command at npm) the first
// time.
func Ensure(npm string, s Spec) (*Install, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, s.Key)
	if _, err := os.Stat(filepath.Join(dir, complete)); err == nil {
		return &Install{Dir: dir}, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create the npm cache directory: %v", err)
	}
	// Directories a killed install left behind.
	if stale, _ := filepath.Glob(filepath.Join(root, s.Key+".tmp-*")); len(stale) > 0 {
		for _, d := range stale {
			if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Hour {
				_ = os.RemoveAll(d)
			}
		}
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	tmp := filepath.Join(root, s.Key+".tmp-"+hex.EncodeToString(suffix[:]))
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for name, b := range s.Files {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	cmd := exec.Command(npm, s.Args...)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), s.Env...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		needs := ""
		if s.Needs != "" {
			needs = ", and " + s.Needs
		}
		return nil, fmt.Errorf("npm %v in %s failed (%v); the npm registry must be reachable%s:\n%s", s.Args, tmp, err, needs, log.String())
	}
	took := time.Since(start)
	if err := os.WriteFile(filepath.Join(tmp, complete), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another run finished first: use its install.
		if _, statErr := os.Stat(filepath.Join(dir, complete)); statErr != nil {
			return nil, fmt.Errorf("move the npm install into %s: %v", dir, err)
		}
	}
	return &Install{Dir: dir, Took: took}, nil
}
