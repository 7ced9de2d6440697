package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"ariga.io/atlas/sql/migrate"
	atlas "ariga.io/atlas/sql/schema"

	"github.com/kernia/kernia/internal/database"
)

// AdoptCheck compares the database q reaches with the schema the migration directory builds.
// It returns the statements that bring the database to that schema without touching a row
// (none when it already matches), or an error listing the differences it refuses. Adopt calls
// it inside its lock and, when it writes, inside its transaction: once before the statements
// run, and once after, when it must return none.
type AdoptCheck func(ctx context.Context, q atlas.ExecQuerier) (statements []string, err error)

// AdoptOptions configure Adopt.
type AdoptOptions struct {
	// Check compares the database with the migrations (required).
	Check AdoptCheck
	// DryRun runs the check and reports the statements, writing nothing: no lock is taken and
	// no table is created.
	DryRun bool
	// LockTimeout bounds the wait for the migration lock (default DefaultLockTimeout).
	LockTimeout time.Duration
	// ConnectTimeout bounds connecting to a PostgreSQL server (default: the URL's
	// connect_timeout, else database.DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// DDLLockTimeout is the lock_timeout the PostgreSQL statements run under (default
	// DefaultDDLLockTimeout).
	DDLLockTimeout time.Duration
	// Out receives human progress lines; nil discards them.
	Out io.Writer
}

// AdoptResult describes an adoption.
type AdoptResult struct {
	// Dialect is "sqlite" or "postgres".
	Dialect string `json:"dialect"`
	// Baseline is the version recorded as the baseline (the directory's last file), and
	// BaselineName that file's name.
	Baseline     string `json:"baseline"`
	BaselineName string `json:"baseline_name"`
	// History is the table the baseline was (or would be) recorded in.
	History string `json:"history_table"`
	// Statements are the statements that closed the differences (in a dry run: would close).
	Statements []string `json:"statements"`
	// Recorded is set once the baseline is committed.
	Recorded bool `json:"recorded"`
	// DryRun is set for a dry run.
	DryRun bool `json:"dry_run"`
}

// Adopt takes over a database that something other than Kernia created (Better Auth's own
// migration): when opts.Check finds it in the schema the migration directory at dirPath
// builds, possibly after statements that touch no row, Adopt records the directory's last
// file as a baseline revision in atlas_schema_revisions, the row `atlas migrate apply
// --baseline <version>` writes (type 1, applied and total 0, no hash, executed_at now, the
// operator version), so that from then on migrate applies only later files.
//
// It verifies atlas.sum before connecting, holds the migration lock migrate holds (so the two
// exclude each other), refuses a database that has a migration history, and writes
// all-or-nothing: on PostgreSQL the statements, the revisions table and the baseline commit in
// one transaction; on SQLite in the run's BEGIN IMMEDIATE transaction. A refusal, a failing
// statement or a check that still finds differences after the statements leaves the database as
// it was.
func Adopt(ctx context.Context, rawURL, dirPath string, opts AdoptOptions) (*AdoptResult, error) {
	if opts.Check == nil {
		return nil, errors.New("adopt: no schema check")
	}
	d, err := loadDir(dirPath)
	if err != nil {
		return nil, err
	}
	if len(d.files) == 0 {
		return nil, fmt.Errorf("adopt: the migration directory %s has no migration files: run generate first, so there is a schema to compare the database with", dirPath)
	}
	last := d.files[len(d.files)-1]
	u, err := database.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("adopt: %w", err)
	}
	u = u.WithConnectTimeout(opts.ConnectTimeout)
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.DDLLockTimeout <= 0 {
		opts.DDLLockTimeout = DefaultDDLLockTimeout
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	a := &adopter{u: u, where: where(u), dir: d, dirPath: dirPath, opts: opts,
		res: &AdoptResult{Dialect: u.Dialect, Baseline: last.Version(), BaselineName: last.Name(), Statements: []string{}, DryRun: opts.DryRun}}
	if u.Dialect == "sqlite" && u.Path != ":memory:" {
		if _, err := os.Stat(u.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("adopt: %s does not exist: point --url at the database to adopt", a.where)
		}
	}
	if u.Dialect == "mysql" {
		return nil, fmt.Errorf("adopt: %s: adopting a MySQL database is not supported yet: if its schema matches the migrations up to some version, run migrate with --baseline VERSION", a.where)
	}
	db, err := database.Open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("adopt: %w", err)
	}
	defer db.Close()
	switch {
	case opts.DryRun:
		err = a.dryRun(ctx, db)
	case u.Dialect == "postgres":
		err = a.postgres(ctx, db)
	default:
		err = a.sqlite(ctx, db)
	}
	return a.res, err
}

type adopter struct {
	u       *database.URL
	where   string
	dir     *loadedDir
	dirPath string
	opts    AdoptOptions
	res     *AdoptResult
}

// history refuses a database that has a migration history, and returns where the baseline
// goes.
func (a *adopter) history(ctx context.Context, q querier) (revTable, bool, error) {
	revs, t, exists, err := readHistory(ctx, q, a.u.Dialect)
	if err != nil {
		return t, false, err
	}
	a.res.History = t.String()
	if len(revs) > 0 {
		h := newHistory(a.dirPath, a.dir.files, a.dir.sum, revs)
		at := "no version applied"
		if cur := h.current(); cur != "" {
			at = "at version " + cur
		}
		return t, false, fmt.Errorf("adopt: %s already has a migration history in %s (%d %s, %s), so there is nothing to adopt: adoption records a baseline only on a database without one; `kernia status` shows where it stands and `kernia migrate` applies what is pending",
			a.where, t, len(revs), plural(revs, "revision", "revisions"), at)
	}
	return t, exists, nil
}

// check runs the schema check and keeps its statements.
func (a *adopter) check(ctx context.Context, q atlas.ExecQuerier) ([]string, error) {
	stmts, err := a.opts.Check(ctx, q)
	if err != nil {
		return nil, err
	}
	a.res.Statements = append([]string{}, stmts...)
	return stmts, nil
}

// close runs the statements, then checks again: nothing may be left to close.
func (a *adopter) close(ctx context.Context, q atlas.ExecQuerier, stmts []string) error {
	for i, s := range stmts {
		fmt.Fprintf(a.opts.Out, "adopt: %s\n", s)
		if _, err := q.ExecContext(ctx, s); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("adopt: interrupted at statement %d of %d (%s): %w; rolled back, nothing was written", i+1, len(stmts), s, context.Cause(ctx))
			}
			return fmt.Errorf("adopt: statement %d of %d (%s) failed: %s; rolled back, nothing was written (no statement and no baseline)", i+1, len(stmts), s, dbErrorText(err))
		}
	}
	if len(stmts) == 0 {
		return nil
	}
	again, err := a.opts.Check(ctx, q)
	if err == nil && len(again) > 0 {
		err = fmt.Errorf("%d statements would still be needed: %v", len(again), again)
	}
	if err != nil {
		return fmt.Errorf("adopt: after its statements the database still differs from the migrations (%w); rolled back, nothing was written", err)
	}
	return nil
}

// baseline writes the baseline revision.
func (a *adopter) baseline(ctx context.Context, q querier, t revTable, exists bool) error {
	if !exists {
		if err := createRevisionsTable(ctx, q, a.u.Dialect); err != nil {
			return err
		}
	}
	last := a.dir.files[len(a.dir.files)-1]
	r := &migrate.Revision{Version: last.Version(), Description: last.Desc(), Type: migrate.RevisionTypeBaseline,
		ExecutedAt: time.Now(), OperatorVersion: operatorVersion()}
	_, err := writeRevision(ctx, q, t, r)
	return err
}

// dryRun checks and reports, writing nothing (PostgreSQL: in a READ ONLY transaction).
func (a *adopter) dryRun(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("adopt: %s: open a connection: %w", a.where, err)
	}
	defer conn.Close()
	var q interface {
		querier
		atlas.ExecQuerier
	} = conn
	if a.u.Dialect == "postgres" {
		tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return fmt.Errorf("adopt: %s: begin a read-only transaction: %w", a.where, err)
		}
		defer tx.Rollback()
		q = tx
	}
	if _, _, err := a.history(ctx, q); err != nil {
		return err
	}
	_, err = a.check(ctx, q)
	return err
}

// postgres adopts under the advisory lock migrate takes, in one transaction on a connection of
// its own.
func (a *adopter) postgres(ctx context.Context, db *sql.DB) error {
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("adopt: %s: open a connection: %w", a.where, err)
		}
		defer c.Close()
		conns[i] = c
	}
	lockConn, probe, work := conns[0], conns[1], conns[2]
	lk, err := lockPostgres(ctx, lockConn, a.where, a.opts.LockTimeout)
	if err != nil {
		return err
	}
	defer lk.release()
	if err := checkPooler(ctx, work, probe, lk); err != nil {
		return err
	}
	watchClient(ctx, work)
	tx, err := work.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("adopt: %s: begin the transaction: %w", a.where, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = '%dms'", a.opts.DDLLockTimeout.Milliseconds())); err != nil {
		return fmt.Errorf("adopt: %s: set lock_timeout: %w", a.where, err)
	}
	t, exists, err := a.history(ctx, tx)
	if err != nil {
		return err
	}
	stmts, err := a.check(ctx, tx)
	if err != nil {
		return err
	}
	if err := a.close(ctx, tx, stmts); err != nil {
		return err
	}
	if err := a.baseline(ctx, tx, t, exists); err != nil {
		return err
	}
	if err := lk.held(ctx); err != nil {
		return fmt.Errorf("adopt: %w; rolled back, nothing was written", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("adopt: %s: commit: %s; nothing was written", a.where, dbErrorText(err))
	}
	a.res.Recorded = true
	return nil
}

// sqlite adopts inside the BEGIN IMMEDIATE transaction migrate's lock is.
func (a *adopter) sqlite(ctx context.Context, db *sql.DB) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("adopt: %s: open a connection: %w", a.where, err)
	}
	defer conn.Close()
	end, err := lockSQLite(ctx, conn, a.u.Path, a.opts.LockTimeout)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_ = end(false)
		}
	}()
	t, exists, err := a.history(ctx, conn)
	if err != nil {
		return err
	}
	stmts, err := a.check(ctx, conn)
	if err != nil {
		return err
	}
	if err := a.close(ctx, conn, stmts); err != nil {
		return err
	}
	if err := a.baseline(ctx, conn, t, exists); err != nil {
		return err
	}
	committed = true
	if err := end(true); err != nil {
		return fmt.Errorf("adopt: %w", err)
	}
	a.res.Recorded = true
	return nil
}
