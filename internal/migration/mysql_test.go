package migration_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	atlas "ariga.io/atlas/sql/schema"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/mysqltest"
)

// TestMySQLApply applies, re-runs and reports a directory on MySQL, and records the revisions
// as the Atlas CLI does: total statements, applied = total, no partial hashes once done.
func TestMySQLApply(t *testing.T) {
	url := mysqltest.NewDatabase(t)
	dir := writeDir(t,
		mfile{"20250101000001_users.sql", "CREATE TABLE `users` (`id` varchar(255) NOT NULL, `order` int NULL, PRIMARY KEY (`id`));\n" +
			"CREATE INDEX `users_order` ON `users` (`order`);\n"},
		mfile{"20250101000002_posts.sql", "CREATE TABLE `posts` (`id` varchar(255) NOT NULL, `user_id` varchar(255) NOT NULL, PRIMARY KEY (`id`),\n" +
			"  CONSTRAINT `posts_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);\n"},
	)
	ctx := context.Background()
	var out bytes.Buffer
	res, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{Out: &out})
	assert.NilError(t, err)
	assert.DeepEqual(t, appliedNames(res), []string{"20250101000001_users.sql", "20250101000002_posts.sql"})
	assert.Check(t, is.Equal(res.Applied[0].Statements, 2))
	assert.Check(t, is.Contains(out.String(), "2 files applied"))

	res, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
	assert.NilError(t, err)
	assert.Check(t, is.Len(res.Applied, 0))

	st, err := migration.Status(ctx, url, dir)
	assert.NilError(t, err)
	assert.Check(t, is.Len(st.Applied, 2))
	assert.Check(t, is.Len(st.Pending, 0))
	assert.Check(t, is.Len(st.Problems, 0), "%v", st.Problems)
	assert.Check(t, is.Equal(st.Dialect, "mysql"))

	db := mysqltest.Open(t, url)
	var applied, total int
	var partial *string
	assert.NilError(t, db.QueryRow("SELECT applied, total, partial_hashes FROM atlas_schema_revisions WHERE version = '20250101000001'").Scan(&applied, &total, &partial))
	assert.Check(t, is.Equal(applied, 2))
	assert.Check(t, is.Equal(total, 2))
	assert.Check(t, partial == nil)
	// ON DELETE CASCADE holds (InnoDB).
	_, err = db.Exec("INSERT INTO users (id) VALUES ('u1')")
	assert.NilError(t, err)
	_, err = db.Exec("INSERT INTO posts (id, user_id) VALUES ('p1', 'u1')")
	assert.NilError(t, err)
	_, err = db.Exec("DELETE FROM users")
	assert.NilError(t, err)
	var n int
	assert.NilError(t, db.QueryRow("SELECT count(*) FROM posts").Scan(&n))
	assert.Check(t, is.Equal(n, 0))
}

// TestMySQLResumesAtTheFailedStatement: a file failing at statement 3 of 5 keeps statements 1
// and 2 (MySQL commits each DDL statement) and records them; once fixed, the next run starts
// at statement 3. Changing an applied statement is refused.
func TestMySQLResumesAtTheFailedStatement(t *testing.T) {
	url := mysqltest.NewDatabase(t)
	const name = "20250101000001_five.sql"
	stmts := []string{
		"CREATE TABLE a (id int);",
		"CREATE TABLE b (id int);",
		"ALTER TABLE missing ADD COLUMN x int;",
		"CREATE TABLE d (id int);",
		"CREATE TABLE e (id int);",
	}
	dir := writeDir(t, mfile{name, strings.Join(stmts, "\n") + "\n"})
	ctx := context.Background()
	_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, "failed at statement 3 of 5 (ALTER TABLE missing ADD COLUMN x int;)")
	assert.ErrorContains(t, err, "MySQL commits each statement, so the file's first 2 of 5 statements stay applied and the next run resumes after them")
	db := mysqltest.Open(t, url)
	var applied, total int
	var partial, failure string
	assert.NilError(t, db.QueryRow("SELECT applied, total, partial_hashes, error FROM atlas_schema_revisions WHERE version = '20250101000001'").Scan(&applied, &total, &partial, &failure))
	assert.Check(t, is.Equal(applied, 2))
	assert.Check(t, is.Equal(total, 5))
	assert.Check(t, is.Equal(strings.Count(partial, "h1:"), 2), partial)
	assert.Check(t, is.Contains(failure, "missing"))
	st, err := migration.Status(ctx, url, dir)
	assert.NilError(t, err)
	assert.Assert(t, st.LastFailure != nil)

	// Editing an applied statement is refused.
	edited := append([]string{"CREATE TABLE a (id bigint);"}, stmts[1:]...)
	addFiles(t, dir, mfile{name, strings.Join(edited, "\n") + "\n"})
	_, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, "statement 1 of "+name+" changed after it was applied")

	// The fix: statement 3 now creates the table. The run executes statements 3 to 5 only
	// (statements 1 and 2 again would fail: the tables exist).
	fixed := append(append([]string{}, stmts[:2]...), "CREATE TABLE c (id int);", stmts[3], stmts[4])
	addFiles(t, dir, mfile{name, strings.Join(fixed, "\n") + "\n"})
	res, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(res.Applied, 1))
	assert.Check(t, is.Equal(res.Applied[0].Statements, 3))
	assert.NilError(t, db.QueryRow("SELECT applied, total FROM atlas_schema_revisions WHERE version = '20250101000001'").Scan(&applied, &total))
	assert.Check(t, is.Equal(applied, 5))
	assert.Check(t, is.Equal(total, 5))
	for _, table := range []string{"a", "b", "c", "d", "e"} {
		var n int
		assert.NilError(t, db.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?", table).Scan(&n))
		assert.Check(t, is.Equal(n, 1), table)
	}
}

// TestMySQLConcurrentRunners: five runs at once on one database apply each file once.
func TestMySQLConcurrentRunners(t *testing.T) {
	url := mysqltest.NewDatabase(t)
	files := []mfile{
		{"20250101000001_counter.sql", "CREATE TABLE runs (file integer NOT NULL);\n"},
		{"20250101000002_one.sql", "INSERT INTO runs (file) VALUES (2);\nCREATE TABLE t2 (id integer);\n"},
		{"20250101000003_two.sql", "INSERT INTO runs (file) VALUES (3);\nCREATE TABLE t3 (id integer);\n"},
		{"20250101000004_three.sql", "INSERT INTO runs (file) VALUES (4);\n"},
	}
	dir := writeDir(t, files...)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		applied []string
	)
	for range 5 {
		wg.Go(func() {
			res, err := migration.Apply(context.Background(), url, dir, migration.ApplyOptions{LockTimeout: 30 * time.Second})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			applied = append(applied, appliedNames(res)...)
		})
	}
	wg.Wait()
	assert.Check(t, is.Len(errs, 0), "%v", errs)
	assert.Check(t, is.Len(applied, len(files)), "%v", applied)
	db := mysqltest.Open(t, url)
	var n int
	assert.NilError(t, db.QueryRow("SELECT count(*) FROM runs").Scan(&n))
	assert.Check(t, is.Equal(n, 3))
	assert.NilError(t, db.QueryRow("SELECT count(*) FROM atlas_schema_revisions").Scan(&n))
	assert.Check(t, is.Equal(n, len(files)))
}

// TestMySQLLockTimeoutNamesTheHolder: a run that cannot get the lock gives up after the lock
// timeout and names the connection holding it.
func TestMySQLLockTimeoutNamesTheHolder(t *testing.T) {
	url := mysqltest.NewDatabase(t)
	dir := writeDir(t, mfile{"20250101000001_t.sql", "CREATE TABLE t (id int);\n"})
	db := mysqltest.Open(t, url)
	conn, err := db.Conn(context.Background())
	assert.NilError(t, err)
	defer conn.Close()
	var dbName string
	var id, got int
	assert.NilError(t, conn.QueryRowContext(context.Background(), "SELECT DATABASE(), CONNECTION_ID()").Scan(&dbName, &id))
	assert.NilError(t, conn.QueryRowContext(context.Background(), "SELECT GET_LOCK(?, 0)", "kernia_migrate:"+dbName).Scan(&got))
	assert.Equal(t, got, 1)
	start := time.Now()
	_, err = migration.Apply(context.Background(), url, dir, migration.ApplyOptions{LockTimeout: 300 * time.Millisecond})
	assert.ErrorContains(t, err, "is locked by another migration run (MySQL named lock kernia_migrate:"+dbName)
	assert.ErrorContains(t, err, "held by connection "+strconv.Itoa(id)+" (user root")
	assert.ErrorContains(t, err, "gave up after 300ms")
	assert.Check(t, time.Since(start) < 10*time.Second)
	var n int
	assert.NilError(t, db.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()").Scan(&n))
	assert.Check(t, is.Equal(n, 0), "a refused run creates nothing")
}

// TestMySQLKilledMidStatement: a runner killed (SIGKILL) while MySQL runs statement 2 of 3
// leaves that statement running in the server; the next run waits for it to end, finds that it
// took effect, records it without running it again, and applies statement 3.
func TestMySQLKilledMidStatement(t *testing.T) {
	if os.Getenv("KERNIA_MYSQL_CHILD_URL") != "" {
		t.Skip("the helper process runs in TestMySQLHelperProcess")
	}
	url := mysqltest.NewDatabase(t)
	dir := writeDir(t, mfile{"20250101000001_slow.sql", "CREATE TABLE a (id int);\n" +
		"CREATE TABLE slow AS SELECT SLEEP(2) AS s;\n" +
		"CREATE TABLE c (id int);\n"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestMySQLHelperProcess$")
	cmd.Env = append(os.Environ(), "KERNIA_MYSQL_CHILD_URL="+url, "KERNIA_MYSQL_CHILD_DIR="+dir)
	assert.NilError(t, cmd.Start())
	db := mysqltest.Open(t, url)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		assert.NilError(t, db.QueryRow("SELECT count(*) FROM information_schema.processlist WHERE info LIKE 'CREATE TABLE slow%'").Scan(&n))
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the helper never started the slow statement")
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.NilError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	var out bytes.Buffer
	res, err := migration.Apply(context.Background(), url, dir, migration.ApplyOptions{Out: &out, LockTimeout: 30 * time.Second})
	assert.NilError(t, err, out.String())
	assert.Assert(t, is.Len(res.Applied, 1))
	assert.Check(t, is.Equal(res.Applied[0].Statements, 1), "only statement 3 ran")
	assert.Check(t, is.Contains(out.String(), "migrate: waiting for a statement of an earlier, stopped run on"))
	assert.Check(t, is.Contains(out.String(), "statement 2 of 3 (CREATE TABLE slow AS SELECT SLEEP(2) AS s;) was running when an earlier run stopped, and it took effect (table slow exists): recorded without running it again"))
	var applied, total int
	assert.NilError(t, db.QueryRow("SELECT applied, total FROM atlas_schema_revisions").Scan(&applied, &total))
	assert.Check(t, is.Equal(applied, 3))
	assert.Check(t, is.Equal(total, 3))
}

// TestMySQLHelperProcess is the runner TestMySQLKilledMidStatement kills.
func TestMySQLHelperProcess(t *testing.T) {
	url := os.Getenv("KERNIA_MYSQL_CHILD_URL")
	if url == "" {
		t.Skip("run by TestMySQLKilledMidStatement")
	}
	_, _ = migration.Apply(context.Background(), url, os.Getenv("KERNIA_MYSQL_CHILD_DIR"), migration.ApplyOptions{})
}

// TestMySQLAdoptRefused: adopt does not support MySQL yet and says what to do instead;
// --baseline records a baseline on a MySQL database that has tables.
func TestMySQLAdoptRefused(t *testing.T) {
	url := mysqltest.NewDatabase(t)
	dir := writeDir(t, mfile{"20250101000001_t.sql", "CREATE TABLE t (id int);\n"}, mfile{"20250101000002_u.sql", "CREATE TABLE u (id int);\n"})
	db := mysqltest.Open(t, url)
	_, err := db.Exec("CREATE TABLE t (id int)")
	assert.NilError(t, err)
	_, err = migration.Adopt(context.Background(), url, dir, migration.AdoptOptions{
		Check: func(context.Context, atlas.ExecQuerier) ([]string, error) {
			t.Error("no check runs on MySQL")
			return nil, nil
		},
	})
	assert.ErrorContains(t, err, "adopting a MySQL database is not supported yet")
	_, err = migration.Apply(context.Background(), url, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, "is not empty (tables t)")
	res, err := migration.Apply(context.Background(), url, dir, migration.ApplyOptions{Baseline: "20250101000001"})
	assert.NilError(t, err)
	assert.DeepEqual(t, appliedNames(res), []string{"20250101000002_u.sql"})
}

// TestMySQLLockWaitRetried: behind a transaction that read users (it holds the table's
// metadata lock until it ends), ALTER TABLE users waits lock_wait_timeout (--ddl-lock-timeout)
// and fails with Error 1205 instead of queueing every later query on users behind it; the run
// tries the statement again after a pause. Released before the last attempt, the file applies;
// never released, the run stops after DDLAttempts, saying how many attempts it made and which
// transactions were open, with the statement before it applied and recorded.
func TestMySQLLockWaitRetried(t *testing.T) {
	for _, release := range []bool{true, false} {
		t.Run(map[bool]string{true: "released after the first attempt", false: "never released"}[release], func(t *testing.T) {
			t.Parallel() // each waits out real lock timeouts (MySQL's are whole seconds)
			url := mysqltest.NewDatabase(t)
			ctx := context.Background()
			dir := writeDir(t, mfile{"20250101000001_users.sql", "CREATE TABLE users (id int PRIMARY KEY);\nINSERT INTO users VALUES (1), (2);\n"})
			_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			addFiles(t, dir, mfile{"20250101000002_nickname.sql", "CREATE TABLE audit (id int);\nALTER TABLE users ADD COLUMN nickname varchar(20);\n"})
			db := mysqltest.Open(t, url)
			blocker, err := db.Conn(ctx)
			assert.NilError(t, err)
			defer blocker.Close()
			var blockerID int
			assert.NilError(t, blocker.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&blockerID))
			_, err = blocker.ExecContext(ctx, "BEGIN")
			assert.NilError(t, err)
			_, err = blocker.ExecContext(ctx, "SELECT count(*) FROM users")
			assert.NilError(t, err)

			out := &retryWatcher{want: "attempt 1 of 2", seen: make(chan struct{})}
			done := make(chan error, 1)
			go func() {
				_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{DDLLockTimeout: time.Second, DDLAttempts: 2, Out: out})
				done <- err
			}()
			<-out.seen
			assert.Check(t, is.Contains(out.String(), "20250101000002_nickname.sql statement 2 of 2 (ALTER TABLE users ADD COLUMN nickname varchar(20);) waited lock_wait_timeout 1s for a lock (Error 1205, attempt 1 of 2): retrying in 1s"))
			if release {
				_, err = blocker.ExecContext(ctx, "COMMIT")
				assert.NilError(t, err)
				assert.NilError(t, <-done, out.String())
			} else {
				err = <-done
				assert.ErrorContains(t, err, "failed at statement 2 of 2")
				assert.ErrorContains(t, err, "Error 1205")
				assert.ErrorContains(t, err, "in each of 2 attempts")
				assert.ErrorContains(t, err, "open transactions now: connection "+strconv.Itoa(blockerID)+" (open ")
				assert.ErrorContains(t, err, "the file's first 1 of 2 statements stay applied")
				assert.ErrorContains(t, err, "the file is not at fault: once the session holding the lock ends, run migrate again (a plain rerun is enough)")
				_, err = blocker.ExecContext(ctx, "COMMIT")
				assert.NilError(t, err)
				var applied int
				assert.NilError(t, db.QueryRow("SELECT applied FROM atlas_schema_revisions WHERE version = '20250101000002'").Scan(&applied))
				assert.Check(t, is.Equal(applied, 1))
				_, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
				assert.NilError(t, err, "a plain rerun finishes the file")
			}
			var n int
			assert.NilError(t, db.QueryRow("SELECT count(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'users' AND column_name = 'nickname'").Scan(&n))
			assert.Check(t, is.Equal(n, 1))
			assert.NilError(t, db.QueryRow("SELECT count(*) FROM users").Scan(&n))
			assert.Check(t, is.Equal(n, 2), "every row kept")
		})
	}
}

// TestMySQLServerFeaturesRunHere: the statements whose support differs between MySQL 8 and
// MariaDB (RENAME COLUMN, a default in parentheses, json, CHECK) pass migrate's server check
// on the test server (MariaDB 10.11) and run: json is LONGTEXT with a JSON_VALID check there,
// which refuses invalid JSON as MySQL's native type does, and the CHECK is enforced.
func TestMySQLServerFeaturesRunHere(t *testing.T) {
	url := mysqltest.NewDatabase(t)
	dir := writeDir(t, mfile{"20250101000001_features.sql", "CREATE TABLE `t` (`id` int NOT NULL, `name` text NULL, `doc` json NULL, " +
		"`at` datetime(3) NOT NULL DEFAULT (current_timestamp(3)), PRIMARY KEY (`id`), CONSTRAINT `id_positive` CHECK (`id` > 0));\n" +
		"ALTER TABLE `t` RENAME COLUMN `name` TO `full_name`;\n"})
	var out bytes.Buffer
	_, err := migration.Apply(context.Background(), url, dir, migration.ApplyOptions{Out: &out})
	assert.NilError(t, err)
	assert.Check(t, !strings.Contains(out.String(), "warning"), out.String())
	db := mysqltest.Open(t, url)
	_, err = db.Exec("INSERT INTO t (id, full_name, doc) VALUES (1, 'a', '{\"k\": 1}')")
	assert.NilError(t, err)
	_, err = db.Exec("INSERT INTO t (id, doc) VALUES (2, 'not json')")
	assert.Check(t, err != nil, "invalid JSON was stored")
	_, err = db.Exec("INSERT INTO t (id) VALUES (-1)")
	assert.Check(t, err != nil, "the CHECK constraint is not enforced")
	var at time.Time
	assert.NilError(t, db.QueryRow("SELECT at FROM t WHERE id = 1").Scan(&at))
	assert.Check(t, time.Since(at) < time.Hour, "the default expression ran: %v", at)
}

// TestMySQLInterruptedStatementStoppedOnTheServer: cancelling a run (Ctrl-C) stops the running
// statement on the server with KILL QUERY instead of leaving it to run, and the error says what
// became of it: a CREATE TABLE … AS SELECT SLEEP stopped with an error is not applied and runs
// again next time; a DO SLEEP, which KILL QUERY cuts short without an error, counts as applied
// and is recorded, and the next run goes on after it.
func TestMySQLInterruptedStatementStoppedOnTheServer(t *testing.T) {
	for _, tc := range []struct {
		stmt, want string
		applied    int
	}{
		{"CREATE TABLE slow AS SELECT SLEEP(30) AS s;", "statement 2 (CREATE TABLE slow AS SELECT SLEEP(30) AS s;) was running: the server stopped it (KILL QUERY), so it is not applied, and the next run runs it again", 1},
		{"DO SLEEP(30);", "statement 2 (DO SLEEP(30);) was running and the server reported it complete, without an error, when asked to stop it (it had ended, or KILL QUERY cut it short, as it does a SLEEP), so it is applied and recorded", 2},
	} {
		t.Run(tc.stmt, func(t *testing.T) {
			url := mysqltest.NewDatabase(t)
			db := mysqltest.Open(t, url)
			dir := writeDir(t, mfile{"20250101000001_slow.sql", "CREATE TABLE a (id int);\n" + tc.stmt + "\nCREATE TABLE c (id int);\n"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
				done <- err
			}()
			deadline := time.Now().Add(30 * time.Second)
			for {
				var n int
				assert.NilError(t, db.QueryRow("SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%SLEEP(30)%' AND id <> CONNECTION_ID()").Scan(&n))
				if n > 0 {
					break
				}
				assert.Assert(t, time.Now().Before(deadline), "the slow statement never ran")
				time.Sleep(20 * time.Millisecond)
			}
			start := time.Now()
			cancel()
			err := <-done
			assert.Check(t, time.Since(start) < 10*time.Second, "the run did not stop promptly: %s", time.Since(start))
			assert.ErrorContains(t, err, "migrate: interrupted while applying 20250101000001_slow.sql")
			assert.ErrorContains(t, err, tc.want)
			var n int
			assert.NilError(t, db.QueryRow("SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%SLEEP(30)%' AND id <> CONNECTION_ID()").Scan(&n))
			assert.Check(t, is.Equal(n, 0), "the statement still runs on the server")
			var applied int
			assert.NilError(t, db.QueryRow("SELECT applied FROM atlas_schema_revisions").Scan(&applied))
			assert.Check(t, is.Equal(applied, tc.applied))
			// The next run: the stopped statement runs again (made quick), the completed one does not.
			addFiles(t, dir, mfile{"20250101000001_slow.sql", "CREATE TABLE a (id int);\n" + strings.Replace(tc.stmt, "SLEEP(30)", "SLEEP(0)", 1) + "\nCREATE TABLE c (id int);\n"})
			if tc.applied == 2 {
				// Statement 2 is applied: changing it is refused, as for any applied statement.
				_, err := migration.Apply(context.Background(), url, dir, migration.ApplyOptions{})
				assert.ErrorContains(t, err, "statement 2 of 20250101000001_slow.sql changed after it was applied")
				addFiles(t, dir, mfile{"20250101000001_slow.sql", "CREATE TABLE a (id int);\n" + tc.stmt + "\nCREATE TABLE c (id int);\n"})
			}
			res, err := migration.Apply(context.Background(), url, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			assert.Check(t, is.Equal(res.Applied[0].Statements, 3-tc.applied))
		})
	}
}
