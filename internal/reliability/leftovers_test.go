package reliability_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// Issue 9, case 6: a failed CREATE UNIQUE INDEX CONCURRENTLY (a txmode none file, duplicate
// data) leaves an INVALID index; migrate's error and status report it as INVALID with the SQL
// that drops it, and once the data is fixed a plain rerun drops the invalid index and builds it
// again, valid.
func TestLeftovers6_InvalidConcurrentIndexReportedAndRecovered(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, "postgres")
	dir := migrations(t, map[string]string{
		"20260101000001_users.sql": "CREATE TABLE users (email text NOT NULL);\nINSERT INTO users (email) VALUES ('x@example.com'), ('x@example.com');\n",
		"20260101000002_index.sql": "-- atlas:txmode none\n\nCREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);\n",
	})
	r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
	expect(t, r, 1, "20260101000002_index.sql failed at statement 1 of 1", "INVALID index users_email",
		"DROP INDEX CONCURRENTLY IF EXISTS users_email;", "the next migrate drops it")
	valid := `SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('users_email') AND indisvalid`
	invalid := `SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('users_email') AND NOT indisvalid`
	assert.Equal(t, tg.count(t, invalid), 1, "the failed build left no INVALID index: the test proves nothing")

	s := status(t, tg, dir)
	assert.Assert(t, s.LastFailure != nil)
	js := kernia(t, "status", "--url", tg.url, "--dir", dir, "--json")
	expect(t, js, 0)
	assert.Check(t, strings.Contains(js.stdout, `"leftover": "the failed CREATE INDEX CONCURRENTLY left the INVALID index users_email behind`), js.stdout)
	human := kernia(t, "status", "--url", tg.url, "--dir", dir)
	expect(t, human, 0)
	assert.Check(t, strings.Contains(human.stdout, "left behind: the failed CREATE INDEX CONCURRENTLY left the INVALID index users_email"), human.stdout)

	// Still duplicated: the rerun drops the invalid index, fails the same way, and says so again.
	again := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
	expect(t, again, 1, "dropped the INVALID index users_email", "INVALID index users_email")
	assert.Equal(t, tg.count(t, invalid), 1)

	// Data fixed: a plain rerun recovers, no manual step.
	_, err := tg.db.Exec(`DELETE FROM users WHERE ctid <> (SELECT min(ctid) FROM users)`)
	assert.NilError(t, err)
	fixed := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
	expect(t, fixed, 0, "dropped the INVALID index users_email", "applied 20260101000002_index.sql")
	assert.Equal(t, tg.count(t, valid), 1, "the index is not valid after the rerun")
	assert.Equal(t, tg.count(t, invalid), 0)
	assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002"})
	assert.Check(t, status(t, tg, dir).LastFailure == nil)
}

// Issue 9, case 6: a connection lost in the middle of a file (its server process terminated
// with pg_terminate_backend, as a server restart or a failover does) is reported as a lost
// connection that a plain rerun fixes, never as "fix the file"; what was rolled back is said
// truly (a file in a transaction: nothing of it; a txmode none file: the statements before the
// one that ran stay, and that one may or may not have finished); and the plain rerun applies.
func TestLeftovers6_LostConnectionSaysRerun(t *testing.T) {
	t.Parallel()
	// The file sleeps only while the table go_slow exists, so the rerun is quick.
	slow := "SELECT pg_sleep(CASE WHEN to_regclass('go_slow') IS NULL THEN 0 ELSE 60 END);\n"
	for _, tc := range []struct {
		name, header string
		want         []string
		bExists      bool
	}{
		{"in a transaction", "", []string{"nothing of it is applied"}, false},
		{"txmode none", "-- atlas:txmode none\n\n", []string{"its first 1 of 3 statements stay applied",
			"statement 2 was running when the connection broke: if the server finished it first, it is applied but not recorded, and the next run executes it again"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, "postgres")
			dir := migrations(t, map[string]string{
				"20260101000001_slow.sql": "CREATE TABLE go_slow (id integer);\n",
				"20260101000002_work.sql": tc.header + "CREATE TABLE b (id integer);\n" + slow + "CREATE TABLE c (id integer);\n",
			})
			p := start(t, "migrate", "--url", tg.url, "--dir", dir)
			eventually(t, time.Minute, "the file's pg_sleep runs", func() bool { return tg.running(t, "pg_sleep(CASE") })
			assert.Equal(t, tg.count(t, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(CASE%' AND pid <> pg_backend_pid()) t`), 1)
			r := p.wait(t)
			expect(t, r, 1, append([]string{"20260101000002_work.sql failed at statement 2 of 3", "the connection to the database broke",
				"a plain rerun is enough"}, tc.want...)...)
			assert.Check(t, !strings.Contains(r.stderr, "fix the file"), r.stderr)
			assert.Check(t, !strings.Contains(r.stderr, "rolled back"), "only PostgreSQL rolled it back, not the run: %s", r.stderr)
			assert.Equal(t, contains(tg.tables(t), "b"), tc.bExists)
			assert.Check(t, !contains(tg.tables(t), "c"))

			_, err := tg.db.Exec("DROP TABLE go_slow")
			assert.NilError(t, err)
			again := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
			expect(t, again, 0, "applied 20260101000002_work.sql")
			assert.Check(t, contains(tg.tables(t), "b") && contains(tg.tables(t), "c"))
			assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002"})
		})
	}
}

// Issue 9, case 6: a runner killed (SIGKILL) while its CREATE INDEX CONCURRENTLY waits leaves an
// INVALID index behind; the next plain run, resuming the txmode none file at that statement,
// drops it and builds the index, valid, with no manual step.
func TestLeftovers6_KilledConcurrentIndexBuildRecovered(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, "postgres")
	dir := migrations(t, map[string]string{
		"20260101000001_users.sql": "CREATE TABLE users (email text NOT NULL);\n",
		"20260101000002_index.sql": "-- atlas:txmode none\n\nCREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);\n",
	})
	// An open transaction that wrote to the table makes the concurrent build wait for it, after
	// the build has created its (still INVALID) index.
	expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", migrationsPrefix(t, dir, "20260101000001_users.sql")), 0)
	blocker, err := tg.db.Begin()
	assert.NilError(t, err)
	defer blocker.Rollback()
	_, err = blocker.Exec("INSERT INTO users (email) VALUES ('a@example.com')")
	assert.NilError(t, err)

	p := start(t, "migrate", "--url", tg.url, "--dir", dir)
	invalid := `SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('users_email') AND NOT indisvalid`
	eventually(t, time.Minute, "the concurrent build waits with its INVALID index", func() bool {
		return tg.running(t, "CREATE UNIQUE INDEX CONCURRENTLY") && tg.count(t, invalid) == 1
	})
	p.signal(t, syscall.SIGKILL)
	r := p.wait(t)
	assert.Check(t, r.signaled, "kernia was not killed")
	// The server notices the dead runner within about a second (client_connection_check_interval)
	// and cancels the waiting build; only then does the blocking transaction end.
	eventually(t, time.Minute, "the server ends the killed runner's build", func() bool { return !tg.running(t, "CREATE UNIQUE INDEX CONCURRENTLY") })
	assert.NilError(t, blocker.Rollback())
	assert.Equal(t, tg.count(t, invalid), 1, "the killed build left no INVALID index: the test proves nothing")

	again := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
	expect(t, again, 0, "dropped the INVALID index users_email", "applied 20260101000002_index.sql")
	assert.Equal(t, tg.count(t, `SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('users_email') AND indisvalid`), 1)
	assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002"})
}

// migrationsPrefix copies the named files of the migration directory dir into a new, hashed
// directory.
func migrationsPrefix(t *testing.T, dir string, names ...string) string {
	t.Helper()
	files := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		assert.NilError(t, err)
		files[n] = string(b)
	}
	return migrations(t, files)
}
