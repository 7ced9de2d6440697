package migration_test

import (
	"context"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
)

// What each PostgreSQL file's few round trips still guarantee (issue 13: a file costs about
// what it costs goose): the lock is checked before a file's first statement and before its
// commit, though each check now travels beside a statement of the work connection; DISCARD ALL,
// sent in one pipeline with the commit, still ends what a file left in the session; the client
// check holds for every file; and a commit that fails is reported as one.

// killLockSQL is a statement a file runs to end the run's own lock connection (as an
// administrator's pg_terminate_backend or a broken connection would), waiting until it is gone.
var killLockSQL = fmt.Sprintf("SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "+
	"AND objid = %d AND objsubid = 1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database());\n", migration.PostgresLockKey)

// TestPostgresLockCheckedBeforeEachFile: once the lock is lost between two files, not one
// statement of the next file runs, whether it runs in a transaction or not (a sequence, which
// no rollback rewinds, tells whether its first statement ran), and nothing more is recorded.
func TestPostgresLockCheckedBeforeEachFile(t *testing.T) {
	for _, tc := range []struct{ name, header string }{{"in a transaction", ""}, {"txmode none", "-- atlas:txmode none\n\n"}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rawURL := dialects[1].newURL(t)
			dir := writeDir(t,
				mfile{"20250101000001_seq.sql", "CREATE SEQUENCE probe;\n"},
				// Without a transaction, so the file is recorded once its statement ran; the lock is
				// gone after it.
				mfile{"20250101000002_kill.sql", "-- atlas:txmode none\n\n" + killLockSQL},
				mfile{"20250101000003_next.sql", tc.header + "SELECT nextval('probe');\nCREATE TABLE after_loss (id integer);\n"},
			)
			res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
			assert.ErrorContains(t, err, "20250101000003_next.sql failed")
			assert.ErrorContains(t, err, "lost the migration lock")
			assert.Check(t, is.DeepEqual(appliedNames(res), []string{"20250101000001_seq.sql", "20250101000002_kill.sql"}))
			db := openDB(t, rawURL)
			var called bool
			assert.NilError(t, db.QueryRow("SELECT is_called FROM probe").Scan(&called))
			assert.Check(t, !called, "a statement of the file after the lost lock ran")
			assert.Check(t, !tableExists(t, db, dialects[1], "after_loss"))
			revs := revisions(t, db)
			assert.Check(t, is.Len(revs, 2), "%+v", revs)
		})
	}
}

// TestPostgresLockCheckedBeforeCommit: a file in a transaction during which the run lost its
// lock is not committed, and not recorded.
func TestPostgresLockCheckedBeforeCommit(t *testing.T) {
	ctx := context.Background()
	rawURL := dialects[1].newURL(t)
	dir := writeDir(t,
		mfile{"20250101000001_a.sql", "CREATE TABLE a (id integer);\n"},
		mfile{"20250101000002_lost.sql", "CREATE TABLE lost (id integer);\n" + killLockSQL},
	)
	res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, "20250101000002_lost.sql failed")
	assert.ErrorContains(t, err, "lost the migration lock")
	assert.ErrorContains(t, err, "the file was rolled back (nothing of it is applied)")
	assert.Check(t, is.DeepEqual(appliedNames(res), []string{"20250101000001_a.sql"}))
	db := openDB(t, rawURL)
	assert.Check(t, !tableExists(t, db, dialects[1], "lost"), "the file was committed without the lock")
	assert.Check(t, is.Len(revisions(t, db), 1))
}

// TestPostgresFileSessionEndsWithIt: what a file leaves in its session (a temporary table, a
// prepared statement, LISTEN, a session advisory lock, a cursor WITH HOLD, the client check
// turned off) reaches no later file, in a transaction or not, and every file runs with the
// client check on (client_connection_check_interval, see watchClientSQL).
func TestPostgresFileSessionEndsWithIt(t *testing.T) {
	ctx := context.Background()
	rawURL := dialects[1].newURL(t)
	leave := "CREATE TEMP TABLE leftover (id integer);\nPREPARE leftover_stmt AS SELECT 1;\nLISTEN leftover_channel;\n" +
		"SELECT pg_advisory_lock(42);\nDECLARE leftover_cursor CURSOR WITH HOLD FOR SELECT 1;\n" +
		"SET client_connection_check_interval = 0;\n"
	capture := func(table string) string {
		return "CREATE TABLE " + table + " AS SELECT to_regclass('pg_temp.leftover') IS NOT NULL AS temp, " +
			"(SELECT count(*) FROM pg_prepared_statements) AS prepared, (SELECT count(*) FROM pg_listening_channels()) AS listening, " +
			"(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory, " +
			"(SELECT count(*) FROM pg_cursors) AS cursors, current_setting('client_connection_check_interval') AS watch;\n"
	}
	const notx = "-- atlas:txmode none\n\n"
	dir := writeDir(t,
		mfile{"20250101000001_first.sql", capture("seen_first")},
		mfile{"20250101000002_leave.sql", leave},
		mfile{"20250101000003_tx.sql", capture("seen_tx")},
		mfile{"20250101000004_leave_notx.sql", notx + leave},
		mfile{"20250101000005_notx.sql", notx + capture("seen_notx")},
		mfile{"20250101000006_leave.sql", leave},
		mfile{"20250101000007_notx_after_tx.sql", notx + capture("seen_notx_after_tx")},
		mfile{"20250101000008_leave_notx.sql", notx + leave},
		mfile{"20250101000009_tx_after_notx.sql", capture("seen_tx_after_notx")},
	)
	_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.NilError(t, err)
	db := openDB(t, rawURL)
	for _, table := range []string{"seen_first", "seen_tx", "seen_notx", "seen_notx_after_tx", "seen_tx_after_notx"} {
		var temp bool
		var prepared, listening, advisory, cursors int
		var watch string
		assert.NilError(t, db.QueryRow("SELECT temp, prepared, listening, advisory, cursors, watch FROM "+table).Scan(&temp, &prepared, &listening, &advisory, &cursors, &watch))
		assert.Check(t, !temp, "%s: the temporary table of the file before", table)
		assert.Check(t, is.Equal(prepared, 0), "%s: prepared statements", table)
		assert.Check(t, is.Equal(listening, 0), "%s: LISTEN", table)
		assert.Check(t, is.Equal(advisory, 0), "%s: session advisory locks", table)
		assert.Check(t, is.Equal(cursors, 0), "%s: cursors", table)
		assert.Check(t, is.Equal(watch, "1s"), "%s: client_connection_check_interval", table)
	}
}

// TestPostgresFailedCommit: a file whose COMMIT fails (a deferred foreign key) is reported as
// rolled back by the failed commit, recorded as failed, and a plain rerun of the fixed file
// applies it.
func TestPostgresFailedCommit(t *testing.T) {
	ctx := context.Background()
	rawURL := dialects[1].newURL(t)
	bad := "CREATE TABLE parent (id integer PRIMARY KEY);\nCREATE TABLE child (parent_id integer REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);\n" +
		"INSERT INTO child (parent_id) VALUES (1);\n"
	dir := writeDir(t, fileA, mfile{"20250101000002_deferred.sql", bad}, fileC)
	res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, "20250101000002_deferred.sql failed: commit:")
	assert.ErrorContains(t, err, "violates foreign key constraint")
	assert.ErrorContains(t, err, "the commit failed, so PostgreSQL rolled the file back (nothing of it is applied)")
	assert.Check(t, is.DeepEqual(appliedNames(res), []string{fileA.name}))
	db := openDB(t, rawURL)
	assert.Check(t, !tableExists(t, db, dialects[1], "parent"))
	revs := revisions(t, db)
	assert.Assert(t, is.Len(revs, 2))
	assert.Check(t, is.Contains(revs[1].errText.String, "violates foreign key constraint"))
	assert.Check(t, revs[1].applied < revs[1].total, "%+v", revs[1])

	addFiles(t, dir, mfile{"20250101000002_deferred.sql", bad + "INSERT INTO parent (id) VALUES (1);\n"})
	res, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(appliedNames(res), []string{"20250101000002_deferred.sql", fileC.name}))
}

// TestPostgresRecordNeverOverwrites: when the version of a file in a transaction has a row by
// the time the file is recorded (another writer's, here the file's own statement standing in
// for it), complete or not, the file is not committed and the run says it lost the lock; a
// version with a row from an earlier failed attempt is recorded over it.
func TestPostgresRecordNeverOverwrites(t *testing.T) {
	row := func(applied int) string {
		return fmt.Sprintf(`INSERT INTO atlas_schema_revisions (version, description, type, applied, total, executed_at, execution_time, hash, operator_version) `+
			`VALUES ('20250101000002', 'meanwhile', 2, %d, 1, now(), 0, 'x', 'another');`+"\n", applied)
	}
	for _, tc := range []struct {
		name    string
		applied int
	}{{"complete", 1}, {"unfinished", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rawURL := dialects[1].newURL(t)
			dir := writeDir(t, fileA, mfile{"20250101000002_meanwhile.sql", "CREATE TABLE meanwhile (id integer);\n" + row(tc.applied)})
			res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
			assert.ErrorContains(t, err, "another run recorded version 20250101000002 while this run applied it")
			assert.ErrorContains(t, err, "the file was rolled back (nothing of it is applied)")
			assert.Check(t, is.DeepEqual(appliedNames(res), []string{fileA.name}))
			db := openDB(t, rawURL)
			assert.Check(t, !tableExists(t, db, dialects[1], "meanwhile"))
			assert.Check(t, is.Len(revisions(t, db), 1))
		})
	}
	t.Run("an earlier failed attempt", func(t *testing.T) {
		ctx := context.Background()
		rawURL := dialects[1].newURL(t)
		dir := writeDir(t, fileA, mfile{"20250101000002_b.sql", "CREATE TABLE b (id integer);\nSELECT 1/0;\n"})
		_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "division by zero")
		addFiles(t, dir, mfile{"20250101000002_b.sql", "CREATE TABLE b (id integer);\n"})
		res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Check(t, is.DeepEqual(appliedNames(res), []string{"20250101000002_b.sql"}))
		revs := revisions(t, openDB(t, rawURL))
		assert.Assert(t, is.Len(revs, 2))
		assert.Check(t, is.Equal(revs[1].applied, revs[1].total))
		assert.Check(t, !revs[1].errText.Valid, "%+v", revs[1])
	})
}
