package migration

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kernia/kernia/internal/database"
)

// errRunLost marks a SQLite failure after which the run's transaction is gone, earlier files
// included.
var errRunLost = errors.New("the run's transaction was rolled back")

// savepoint is the SQLite savepoint each file runs in.
const savepoint = "kernia_migrate_file"

// applyFile runs one pending file and records it. prev is the file's earlier revision, if any;
// a partially applied file (only possible without a transaction) resumes after the statements
// it already applied. earlier is the number of files this run applied before it. On
// PostgreSQL, ctl is the run's control connection and the file runs on the work connection; on
// SQLite both are the run's connection.
func (r *runner) applyFile(ctx context.Context, ctl *sql.Conn, f migrate.File, prev *migrate.Revision, earlier int) (AppliedFile, error) {
	stmts := r.stmts[f.Name()]
	rev := &migrate.Revision{
		Version: f.Version(), Description: f.Desc(), Type: migrate.RevisionTypeExecute,
		Total: len(stmts), Hash: fileHash(r.sums, f), OperatorVersion: r.operator, ExecutedAt: time.Now(),
	}
	if prev != nil && prev.Applied > 0 {
		if err := checkPartial(f, stmts, prev); err != nil {
			return AppliedFile{}, err
		}
		rev.Applied, rev.PartialHashes = prev.Applied, prev.PartialHashes[:prev.Applied]
	}
	x := &fileRun{runner: r, conn: ctl, ctl: ctl, file: f, stmts: stmts, rev: rev, prev: prev, earlier: earlier, txStart: -1, failed: -1}
	var err error
	switch r.u.Dialect {
	case "mysql":
		err = x.onMySQL(ctx)
	case "sqlite":
		err = x.inSavepoint(ctx)
		// Also after a failure: pragmas are not rolled back with the savepoint.
		if rerr := restoreSQLiteSession(context.WithoutCancel(ctx), ctl, r.pragmas); rerr != nil && err == nil {
			err = fmt.Errorf("migrate: %s is applied, but the connection's settings could not be restored after it (%v): stopped before the next file; run migrate again", f.Name(), rerr)
		}
	default:
		err = x.onWorkConnection(ctx)
	}
	if err != nil {
		return AppliedFile{}, err
	}
	return AppliedFile{Version: f.Version(), Description: f.Desc(), Name: f.Name(),
		Statements: x.executed, Duration: rev.ExecutionTime}, nil
}

// fileRun is the execution of one file.
type fileRun struct {
	*runner
	conn     *sql.Conn // runs the file's statements
	ctl      *sql.Conn // reads and writes the history outside the file's transaction
	file     migrate.File
	stmts    []string
	rev      *migrate.Revision
	prev     *migrate.Revision
	earlier  int
	executed int // statements executed by this run
	// txmode none files: the statements recorded as applied, the statement that opened the
	// file's own open transaction (-1: none), the failing statement (-1: none), and whether its
	// outcome is unknown (the connection broke).
	recorded, txStart, failed int
	unsure                    bool
	// MySQL: what became of the statement running when the run was interrupted (stopNone,
	// stopKilled, …), and why stopping it failed.
	stopped int
	stopErr string
}

// onWorkConnection runs a PostgreSQL file on the run's work connection, once the run has checked
// it still holds the lock, and then ends the file's session state with DISCARD ALL. A file in
// a transaction checks the lock while its BEGIN is on the way (inTxAttempt), and sends DISCARD
// ALL together with its COMMIT (commitAndDiscard).
func (x *fileRun) onWorkConnection(ctx context.Context) error {
	x.conn = x.work
	if !noTx(x.file) {
		return x.inTx(ctx)
	}
	if err := x.lock.held(ctx); err != nil {
		return x.fail(ctx, -1, err, "nothing of the file was applied")
	}
	if err := x.withoutTx(ctx); err != nil {
		return err // the run stops here
	}
	if _, err := x.conn.ExecContext(ctx, "DISCARD ALL"); err != nil {
		return x.notDiscarded(err)
	}
	return nil
}

// notDiscarded explains a file applied whose session DISCARD ALL could not end.
func (x *fileRun) notDiscarded(err error) error {
	return fmt.Errorf("migrate: %s is applied, but its session could not be reset afterwards (DISCARD ALL: %v): stopped before the next file; run migrate again", x.file.Name(), dbErrorText(err))
}

// inTx runs the file in one PostgreSQL transaction with its revision, under lock_timeout; a
// statement that timed out waiting for a lock rolls the transaction back, and the whole file is
// tried again, at most DDLAttempts times (each attempt checks the lock again before its first
// statement).
func (x *fileRun) inTx(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := x.inTxAttempt(ctx, attempt)
		var retry *retryFile
		if !errors.As(err, &retry) {
			return err
		}
		if werr := x.waitBeforeRetry(ctx, x.file.Name(), retry.stmt, len(x.stmts), x.stmts[retry.stmt], attempt); werr != nil {
			return x.fail(ctx, -1, werr, "the file was rolled back (nothing of it is applied)")
		}
	}
}

// retryFile asks inTx to try the file again from its first statement: statement stmt timed
// out waiting for a lock, and the file's transaction is rolled back.
type retryFile struct{ stmt int }

func (*retryFile) Error() string { return "retry the file" }

// beginSQL opens a file's transaction in one simple-protocol round trip: BEGIN, the file's
// lock_timeout (SET LOCAL), and the client check (watch, the run's watchSQL; DISCARD ALL ended
// the one of the file before).
func beginSQL(timeout time.Duration, watch string) string {
	s := "BEGIN; " + lockTimeoutSQL(timeout, true)
	if watch != "" {
		s += "; " + watch
	}
	return s
}

// inTxAttempt runs the file once; attempt counts from 1. Its round trips on the work
// connection are those of goose's: the transaction's start (beginSQL), the file's statements,
// the record (recordInTx: the session reset and the revision), and the commit (with DISCARD
// ALL, pipelined). The lock is checked on the lock's connection while the first and the
// third are on the way; the file's first statement waits for the first check, its COMMIT for
// the second.
func (x *fileRun) inTxAttempt(ctx context.Context, attempt int) error {
	const (
		rolledBack   = "the file was rolled back (nothing of it is applied)"
		notCommitted = "its transaction was not committed, so nothing of it is applied (PostgreSQL ends an uncommitted transaction when its connection closes)"
		nothingRan   = "nothing of the file was applied"
	)
	// The transaction is PostgreSQL's alone, begun and ended by statements on the connection
	// (database/sql knows nothing of it, so it cannot roll it back behind the run's back when
	// ctx is cancelled): its statements use ctx, and every path below ends it explicitly (or
	// closes its connection, which ends it too).
	rollback := func() string {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if _, err := x.conn.ExecContext(cleanup, "ROLLBACK"); err != nil {
			return notCommitted
		}
		return rolledBack
	}
	held := x.lock.heldMeanwhile(ctx)
	_, err := x.conn.ExecContext(ctx, beginSQL(x.opts.DDLLockTimeout, x.watch))
	lockErr := held()
	if err == nil && lockErr != nil {
		err = lockErr
	}
	if err != nil {
		if !errors.Is(err, errLockLost) {
			err = fmt.Errorf("begin the file's transaction (BEGIN, lock_timeout): %w", err)
		}
		if st := txStatus(x.conn); st == 'T' || st == 'E' {
			rollback() // no statement of the file ran: what it says does not matter
		}
		return x.fail(ctx, -1, err, nothingRan)
	}
	for i := x.rev.Applied; i < len(x.stmts); i++ {
		if _, err := x.conn.ExecContext(ctx, x.stmts[i]); err != nil {
			undone := rollback()
			if lockNotAvailable(err) && ctx.Err() == nil {
				if attempt < x.opts.DDLAttempts && undone == rolledBack {
					return &retryFile{stmt: i}
				}
				err = &ddlLockError{attempts: attempt, timeout: x.opts.DDLLockTimeout, err: err}
			}
			return x.fail(ctx, i, err, undone)
		}
	}
	// The revision written in the transaction is complete; a failure from here on is recorded
	// with what was applied before the file (the transaction's work is rolled back), or it
	// would read as applied.
	applied, partial, executed := x.rev.Applied, x.rev.PartialHashes, x.executed
	failed := func(err error, undone string) error {
		x.rev.Applied, x.rev.PartialHashes, x.executed = applied, partial, executed
		return x.fail(ctx, -1, err, undone)
	}
	x.succeed()
	held = x.lock.heldMeanwhile(ctx)
	written, err := recordInTx(ctx, x.conn, x.table, x.rev, x.prev == nil)
	lockErr = held()
	if err == nil && !written {
		err = fmt.Errorf("%w: another run recorded version %s while this run applied it", errLockLost, x.rev.Version)
	}
	if err != nil {
		return failed(err, rollback())
	}
	if lockErr != nil {
		return failed(lockErr, rollback())
	}
	discardErr, err := commitAndDiscard(context.WithoutCancel(ctx), x.conn)
	if err != nil {
		if connectionLost(err) {
			return failed(fmt.Errorf("commit: %w", err), "the connection broke during COMMIT, so PostgreSQL either committed the file together with its record in "+RevisionsTable+", or neither: the next run applies the file only if it is not recorded")
		}
		return failed(fmt.Errorf("commit: %w", err), "the commit failed, so PostgreSQL rolled the file back (nothing of it is applied)")
	}
	if discardErr != nil {
		return x.notDiscarded(discardErr)
	}
	return nil
}

// withoutTx runs a `-- atlas:txmode none` file statement by statement on PostgreSQL, recording
// the progress on the control connection after each statement that ends outside a transaction,
// as the Atlas CLI does. Statements inside a transaction the file opens itself (BEGIN …
// COMMIT) are recorded together when it commits; if the file fails inside it, it is rolled
// back and the next run resumes at its BEGIN.
func (x *fileRun) withoutTx(ctx context.Context) error {
	sums := stmtHashes(x.stmts)
	x.recorded = x.rev.Applied
	if x.prev == nil {
		// A first record before the first statement: a run killed during it leaves a record
		// that the next run resumes from (and that lets it clean up after it).
		if err := x.record(ctx); err != nil {
			return x.fail(ctx, -1, err, "")
		}
	}
	if _, err := x.conn.ExecContext(ctx, onlineSessionSQL(x.opts.DDLLockTimeout)); err != nil {
		return x.fail(ctx, -1, fmt.Errorf("set lock_timeout and max_parallel_maintenance_workers: %w", err), "")
	}
	attempt := 1
	for i := x.rev.Applied; i < len(x.stmts); i++ {
		if err := x.lock.held(ctx); err != nil {
			x.endOwnTx(false)
			return x.fail(ctx, -1, err, "")
		}
		var err error
		if (i == x.rev.Applied && x.prev != nil && x.prev.Applied == i) || attempt > 1 {
			// Dropping the leftover waits for locks too (DROP INDEX CONCURRENTLY): a timeout
			// there is one more attempt of the statement.
			if err = x.dropLeftover(ctx, x.stmts[i]); err != nil && !lockNotAvailable(err) {
				return x.fail(ctx, -1, err, "")
			}
		}
		if err == nil {
			_, err = x.conn.ExecContext(ctx, x.stmts[i])
		}
		// A statement that timed out waiting for a lock outside a transaction of the file's
		// own is tried again alone: the statements before it stay applied and recorded.
		if err != nil && lockNotAvailable(err) && ctx.Err() == nil && x.txStart < 0 && txStatus(x.conn) == 'I' {
			if attempt < x.opts.DDLAttempts {
				if werr := x.waitBeforeRetry(ctx, x.file.Name(), i, len(x.stmts), x.stmts[i], attempt); werr != nil {
					return x.fail(ctx, -1, werr, "")
				}
				attempt++
				i--
				continue
			}
			err = &ddlLockError{attempts: attempt, timeout: x.opts.DDLLockTimeout, err: err}
		}
		attempt = 1
		if err != nil {
			if st := txStatus(x.conn); x.txStart < 0 && (st == 'T' || st == 'E') {
				x.txStart = i
			}
			x.failed, x.unsure = i, connectionLost(err)
			x.endOwnTx(x.unsure)
			return x.fail(ctx, i, err, "")
		}
		x.executed++
		if st := txStatus(x.conn); st == 'T' || st == 'E' {
			if x.txStart < 0 {
				x.txStart = i
			}
			continue
		}
		x.txStart = -1
		for j := len(x.rev.PartialHashes); j <= i; j++ {
			x.rev.PartialHashes = append(x.rev.PartialHashes, "h1:"+sums[j])
		}
		x.rev.Applied = i + 1
		x.rev.ExecutionTime = time.Since(x.rev.ExecutedAt)
		if i+1 < len(x.stmts) {
			if err := x.record(ctx); err != nil {
				return x.fail(ctx, -1, err, "")
			}
		}
	}
	if x.txStart >= 0 {
		x.failed = len(x.stmts) - 1
		x.endOwnTx(false)
		return x.fail(ctx, -1, fmt.Errorf("the file ends inside the transaction its statement %d opened (BEGIN without COMMIT)", x.txStart+1), "")
	}
	applied, partial := x.rev.Applied, x.rev.PartialHashes
	x.succeed()
	if err := x.record(ctx); err != nil {
		x.rev.Applied, x.rev.PartialHashes = applied, partial
		return x.fail(ctx, -1, err, "")
	}
	return nil
}

// record writes the file's revision on the control connection, unless it is complete already.
func (x *fileRun) record(ctx context.Context) error {
	written, err := writeRevision(ctx, x.ctl, x.table, x.rev)
	if err == nil && !written {
		err = fmt.Errorf("%w: another run recorded version %s as applied while this run applied it", errLockLost, x.rev.Version)
	}
	if err == nil {
		x.recorded = x.rev.Applied
	}
	return err
}

// endOwnTx rolls back the transaction a txmode none file opened itself, if it is still open,
// and notes whether it is known to be rolled back.
func (x *fileRun) endOwnTx(lost bool) {
	if x.txStart < 0 {
		return
	}
	if lost {
		x.unsure = true
		return
	}
	switch st := txStatus(x.conn); st {
	case 'T', 'E':
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		defer cancel()
		if _, err := x.conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			x.unsure = true
		}
	case 'I': // a failed COMMIT ends the transaction, rolled back
	default:
		x.unsure = true
	}
}

// noTxUndone says what stays of a txmode none file after a failure, once the failure was
// recorded (or not).
func (x *fileRun) noTxUndone() string {
	s := fmt.Sprintf("the file runs without a transaction (-- atlas:txmode none): its first %d of %d statements stay applied and the next run resumes after them",
		x.recorded, len(x.stmts))
	if x.rev.Applied > x.recorded {
		s += fmt.Sprintf("; statements %d to %d ran too, but their progress could not be recorded: the next run executes them again", x.recorded+1, x.rev.Applied)
	}
	w := ""
	if x.failed >= 0 {
		w = firstWord(x.stmts[x.failed])
	}
	switch {
	case x.txStart >= 0 && x.unsure && (w == "COMMIT" || w == "END"):
		s += fmt.Sprintf("; statements %d to %d ran in the file's own transaction and the connection broke during its COMMIT: if PostgreSQL committed them, the next run executes them again", x.txStart+1, x.failed+1)
	case x.txStart >= 0 && x.unsure:
		s += fmt.Sprintf("; statements %d to %d ran in the file's own transaction, which was not committed, so PostgreSQL rolls it back (nothing of them is applied)", x.txStart+1, max(x.failed, x.txStart)+1)
	case x.txStart >= 0:
		s += fmt.Sprintf("; statements %d to %d ran in the file's own transaction, which was rolled back (nothing of them is applied)", x.txStart+1, max(x.failed, x.txStart)+1)
	case x.failed >= 0 && x.unsure:
		s += fmt.Sprintf("; statement %d was running when the connection broke: if the server finished it first, it is applied but not recorded, and the next run executes it again", x.failed+1)
	}
	return s
}

// firstWord returns a statement's first keyword, upper-cased.
func firstWord(stmt string) string {
	if w := firstWords(stmt, 1); len(w) > 0 {
		return w[0]
	}
	return ""
}

// dropLeftover drops the INVALID index that stmt, a CREATE INDEX CONCURRENTLY at which the
// file resumes, left behind when an earlier run failed or stopped in it.
func (x *fileRun) dropLeftover(ctx context.Context, stmt string) error {
	index, err := invalidIndex(ctx, x.conn, stmt)
	if err != nil || index == "" {
		return err
	}
	if _, err := x.conn.ExecContext(ctx, dropIndexSQL(index)); err != nil {
		return fmt.Errorf("drop the INVALID index %s left by an earlier failed run of %q: %w", index, snippet(stmt), err)
	}
	x.printf("dropped the INVALID index %s that an earlier run's failed CREATE INDEX CONCURRENTLY left behind; running the statement again", index)
	return nil
}

// txStatus returns the PostgreSQL connection's transaction status: 'I' idle, 'T' in a
// transaction, 'E' in a failed transaction; 0 when it cannot be read.
func txStatus(conn *sql.Conn) byte {
	var st byte
	_ = conn.Raw(func(dc any) error {
		if c, ok := dc.(*stdlib.Conn); ok && !c.Conn().IsClosed() {
			st = c.Conn().PgConn().TxStatus()
		}
		return nil
	})
	return st
}

// inSavepoint runs the file inside a savepoint of the SQLite run's transaction, and releases
// it only when PRAGMA foreign_key_check finds no violation.
func (x *fileRun) inSavepoint(ctx context.Context) error {
	if _, err := x.conn.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("migrate: interrupted before applying %s: %w: %s", x.file.Name(), context.Cause(ctx), x.kept())
		}
		return fmt.Errorf("migrate: %s: SAVEPOINT: %w", x.file.Name(), err)
	}
	for i := x.rev.Applied; i < len(x.stmts); i++ {
		if _, err := x.conn.ExecContext(ctx, x.stmts[i]); err != nil {
			return x.fail(ctx, i, err, "")
		}
	}
	// Before the revision is written: a file that set query_only, say, must not stop its own
	// record.
	if err := restoreSQLiteSession(ctx, x.conn, x.pragmas); err != nil {
		return x.fail(ctx, -1, fmt.Errorf("restore the connection's settings after the file: %w", err), "")
	}
	if err := foreignKeyCheck(ctx, x.conn); err != nil {
		return x.fail(ctx, -2, err, "")
	}
	x.succeed()
	written, err := writeRevision(ctx, x.conn, x.table, x.rev)
	if err == nil && !written {
		err = fmt.Errorf("version %s is already recorded as applied", x.rev.Version)
	}
	if err != nil {
		return x.fail(ctx, -1, err, "")
	}
	if _, err := x.conn.ExecContext(ctx, "RELEASE "+savepoint); err != nil {
		return x.fail(ctx, -1, fmt.Errorf("RELEASE: %w", err), "")
	}
	return nil
}

// succeed marks the revision complete.
func (x *fileRun) succeed() {
	x.executed += len(x.stmts) - x.rev.Applied
	x.rev.Applied = len(x.stmts)
	x.rev.PartialHashes = nil
	x.rev.Error, x.rev.ErrorStmt = "", ""
	x.rev.ExecutionTime = time.Since(x.rev.ExecutedAt)
}

// fail records the failure (unless the run was interrupted or lost its lock) and explains it.
// stmt is the index of the failing statement, -1 for a failure outside the file's statements,
// -2 for a failed foreign-key check. undone says what stays of the file (PostgreSQL; SQLite
// rolls the file back to its savepoint here).
func (x *fileRun) fail(ctx context.Context, stmt int, cause error, undone string) error {
	dialect := x.u.Dialect
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if dialect == "sqlite" {
		_, err := x.conn.ExecContext(cleanup, "ROLLBACK TO "+savepoint)
		if err == nil {
			_, err = x.conn.ExecContext(cleanup, "RELEASE "+savepoint)
		}
		if err != nil {
			return fmt.Errorf("migrate: %s failed (%v) and SQLite rolled back the whole run's transaction (%v): %w: no file of this run was applied; fix the cause and run migrate again",
				x.file.Name(), dbErrorText(cause), dbErrorText(err), errRunLost)
		}
		undone = "the file was rolled back (nothing of it is applied)"
	}
	noTxFile := dialect == "postgres" && noTx(x.file) && undone == ""
	if ctx.Err() != nil {
		if noTxFile {
			undone = x.noTxUndone()
		}
		if dialect == "mysql" {
			undone = x.mysqlUndone()
		}
		return fmt.Errorf("migrate: interrupted while applying %s: %w: %s; %s", x.file.Name(), context.Cause(ctx), undone, x.kept())
	}
	lost := connectionLost(cause)
	lockLost := errors.Is(cause, errLockLost)
	x.rev.ExecutionTime = time.Since(x.rev.ExecutedAt)
	x.rev.Error = dbErrorText(cause)
	var what string
	switch {
	case stmt >= 0:
		x.rev.ErrorStmt = x.stmts[stmt]
		what = fmt.Sprintf("%s failed at statement %d of %d (%s): %s", x.file.Name(), stmt+1, len(x.stmts), snippet(x.stmts[stmt]), x.rev.Error)
	case stmt == -2:
		x.rev.ErrorStmt = "PRAGMA foreign_key_check"
		what = fmt.Sprintf("%s leaves %s", x.file.Name(), x.rev.Error)
	default:
		what = fmt.Sprintf("%s failed: %s", x.file.Name(), x.rev.Error)
	}
	var notes []error
	if stmt >= 0 && dialect == "postgres" && !lost {
		if index, err := invalidIndex(cleanup, x.ctl, x.stmts[stmt]); err == nil && index != "" {
			what += "; " + leftoverNote(index)
		}
	}
	switch {
	case lockLost:
		// Without the lock the run writes nothing: another run may be applying this file.
	case dialect == "postgres" && x.lock.held(cleanup) != nil:
		lockLost = true
	case dialect == "mysql" && x.mylock.held(cleanup) != nil:
		lockLost = true
	default:
		if _, err := writeRevision(cleanup, x.ctl, x.table, x.rev); err != nil {
			notes = append(notes, fmt.Errorf("the failure could not be recorded: %w", err))
		} else {
			x.recorded = x.rev.Applied
		}
	}
	if noTxFile {
		undone = x.noTxUndone()
	}
	if dialect == "mysql" {
		undone = x.mysqlUndone()
	}
	undone += "; " + x.kept()
	next := "fix the file, run `kernia hash`, and run migrate again"
	switch {
	case lost:
		next = "the connection to the database broke, which is no fault of the file: once the database is reachable, run migrate again (a plain rerun is enough)"
	case errors.As(cause, new(*ddlLockError)):
		next = "the file is not at fault: once the session holding the lock ends, run migrate again (a plain rerun is enough)"
	case lockLost:
		next = "the run lost the migration lock (its connection ended), so it stopped without recording anything more; another run may have applied the file since: run migrate again (a plain rerun is enough), it applies only what is not recorded as applied"
	}
	return errors.Join(append([]error{fmt.Errorf("migrate: %s; %s: %s", what, undone, next)}, notes...)...)
}

// kept says what stays of the run when a file fails.
func (x *fileRun) kept() string {
	switch x.earlier {
	case 0:
		return "files applied before it are unaffected"
	case 1:
		return "the file this run applied before it stays applied"
	}
	return fmt.Sprintf("the %d files this run applied before it stay applied", x.earlier)
}

// foreignKeyCheck fails when PRAGMA foreign_key_check reports violations.
func foreignKeyCheck(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("PRAGMA foreign_key_check: %w", err)
	}
	defer rows.Close()
	var (
		n     int
		shown []string
	)
	for rows.Next() {
		var table, parent sql.NullString
		var rowid, fkid sql.NullInt64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("PRAGMA foreign_key_check: %w", err)
		}
		if n++; len(shown) < 3 {
			row := "a row"
			if rowid.Valid {
				row = fmt.Sprintf("rowid %d", rowid.Int64)
			}
			shown = append(shown, fmt.Sprintf("%s %s references a missing row of %s", table.String, row, parent.String))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("PRAGMA foreign_key_check: %w", err)
	}
	if n == 0 {
		return nil
	}
	more := ""
	if n > len(shown) {
		more = fmt.Sprintf("; and %d more", n-len(shown))
	}
	return fmt.Errorf("%d foreign-key %s (%s%s)", n, plural(make([]int, n), "violation", "violations"), strings.Join(shown, "; "), more)
}

// stmtHashes returns Atlas's partial hashes of a file's statements: base64 SHA-256 of the
// statements up to and including each one.
func stmtHashes(stmts []string) []string {
	sums := make([]string, len(stmts))
	h := sha256.New()
	for i, s := range stmts {
		h.Write([]byte(s))
		sums[i] = base64.StdEncoding.EncodeToString(h.Sum(nil))
	}
	return sums
}

// checkPartial refuses to resume a partially applied file whose applied statements changed.
func checkPartial(f migrate.File, stmts []string, prev *migrate.Revision) error {
	sums := stmtHashes(stmts)
	if prev.Applied > len(stmts) || len(prev.PartialHashes) < prev.Applied {
		return fmt.Errorf("migrate: %s is recorded as partially applied (%d of %d statements) but now has %d statements: restore the statements that were applied (git checkout) and put changes after them",
			f.Name(), prev.Applied, prev.Total, len(stmts))
	}
	for i := 0; i < prev.Applied; i++ {
		if strings.TrimPrefix(prev.PartialHashes[i], "h1:") != sums[i] {
			return fmt.Errorf("migrate: statement %d of %s changed after it was applied (the file is partially applied: %d of %d statements): restore the applied statements (git checkout) and change only the statements after them",
				i+1, f.Name(), prev.Applied, prev.Total)
		}
	}
	return nil
}

// snippet returns the start of a statement on one line.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// dbErrorText is a database error's text, with any password-bearing URL redacted.
func dbErrorText(err error) string {
	return database.Redact(err.Error())
}
