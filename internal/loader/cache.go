package loader

// The loader cache: the loader binaries live in kernia's cache directory (internal/buildcache:
// <user cache dir>/kernia, private to the user), keyed by module root and instance, and are
// kept bounded (CacheKeep, CacheMaxAge).

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"regexp"
	"time"

	"github.com/kernia/kernia/internal/buildcache"
)

// Bounds of the loader cache.
const (
	// CacheMaxAge is how long a loader binary is kept after its last use.
	CacheMaxAge = 14 * 24 * time.Hour
	// CacheKeep is the number of most recently used loader binaries kept at most.
	CacheKeep = 8
)

// binaryName matches the loader binaries the cache holds (binaryPath names them).
var binaryName = regexp.MustCompile(`^loader-[0-9a-f]{16}$`)

// binaryPath returns the path of app's loader binary for the module at root, in the loader
// cache, and a release function to call once the loader program has exited: until then the
// binary is not collected. On the way it marks the binary as used and, when no other run uses
// the cache, collects stale binaries.
func binaryPath(root string, app App) (string, func(), error) {
	dir, err := cacheDir()
	if err != nil {
		return "", nil, err
	}
	bin := binaryFile(dir, root, app)
	release, err := pool(dir).Use(bin, time.Now())
	if err != nil {
		return "", nil, err
	}
	return bin, release, nil
}

// binaryFile is the path of app's loader binary for the module at root in the cache dir.
func binaryFile(dir, root string, app App) string {
	sum := sha256.Sum256([]byte(root + "\x00" + app.String()))
	return filepath.Join(dir, "loader-"+hex.EncodeToString(sum[:8]))
}

// cacheDir returns the loader cache directory, <user cache dir>/kernia (buildcache.Dir).
func cacheDir() (string, error) { return buildcache.Dir("") }

// pool is the loader binaries of the cache directory dir. A binary with a build key is marked
// as used by its key file (MarkKey): marking the binary itself would change its status-change
// time, so that every run would hash the binary to match its key (about 4 ms of each command).
func pool(dir string) buildcache.Pool {
	return buildcache.Pool{Dir: dir, Name: binaryName, Keep: CacheKeep, MaxAge: CacheMaxAge, MarkKey: true}
}
