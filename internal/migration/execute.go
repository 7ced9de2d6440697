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

	"github.com/kernia/kernia/internal/database"
)

// errRunLost marks a SQLite failure after which the run's transaction is gone, earlier files
// included.
var errRunLost = errors.New("the run's transaction was rolled back")

// savepoint is the SQLite savepoint each file runs in.
const savepoint = "kernia_migrate_file"

// applyFile runs one pending file and records it. prev is the file's earlier revision, if any;
// a partially applied file (only possible without a transaction) resumes after the statements
// it already applied. earlier is the number of files this run applied before it.
func (r *runner) applyFile(ctx context.Context, conn *sql.Conn, f migrate.File, prev *migrate.Revision, earlier int) (AppliedFile, error) {
	stmts := r.stmts[f.Name()]
	rev := &migrate.Revision{
		Version: f.Version(), Description: f.Desc(), Type: migrate.RevisionTypeExecute,
		Total: len(stmts), Hash: fileHash(r.sum, f), OperatorVersion: r.operator, ExecutedAt: time.Now(),
	}
	if prev != nil && prev.Applied > 0 {
		if err := checkPartial(f, stmts, prev); err != nil {
			return AppliedFile{}, err
		}
		rev.Applied, rev.PartialHashes = prev.Applied, prev.PartialHashes[:prev.Applied]
	}
	x := &fileRun{runner: r, conn: conn, file: f, stmts: stmts, rev: rev, earlier: earlier}
	var err error
	switch {
	case r.u.Dialect == "sqlite":
		err = x.inSavepoint(ctx)
	case noTx(f):
		err = x.withoutTx(ctx)
	default:
		err = x.inTx(ctx)
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
	conn     *sql.Conn
	file     migrate.File
	stmts    []string
	rev      *migrate.Revision
	earlier  int
	executed int // statements executed by this run
}

// inTx runs the file in one PostgreSQL transaction with its revision.
func (x *fileRun) inTx(ctx context.Context) error {
	// The transaction is not bound to ctx: database/sql would roll back a cancelled one on its
	// own goroutine, racing the statements that follow on this connection (the unlock). Its
	// statements use ctx, and every path below ends it explicitly.
	tx, err := x.conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return x.fail(ctx, -1, fmt.Errorf("begin a transaction: %w", err))
	}
	for i := x.rev.Applied; i < len(x.stmts); i++ {
		if _, err := tx.ExecContext(ctx, x.stmts[i]); err != nil {
			_ = tx.Rollback()
			return x.fail(ctx, i, err)
		}
	}
	x.succeed()
	if err := writeRevision(ctx, tx, x.u.Dialect, x.rev); err != nil {
		_ = tx.Rollback()
		return x.fail(ctx, -1, err)
	}
	if err := tx.Commit(); err != nil {
		return x.fail(ctx, -1, fmt.Errorf("commit: %w", err))
	}
	return nil
}

// withoutTx runs a `-- atlas:txmode none` file statement by statement on PostgreSQL, recording
// the progress after each one as the Atlas CLI does.
func (x *fileRun) withoutTx(ctx context.Context) error {
	sums := stmtHashes(x.stmts)
	for i := x.rev.Applied; i < len(x.stmts); i++ {
		if _, err := x.conn.ExecContext(ctx, x.stmts[i]); err != nil {
			return x.fail(ctx, i, err)
		}
		x.executed++
		x.rev.Applied = i + 1
		x.rev.PartialHashes = append(x.rev.PartialHashes, "h1:"+sums[i])
		x.rev.ExecutionTime = time.Since(x.rev.ExecutedAt)
		if i+1 < len(x.stmts) {
			if err := writeRevision(ctx, x.conn, x.u.Dialect, x.rev); err != nil {
				return x.fail(ctx, -1, err)
			}
		}
	}
	x.succeed()
	if err := writeRevision(ctx, x.conn, x.u.Dialect, x.rev); err != nil {
		return x.fail(ctx, -1, err)
	}
	return nil
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
			return x.fail(ctx, i, err)
		}
	}
	if err := foreignKeyCheck(ctx, x.conn); err != nil {
		return x.fail(ctx, -2, err)
	}
	x.succeed()
	if err := writeRevision(ctx, x.conn, x.u.Dialect, x.rev); err != nil {
		return x.fail(ctx, -1, err)
	}
	if _, err := x.conn.ExecContext(ctx, "RELEASE "+savepoint); err != nil {
		return x.fail(ctx, -1, fmt.Errorf("RELEASE: %w", err))
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

// fail undoes the file, records the failure (unless the run was interrupted) and explains it.
// stmt is the index of the failing statement, -1 for a failure outside the file's statements,
// -2 for a failed foreign-key check.
func (x *fileRun) fail(ctx context.Context, stmt int, cause error) error {
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
	}
	kept := x.kept()
	undone := "the file was rolled back (nothing of it is applied); " + kept
	if noTx(x.file) && dialect == "postgres" {
		undone = fmt.Sprintf("the file runs without a transaction (-- atlas:txmode none): its first %d of %d statements stay applied and the next run resumes after them; %s",
			x.rev.Applied, len(x.stmts), kept)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("migrate: interrupted while applying %s: %w: %s", x.file.Name(), context.Cause(ctx), undone)
	}
	// In a transaction nothing of this attempt stays: rev.Applied still counts only statements
	// applied before it (none, unless an earlier attempt ran without a transaction), so the next
	// run executes the file from there again.
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
	var recErr error
	if err := writeRevision(cleanup, x.conn, dialect, x.rev); err != nil {
		recErr = fmt.Errorf("the failure could not be recorded: %w", err)
	}
	return errors.Join(fmt.Errorf("migrate: %s; %s: fix the file, run `kernia hash`, and run migrate again", what, undone), recErr)
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
