package bench

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/pgtest"
)

// TestDurabilityWarning: a server session whose commits are not durable (synchronous_commit
// off, set for the connection as CI's servers have it for the whole server) gets the warning,
// naming the setting and the way back; with synchronous_commit on, the warning does not name it.
func TestDurabilityWarning(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, tc := range []struct {
		value string
		named bool
	}{{"off", true}, {"on", false}} {
		db, err := sql.Open("pgx", url+sep+"options=-c%20synchronous_commit%3D"+tc.value)
		assert.NilError(t, err)
		db.SetMaxOpenConns(1)
		warning, err := durabilityWarning(ctx, db)
		db.Close()
		assert.NilError(t, err)
		assert.Check(t, is.Equal(strings.Contains(warning, "synchronous_commit"), tc.named), "synchronous_commit=%s: %q", tc.value, warning)
		if tc.named {
			assert.Check(t, is.Contains(warning, "ALTER SYSTEM RESET"))
		}
	}
}

// TestReleasesOfRunsSideBySide: a run removes, as it starts, only the bench versions of the
// module cache older than staleRelease (those of killed runs), and as it ends only its own:
// the version of a run going on beside it stays.
func TestReleasesOfRunsSideBySide(t *testing.T) {
	cache := t.TempDir()
	dir := func(v string) string {
		return filepath.Join(cache, "github.com", "kernia", "kernia@v0.0.0-"+releasedTime+"-"+v)
	}
	dl := func(v, ext string) string {
		return filepath.Join(cache, "cache", "download", "github.com", "kernia", "kernia", "@v", "v0.0.0-"+releasedTime+"-"+v+ext)
	}
	old := time.Now().Add(-staleRelease - time.Hour)
	paths := map[string][]string{}
	for _, v := range []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"} {
		paths[v] = []string{dir(v), dl(v, ".zip"), dl(v, ".mod")}
		assert.NilError(t, os.MkdirAll(dir(v), 0o755))
		assert.NilError(t, os.MkdirAll(filepath.Dir(dl(v, "")), 0o755))
		for _, p := range paths[v][1:] {
			assert.NilError(t, os.WriteFile(p, nil, 0o644))
		}
	}
	for _, p := range paths["aaaaaaaaaaaa"] { // a killed run's
		assert.NilError(t, os.Chtimes(p, old, old))
	}
	exists := func(v string) bool {
		for _, p := range paths[v] {
			if _, err := os.Lstat(p); err != nil {
				return false
			}
		}
		return true
	}
	gone := func(v string) bool {
		for _, p := range paths[v] {
			if _, err := os.Lstat(p); err == nil {
				return false
			}
		}
		return true
	}
	r := &released{version: "v0.0.0-" + releasedTime + "-cccccccccccc", cache: cache, proxy: t.TempDir()}
	removeReleases(cache, func(_ string, mod time.Time) bool { return time.Since(mod) > staleRelease })
	assert.Check(t, gone("aaaaaaaaaaaa"), "the stale version stays")
	assert.Check(t, exists("bbbbbbbbbbbb") && exists("cccccccccccc"), "a live version was removed")
	r.close()
	assert.Check(t, gone("cccccccccccc"), "the run's own version stays")
	assert.Check(t, exists("bbbbbbbbbbbb"), "the version of the run beside was removed")
}
