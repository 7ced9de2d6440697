package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgresLockKey is the key of the PostgreSQL advisory lock Apply holds for a run (see pgLock):
// FNV-1 32-bit of "atlas_migrate_execute", the key `atlas migrate apply` takes (as a session
// lock), so Kernia and the Atlas CLI serialise against each other. In pg_locks it shows as locktype 'advisory',
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

// watchClientSQL asks the server to check during long statements that the run's client is
// still there, so a runner killed in the middle of a long statement (SIGKILL, a lost machine)
// has its transaction rolled back and the migration lock released within about
// clientCheckInterval, instead of when the statement ends. It sets the session's value (not a
// LOCAL one), so run inside a transaction it holds from that statement on, and after the
// commit; RESET ALL and DISCARD ALL end it. Older servers lack the setting: it does nothing
// there.
const watchClientSQL = "SELECT set_config('client_connection_check_interval', '" + clientCheckInterval + "', false) " +
	"WHERE current_setting('server_version_num')::int >= 140000"

// watchSQL returns the statement with which each file on conn, a PostgreSQL connection, asks
// for the client check: a plain SET where the server has the setting (14 and later, read from
// the server_version the server reported at connect time, no round trip), cheaper for the
// server than watchClientSQL's SELECT, which it falls back on when the version is unknown; ""
// on older servers.
func watchSQL(conn *sql.Conn) string {
	version := ""
	_ = conn.Raw(func(dc any) error {
		if c, ok := dc.(*stdlib.Conn); ok {
			version = c.Conn().PgConn().ParameterStatus("server_version")
		}
		return nil
	})
	return watchSQLFor(version)
}

// watchSQLFor is watchSQL for a server_version ("15.20 (Debian 15.20-0+deb12u1)", "9.6.24").
func watchSQLFor(version string) string {
	digits := version[:len(version)-len(strings.TrimLeft(version, "0123456789"))]
	major, err := strconv.Atoi(digits)
	switch {
	case err != nil:
		return watchClientSQL
	case major >= 14:
		return "SET client_connection_check_interval = '" + clientCheckInterval + "'"
	}
	return ""
}

// watchClient runs watchClientSQL on conn. Best effort.
func watchClient(ctx context.Context, conn *sql.Conn) {
	_, _ = conn.ExecContext(ctx, watchClientSQL)
}

// pgLock is a run's PostgreSQL migration lock: a transaction-level advisory lock (key
// PostgresLockKey) taken by a transaction that stays open, on a connection of its own, for the
// whole run. Migration files never run on that connection, so none can release the lock
// (pg_advisory_unlock_all) or see it; and since an open transaction pins its server session,
// even a pooler in transaction pooling mode cannot hand the lock's session to another client,
// nor keep the lock after the run: it ends with the transaction, or with the connection when
// the runner dies. Session-level and transaction-level requests for one key conflict, so the
// lock still serialises runs against the Atlas CLI's session lock.
type pgLock struct {
	conn  *sql.Conn
	pid   int // the lock's server process
	where string
}

// errLockLost marks a run that no longer holds the migration lock.
var errLockLost = errors.New("the migration lock was lost")

// lockPostgres opens the lock's transaction on conn and takes the advisory lock in it, polling
// until timeout.
func lockPostgres(ctx context.Context, conn *sql.Conn, where string, timeout time.Duration) (*pgLock, error) {
	l := &pgLock{conn: conn, where: where}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("migrate: interrupted while waiting for the migration lock on %s: %w", where, context.Cause(ctx))
		}
		return nil, fmt.Errorf("migrate: take the migration lock on %s: begin the lock's transaction: %w%s", where, err, poolerHint(err))
	}
	// The lock's transaction stays idle between files: servers configured to end idle
	// transactions (or long ones, PostgreSQL 17) must not end it. It holds no snapshot and no
	// transaction id, so it delays neither VACUUM nor CREATE INDEX CONCURRENTLY. One statement
	// sets that up, asks the server to watch the client (see watchClient), and makes the first
	// attempt at the lock.
	var ok bool
	err := conn.QueryRowContext(ctx, "SELECT set_config('idle_in_transaction_session_timeout', '0', true), "+
		"set_config('statement_timeout', '0', true), "+
		"CASE WHEN current_setting('server_version_num')::int >= 170000 THEN set_config('transaction_timeout', '0', true) END, "+
		"CASE WHEN current_setting('server_version_num')::int >= 140000 THEN set_config('client_connection_check_interval', $1, false) END, "+
		"pg_backend_pid(), pg_try_advisory_xact_lock($2)", simple, clientCheckInterval, PostgresLockKey).Scan(new(any), new(any), new(any), new(any), &l.pid, &ok)
	if err != nil {
		l.release()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("migrate: interrupted while waiting for the migration lock on %s: %w", where, context.Cause(ctx))
		}
		return nil, fmt.Errorf("migrate: take the migration lock on %s: %w%s", where, err, poolerHint(err))
	}
	deadline := time.Now().Add(timeout)
	for !ok {
		if !time.Now().Before(deadline) {
			l.release()
			return nil, fmt.Errorf("migrate: %s is locked by another migration run (PostgreSQL advisory lock %d): gave up after %s (raise --lock-timeout to wait longer); find the holder by running on that database: %s",
				where, PostgresLockKey, timeout, lockHolderQuery)
		}
		select {
		case <-ctx.Done():
			l.release()
			return nil, fmt.Errorf("migrate: interrupted while waiting for the migration lock on %s: %w", where, context.Cause(ctx))
		case <-time.After(min(lockPollInterval, time.Until(deadline))):
		}
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", simple, PostgresLockKey).Scan(&ok); err != nil {
			l.release()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("migrate: interrupted while waiting for the migration lock on %s: %w", where, context.Cause(ctx))
			}
			return nil, fmt.Errorf("migrate: take the migration lock on %s: %w%s", where, err, poolerHint(err))
		}
	}
	return l, nil
}

// simple makes pgx send a query with the simple protocol, which ends its portal with the query.
// Every statement on the lock's connection uses it: an extended-protocol portal stays open in
// the idle transaction with its snapshot, and CREATE INDEX CONCURRENTLY in a file would wait for
// that snapshot forever (seen: the build waited on the lock connection's virtualxid).
const simple = pgx.QueryExecModeSimpleProtocol

// heldLockQuery counts the migration locks the connection's own server process holds.
var heldLockQuery = fmt.Sprintf("SELECT pg_backend_pid(), count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' "+
	"AND classid = 0 AND objid = %d AND objsubid = 1 AND granted", PostgresLockKey)

// held checks that the run still holds the lock: the lock's connection answers, from the same
// server process, inside its transaction (a statement in an ended or failed transaction
// fails). checkPooler checked once in pg_locks that this process holds the lock; a
// transaction-level lock is released only with its transaction. A run checks it before each
// file, each statement of a txmode none file and each commit, and writes nothing once it fails.
func (l *pgLock) held(ctx context.Context) error {
	var pid int
	var inTx bool
	err := l.conn.QueryRowContext(ctx, "SELECT pg_backend_pid(), (now() = statement_timestamp()) IS NOT TRUE", simple).Scan(&pid, &inTx)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", context.Cause(ctx))
		}
		return fmt.Errorf("%w: the lock's connection to %s failed (%s), so another run may have taken the lock since", errLockLost, l.where, dbErrorText(err))
	}
	if pid != l.pid || !inTx {
		return fmt.Errorf("%w: the lock's session on %s (server process %d) is no longer in the lock's transaction (now process %d)", errLockLost, l.where, l.pid, pid)
	}
	return nil
}

// heldMeanwhile starts held on the lock's connection and returns what waits for its result, so
// that the check costs no round trip of its own: the caller makes one on another connection
// meanwhile (the work connection's BEGIN, the file's record), and acts on its outcome only
// once the check answered. The returned function must be called, once.
func (l *pgLock) heldMeanwhile(ctx context.Context) func() error {
	done := make(chan error, 1)
	go func() { done <- l.held(ctx) }()
	return func() error { return <-done }
}

// release ends the lock's transaction, and so the lock. Best effort: closing the connection,
// which Apply does right after, ends the session and the transaction too.
func (l *pgLock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	_, _ = l.conn.ExecContext(ctx, "ROLLBACK")
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
