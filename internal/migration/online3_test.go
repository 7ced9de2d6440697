package migration_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
)

// online3Rows is how many users the lock-timeout tests insert before migrating.
const online3Rows = 10000

var online3Users = mfile{"20250101000001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());\n" +
	fmt.Sprintf("INSERT INTO users (id, email) SELECT g, 'u' || g || '@example.com' FROM generate_series(1, %d) g;\n", online3Rows)}

// retryWatcher collects the run's progress lines and closes seen once a line contains want.
type retryWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *retryWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *retryWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestOnline3_LockTimeoutRetries proves that every PostgreSQL migration statement runs under
// lock_timeout with bounded retries: behind another session's lock on users, a transactional
// file is rolled back and tried again whole, a txmode none file retries only the statement that
// timed out (dropping the INVALID index a timed-out CREATE INDEX CONCURRENTLY left); once the
// blocker ends, the run succeeds with every row intact; while it waits, SELECTs on users are
// answered; a blocker that never ends fails the run after the bounded attempts with a message
// saying so and nothing of the transactional file applied.
func TestOnline3_LockTimeoutRetries(t *testing.T) {
	const (
		timeout  = 200 * time.Millisecond
		attempts = 4
	)
	tests := []struct {
		name string
		file mfile
		// blocker runs in the blocking session's open transaction.
		blocker string
		// release ends the blocker after the run's second attempt; otherwise it holds until
		// the run fails.
		release bool
		// applied are the statements of the file applied after a failure, which appliedCheck
		// counts.
		applied      int64
		appliedCheck string
		// check verifies the schema after a successful run.
		check string
	}{
		{
			name:    "transactional file behind an ACCESS EXCLUSIVE lock",
			file:    mfile{"20250101000002_nickname.sql", "ALTER TABLE users ADD COLUMN nickname text;\nCREATE INDEX users_nickname ON users (nickname);\n"},
			blocker: "LOCK TABLE users IN ACCESS EXCLUSIVE MODE",
			release: true,
			check:   "SELECT count(*) FROM users WHERE nickname IS NULL",
		},
		{
			name:    "transactional file behind a long transaction holding a row lock",
			file:    mfile{"20250101000002_nickname.sql", "ALTER TABLE users ADD COLUMN nickname text;\n"},
			blocker: "SELECT id FROM users WHERE id = 1 FOR UPDATE",
			release: true,
			check:   "SELECT count(*) FROM users WHERE nickname IS NULL",
		},
		{
			name:    "txmode none file: CREATE INDEX CONCURRENTLY behind an open write",
			file:    mfile{"20250101000002_email_idx.sql", "-- atlas:txmode none\n\nCREATE TABLE audit (id bigint);\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"},
			blocker: "UPDATE users SET updated_at = now() WHERE id = 1",
			release: true,
			check:   "SELECT count(*) FROM pg_index WHERE indexrelid = 'users_email_key'::regclass AND indisvalid",
		},
		{
			name:         "transactional file: the blocker never ends",
			file:         mfile{"20250101000002_nickname.sql", "ALTER TABLE users ADD COLUMN nickname text;\nCREATE INDEX users_nickname ON users (nickname);\n"},
			blocker:      "SELECT id FROM users WHERE id = 1 FOR UPDATE",
			applied:      0,
			appliedCheck: "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'",
		},
		{
			name:         "txmode none file: the blocker never ends",
			file:         mfile{"20250101000002_email_idx.sql", "-- atlas:txmode none\n\nCREATE TABLE audit (id bigint);\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"},
			blocker:      "UPDATE users SET updated_at = now() WHERE id = 1",
			applied:      1,
			appliedCheck: "SELECT count(*) FROM information_schema.tables WHERE table_name = 'audit'",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := dialects[1]
			ctx := context.Background()
			rawURL := d.newURL(t)
			dir := writeDir(t, online3Users)
			_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			addFiles(t, dir, tc.file)
			db := openDB(t, rawURL)
			before := userRows(t, db)

			blocker, err := db.Conn(ctx)
			assert.NilError(t, err)
			defer blocker.Close()
			_, err = blocker.ExecContext(ctx, "BEGIN")
			assert.NilError(t, err)
			_, err = blocker.ExecContext(ctx, tc.blocker)
			assert.NilError(t, err)
			var released sync.Once
			release := func() {
				released.Do(func() { _, err := blocker.ExecContext(ctx, "ROLLBACK"); assert.Check(t, err) })
			}
			defer release()

			out := &retryWatcher{want: "attempt 2 of", seen: make(chan struct{})}
			type result struct {
				res *migration.ApplyResult
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{DDLLockTimeout: timeout, DDLAttempts: attempts, Out: out})
				done <- result{res, err}
			}()

			// While the run waits, reads of users are answered: each SELECT waits at most one
			// lock_timeout behind the run's statement, never until the blocker ends (the
			// blocker outlives these reads' statement_timeout). The write-blocking blocker
			// (ACCESS EXCLUSIVE) blocks reads itself: no reads then.
			if !strings.Contains(tc.blocker, "ACCESS EXCLUSIVE") {
				reader, err := db.Conn(ctx)
				assert.NilError(t, err)
				defer reader.Close()
				_, err = reader.ExecContext(ctx, "SET statement_timeout = '3s'")
				assert.NilError(t, err)
				for i := 0; i < 5; i++ {
					var n int
					assert.NilError(t, reader.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE email = $1", fmt.Sprintf("u%d@example.com", i+2)).Scan(&n), "a read of users during the run's wait")
					assert.Equal(t, n, 1)
				}
			}

			var r result
			if tc.release {
				select {
				case <-out.seen:
				case r = <-done:
					t.Fatalf("the run ended before its second attempt: %v\n%s", r.err, out)
				}
				release()
				r = <-done
				assert.NilError(t, r.err, out.String())
				assert.Check(t, is.Contains(out.String(), "waited lock_timeout 200ms for a lock (SQLSTATE 55P03, attempt 1 of 4)"))
				var n int
				assert.NilError(t, db.QueryRow(tc.check).Scan(&n))
				if strings.Contains(tc.check, "pg_index") {
					assert.Equal(t, n, 1, "the unique index is built and valid (the INVALID one a timed-out build left was dropped)")
				} else {
					assert.Equal(t, n, online3Rows)
				}
			} else {
				r = <-done
				t.Logf("the run's progress:\n%s\nits error: %v", out, r.err)
				assert.ErrorContains(t, r.err, "in each of 4 attempts")
				assert.ErrorContains(t, r.err, "canceling statement due to lock timeout")
				assert.ErrorContains(t, r.err, "--ddl-lock-timeout")
				assert.ErrorContains(t, r.err, "the file is not at fault: once the session holding the lock ends, run migrate again (a plain rerun is enough)")
				assert.Check(t, is.Contains(out.String(), "attempt 3 of 4"))
				assert.Check(t, !strings.Contains(out.String(), "attempt 4 of 4"), "no fifth attempt")
				release()
				var n int
				assert.NilError(t, db.QueryRow(tc.appliedCheck).Scan(&n))
				assert.Equal(t, n, int(tc.applied), "the file's applied statements")
				revs := revisions(t, db)
				assert.Equal(t, len(revs), 2)
				assert.Check(t, is.Equal(revs[1].applied, tc.applied))
				assert.Check(t, is.Contains(revs[1].errText.String, "in each of 4 attempts"))
				// With the blocker gone a plain rerun finishes the file.
				_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{DDLLockTimeout: timeout, DDLAttempts: attempts})
				assert.NilError(t, err)
			}
			assert.DeepEqual(t, userRows(t, db), before)
			var invalid int
			assert.NilError(t, db.QueryRow("SELECT count(*) FROM pg_index WHERE indrelid = 'users'::regclass AND NOT indisvalid").Scan(&invalid))
			assert.Equal(t, invalid, 0, "no INVALID index is left")
		})
	}
}

// userRows returns every row of users, as text, by id.
func userRows(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT id, email, updated_at FROM users ORDER BY id")
	assert.NilError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var email string
		var at time.Time
		assert.NilError(t, rows.Scan(&id, &email, &at))
		out = append(out, fmt.Sprintf("%d %s %s", id, email, at.UTC().Format(time.RFC3339Nano)))
	}
	assert.NilError(t, rows.Err())
	return out
}

// TestOnline3_OnlineBuildsWithoutParallelWorkers proves that the statements of a txmode none
// file (where Kernia puts CREATE INDEX CONCURRENTLY on tables the application uses) run with
// max_parallel_maintenance_workers = 0, so an index build leaves the other cores to the
// application, while a transactional file keeps the server's setting; and that the setting
// does not outlive its file on the run's connection.
func TestOnline3_OnlineBuildsWithoutParallelWorkers(t *testing.T) {
	d := dialects[1]
	ctx := context.Background()
	rawURL := d.newURL(t)
	capture := func(table string) string {
		return fmt.Sprintf("CREATE TABLE %s AS SELECT current_setting('max_parallel_maintenance_workers') AS workers, current_setting('lock_timeout') AS lock_timeout;\n", table)
	}
	dir := writeDir(t,
		mfile{"20250101000001_tx.sql", capture("in_tx")},
		mfile{"20250101000002_online.sql", "-- atlas:txmode none\n\n" + capture("online") + "CREATE INDEX CONCURRENTLY online_workers ON online (workers);\n"},
		mfile{"20250101000003_after.sql", "-- atlas:txmode none\n\n" + capture("after_online")},
		mfile{"20250101000004_tx_after.sql", capture("tx_after")},
	)
	db := openDB(t, rawURL)
	var server string
	assert.NilError(t, db.QueryRowContext(ctx, "SHOW max_parallel_maintenance_workers").Scan(&server))
	assert.Assert(t, server != "0", "the test needs a server whose default is not 0")
	_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{DDLLockTimeout: 1500 * time.Millisecond})
	assert.NilError(t, err)
	for _, tc := range []struct{ table, workers, lockTimeout string }{
		{"in_tx", server, "1500ms"},
		{"online", "0", "1500ms"},
		{"after_online", "0", "1500ms"},
		{"tx_after", server, "1500ms"},
	} {
		var workers, lockTimeout string
		assert.NilError(t, db.QueryRowContext(ctx, "SELECT workers, lock_timeout FROM "+tc.table).Scan(&workers, &lockTimeout))
		assert.Check(t, is.Equal(workers, tc.workers), tc.table)
		assert.Check(t, is.Equal(lockTimeout, tc.lockTimeout), tc.table)
	}
}
