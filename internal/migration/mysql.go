package migration

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia/internal/database"
)

// MySQL and MariaDB commit every DDL statement on its own, so a file cannot be applied in a
// transaction with its record. What Kernia keeps there:
//
//   - Exclusion: a named lock (GET_LOCK) on a connection of its own, held for the whole run; a
//     concurrent run waits up to the lock timeout and then fails naming the connection that
//     holds it. Named locks are per server, so the name holds the database's
//     (mysqlLockName): runs on different databases of one server do not wait for each other.
//     The Atlas CLI's lock, atlas_migrate_execute, is server-wide and is not taken.
//   - Progress: each statement that succeeds is recorded at once in atlas_schema_revisions
//     (applied, partial_hashes, as the Atlas CLI records them), so a file that fails at
//     statement 3 of 5 resumes at statement 3 once fixed, and the statements already applied
//     must not change (checkPartial).
//   - Lock waits: every statement runs under lock_wait_timeout (a table's metadata lock) and
//     innodb_lock_wait_timeout (a row lock), both --ddl-lock-timeout in whole seconds; one
//     that times out (Error 1205) is tried again alone after a pause, as on PostgreSQL, at most
//     DDLAttempts times (execMySQL).
//   - Ctrl-C: the running statement is stopped on the server (KILL QUERY from the control
//     connection), which undoes what it did; one that ended first is recorded; the message
//     says which (execInterruptible, mysqlUndone).
//   - A killed run: the statement it was running goes on in the server after the client died,
//     while the run's lock is released at once. So the connection that runs the statements
//     holds a second named lock (mysqlStmtLockName), which the server releases only when that
//     statement ends; the next run waits for it before it reads the history. Then, resuming at
//     a statement whose outcome was not recorded (no error in the record, or a broken
//     connection), it checks whether the statement took effect (statementDone: the table,
//     column, index or foreign key it creates exists, or the one it drops is gone) and records
//     it instead of running it again; a statement it cannot check is run again.
//
// What cannot be kept: a failed file is not rolled back (its applied statements stay), and a
// run stopped between a statement and its record runs that statement again when its effect
// cannot be checked.

// mysqlLockName is the run's named lock for database db: GET_LOCK names are at most 64
// characters, so a long database name is replaced by its SHA-256 prefix.
func mysqlLockName(prefix, db string) string {
	if name := prefix + db; len(name) <= 64 {
		return name
	}
	sum := sha256.Sum256([]byte(db))
	return prefix + hex.EncodeToString(sum[:12])
}

const (
	mysqlRunLockPrefix  = "kernia_migrate:"
	mysqlStmtLockPrefix = "kernia_migrate_stmt:"
)

// myLock is a run's MySQL lock: GET_LOCK held by the session of conn.
type myLock struct {
	conn  *sql.Conn
	name  string
	id    int64 // the session's connection id
	where string
}

// lockMySQL takes the named lock on conn, polling until timeout. busy makes the error when the
// timeout passes; waiting, when set, is called with the holder once the first attempt fails.
func lockMySQL(ctx context.Context, conn *sql.Conn, name, where string, timeout time.Duration, busy func(holder string) string, waiting func(holder string)) (*myLock, error) {
	l := &myLock{conn: conn, name: name, where: where}
	deadline := time.Now().Add(timeout)
	for {
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID(), GET_LOCK(?, 0)", name).Scan(&l.id, &got)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("migrate: interrupted while waiting for the migration lock on %s: %w", where, context.Cause(ctx))
			}
			return nil, fmt.Errorf("migrate: take the migration lock on %s (GET_LOCK): %s", where, dbErrorText(err))
		}
		if got.Valid && got.Int64 == 1 {
			return l, nil
		}
		if waiting != nil {
			waiting(mysqlLockHolder(context.WithoutCancel(ctx), conn, name))
			waiting = nil
		}
		if !time.Now().Before(deadline) {
			return nil, errors.New(busy(mysqlLockHolder(context.WithoutCancel(ctx), conn, name)))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("migrate: interrupted while waiting for the migration lock on %s: %w", where, context.Cause(ctx))
		case <-time.After(min(lockPollInterval, time.Until(deadline))):
		}
	}
}

// mysqlLockHolder describes the session holding the named lock, from IS_USED_LOCK and the
// process list (which shows other users' sessions only with the PROCESS privilege).
func mysqlLockHolder(ctx context.Context, conn *sql.Conn, name string) string {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	var id sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", name).Scan(&id); err != nil || !id.Valid {
		return "a session that has released it since"
	}
	var user, host, command, state, info sql.NullString
	var secs sql.NullInt64
	err := conn.QueryRowContext(ctx, "SELECT user, host, command, time, state, LEFT(info, 200) FROM information_schema.processlist WHERE id = ?", id.Int64).
		Scan(&user, &host, &command, &secs, &state, &info)
	if err != nil {
		return fmt.Sprintf("connection %d (not visible in information_schema.processlist to this user: grant PROCESS to see it)", id.Int64)
	}
	s := fmt.Sprintf("connection %d (user %s from %s, %s for %d s", id.Int64, user.String, host.String, strings.ToLower(command.String), secs.Int64)
	if info.Valid && info.String != "" {
		s += fmt.Sprintf(", running %q", snippet(info.String))
	}
	return s + ")"
}

// held checks that the lock's session is alive and still holds the lock.
func (l *myLock) held(ctx context.Context) error {
	var owner sql.NullInt64
	err := l.conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", l.name).Scan(&owner)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", context.Cause(ctx))
		}
		return fmt.Errorf("%w: the lock's connection to %s failed (%s), so another run may have taken the lock since", errLockLost, l.where, dbErrorText(err))
	}
	if !owner.Valid || owner.Int64 != 1 {
		return fmt.Errorf("%w: the lock's session on %s (connection %d) no longer holds %s", errLockLost, l.where, l.id, l.name)
	}
	return nil
}

// release releases the lock. Best effort: closing the connection releases it too.
func (l *myLock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	_, _ = l.conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", l.name)
}

// applyMySQL runs on three connections, as on PostgreSQL: the run lock's, the control
// connection (history reads and writes) and the work connection (the files' statements, under
// the statement lock).
func (r *runner) applyMySQL(ctx context.Context, db *sql.DB) (*ApplyResult, error) {
	conns, err := r.threeConns(ctx, db)
	if err != nil {
		return nil, err
	}
	defer closeConns(conns)
	lockConn, ctl, work := conns[0], conns[1], conns[2]
	timeout := r.opts.LockTimeout
	lk, err := lockMySQL(ctx, lockConn, mysqlLockName(mysqlRunLockPrefix, r.u.Database()), r.where, timeout, func(holder string) string {
		return fmt.Sprintf("migrate: %s is locked by another migration run (MySQL named lock %s, held by %s): gave up after %s (raise --lock-timeout to wait longer)",
			r.where, mysqlLockName(mysqlRunLockPrefix, r.u.Database()), holder, timeout)
	}, nil)
	if err != nil {
		return nil, err
	}
	defer lk.release()
	// A statement of a killed run may still be running: wait until it ends.
	stmtLock, err := lockMySQL(ctx, work, mysqlLockName(mysqlStmtLockPrefix, r.u.Database()), r.where, timeout, func(holder string) string {
		return fmt.Sprintf("migrate: a statement of an earlier migration run on %s is still running on the server (its run was stopped, but MySQL finishes the statement; MySQL named lock %s, held by %s): gave up waiting for it after %s: run migrate again once it has ended (raise --lock-timeout to wait longer)",
			r.where, mysqlLockName(mysqlStmtLockPrefix, r.u.Database()), holder, timeout)
	}, func(holder string) {
		r.printf("migrate: waiting for a statement of an earlier, stopped run on %s to end (MySQL finishes it after its client is gone): held by %s", r.where, holder)
	})
	if err != nil {
		return nil, err
	}
	defer stmtLock.release()
	// lock_wait_timeout bounds how long a DDL statement waits for its table's metadata lock
	// (default: a year), as lock_timeout does on PostgreSQL; innodb_lock_wait_timeout (default
	// 50 s) bounds a statement's wait for a row lock the same way. Both raise Error 1205, which
	// the run retries (execMySQL).
	secs := int(mysqlLockWait(r.opts.DDLLockTimeout) / time.Second)
	if _, err := work.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout = %d, innodb_lock_wait_timeout = %d", secs, secs)); err != nil {
		return nil, fmt.Errorf("migrate: %s: set lock_wait_timeout and innodb_lock_wait_timeout: %s", r.where, dbErrorText(err))
	}
	if r.server, err = database.ReadMySQLServer(ctx, ctl); err != nil {
		return nil, fmt.Errorf("migrate: %s: %w", r.where, err)
	}
	r.work, r.mylock, r.workID = work, lk, stmtLock.id
	return r.run(ctx, ctl, &ApplyResult{Dialect: r.u.Dialect, Applied: []AppliedFile{}})
}

// mysqlLockWait is --ddl-lock-timeout as MySQL's lock waits take it: whole seconds, at least 1.
func mysqlLockWait(d time.Duration) time.Duration {
	return time.Duration(max(math.Ceil(d.Seconds()), 1)) * time.Second
}

// mysqlLockWaitTimeout reports whether err is MySQL's Error 1205 (ER_LOCK_WAIT_TIMEOUT), which
// both lock_wait_timeout (a metadata lock) and innodb_lock_wait_timeout (a row lock) raise.
// InnoDB rolls back only the statement that timed out (unless the server runs with
// innodb_rollback_on_timeout), so the statement alone is tried again.
func mysqlLockWaitTimeout(err error) bool {
	return database.MySQLErrorNumber(err) == 1205
}

// execMySQL runs statement i on the work connection: again after a pause when it timed out
// waiting for a lock, at most DDLAttempts times; stopped on the server when the run is
// interrupted.
func (x *fileRun) execMySQL(ctx context.Context, i int) error {
	for attempt := 1; ; attempt++ {
		err := x.execInterruptible(ctx, x.stmts[i])
		if err == nil || !mysqlLockWaitTimeout(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= x.opts.DDLAttempts {
			return &ddlLockError{attempts: attempt, timeout: mysqlLockWait(x.opts.DDLLockTimeout), err: err, mysql: true,
				holders: mysqlOpenTransactions(context.WithoutCancel(ctx), x.ctl)}
		}
		if err := x.waitBeforeRetry(ctx, x.file.Name(), i, len(x.stmts), x.stmts[i], attempt); err != nil {
			return err
		}
		if err := x.mylock.held(ctx); err != nil {
			return err
		}
	}
}

// execInterruptible runs stmt on the work connection. The statement is not bound to ctx:
// cancelled, the driver would only close its connection, and MySQL would go on running the
// statement after the client left. Instead, when ctx is cancelled, the control connection
// sends KILL QUERY for the work connection's session: the server stops the statement (a
// stopped DDL statement or row change is undone by the server) and it returns Error 1317; a
// statement that ended first returns as it ended. x.stopped says which happened.
func (x *fileRun) execInterruptible(ctx context.Context, stmt string) error {
	done := make(chan error, 1)
	go func() {
		_, err := x.conn.ExecContext(context.WithoutCancel(ctx), stmt)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if _, err := x.ctl.ExecContext(cleanup, fmt.Sprintf("KILL QUERY %d", x.workID)); err != nil {
		x.stopped = stopFailed
		x.stopErr = dbErrorText(err)
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	select {
	case err := <-done:
		if err == nil {
			x.stopped = stopTooLate
		} else {
			x.stopped = stopKilled
		}
		return err
	case <-cleanup.Done():
		x.stopped = stopFailed
		x.stopErr = fmt.Sprintf("the statement did not end within %s of KILL QUERY %d", releaseTimeout, x.workID)
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
}

// What became of the statement running when a MySQL run was interrupted (fileRun.stopped).
const (
	stopNone    = iota
	stopKilled  // KILL QUERY stopped it: it returned an error
	stopTooLate // it returned no error: it ended before KILL QUERY, or KILL QUERY cut it short without one
	stopFailed  // KILL QUERY failed or the statement did not end after it
)

// mysqlOpenTransactions names the sessions with an open InnoDB transaction, the usual holders
// of the metadata lock a DDL statement waits for (MySQL names no holder in Error 1205); ""
// when it cannot tell.
func mysqlOpenTransactions(ctx context.Context, conn *sql.Conn) string {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	rows, err := conn.QueryContext(ctx, "SELECT trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, trx_started, NOW()) FROM information_schema.innodb_trx "+
		"WHERE trx_mysql_thread_id <> CONNECTION_ID() ORDER BY trx_started LIMIT 5")
	if err != nil {
		return ""
	}
	defer rows.Close()
	var list []string
	for rows.Next() {
		var id, secs int64
		if rows.Scan(&id, &secs) != nil {
			return ""
		}
		list = append(list, fmt.Sprintf("connection %d (open %d s)", id, secs))
	}
	if rows.Err() != nil || len(list) == 0 {
		return ""
	}
	return "; open transactions now: " + strings.Join(list, ", ") + " (KILL <connection> ends one)"
}

// onMySQL runs a file statement by statement on the work connection, recording each statement
// that succeeds (see the comment at the top of this file).
func (x *fileRun) onMySQL(ctx context.Context) error {
	x.conn = x.work
	sums := stmtHashes(x.stmts)
	x.recorded = x.rev.Applied
	if err := x.mylock.held(ctx); err != nil {
		return x.fail(ctx, -1, err, "")
	}
	if x.prev == nil {
		// A first record before the first statement: a run killed in it leaves a record that
		// the next run resumes from.
		if err := x.record(ctx); err != nil {
			return x.fail(ctx, -1, err, "")
		}
	}
	for i := x.rev.Applied; i < len(x.stmts); i++ {
		if err := x.mylock.held(ctx); err != nil {
			return x.fail(ctx, -1, err, "")
		}
		skip := false
		if i == x.rev.Applied && x.prev != nil && x.prev.Applied == i && outcomeUnknown(x.prev) {
			ok, what, err := statementDone(ctx, x.conn, x.stmts[i])
			if err != nil {
				return x.fail(ctx, -1, fmt.Errorf("check whether statement %d took effect: %w", i+1, err), "")
			}
			if ok {
				x.printf("migrate: %s statement %d of %d (%s) was running when an earlier run stopped, and it took effect (%s): recorded without running it again",
					x.file.Name(), i+1, len(x.stmts), snippet(x.stmts[i]), what)
				skip = true
			}
		}
		if !skip {
			if err := x.execMySQL(ctx, i); err != nil {
				x.failed, x.unsure = i, connectionLost(err)
				return x.fail(ctx, i, err, "")
			}
			x.executed++
		}
		for j := len(x.rev.PartialHashes); j <= i; j++ {
			x.rev.PartialHashes = append(x.rev.PartialHashes, "h1:"+sums[j])
		}
		x.rev.Applied = i + 1
		x.rev.Error, x.rev.ErrorStmt = "", ""
		x.rev.ExecutionTime = time.Since(x.rev.ExecutedAt)
		if ctx.Err() != nil && i+1 < len(x.stmts) {
			// Interrupted while the statement ran, and it ended first: it is applied, so it
			// is recorded before the run stops (the record is bounded, not cancelled). The
			// last statement is recorded with the file, below.
			x.failed = i
			cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
			_ = x.record(cleanup) // on failure, mysqlUndone says the statement ran unrecorded
			cancel()
			return x.fail(ctx, -1, fmt.Errorf("interrupted: %w", context.Cause(ctx)), "")
		}
		if i+1 < len(x.stmts) {
			if err := x.record(ctx); err != nil {
				return x.fail(ctx, -1, err, "")
			}
		}
	}
	applied, partial := x.rev.Applied, x.rev.PartialHashes
	executed := x.executed
	x.succeed()
	x.executed = executed
	rctx := ctx
	if ctx.Err() != nil { // the last statement ended before the interruption stopped it
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
	}
	if err := x.record(rctx); err != nil {
		x.rev.Applied, x.rev.PartialHashes = applied, partial
		return x.fail(ctx, -1, err, "")
	}
	return nil
}

// outcomeUnknown reports whether the statement a partial revision stopped at may have run: the
// run recorded no failure for it (it was killed, or could not record), or the connection broke
// while it ran.
func outcomeUnknown(prev *migrate.Revision) bool {
	return prev.Error == "" || connectionLostText(prev.Error)
}

// connectionLostText reports whether a recorded error text is that of a broken connection.
func connectionLostText(s string) bool {
	for _, w := range []string{"invalid connection", "bad connection", "broken pipe", "connection reset", "unexpected EOF", "driver: bad connection"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// mysqlUndone says what stays of a MySQL file after a failure.
func (x *fileRun) mysqlUndone() string {
	s := fmt.Sprintf("MySQL commits each statement, so the file's first %d of %d statements stay applied and the next run resumes after them", x.recorded, len(x.stmts))
	if x.rev.Applied > x.recorded {
		s += fmt.Sprintf("; statements %d to %d ran too, but their progress could not be recorded: the next run checks whether they took effect, and runs them again when it cannot tell", x.recorded+1, x.rev.Applied)
	}
	switch {
	case x.stopped == stopKilled:
		s += fmt.Sprintf("; statement %d (%s) was running: the server stopped it (KILL QUERY), so it is not applied, and the next run runs it again", x.failed+1, snippet(x.stmts[x.failed]))
	case x.stopped == stopTooLate:
		s += fmt.Sprintf("; statement %d (%s) was running and the server reported it complete, without an error, when asked to stop it (it had ended, or KILL QUERY cut it short, as it does a SLEEP), so it is applied", x.failed+1, snippet(x.stmts[x.failed]))
		if x.recorded > x.failed {
			s += " and recorded"
		} else {
			s += ", but its progress could not be recorded"
		}
	case x.stopped == stopFailed:
		s += fmt.Sprintf("; statement %d (%s) was running and could not be stopped (%s): it may still be running on the server; the next run waits for it to end, checks whether it took effect and runs it again only when it did not or cannot tell", x.failed+1, snippet(x.stmts[x.failed]), x.stopErr)
	case x.failed >= 0 && x.unsure:
		s += fmt.Sprintf("; statement %d was running when the connection broke: if the server finished it, the next run finds its effect and does not run it again", x.failed+1)
	}
	return s
}

// writeRevisionMySQL is writeRevision on MySQL, which has no INSERT … ON CONFLICT … WHERE: an
// INSERT, and on a duplicate key an UPDATE of the row only while it is unfinished. The UPDATE's
// condition is re-checked by the server, so a completed revision is never overwritten; its
// match is told from the row read back, as MySQL counts only changed rows.
func writeRevisionMySQL(ctx context.Context, q querier, t revTable, r *migrate.Revision) (bool, error) {
	// executed_at is a TIMESTAMP of whole seconds: MySQL rounds a fraction, MariaDB truncates
	// it; truncated here, both store the same second.
	args, err := revisionArgs(r, r.ExecutedAt.UTC().Truncate(time.Second))
	if err != nil {
		return false, err
	}
	_, err = q.ExecContext(ctx, rebind("mysql", `INSERT INTO `+t.ident()+` (`+revisionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), args...)
	if err == nil {
		return true, nil
	}
	if database.MySQLErrorNumber(err) != 1062 { // ER_DUP_ENTRY
		return false, fmt.Errorf("migrate: record version %s in %s: %s", r.Version, t, dbErrorText(err))
	}
	set := `UPDATE ` + t.ident() + ` SET "description" = ?, "type" = ?, "applied" = ?, "total" = ?, "executed_at" = ?, "execution_time" = ?, ` +
		`"error" = ?, "error_stmt" = ?, "hash" = ?, "partial_hashes" = ?, "operator_version" = ? WHERE "version" = ? AND ` +
		strings.TrimPrefix(unfinished, "WHERE ")
	if _, err := q.ExecContext(ctx, rebind("mysql", set), append(args[1:], r.Version)...); err != nil {
		return false, fmt.Errorf("migrate: record version %s in %s: %s", r.Version, t, dbErrorText(err))
	}
	// Written when the row now holds this write: its counts, hash and execution time (in
	// nanoseconds, this write's own) are this run's.
	var applied, total int
	var typ, execNanos int64
	var hash string
	err = q.QueryRowContext(ctx, rebind("mysql", `SELECT "type", "applied", "total", "hash", "execution_time" FROM `+t.ident()+` WHERE "version" = ?`), r.Version).
		Scan(&typ, &applied, &total, &hash, &execNanos)
	if err != nil {
		return false, fmt.Errorf("migrate: record version %s in %s: read it back: %s", r.Version, t, dbErrorText(err))
	}
	return typ == int64(r.Type) && applied == r.Applied && total == r.Total && hash == r.Hash &&
		execNanos == int64(r.ExecutionTime), nil
}

// Statements whose effect statementDone can check, as Atlas writes them for MySQL.
var (
	createTableRE = regexp.MustCompile("(?is)^\\s*CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?`?([^`\\s(]+)`?")
	dropTableRE   = regexp.MustCompile("(?is)^\\s*DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?`?([^`\\s,;]+)`?\\s*;?\\s*$")
	createIndexRE = regexp.MustCompile("(?is)^\\s*CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+`?([^`\\s]+)`?\\s+ON\\s+`?([^`\\s(]+)`?")
	dropIndexRE   = regexp.MustCompile("(?is)^\\s*DROP\\s+INDEX\\s+`?([^`\\s]+)`?\\s+ON\\s+`?([^`\\s;]+)`?")
	alterTableRE  = regexp.MustCompile("(?is)^\\s*ALTER\\s+TABLE\\s+`?([^`\\s]+)`?\\s+(.*)$")
	addColumnRE   = regexp.MustCompile("(?is)^ADD\\s+(?:COLUMN\\s+)?`([^`]+)`")
	addIndexRE    = regexp.MustCompile("(?is)^ADD\\s+(?:UNIQUE\\s+)?(?:INDEX|KEY)\\s+`([^`]+)`")
	addFKRE       = regexp.MustCompile("(?is)^ADD\\s+CONSTRAINT\\s+`([^`]+)`")
	dropColumnRE  = regexp.MustCompile("(?is)^DROP\\s+(?:COLUMN\\s+)?`([^`]+)`")
)

// statementDone reports whether a statement took effect, from the catalog, for the statements
// Atlas writes: CREATE TABLE, DROP TABLE, CREATE INDEX, DROP INDEX, and ALTER TABLE whose first
// clause adds a column, index or constraint or drops a column (an ALTER TABLE is applied whole
// or not at all). what describes the evidence; false for a statement it cannot check.
func statementDone(ctx context.Context, conn *sql.Conn, stmt string) (done bool, what string, err error) {
	exists := func(query string, args ...any) (bool, error) {
		var n int
		err := conn.QueryRowContext(ctx, query, args...).Scan(&n)
		return n > 0, err
	}
	const tableQ = "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
	const columnQ = "SELECT count(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?"
	const indexQ = "SELECT count(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?"
	const constraintQ = "SELECT count(*) FROM information_schema.table_constraints WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = ?"
	if m := createTableRE.FindStringSubmatch(stmt); m != nil {
		ok, err := exists(tableQ, m[1])
		return ok, "table " + m[1] + " exists", err
	}
	if m := dropTableRE.FindStringSubmatch(stmt); m != nil {
		ok, err := exists(tableQ, m[1])
		return !ok, "table " + m[1] + " is gone", err
	}
	if m := createIndexRE.FindStringSubmatch(stmt); m != nil {
		ok, err := exists(indexQ, m[2], m[1])
		return ok, "index " + m[1] + " on " + m[2] + " exists", err
	}
	if m := dropIndexRE.FindStringSubmatch(stmt); m != nil {
		ok, err := exists(indexQ, m[2], m[1])
		return !ok, "index " + m[1] + " on " + m[2] + " is gone", err
	}
	if m := alterTableRE.FindStringSubmatch(stmt); m != nil {
		table, clause := m[1], strings.TrimSpace(m[2])
		switch {
		case addIndexRE.MatchString(clause):
			name := addIndexRE.FindStringSubmatch(clause)[1]
			ok, err := exists(indexQ, table, name)
			return ok, "index " + name + " on " + table + " exists", err
		case addFKRE.MatchString(clause):
			name := addFKRE.FindStringSubmatch(clause)[1]
			ok, err := exists(constraintQ, table, name)
			return ok, "constraint " + name + " on " + table + " exists", err
		case addColumnRE.MatchString(clause):
			name := addColumnRE.FindStringSubmatch(clause)[1]
			ok, err := exists(columnQ, table, name)
			return ok, "column " + table + "." + name + " exists", err
		case dropColumnRE.MatchString(clause) && !strings.HasPrefix(strings.ToUpper(clause), "DROP INDEX") &&
			!strings.HasPrefix(strings.ToUpper(clause), "DROP FOREIGN") && !strings.HasPrefix(strings.ToUpper(clause), "DROP PRIMARY"):
			name := dropColumnRE.FindStringSubmatch(clause)[1]
			ok, err := exists(columnQ, table, name)
			return !ok, "column " + table + "." + name + " is gone", err
		}
	}
	return false, "", nil
}

// checkMySQLServer refuses, before anything runs, pending files with a statement the server
// cannot run (database.MySQLFeatures: RENAME COLUMN before MySQL 8.0 and MariaDB 10.5.2, a
// default in parentheses before MySQL 8.0.13, …), naming each file, statement and feature, the
// server, and the versions that run it: on MySQL a file stopped at such a statement would stay
// half applied. A feature the server accepts and ignores (CHECK before MySQL 8.0.16) is a
// warning on Out.
func (r *runner) checkMySQLServer(files []migrate.File) error {
	var problems []string
	for _, f := range files {
		for i, stmt := range r.stmts[f.Name()] {
			for _, feat := range database.MySQLFeatures(stmt) {
				switch {
				case r.server.Supports(feat):
				case feat.Ignored:
					r.printf("migrate: warning: %s statement %d (%s) uses %s, which %s accepts but does not enforce (%s does): %s",
						f.Name(), i+1, snippet(stmt), feat.Name, r.server, feat.Minimum(), feat.Instead)
				default:
					problems = append(problems, fmt.Sprintf("%s statement %d (%s) uses %s, which needs %s: %s",
						f.Name(), i+1, snippet(stmt), feat.Name, feat.Minimum(), feat.Instead))
				}
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("migrate: %s is %s, which cannot run every pending statement, so nothing was applied (MySQL could not roll back a file stopped halfway): %s",
		r.where, r.server, strings.Join(problems, "; "))
}
