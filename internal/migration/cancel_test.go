package migration_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/migration"
)

// signalWriter closes done when a line containing match is written.
type signalWriter struct {
	match string
	once  sync.Once
	done  chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.match) {
		w.once.Do(func() { close(w.done) })
	}
	return len(p), nil
}

func TestCancelRollsBackTheCurrentFileAndReleasesTheLock(t *testing.T) {
	slow := map[string]string{
		"postgres": "SELECT pg_sleep(60);",
		"sqlite":   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;",
	}
	forEachDialect(t, func(t *testing.T, d dialect) {
		rawURL := d.newURL(t)
		long := mfile{"20250101000002_long.sql", "CREATE TABLE d (id integer);\n" + slow[d.name] + "\n"}
		dir := writeDir(t, fileA, long)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w := &signalWriter{match: "applied " + fileA.name, done: make(chan struct{})}
		type result struct {
			res *migration.ApplyResult
			err error
		}
		ch := make(chan result, 1)
		go func() {
			res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{Out: w})
			ch <- result{res, err}
		}()
		select {
		case <-w.done:
		case r := <-ch:
			t.Fatalf("Apply returned before the long file: %v", r.err)
		case <-time.After(30 * time.Second):
			t.Fatal("the first file was not applied")
		}
		time.Sleep(200 * time.Millisecond) // let the long statement start; either way the file must roll back
		cancel()
		var r result
		select {
		case r = <-ch:
		case <-time.After(30 * time.Second):
			t.Fatal("Apply did not return after cancellation")
		}
		assert.ErrorContains(t, r.err, "migrate: interrupted")
		assert.ErrorContains(t, r.err, long.name)
		assertNoSecret(t, r.err)

		db := openDB(t, rawURL)
		assert.Check(t, tableExists(t, db, d, "a"), "the earlier file stays applied")
		assert.Check(t, !tableExists(t, db, d, "d"), "the interrupted file is rolled back")
		assert.Equal(t, len(revisions(t, db)), 1)

		// The lock is free: another run gets it at once.
		addFiles(t, dir, mfile{long.name, "CREATE TABLE d (id integer);\n"})
		res, err := migration.Apply(context.Background(), rawURL, dir, migration.ApplyOptions{LockTimeout: 5 * time.Second})
		assert.NilError(t, err)
		assert.DeepEqual(t, appliedNames(res), []string{long.name})
	})
}
