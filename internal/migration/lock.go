package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PostgresLockKey is the key of the PostgreSQL session advisory lock Apply holds for a run:
// FNV-1 32-bit of "atlas_migrate_execute", the key `atlas migrate apply` takes, so Kernia and the
// Atlas CLI serialise against each other. In pg_locks it shows as locktype 'advisory',
// classid 0, objid 2686470616, objsubid 1.
const PostgresLockKey int64 = 2686470616

// DefaultLockTimeout is how long Apply waits for the migration lock when
// ApplyOptions.LockTimeout is zero.
const DefaultLockTimeout = 10 * time.Second

// lockPollInterval is how often Apply retries pg_try_advisory_lock.
const lockPollInterval = 100 * time.Millisecond

// releaseTimeout bounds the statements that end a run (unlock, commit, rollback), which run even
// when the run's context is cancelled.
const releaseTimeout = 10 * time.Second

// lockHolderQuery finds the session holding PostgresLockKey on the database it runs on
// (advisory locks are per database; pg_locks lists those of every database).
var lockHolderQuery = fmt.Sprintf("SELECT a.pid, a.usename, a.application_name, a.client_addr, a.backend_start, a.state, a.query "+
	"FROM pg_locks l JOIN pg_stat_activity a USING (pid) "+
	"WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = %d AND l.objsubid = 1 AND l.granted AND a.datname = current_database()", PostgresLockKey)

// clientCheckInterval is how often the server checks, during a long statement of a run, that
// the run's process is still connected (PostgreSQL 14 and later).
const clientCheckInterval = "1s"

// watchClient asks the server to check during long statements that the run's client is still
// there, so a runner killed in the middle of a long statement (SIGKILL, a lost machine) has its
// transaction rolled back and the migration lock released within about clientCheckInterval,
// instead of when the statement ends. Best effort: older servers lack the setting.
func watchClient(ctx context.Context, conn *sql.Conn) {
	_, _ = conn.ExecContext(ctx, "SELECT set_config('client_connection_check_interval', $1, false) "+
		"WHERE current_setting('server_version_num')::int >= 140000", clientCheckInterval)
}

// lockPostgres takes the advisory lock on conn, polling until timeout, and returns its release.
func lockPostgres(ctx context.Context, conn *sql.Conn, where string, timeout time.Duration) (func(), error) {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", PostgresLockKey).Scan(&ok); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("migrate: interrupted while waiting for the migration lock on %s: %w", where, context.Cause(ctx))
			}
			return nil, fmt.Errorf("migrate: take the migration lock on %s: %w", where, err)
		}
		if ok {
			break
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("migrate: %s is locked by another migration run (PostgreSQL advisory lock %d): gave up after %s (raise --lock-timeout to wait longer); find the holder by running on that database: %s",
				where, PostgresLockKey, timeout, lockHolderQuery)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("migrate: interrupted while waiting for the migration lock on %s: %w", where, context.Cause(ctx))
		case <-time.After(min(lockPollInterval, time.Until(deadline))):
		}
	}
	return func() {
		// Best effort: closing the connection, which Apply does right after, ends the session
		// and so releases the lock too (also when a cancelled query broke the connection).
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		_, _ = conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", PostgresLockKey)
	}, nil
}

// lockSQLite begins the run's BEGIN IMMEDIATE transaction on conn, which holds SQLite's write
// lock until it ends; the connection's busy timeout, set to timeout, bounds the wait. The
// returned function ends the transaction: COMMIT when commit is true, else ROLLBACK.
func lockSQLite(ctx context.Context, conn *sql.Conn, path string, timeout time.Duration) (func(commit bool) error, error) {
	// Both pragmas are set here, on the connection, rather than trusted to the DSN: modernc
	// sorts _pragma parameters, so DSN overrides of the defaults do not reliably win. Atlas's
	// table rebuilds need foreign keys off, and SQLite ignores that pragma inside a
	// transaction: it must be off before BEGIN.
	var fk int
	_, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", max(timeout.Milliseconds(), 1)))
	if err == nil {
		_, err = conn.ExecContext(ctx, "PRAGMA foreign_keys = off")
	}
	if err == nil {
		err = conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
	}
	if err == nil && fk != 0 {
		err = errors.New("foreign keys are still on")
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: sqlite %s: prepare the migration connection (busy timeout, foreign keys off): %w", path, err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		if isSQLiteBusy(err) {
			return nil, fmt.Errorf("migrate: sqlite %s: database is locked by another migrate or writer: gave up after %s (raise --lock-timeout to wait longer); find the process holding it with `fuser %s`",
				path, timeout, path)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("migrate: interrupted while waiting for the lock on sqlite %s: %w", path, context.Cause(ctx))
		}
		return nil, fmt.Errorf("migrate: sqlite %s: BEGIN IMMEDIATE: %w", path, err)
	}
	return func(commit bool) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if commit {
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				_, _ = conn.ExecContext(ctx, "ROLLBACK")
				return fmt.Errorf("migrate: sqlite %s: commit the run: %w: nothing of this run was applied", path, err)
			}
			return nil
		}
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil && !strings.Contains(err.Error(), "no transaction is active") {
			return fmt.Errorf("migrate: sqlite %s: roll back the run: %w", path, err)
		}
		return nil
	}, nil
}

// isSQLiteBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED.
func isSQLiteBusy(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_LOCKED")
}
