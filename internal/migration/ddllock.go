package migration

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// DDL statements on PostgreSQL wait politely for the locks they need.
//
// A statement such as ALTER TABLE users … queues for its ACCESS EXCLUSIVE lock behind any
// transaction still using the table, and while it waits every later query on the table queues
// behind it: one long transaction and the migration together block every login. So each file
// runs under lock_timeout (ApplyOptions.DDLLockTimeout): a statement that cannot get its lock
// within it fails with SQLSTATE 55P03 (lock_not_available) instead of holding up the queue, and
// the run tries again after a pause, at most ApplyOptions.DDLAttempts times. A transactional
// file is retried whole (its transaction was rolled back); a `-- atlas:txmode none` file retries
// only the statement that timed out (the ones before it are applied and recorded), after
// dropping the INVALID index a timed-out CREATE INDEX CONCURRENTLY may leave. Only 55P03 is
// retried: every other failure stops the run as before.

// DefaultDDLLockTimeout is the lock_timeout every PostgreSQL migration statement runs under
// when ApplyOptions.DDLLockTimeout is zero.
const DefaultDDLLockTimeout = 5 * time.Second

// DefaultDDLAttempts is how many times a statement that timed out waiting for a lock is tried
// when ApplyOptions.DDLAttempts is zero.
const DefaultDDLAttempts = 5

// maxDDLBackoff caps the pause between two attempts.
const maxDDLBackoff = 10 * time.Second

// lockNotAvailable reports whether err is PostgreSQL's lock_not_available (SQLSTATE 55P03),
// which lock_timeout raises.
func lockNotAvailable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// ddlBackoff is the pause after the given failed attempt (1-based): the lock timeout (at most a
// second) doubled for each attempt, capped at maxDDLBackoff.
func ddlBackoff(timeout time.Duration, attempt int) time.Duration {
	d := min(timeout, time.Second)
	for i := 1; i < attempt && d < maxDDLBackoff; i++ {
		d *= 2
	}
	return min(d, maxDDLBackoff)
}

// lockTimeoutSQL sets lock_timeout for the file: SET LOCAL inside the file's transaction, SET
// for the session of a txmode none file (DISCARD ALL ends it after the file).
func lockTimeoutSQL(timeout time.Duration, local bool) string {
	scope := ""
	if local {
		scope = "LOCAL "
	}
	return fmt.Sprintf("SET %slock_timeout = '%dms'", scope, timeout.Milliseconds())
}

// onlineSessionSQL prepares the session of a `-- atlas:txmode none` file, the form Kernia
// writes for DDL on tables the application is using: lock_timeout, and index builds without
// parallel workers (max_parallel_maintenance_workers = 0, PostgreSQL 11 and later).
//
// A CREATE INDEX CONCURRENTLY does not block the application, but by default PostgreSQL builds
// it with a leader and two workers, one process per core on a two-core server: measured with
// the logins bench (1 000 000 users, 200 sign-ins a second, `BENCH_ONLY=logins`), the sign-ins
// during the build then stalled 40–60 ms at a time (p99 60 ms against a quiet 9 ms), and 16 ms
// (quiet 6 ms) with the build on one process. An online build is there to keep the application
// responsive, so it leaves the other cores to it and takes longer; a transactional file keeps
// the server's setting (its table is locked anyway, so the faster build is the better one).
// DISCARD ALL after the file restores both. The same round trip asks the server to watch the
// client again (watchClientSQL), which the DISCARD ALL after the file before ended.
func onlineSessionSQL(timeout time.Duration) string {
	return lockTimeoutSQL(timeout, false) + "; " +
		"SELECT set_config('max_parallel_maintenance_workers', '0', false) WHERE current_setting('server_version_num')::int >= 110000; " +
		watchClientSQL
}

// ddlLockError explains a statement that never got its lock in the attempts the run made.
type ddlLockError struct {
	attempts int
	timeout  time.Duration
	err      error
	// mysql: the statement waited under MySQL's lock_wait_timeout and innodb_lock_wait_timeout
	// (Error 1205) instead of PostgreSQL's lock_timeout; holders names the sessions with an open
	// transaction when the last attempt timed out.
	mysql   bool
	holders string
}

func (e *ddlLockError) Error() string {
	n := plural(make([]int, e.attempts), "attempt", "attempts")
	if e.mysql {
		return fmt.Sprintf("%s (waited lock_wait_timeout %s for the table's metadata lock, or innodb_lock_wait_timeout for a row lock, in each of %d %s; another session holds a conflicting lock on the table, often a long-running query or an open transaction%s: end it, or run migrate again when it is quiet, or raise --ddl-lock-timeout)",
			dbErrorText(e.err), e.timeout, e.attempts, n, e.holders)
	}
	return fmt.Sprintf("%s (waited lock_timeout %s for a lock in each of %d %s; another session holds a conflicting lock on the table, often a long-running or idle-in-transaction session: end it, or run migrate again when it is quiet, or raise --ddl-lock-timeout)",
		dbErrorText(e.err), e.timeout, e.attempts, n)
}

func (e *ddlLockError) Unwrap() error { return e.err }

// waitBeforeRetry says on Out that attempt (1-based) of the statement timed out, and pauses
// before the next one; it returns ctx's error when the run is cancelled meanwhile.
func (r *runner) waitBeforeRetry(ctx context.Context, file string, stmt int, total int, text string, attempt int) error {
	d := ddlBackoff(r.opts.DDLLockTimeout, attempt)
	setting, code, timeout := "lock_timeout", "SQLSTATE 55P03", r.opts.DDLLockTimeout
	if r.u.Dialect == "mysql" {
		setting, code, timeout = "lock_wait_timeout", "Error 1205", mysqlLockWait(r.opts.DDLLockTimeout)
	}
	r.printf("migrate: %s statement %d of %d (%s) waited %s %s for a lock (%s, attempt %d of %d): retrying in %s",
		file, stmt+1, total, snippet(text), setting, timeout, code, attempt, r.opts.DDLAttempts, d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
