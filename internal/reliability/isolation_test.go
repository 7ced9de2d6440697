package reliability_test

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/pgtest"
)

// Issue 9, case 4: every file starts from the same session state. A file that changes the
// session (statement_timeout, search_path, the role; on SQLite query_only, case_sensitive_like
// and a temporary trigger) changes nothing for the next file: the next files, which would fail
// or behave differently under those settings, apply, and the revisions land in the run's schema.
func TestIsolation4_SetInOneFileDoesNotReachTheNext(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		var files map[string]string
		if tg.dialect == "postgres" {
			role := "kernia_iso_" + randomHex(t)
			server := pgtest.Server(t)
			_, err := server.Exec("CREATE ROLE " + role + " NOLOGIN")
			assert.NilError(t, err)
			t.Cleanup(func() { _, _ = server.Exec("DROP ROLE IF EXISTS " + role) })
			// Under any of these settings the next file fails: pg_sleep(0.3) exceeds the
			// timeout, CREATE TABLE finds no schema, and the role may not create in public.
			sets := "CREATE SCHEMA elsewhere;\nSET search_path = elsewhere;\nCREATE TABLE atlas_schema_revisions (version text);\nSET ROLE " + role + ";\nSET statement_timeout = '100ms';\n"
			next := func(table string) string {
				return "SELECT pg_sleep(0.3);\nCREATE TABLE " + table + " (id integer);\nSELECT current_user;\n"
			}
			files = map[string]string{
				"20260101000001_sets.sql":        sets,
				"20260101000002_next.sql":        next("b"),
				"20260101000003_sets_notx.sql":   "-- atlas:txmode none\n\nSET search_path = elsewhere;\nSET ROLE " + role + ";\nSET statement_timeout = '100ms';\n",
				"20260101000004_next_notx.sql":   "-- atlas:txmode none\n\n" + next("d"),
				"20260101000005_local.sql":       "SET LOCAL search_path = elsewhere;\nSET LOCAL statement_timeout = '100ms';\n",
				"20260101000006_after_local.sql": next("f"),
			}
		} else {
			files = map[string]string{
				"20260101000001_sets.sql": "CREATE TABLE a (id integer);\n" +
					"CREATE TEMP TRIGGER a_no_insert BEFORE INSERT ON a BEGIN SELECT RAISE(ABORT, 'the temporary trigger of file 1 reached file 2'); END;\n" +
					"PRAGMA case_sensitive_like = on;\nPRAGMA recursive_triggers = on;\nPRAGMA query_only = on;\n",
				"20260101000002_next.sql": "INSERT INTO a (id) VALUES (1);\nCREATE TABLE b (id integer);\nINSERT INTO b (id) SELECT 1 WHERE 'A' LIKE 'a';\n",
			}
		}
		dir := migrations(t, files)
		r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
		expect(t, r, 0)
		assert.Equal(t, len(tg.applied(t)), len(files), "every file applied, recorded in the run's schema")
		if tg.dialect == "postgres" {
			assert.Check(t, contains(tg.tables(t), "b") && contains(tg.tables(t), "d") && contains(tg.tables(t), "f"), "%v", tg.tables(t))
			assert.Equal(t, tg.count(t, "SELECT count(*) FROM elsewhere.atlas_schema_revisions"), 0, "a revision went to the file's search_path")
			assert.Equal(t, tg.count(t, "SELECT count(*) FROM pg_tables WHERE tablename IN ('b', 'd', 'f') AND tableowner = current_user"), 3,
				"a later file ran under the role an earlier file set")
		} else {
			assert.Equal(t, tg.count(t, "SELECT count(*) FROM b"), 1, "case_sensitive_like of file 1 reached file 2")
			assert.Equal(t, tg.count(t, "SELECT count(*) FROM a"), 1)
			tg.intact(t)
		}
	})
}

// Issue 9, case 4: a file cannot release or steal the migration lock: the lock is held by a
// transaction on a connection the files never run on. A file calling pg_advisory_unlock_all()
// (in a transaction and in a txmode none file) leaves the lock held for the rest of the run, so
// a second runner times out on it; a file trying to take the lock itself does not get it.
func TestIsolation4_FileCannotReleaseTheLock(t *testing.T) {
	t.Parallel()
	steal := "DO $$ BEGIN IF pg_try_advisory_lock(2686470616) THEN RAISE EXCEPTION 'the file took the migration lock'; END IF; END $$;\n"
	for _, tc := range []struct{ name, header string }{{"in a transaction", ""}, {"txmode none", "-- atlas:txmode none\n\n"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, "postgres")
			dir := migrations(t, map[string]string{
				"20260101000001_release.sql": tc.header + "SELECT pg_advisory_unlock_all();\nSELECT pg_advisory_unlock(2686470616);\n" + steal + "SELECT pg_sleep(3);\n",
				"20260101000002_after.sql":   "CREATE TABLE after_release (id integer);\n",
			})
			a := start(t, "migrate", "--url", tg.url, "--dir", dir)
			eventually(t, time.Minute, "the file's pg_sleep runs", func() bool { return tg.running(t, "pg_sleep(3)") })
			assert.Check(t, tg.advisoryLockHeld(t), "the file released the migration lock")
			b := kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "500ms")
			expect(t, b, 1, "is locked by another migration run")
			ra := a.wait(t)
			expect(t, ra, 0, "applied 20260101000001_release.sql", "applied 20260101000002_after.sql")
			assert.Check(t, !tg.advisoryLockHeld(t), "the lock outlived the run")
			assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002"})
		})
	}
}

// Issue 9, case 4: a file holding transaction control outside `-- atlas:txmode none` is refused
// before anything runs: the error names the file and the line, and the database is untouched
// (not even the first, valid file is applied, nor the revisions table created). BEGIN and END
// inside a function body, CASE … END, string literals and comments are not transaction
// control, and a txmode none file may manage its own transactions on PostgreSQL.
func TestIsolation4_TransactionControlRefusedBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	refused := []struct {
		name, file string
		line       string
		dialects   []string
	}{
		{"begin commit", "CREATE TABLE x (id integer);\n\nBEGIN;\nCREATE TABLE y (id integer);\nCOMMIT;\n", "line 3", []string{"postgres", "sqlite"}},
		{"commit alone", "CREATE TABLE x (id integer);\n-- a comment\nCOMMIT;\nCREATE TABLE y (id integer);\n", "line 3", []string{"postgres", "sqlite"}},
		{"start transaction", "START TRANSACTION;\nCREATE TABLE y (id integer);\nEND;\n", "line 1", []string{"postgres"}},
		{"rollback", "CREATE TABLE x (id integer);\nROLLBACK;\n", "line 2", []string{"postgres", "sqlite"}},
		{"end", "CREATE TABLE x (id integer);\n  END ;\n", "line 2", []string{"postgres", "sqlite"}},
		{"sqlite txmode none has no effect", "-- atlas:txmode none\n\nCREATE TABLE x (id integer);\nCOMMIT;\n", "line 4", []string{"sqlite"}},
		{"the run's savepoint", "CREATE TABLE x (id integer);\nRELEASE kernia_migrate_file;\n", "line 2", []string{"sqlite"}},
	}
	for _, tc := range refused {
		for _, d := range tc.dialects {
			t.Run(d+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				tg := newTarget(t, d)
				dir := migrations(t, map[string]string{
					"20260101000001_good.sql": "CREATE TABLE good (id integer);\n",
					"20260101000002_tx.sql":   tc.file,
				})
				r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
				expect(t, r, 1, "20260101000002_tx.sql "+tc.line, "nothing was applied")
				assert.DeepEqual(t, tg.tables(t), []string(nil))
				dry := kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--dry-run")
				expect(t, dry, 1, "20260101000002_tx.sql "+tc.line)
				s := status(t, tg, dir)
				assert.Check(t, len(s.Problems) > 0 && strings.Contains(strings.Join(s.Problems, "\n"), "20260101000002_tx.sql "+tc.line), "%v", s.Problems)
			})
		}
	}
	allowed := map[string]string{
		"postgres": "CREATE FUNCTION f(x integer) RETURNS integer AS $$\nBEGIN\n  IF x > 0 THEN RETURN CASE WHEN x > 1 THEN 2 ELSE 1 END; END IF;\n  LOOP EXIT; END LOOP;\n  RETURN 0;\nEND;\n$$ LANGUAGE plpgsql;\n" +
			"SELECT 'BEGIN; COMMIT;' AS s; -- COMMIT;\n/* ROLLBACK; */\nCREATE TABLE t (id integer DEFAULT f(2));\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nRELEASE SAVEPOINT s;\n",
		"sqlite": "CREATE TABLE t (id integer);\nCREATE TRIGGER t_ins AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 1 END; END;\nSELECT 'COMMIT;';\nSAVEPOINT mine;\nRELEASE mine;\n",
	}
	dialects(t, func(t *testing.T, tg *target) {
		files := map[string]string{"20260101000001_allowed.sql": allowed[tg.dialect]}
		if tg.dialect == "postgres" {
			files["20260101000002_own_tx.sql"] = "-- atlas:txmode none\n\nBEGIN;\nCREATE TABLE own (id integer);\nINSERT INTO own VALUES (1);\nCOMMIT;\nCREATE INDEX CONCURRENTLY own_id ON own (id);\n"
		}
		r := kernia(t, "migrate", "--url", tg.url, "--dir", migrations(t, files))
		expect(t, r, 0)
		assert.Equal(t, len(tg.applied(t)), len(files))
	})
}

// randomHex returns 12 random hex digits, for names shared across the server (roles).
func randomHex(t *testing.T) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	assert.NilError(t, err)
	return hex.EncodeToString(b[:])
}

// Issue 9, case 4: a failure record of one runner never overwrites a revision another runner
// completed, and a runner that lost the lock commits nothing. Runner A's lock connection is
// terminated while A is in the middle of a file; runner B then takes the lock and applies the
// same version (its own copy of the file). A then fails (or finishes) its file: it writes no
// record and commits nothing, and says it lost the lock; B's revision stays complete and only
// B's copy ran.
func TestIsolation4_FailureRecordNeverOverwritesACompletedRevision(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, aFile string }{
		{"A fails afterwards", "SELECT pg_sleep(4);\nINSERT INTO log (who) VALUES ('a');\nINSERT INTO missing_table VALUES (1);\n"},
		{"A succeeds afterwards", "SELECT pg_sleep(4);\nINSERT INTO log (who) VALUES ('a');\n"},
		{"A runs without a transaction", "-- atlas:txmode none\n\nSELECT pg_sleep(4);\nINSERT INTO log (who) VALUES ('a');\nINSERT INTO missing_table VALUES (1);\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, "postgres")
			first := "CREATE TABLE log (who text NOT NULL);\n"
			dirA := migrations(t, map[string]string{"20260101000001_log.sql": first, "20260101000002_work.sql": tc.aFile})
			dirB := migrations(t, map[string]string{"20260101000001_log.sql": first, "20260101000002_work.sql": "INSERT INTO log (who) VALUES ('b');\n"})
			a := start(t, "migrate", "--url", tg.url, "--dir", dirA)
			eventually(t, time.Minute, "A's pg_sleep runs", func() bool { return tg.running(t, "pg_sleep(4)") })
			assert.Equal(t, tg.count(t, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 2686470616 AND granted `+
				`AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) t`), 1, "A's lock session")
			b := kernia(t, "migrate", "--url", tg.url, "--dir", dirB, "--lock-timeout", "30s")
			expect(t, b, 0, "applied 20260101000002_work.sql")
			ra := a.wait(t)
			expect(t, ra, 1, "lost the migration lock", "a plain rerun is enough")
			assert.Check(t, !strings.Contains(ra.stderr, "fix the file"), ra.stderr)
			revs := tg.revisions(t)
			assert.Equal(t, len(revs), 2)
			assert.Equal(t, revs[1].Applied, revs[1].Total, "A overwrote B's completed revision: %+v", revs[1])
			assert.Equal(t, revs[1].Error, "")
			assert.Equal(t, revs[1].Total, 1, "the revision is B's")
			assert.DeepEqual(t, tg.strings(t, "SELECT who FROM log"), []string{"b"})
			assert.Check(t, !tg.advisoryLockHeld(t))
		})
	}
}
