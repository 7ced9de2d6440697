package migration_test

import (
	"bytes"
	"context"
	"database/sql"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/mysqltest"
)

// TestUpToDateRunTakesNoLock: on PostgreSQL and MySQL a run with nothing to do reads the
// history once, as status does, and ends without waiting for the migration lock, which another
// session holds here: it succeeds within the lock timeout and prints what a locked no-op
// prints. Every run with something to do still takes the lock, and so times out while it is
// held: a new file, a file whose run stopped part-way (its revision not done), a failed
// attempt whose file is gone (its record to remove), a baseline on an empty history.
func TestUpToDateRunTakesNoLock(t *testing.T) {
	ctx := context.Background()
	type server struct {
		name   string
		newURL func(t *testing.T) string
		hold   func(t *testing.T, db *sql.DB) (release func())
	}
	servers := []server{
		{name: "postgres", newURL: dialects[1].newURL, hold: func(t *testing.T, db *sql.DB) func() {
			return holdLock(t, dialects[1], db)
		}},
		{name: "mysql", newURL: func(t *testing.T) string { return mysqltest.NewDatabase(t) }, hold: func(t *testing.T, db *sql.DB) func() {
			conn, err := db.Conn(ctx)
			assert.NilError(t, err)
			var got int
			assert.NilError(t, conn.QueryRowContext(ctx, "SELECT GET_LOCK(concat('kernia_migrate:', DATABASE()), 0)").Scan(&got))
			assert.Equal(t, got, 1)
			return func() {
				_, err := conn.ExecContext(ctx, "DO RELEASE_LOCK(concat('kernia_migrate:', DATABASE()))")
				assert.NilError(t, err)
				conn.Close()
			}
		}},
	}
	fileD := mfile{"20250101000004_create_d.sql", "CREATE TABLE d (id integer PRIMARY KEY);\n"}
	locked := func(t *testing.T, url, dir string, opts migration.ApplyOptions) {
		t.Helper()
		opts.LockTimeout = 300 * time.Millisecond
		_, err := migration.Apply(ctx, url, dir, opts)
		assert.ErrorContains(t, err, "is locked by another migration run")
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			url := s.newURL(t)
			dir := writeDir(t, fileA, fileB, fileC)
			_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			db := openDB(t, url)
			release := s.hold(t, db)
			defer func() { release() }()

			var out bytes.Buffer
			res, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{LockTimeout: 300 * time.Millisecond, Out: &out})
			assert.NilError(t, err, "a run with nothing to apply waited for the lock")
			assert.Equal(t, len(res.Applied), 0)
			assert.Equal(t, res.From, "20250101000003")
			assert.Equal(t, res.To, "20250101000003")
			assert.Check(t, bytes.Contains(out.Bytes(), []byte("nothing to apply: ")), out.String())
			assert.Check(t, bytes.Contains(out.Bytes(), []byte(" is at version 20250101000003\n")), out.String())

			// A baseline on a database with a history is ignored with a note: the locked run says it.
			locked(t, url, dir, migration.ApplyOptions{Baseline: "20250101000001"})

			// A run stopped part-way through the last file: its revision is not done.
			_, err = db.ExecContext(ctx, "UPDATE atlas_schema_revisions SET applied = 0 WHERE version = '20250101000003'")
			assert.NilError(t, err)
			locked(t, url, dir, migration.ApplyOptions{})
			_, err = db.ExecContext(ctx, "UPDATE atlas_schema_revisions SET applied = total WHERE version = '20250101000003'")
			assert.NilError(t, err)

			// A failed attempt of a file that is gone: its record is removed under the lock.
			_, err = db.ExecContext(ctx, "INSERT INTO atlas_schema_revisions (version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version) VALUES ('20250101000009', 'gone', 2, 0, 1, CURRENT_TIMESTAMP, 0, 'boom', 'SELECT 1', '', NULL, 'test')")
			assert.NilError(t, err)
			locked(t, url, dir, migration.ApplyOptions{})
			_, err = db.ExecContext(ctx, "DELETE FROM atlas_schema_revisions WHERE version = '20250101000009'")
			assert.NilError(t, err)

			// A new file.
			addFiles(t, dir, fileD)
			locked(t, url, dir, migration.ApplyOptions{})

			release()
			release = func() {}
			res, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			assert.Equal(t, len(res.Applied), 1)
			assert.Equal(t, res.To, "20250101000004")
		})
	}
}
