package migration_test

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
)

func TestPostgresLockKeyIsAtlasKey(t *testing.T) {
	h := fnv.New32()
	h.Write([]byte("atlas_migrate_execute"))
	assert.Equal(t, migration.PostgresLockKey, int64(h.Sum32()))
}

// holdLock takes the migration lock the way another runner would, on its own connection, and
// returns its release.
func holdLock(t *testing.T, d dialect, db *sql.DB) func() {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	assert.NilError(t, err)
	if d.name == "postgres" {
		_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migration.PostgresLockKey)
		assert.NilError(t, err)
		return func() {
			_, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", migration.PostgresLockKey)
			assert.NilError(t, err)
			conn.Close()
		}
	}
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	assert.NilError(t, err)
	return func() {
		_, err := conn.ExecContext(ctx, "ROLLBACK")
		assert.NilError(t, err)
		conn.Close()
	}
}

func TestLockTimeout(t *testing.T) {
	want := map[string][]string{
		"postgres": {"is locked by another migration run", fmt.Sprintf("advisory lock %d", migration.PostgresLockKey), "pg_locks", "--lock-timeout"},
		"sqlite":   {"database is locked by another migrate or writer", "--lock-timeout"},
	}
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		rawURL := d.newURL(t)
		dir := writeDir(t, fileA)
		db := openDB(t, rawURL)
		release := holdLock(t, d, db)

		res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{LockTimeout: 300 * time.Millisecond})
		for _, w := range want[d.name] {
			assert.ErrorContains(t, err, w)
		}
		assertNoSecret(t, err)
		assert.Check(t, res == nil)
		assert.Check(t, !tableExists(t, db, d, "atlas_schema_revisions"), "nothing is created without the lock")

		release()
		res, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{LockTimeout: 5 * time.Second})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Applied), 1)
	})
}

func TestConcurrentApplyRunsEachFileOnce(t *testing.T) {
	files := []mfile{
		{"20250101000001_counter.sql", "CREATE TABLE runs (file integer NOT NULL);\n"},
		{"20250101000002_one.sql", "INSERT INTO runs (file) VALUES (2);\nCREATE TABLE t2 (id integer);\n"},
		{"20250101000003_two.sql", "INSERT INTO runs (file) VALUES (3);\nCREATE TABLE t3 (id integer);\n"},
		{"20250101000004_three.sql", "INSERT INTO runs (file) VALUES (4);\n"},
	}
	forEachDialect(t, func(t *testing.T, d dialect) {
		rawURL := d.newURL(t)
		dir := writeDir(t, files...)
		const runners = 5
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			errs    []error
			applied []string
		)
		for range runners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := migration.Apply(context.Background(), rawURL, dir, migration.ApplyOptions{LockTimeout: 30 * time.Second})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				applied = append(applied, appliedNames(res)...)
			}()
		}
		wg.Wait()
		assert.Check(t, is.Len(errs, 0), "%v", errs)
		assert.Check(t, is.Len(applied, len(files)), "%v", applied)
		seen := map[string]int{}
		for _, n := range applied {
			seen[n]++
		}
		for _, f := range files {
			assert.Check(t, is.Equal(seen[f.name], 1), f.name)
		}
		db := openDB(t, rawURL)
		var n int
		assert.NilError(t, db.QueryRow("SELECT count(*) FROM runs").Scan(&n))
		assert.Equal(t, n, 3)
		assert.Equal(t, len(revisions(t, db)), len(files))
	})
}
