package reliability_test

import (
	"database/sql"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// logged returns a migration file that creates table name and logs its own execution in
// applied_log, so a second execution would show as a second row (or an "already exists").
func logged(name string, extra ...string) string {
	return fmt.Sprintf("CREATE TABLE %s (id integer PRIMARY KEY, note text NOT NULL);\nINSERT INTO applied_log (file) VALUES ('%s');\n%s",
		name, name, strings.Join(extra, "\n"))
}

const logTable = "CREATE TABLE applied_log (file text NOT NULL);\n"

// Check 1: five migrate processes started at once on a fresh database all exit 0, each file is
// executed exactly once, and no output says "already exists"; SQLite stays intact. On MySQL
// too (its named lock serialises the runs).
func TestLocks1_FiveConcurrentMigratesApplyEachFileExactlyOnce(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		dir := migrations(t, map[string]string{
			"20260101000001_log.sql":   logTable,
			"20260101000002_a.sql":     logged("a", tg.sleep(t, 0.5)),
			"20260101000003_b.sql":     logged("b"),
			"20260101000004_c.sql":     logged("c", tg.sleep(t, 0.5)),
			"20260101000005_child.sql": "CREATE TABLE child (id integer PRIMARY KEY, a_id integer NOT NULL REFERENCES a (id));\nINSERT INTO applied_log (file) VALUES ('child');\n",
		})
		var procs []*proc
		for range 5 {
			procs = append(procs, start(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "2m"))
		}
		applied := 0
		for i, p := range procs {
			r := p.wait(t)
			expect(t, r, 0)
			assert.Check(t, !strings.Contains(strings.ToLower(r.combined()), "already exists"), "runner %d: %s", i, r.combined())
			applied += strings.Count(r.stderr, "applied 2026")
		}
		assert.Equal(t, applied, 5, "the five files were applied once in all, across the runners")
		assert.DeepEqual(t, tg.strings(t, "SELECT file FROM applied_log"), []string{"a", "b", "c", "child"})
		assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002", "20260101000003", "20260101000004", "20260101000005"})
		tg.intact(t)
	}, "mysql")
}

// Check 2: while another session holds the migration lock, migrate --lock-timeout 2s exits
// non-zero within a few seconds, naming the lock and how to find its holder (on MySQL: the
// holder itself), and records nothing.
func TestLocks2_LockTimeoutNamesTheLockAndItsHolder(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		dir := migrations(t, map[string]string{"20260101000001_a.sql": logTable})
		conn, err := tg.db.Conn(t.Context())
		assert.NilError(t, err)
		defer conn.Close()
		var want []string
		switch tg.dialect {
		case "postgres":
			_, err = conn.ExecContext(t.Context(), "SELECT pg_advisory_lock(2686470616)")
			want = []string{"locked by another migration run", "advisory lock 2686470616", "gave up after 2s", "find the holder by running on that database: "}
		case "mysql":
			var db string
			var id, got int
			assert.NilError(t, conn.QueryRowContext(t.Context(), "SELECT DATABASE(), CONNECTION_ID(), GET_LOCK(concat('kernia_migrate:', DATABASE()), 0)").Scan(&db, &id, &got))
			assert.Equal(t, got, 1)
			want = []string{"locked by another migration run", "MySQL named lock kernia_migrate:" + db, "held by connection " + itoa(int64(id)) + " (user root from ", "gave up after 2s"}
		default:
			_, err = conn.ExecContext(t.Context(), "BEGIN IMMEDIATE")
			want = []string{"database is locked by another migrate or writer", "gave up after 2s", "fuser " + tg.path}
		}
		assert.NilError(t, err)
		r := kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "2s")
		expect(t, r, 1, want...)
		assert.Check(t, r.elapsed < 60*time.Second, "took %s", r.elapsed)
		if tg.dialect == "postgres" {
			// The query the message gives finds the session holding the lock.
			_, query, _ := strings.Cut(r.stderr, "find the holder by running on that database: ")
			var holder int
			assert.NilError(t, tg.db.QueryRow(strings.TrimSpace(query)).Scan(&holder, new(any), new(any), new(any), new(any), new(any), new(any)))
			var pid int
			assert.NilError(t, conn.QueryRowContext(t.Context(), "SELECT pg_backend_pid()").Scan(&pid))
			assert.Equal(t, holder, pid)
		}
		if tg.dialect == "sqlite" {
			_, err = conn.ExecContext(t.Context(), "ROLLBACK")
			assert.NilError(t, err)
		}
		assert.DeepEqual(t, tg.tables(t), []string(nil))
	}, "mysql")
}

// Check 3: a migration that runs longer than the lock timeout keeps the lock: a runner started
// meanwhile with a short timeout gives up without executing anything, and one with a long
// timeout waits, then finds nothing to apply; each file runs once.
func TestLocks3_LongMigrationKeepsTheLockSecondRunnerExecutesNothing(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		dir := migrations(t, map[string]string{
			"20260101000001_log.sql":  logTable,
			"20260101000002_slow.sql": logged("slow", tg.sleep(t, 5)),
			"20260101000003_b.sql":    logged("b"),
		})
		first := start(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "1s")
		if tg.dialect == "postgres" {
			eventually(t, time.Minute, "the first runner runs its slow file", func() bool { return tg.running(t, "pg_sleep") })
		} else {
			eventually(t, time.Minute, "the first runner holds the lock", func() bool { return tg.sqliteLocked(t) })
		}
		short := start(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "1s")
		patient := start(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "2m")
		rs := short.wait(t)
		expect(t, rs, 1, "gave up after 1s")
		assert.Check(t, !strings.Contains(rs.stderr, "applied 2026"), rs.stderr)
		assert.Check(t, !first.exited(), "the first runner ended before the short runner gave up: the slow file was not slow enough")
		rf := first.wait(t)
		expect(t, rf, 0, "applied 20260101000002_slow.sql", "applied 20260101000003_b.sql")
		rp := patient.wait(t)
		expect(t, rp, 0, "nothing to apply")
		assert.DeepEqual(t, tg.strings(t, "SELECT file FROM applied_log"), []string{"b", "slow"})
		tg.intact(t)
	})
}

// Checks 4, 7 and 22 (SIGKILL): a runner killed with SIGKILL in the middle of a transactional
// file leaves nothing of that file, the lock is released while the killed statement would still
// be running (PostgreSQL ends the session of a dead client; SQLite's file lock dies with the
// process), the SQLite file is intact, and the next runner applies the file.
func TestLocks4and7_SIGKILLMidFileReleasesTheLockAndLeavesNothing(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		// The killed file's slow statement runs as long as knobs says: a minute while the test
		// kills the runner, a moment when the next runner applies the same file.
		slow := tg.pick("SELECT pg_sleep((SELECT seconds FROM knobs));",
			"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT seconds FROM knobs) * "+itoa(sqliteRowsPerSecond(t))+") SELECT count(*) FROM c;")
		dir := migrations(t, map[string]string{
			"20260101000001_log.sql":    logTable + "CREATE TABLE knobs (seconds float NOT NULL);\nINSERT INTO knobs VALUES (60);\n",
			"20260101000002_a.sql":      logged("a"),
			"20260101000003_killed.sql": logged("killed", "INSERT INTO a (id, note) VALUES (1, 'from killed');", slow),
		})
		p := start(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "5s")
		if tg.dialect == "postgres" {
			eventually(t, time.Minute, "the runner runs its slow file", func() bool { return tg.running(t, "pg_sleep") })
		} else {
			eventually(t, time.Minute, "the runner holds the lock", func() bool { return tg.sqliteLocked(t) })
			eventually(t, time.Minute, "the runner applied its first files", func() bool {
				return strings.Contains(p.stderrSoFar(), "applied 20260101000002_a.sql")
			})
		}
		p.signal(t, syscall.SIGKILL)
		r := p.wait(t)
		assert.Check(t, r.signaled, "the runner was not killed: %+v", r)
		if tg.dialect == "postgres" {
			eventually(t, 20*time.Second, "the server ends the killed runner's session and its lock", func() bool { return !tg.advisoryLockHeld(t) })
		} else {
			assert.Check(t, !tg.sqliteLocked(t), "the killed runner's lock outlived it")
		}
		tg.intact(t)
		assert.Check(t, !contains(tg.tables(t), "killed"), "a table of the killed file remains: %v", tg.tables(t))
		assert.Check(t, !contains(tg.applied(t), "20260101000003"), "the killed file is recorded as applied")
		if tg.dialect == "postgres" {
			// Each file commits on its own: the earlier files stay applied.
			assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002"})
			assert.Equal(t, tg.count(t, "SELECT count(*) FROM a"), 0, "a row the killed file inserted remains")
			_, err := tg.db.Exec("UPDATE knobs SET seconds = 0.1")
			assert.NilError(t, err)
		} else {
			// The run commits at its end: a killed run leaves the file as it was before the run.
			assert.DeepEqual(t, tg.tables(t), []string(nil))
			// The next run's first file creates knobs: make it short there.
			writeFile(t, dir+"/20260101000001_log.sql", logTable+"CREATE TABLE knobs (seconds float NOT NULL);\nINSERT INTO knobs VALUES (0.1);\n")
			rehash(t, dir)
		}
		r = kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "30s")
		expect(t, r, 0, "applied 20260101000003_killed.sql")
		if tg.dialect == "postgres" {
			assert.Check(t, !strings.Contains(r.stderr, "applied 20260101000002_a.sql"), r.stderr)
		}
		assert.DeepEqual(t, tg.strings(t, "SELECT file FROM applied_log"), []string{"a", "killed"})
		assert.Equal(t, tg.count(t, "SELECT count(*) FROM a"), 1)
		tg.intact(t)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Checks 4 and 7 on MySQL, which commits each DDL statement: a runner killed with SIGKILL in
// the middle of a file keeps the statements before the kill; the next plain run resumes
// without running a completed DDL statement again. The kill comes at an exact moment: while
// statement 2 runs on the server, or after it ended and before its progress row is written
// (the test holds a row lock on the file's revision, so the run's write of it waits, and kills
// the runner once that write is seen waiting). Statement 2 is a CREATE TABLE without IF NOT
// EXISTS: run again, it would fail.
func TestLocks4and7_MySQLSIGKILLMidFileResumesWithoutRerunningADDLStatement(t *testing.T) {
	t.Parallel()
	const file = "CREATE TABLE a (id integer PRIMARY KEY);\nCREATE TABLE b AS SELECT SLEEP(1) AS s;\nCREATE TABLE c (id integer PRIMARY KEY);\n"
	for _, tc := range []struct {
		name  string
		gated bool // killed after statement 2, before its record
	}{{"while statement 2 runs", false}, {"after statement 2, before its progress row", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, "mysql")
			dir := migrations(t, map[string]string{"20260101000001_three.sql": file})
			p := start(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "30s")
			eventually(t, time.Minute, "the runner runs statement 2", func() bool { return tg.running(t, "CREATE TABLE b AS SELECT SLEEP") })
			if tc.gated {
				gate, err := tg.db.Conn(t.Context())
				assert.NilError(t, err)
				defer gate.Close()
				_, err = gate.ExecContext(t.Context(), "BEGIN")
				assert.NilError(t, err)
				_, err = gate.ExecContext(t.Context(), "SELECT version FROM atlas_schema_revisions WHERE version = '20260101000001' FOR UPDATE")
				assert.NilError(t, err)
				eventually(t, time.Minute, "the run's progress row for statement 2 waits", func() bool { return tg.running(t, "atlas_schema_revisions") })
				assert.Check(t, contains(tg.tables(t), "b"), "statement 2 has not ended")
				p.signal(t, syscall.SIGKILL)
				assert.Check(t, p.wait(t).signaled)
				_, err = gate.ExecContext(t.Context(), "ROLLBACK")
				assert.NilError(t, err)
			} else {
				p.signal(t, syscall.SIGKILL)
				assert.Check(t, p.wait(t).signaled)
			}
			// Recorded: statement 1 of 3, with its partial hash, and no failure.
			var applied, total int
			var partial, failure sql.NullString
			row := tg.db.QueryRow("SELECT applied, total, partial_hashes, error FROM atlas_schema_revisions WHERE version = '20260101000001'")
			assert.NilError(t, row.Scan(&applied, &total, &partial, &failure))
			assert.Equal(t, applied, 1)
			assert.Equal(t, total, 3)
			assert.Equal(t, strings.Count(partial.String, `"h1:`), 1, partial.String)
			assert.Check(t, !failure.Valid, failure.String)

			r := kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "30s")
			expect(t, r, 0, "statement 2 of 3 (CREATE TABLE b AS SELECT SLEEP(1) AS s;) was running when an earlier run stopped, and it took effect (table b exists): recorded without running it again",
				"applied 20260101000001_three.sql: 1 statement")
			assert.Check(t, !strings.Contains(strings.ToLower(r.stderr), "already exists"), r.stderr)
			row = tg.db.QueryRow("SELECT applied, total, partial_hashes, error FROM atlas_schema_revisions WHERE version = '20260101000001'")
			assert.NilError(t, row.Scan(&applied, &total, &partial, &failure))
			assert.Equal(t, applied, 3)
			assert.Equal(t, total, 3)
			assert.Check(t, !partial.Valid && !failure.Valid, "a completed revision has no partial hashes and no error: %v %v", partial, failure)
			assert.DeepEqual(t, tg.tables(t), []string{"a", "atlas_schema_revisions", "b", "c"})
			assert.Check(t, tg.namedLockFree(t))
		})
	}
}
