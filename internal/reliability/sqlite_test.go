package reliability_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/sqldb"
)

// Check 22: every pooled connection an application opens with sqldb.Open enforces foreign keys.
func TestSQLite22_ForeignKeysOnInEveryPooledConnection(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.db")
	db, dialect, err := sqldb.Open(t.Context(), "sqlite://"+path)
	assert.NilError(t, err)
	defer db.Close()
	assert.Equal(t, dialect, "sqlite3")
	_, err = db.Exec("CREATE TABLE parent (id integer PRIMARY KEY); CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent (id))")
	assert.NilError(t, err)
	const n = 6
	db.SetMaxOpenConns(n)
	// Hold n connections at once, so the pool must open n distinct ones.
	conns := make([]*sql.Conn, n)
	for i := range conns {
		conns[i], err = db.Conn(t.Context())
		assert.NilError(t, err)
		defer conns[i].Close()
	}
	assert.Equal(t, db.Stats().OpenConnections, n)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			var fk int
			assert.Check(t, c.QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&fk))
			assert.Check(t, fk == 1, "connection %d has foreign keys off", i)
			_, err := c.ExecContext(t.Context(), "INSERT INTO child (id, parent_id) VALUES (?, 999)", i+1)
			assert.Check(t, err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed"), "connection %d accepted an orphan row: %v", i, err)
		})
	}
	wg.Wait()
}

// runsAsRoot reports whether file permissions do not bind this process.
func runsAsRoot() bool { return os.Geteuid() == 0 }

// Check 22: a missing parent directory, a read-only database file and a path that is a
// directory: migrate exits 1 with a clear error naming the path, and changes nothing.
func TestSQLite22_BadPathsGiveClearErrors(t *testing.T) {
	t.Parallel()
	dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile})
	base := t.TempDir()
	t.Run("missing parent directory", func(t *testing.T) {
		path := filepath.Join(base, "no", "such", "dir", "app.db")
		for _, cmd := range []string{"migrate", "status"} {
			r := kernia(t, cmd, "--url", "sqlite://"+path, "--dir", dir)
			if cmd == "status" {
				// status only reads and reports a missing file as a fresh database.
				expect(t, r, 0)
				continue
			}
			expect(t, r, 1, "sqlite "+path+": directory "+filepath.Dir(path)+" does not exist: create it or fix the path")
		}
		_, err := os.Stat(filepath.Join(base, "no"))
		assert.Check(t, os.IsNotExist(err))
	})
	t.Run("path is a directory", func(t *testing.T) {
		path := filepath.Join(base, "adir")
		assert.NilError(t, os.Mkdir(path, 0o755))
		for _, cmd := range []string{"migrate", "status"} {
			r := kernia(t, cmd, "--url", "sqlite://"+path, "--dir", dir)
			expect(t, r, 1, "sqlite "+path+": the path is a directory, not a database file")
		}
	})
	t.Run("read-only file", func(t *testing.T) {
		// A directory every user can read, holding a database with one pending file.
		ro, err := os.MkdirTemp("", "kernia-readonly-")
		assert.NilError(t, err)
		t.Cleanup(func() { os.RemoveAll(ro) })
		path := filepath.Join(ro, "app.db")
		mdir := filepath.Join(ro, "migrations")
		assert.NilError(t, os.Mkdir(mdir, 0o755))
		writeFile(t, filepath.Join(mdir, "20260101000001_a.sql"), goodFile)
		rehash(t, mdir)
		expect(t, kernia(t, "migrate", "--url", "sqlite://"+path, "--dir", mdir), 0)
		writeFile(t, filepath.Join(mdir, "20260101000002_b.sql"), fixedFile)
		rehash(t, mdir)
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if _, err := os.Stat(p); err == nil {
				assert.NilError(t, os.Chmod(p, 0o444))
			}
		}
		assert.NilError(t, os.Chmod(ro, 0o555))
		t.Cleanup(func() { os.Chmod(ro, 0o755) })
		before, err := os.ReadFile(path)
		assert.NilError(t, err)
		args := []string{"migrate", "--url", "sqlite://" + path, "--dir", mdir}
		var r result
		if runsAsRoot() {
			// Permissions do not bind root: run the command as nobody, as a deploy user would.
			r = startAs(t, 65534, args...).wait(t)
		} else {
			r = kernia(t, args...)
		}
		expect(t, r, 1, "sqlite "+path+": the database file or its directory is read-only")
		t.Logf("read-only: %s", r.stderr)
		after, err := os.ReadFile(path)
		assert.NilError(t, err)
		assert.Check(t, string(after) == string(before), "the read-only file changed")
	})
}

// Check 22: an application writing during migrate makes migrate wait for the write lock (busy
// timeout), not fail; and the application waits for a migration the same way.
func TestSQLite22_ApplicationWritingMakesMigrateWait(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, "sqlite")
	dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile})
	expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0)
	writeFile(t, filepath.Join(dir, "20260101000002_b.sql"), fixedFile)
	rehash(t, dir)

	app, _, err := sqldb.Open(t.Context(), tg.url)
	assert.NilError(t, err)
	defer app.Close()
	tx, err := app.BeginTx(t.Context(), nil) // BEGIN IMMEDIATE: the application holds the write lock
	assert.NilError(t, err)
	_, err = tx.Exec("INSERT INTO a (id, note) VALUES (1, 'written by the application')")
	assert.NilError(t, err)
	p := start(t, "migrate", "--url", tg.url, "--dir", dir)
	time.Sleep(time.Second)
	assert.Check(t, !p.exited(), "migrate ended while the application held the write lock: %+v", p.res)
	assert.NilError(t, tx.Commit())
	expect(t, p.wait(t), 0, "applied 20260101000002_b.sql")
	assert.Equal(t, tg.count(t, "SELECT count(*) FROM a"), 1)

	// The other way round: a slow migration holds the lock; the application's write waits.
	writeFile(t, filepath.Join(dir, "20260101000003_slow.sql"), "CREATE TABLE c (id integer PRIMARY KEY);\n"+tg.sleep(t, 2))
	rehash(t, dir)
	p = start(t, "migrate", "--url", tg.url, "--dir", dir)
	eventually(t, time.Minute, "migrate holds the lock", func() bool { return tg.sqliteLocked(t) })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err = app.ExecContext(ctx, "INSERT INTO a (id, note) VALUES (2, 'written during the migration')")
	assert.NilError(t, err)
	expect(t, p.wait(t), 0, "applied 20260101000003_slow.sql")
	assert.Equal(t, tg.count(t, "SELECT count(*) FROM a"), 2)
	tg.intact(t)
}
