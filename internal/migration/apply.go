package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// DryRun prints the SQL of the pending files to Out and changes nothing: no lock is taken and
	// no revisions table is created.
	DryRun bool
	// LockTimeout bounds the wait for the migration lock held by another run (default
	// DefaultLockTimeout when zero).
	LockTimeout time.Duration
	// Baseline, on a database without migration history, records this version as a baseline
	// revision (the database already has the changes of every file up to it) and applies only
	// later files. On a database with history it is ignored when it is not newer than the current
	// version, and refused otherwise.
	Baseline string
	// AllowOutOfOrder applies pending files older than the last applied version (added late,
	// for example by a merged branch) instead of refusing them.
	AllowOutOfOrder bool
	// ConnectTimeout bounds connecting to a PostgreSQL server (default: the URL's
	// connect_timeout, else database.DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// DDLLockTimeout is the lock_timeout each PostgreSQL file's statements run under, and the
	// lock_wait_timeout and innodb_lock_wait_timeout (rounded up to whole seconds) of MySQL's
	// (default DefaultDDLLockTimeout when zero): a statement that waits longer for a lock fails
	// (SQLSTATE 55P03, MySQL Error 1205) instead of queueing every later query on its table
	// behind it.
	DDLLockTimeout time.Duration
	// DDLAttempts is how many times a statement that timed out waiting for a lock is tried
	// before the run fails (default DefaultDDLAttempts when zero). See ddllock.go.
	DDLAttempts int
	// Out receives human progress lines; nil discards them.
	Out io.Writer
}

// AppliedFile is a migration file a run applied, or would apply in a dry run.
type AppliedFile struct {
	// Version is the file's version (its name up to the first underscore).
	Version string `json:"version"`
	// Description is the rest of the file's name, without .sql.
	Description string `json:"description"`
	// Name is the file name.
	Name string `json:"name"`
	// Statements is how many statements the run executed (for a dry run: would execute).
	Statements int `json:"statements"`
	// Duration is how long the file took (zero in a dry run).
	Duration time.Duration `json:"duration_ns"`
}

// ApplyResult describes a run.
type ApplyResult struct {
	// Dialect is "sqlite", "postgres" or "mysql".
	Dialect string `json:"dialect"`
	// From is the database's version before the run, To after it ("" for none).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Baseline is the baseline version the run recorded, if any.
	Baseline string `json:"baseline,omitempty"`
	// Applied lists the files applied, in order.
	Applied []AppliedFile `json:"applied"`
	// Pending lists, in a dry run, the files a real run would apply.
	Pending []AppliedFile `json:"pending,omitempty"`
	// DryRun is set for a dry run.
	DryRun bool `json:"dry_run,omitempty"`
}

// Apply applies the pending files of the migration directory at dirPath to the database at
// rawURL. In order: it verifies atlas.sum (before connecting), connects, (PostgreSQL and MySQL)
// reads the history once and ends there when it already holds every file, complete (see
// runner.upToDate: a no-op needs neither the lock nor the run's other connections), takes
// the migration lock (see the package documentation), creates the revisions table in the connected schema if
// neither it nor (PostgreSQL) the Atlas CLI's default atlas_schema_revisions schema has one, checks the
// recorded history against the directory, then runs each pending file in its own transaction
// and records it. Nothing to apply is a success.
//
// When a file fails, it leaves nothing behind (its transaction or savepoint is rolled back), the
// earlier files stay applied, the failure is recorded in the revisions table for Status, and
// the returned error names the file, the statement and the database error; the result then
// lists the files applied before the failure (it is nil when the run failed before taking the
// lock). Cancelling ctx rolls back the current file and releases the lock. No error contains
// the URL's password.
func Apply(ctx context.Context, rawURL, dirPath string, opts ApplyOptions) (*ApplyResult, error) {
	found := prefetched(ctx, rawURL, dirPath, opts)
	d := found.dir
	if d == nil {
		var err error
		if d, err = loadDir(dirPath); err != nil {
			return nil, err
		}
	}
	r, err := newRunner(rawURL, dirPath, d, opts)
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		return r.dryRun(ctx)
	}
	if found.upToDate != nil {
		r.printEnd(found.upToDate, 0)
		return found.upToDate, nil
	}
	return r.apply(ctx, found.db)
}

// newRunner returns the runner of Apply(ctx, rawURL, dirPath, opts) over the directory d
// (loadDir).
func newRunner(rawURL, dirPath string, d *loadedDir, opts ApplyOptions) (*runner, error) {
	files, sum := d.files, d.sum
	u, err := database.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	u = u.WithConnectTimeout(opts.ConnectTimeout)
	r := &runner{u: u, where: where(u), dir: dirPath, files: files, sum: sum, sums: sumIndex(sum), opts: opts,
		out: opts.Out, operator: operatorVersion(), splits: newSplits(u.Dialect), stmts: map[string][]string{}}
	if r.out == nil {
		r.out = io.Discard
	}
	if r.opts.LockTimeout <= 0 {
		r.opts.LockTimeout = DefaultLockTimeout
	}
	if r.opts.DDLLockTimeout <= 0 {
		r.opts.DDLLockTimeout = DefaultDDLLockTimeout
	}
	if r.opts.DDLAttempts <= 0 {
		r.opts.DDLAttempts = DefaultDDLAttempts
	}
	return r, nil
}

// runner is one Apply call.
type runner struct {
	u        *database.URL
	where    string // the database, for messages
	dir      string
	files    []migrate.File
	sum      migrate.HashFile
	sums     map[string]string // sum by file name
	splits   *splits
	stmts    map[string][]string // by file name
	opts     ApplyOptions
	out      io.Writer
	operator string
	// table is where the history is read and written.
	table revTable
	// PostgreSQL and MySQL: the connection the files run on, and the run's lock.
	work *sql.Conn
	lock *pgLock
	// PostgreSQL: how a file in a transaction asks for the client check (watchSQL).
	watch  string
	mylock *myLock
	// MySQL: the work connection's session (CONNECTION_ID()), for KILL QUERY, and the server's
	// flavour and version (checkMySQLServer).
	workID int64
	server database.MySQLServer
	// SQLite: the migration connection's settings at the start of the run, restored after
	// each file.
	pragmas []pragma
}

// where names the database in messages, without its password.
func where(u *database.URL) string {
	if u.Dialect == "sqlite" {
		return "sqlite " + u.Path
	}
	return u.Redacted()
}

func (r *runner) printf(format string, args ...any) {
	fmt.Fprintf(r.out, format+"\n", args...)
}

// apply runs on prefetched, the database a prefetch connected to when it found work to do
// (upToDate is not asked again), or, when it is nil, on a database it opens.
func (r *runner) apply(ctx context.Context, prefetched *sql.DB) (res *ApplyResult, err error) {
	db := prefetched
	if db == nil {
		if db, err = r.open(ctx); err != nil {
			return nil, err
		}
	}
	defer db.Close()
	if r.u.Dialect != kernia.SQLite && prefetched == nil {
		if res, ok := r.upToDate(ctx, db); ok {
			r.printEnd(res, 0)
			return res, nil
		}
	}
	switch r.u.Dialect {
	case "postgres":
		return r.applyPostgres(ctx, db)
	case "mysql":
		return r.applyMySQL(ctx, db)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %s: open a connection: %w", r.where, err)
	}
	defer conn.Close()
	res = &ApplyResult{Dialect: r.u.Dialect, Applied: []AppliedFile{}}
	end, err := lockSQLite(ctx, conn, r.u.Path, r.opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	if r.pragmas, err = readPragmas(ctx, conn); err != nil {
		_ = end(false)
		return nil, err
	}
	res, err = r.run(ctx, conn, res)
	if errors.Is(err, errRunLost) {
		_ = end(false)
		res.Applied, res.To = nil, res.From
		return res, err
	}
	// Commit the files applied before a failure too: they stay applied, as on PostgreSQL.
	if cerr := end(true); cerr != nil {
		res.Applied, res.To = nil, res.From
		return res, errors.Join(err, cerr)
	}
	return res, err
}

// applyPostgres runs on three connections, opened at once: the lock's (see pgLock), which
// runs nothing else; the control connection, which reads and writes the history outside the
// files' transactions; and the work connection, which runs the files, one after the other,
// each from a clean session: before a file's transaction commits its session is reset
// (recordInTx), and after each file DISCARD ALL ends everything the file left in the session
// (settings, role, temporary tables, prepared statements, cursors, LISTEN, advisory locks). So
// nothing a file sets reaches the next file or the history writes. Kernia's own statements on
// the work connection use the simple protocol, so DISCARD ALL drops no statement it prepared.
func (r *runner) applyPostgres(ctx context.Context, db *sql.DB) (*ApplyResult, error) {
	conns, err := r.threeConns(ctx, db)
	if err != nil {
		return nil, err
	}
	defer closeConns(conns)
	lockConn, ctl, work := conns[0], conns[1], conns[2]
	lk, err := lockPostgres(ctx, lockConn, r.where, r.opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer lk.release()
	if err := checkPooler(ctx, ctl, work, lk); err != nil {
		return nil, err
	}
	watchClient(ctx, ctl)
	watchClient(ctx, work)
	r.work, r.lock, r.watch = work, lk, watchSQL(work)
	return r.run(ctx, ctl, &ApplyResult{Dialect: r.u.Dialect, Applied: []AppliedFile{}})
}

// threeConns opens the run's three connections at once (PostgreSQL and MySQL): the lock's,
// the control connection and the work connection. On an error it closes those it opened.
func (r *runner) threeConns(ctx context.Context, db *sql.DB) ([]*sql.Conn, error) {
	conns := make([]*sql.Conn, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() { conns[i], errs[i] = db.Conn(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeConns(conns)
		return nil, fmt.Errorf("migrate: %s: open a connection: %w", r.where, err)
	}
	return conns, nil
}

// closeConns closes the connections that are open.
func closeConns(conns []*sql.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// open connects. lockSQLite sets the SQLite migration connection's busy timeout and turns its
// foreign keys off.
// A MySQL database that does not exist yet is created, with the character set and collation
// of Kernia's tables: a MySQL database is the schema the files fill, which the server's users
// create as freely as tables (a PostgreSQL database, a server-level object, is not created).
func (r *runner) open(ctx context.Context) (*sql.DB, error) {
	db, err := database.Open(ctx, r.u)
	if errors.Is(err, database.ErrNoDatabase) && r.u.Dialect == kernia.MySQL {
		created, cerr := database.CreateMySQLDatabase(ctx, r.u)
		if cerr != nil {
			return nil, fmt.Errorf("migrate: %w", cerr)
		}
		if created {
			r.printf("migrate: created the database %s (CHARACTER SET utf8mb4 COLLATE %s)", r.where, database.MySQLCollation)
		}
		db, err = database.Open(ctx, r.u)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

// run does the work while holding the lock.
func (r *runner) run(ctx context.Context, conn *sql.Conn, res *ApplyResult) (*ApplyResult, error) {
	dialect := r.u.Dialect
	h, table, exists, err := r.readHistory(ctx, conn)
	if err != nil {
		return res, err
	}
	r.table = table
	res.From = h.current()
	res.To = res.From
	p, err := h.plan(r.opts)
	if err != nil {
		return res, err
	}
	if err := r.split(p.pending); err != nil {
		return res, err
	}
	if err := checkTxControl(r.splits, p.pending); err != nil {
		return res, err
	}
	if dialect == "mysql" {
		if err := r.checkMySQLServer(p.pending); err != nil {
			return res, err
		}
	}
	if p.checkClean {
		if err := checkClean(ctx, conn, dialect, r.where); err != nil {
			return res, err
		}
	}
	// Created only now, so a refused run leaves no table behind; the lock makes this safe.
	// (CREATE TABLE IF NOT EXISTS on the table just read is a no-op, but the first one of a
	// PostgreSQL session costs a round trip and catalog lookups: skipped.)
	if !exists {
		if err := createRevisionsTable(ctx, conn, dialect); err != nil {
			return res, err
		}
	}
	for _, n := range p.notes {
		r.printf("%s", n)
	}
	for _, s := range p.stale {
		if err := deleteRevision(ctx, conn, r.table, s.Version); err != nil {
			return res, err
		}
	}
	if b := p.baseline; b != nil {
		b.ExecutedAt, b.OperatorVersion = time.Now(), r.operator
		if _, err := writeRevision(ctx, conn, r.table, b); err != nil {
			return res, err
		}
		res.Baseline, res.To = b.Version, b.Version
		r.printf("baseline: recorded version %s; files up to it are taken as already applied", b.Version)
	}
	start := time.Now()
	for _, f := range p.pending {
		af, err := r.applyFile(ctx, conn, f, h.byVer[f.Version()], len(res.Applied))
		if err != nil {
			return res, err
		}
		res.Applied = append(res.Applied, af)
		res.To = f.Version()
		r.printf("applied %s: %d %s in %s", f.Name(), af.Statements, plural(make([]int, af.Statements), "statement", "statements"), round(af.Duration))
	}
	r.printEnd(res, time.Since(start))
	return res, nil
}

// printEnd prints the run's last line: what it applied in how long, or that it had nothing
// to apply.
func (r *runner) printEnd(res *ApplyResult, took time.Duration) {
	switch {
	case len(res.Applied) > 0:
		r.printf("%d %s applied in %s: %s is now at version %s",
			len(res.Applied), plural(res.Applied, "file", "files"), round(took), r.where, res.To)
	case res.To == "" && len(r.files) == 0:
		r.printf("nothing to apply: the migration directory %s has no migration files", r.dir)
	case res.To == "":
		r.printf("nothing to apply: %s has no migration applied", r.where)
	default:
		r.printf("nothing to apply: %s is at version %s", r.where, res.To)
	}
}

// upToDate reports whether the database's history already holds every file of the directory,
// complete, with nothing else for a run to do (no failed attempt to clear, no baseline, no
// note), read on the connection Open checked, without the run's lock or its other
// connections (PostgreSQL and MySQL). Then the run ends there, as a locked run would: its
// caller prints the same line (printEnd) and returns the same result. It reads as status
// does; a run of another process that is applying a file has recorded it as not done, or not
// yet at all, so its file is pending here. Anything else, a failed read included, is for the locked
// run, which reads again under the lock and reports problems in its own words. A no-op so
// opens one connection and makes two round trips, where a locked run opens three and makes
// about ten: on a PostgreSQL server, most of a no-op's time (issue 13).
func (r *runner) upToDate(ctx context.Context, db *sql.DB) (*ApplyResult, bool) {
	if len(r.files) == 0 {
		return nil, false // a run on an empty directory creates the history table
	}
	return r.upToDateWith(readHistoryOn(ctx, db, r.u.Dialect))
}

// upToDateWith is upToDate on a history already read.
func (r *runner) upToDateWith(read revisionsRead) (*ApplyResult, bool) {
	if len(r.files) == 0 || read.err != nil || !read.exists {
		return nil, false
	}
	h := r.history(read.revs, read.table)
	p, err := h.plan(r.opts)
	if err != nil || len(p.pending) > 0 || len(p.stale) > 0 || p.baseline != nil || len(p.notes) > 0 || p.checkClean {
		return nil, false
	}
	res := &ApplyResult{Dialect: r.u.Dialect, Applied: []AppliedFile{}, From: h.current()}
	res.To = res.From
	return res, true
}

// revisionsRead is a read of the history outside a run's lock (readHistoryOn).
type revisionsRead struct {
	revs   []*migrate.Revision
	table  revTable
	exists bool
	err    error
}

// readHistoryOn reads the history of the database db on one connection of its own, as
// upToDate does.
func readHistoryOn(ctx context.Context, db *sql.DB, dialect string) revisionsRead {
	conn, err := db.Conn(ctx)
	if err != nil {
		return revisionsRead{err: err}
	}
	defer conn.Close()
	revs, table, exists, err := readHistory(ctx, conn, dialect)
	return revisionsRead{revs: revs, table: table, exists: exists, err: err}
}

// readHistory reads the database's history on conn (readHistory) and sets it beside the
// run's directory.
func (r *runner) readHistory(ctx context.Context, conn *sql.Conn) (h *history, table revTable, exists bool, err error) {
	revs, table, exists, err := readHistory(ctx, conn, r.u.Dialect)
	if err != nil {
		return nil, table, exists, err
	}
	return r.history(revs, table), table, exists, nil
}

// history sets the revisions revs, read from table, beside the run's directory.
func (r *runner) history(revs []*migrate.Revision, table revTable) *history {
	h := newHistory(r.dir, r.files, r.sum, revs)
	h.splits, h.table = r.splits, table.String()
	return h
}

// split splits the files the run applies into statements, before it changes anything: a file
// that cannot be split stops the run. Only these files are split (Atlas's scanner is the
// costliest part of reading a directory: splitting every file of a 1,000-file history took
// about 17 ms of a no-op).
func (r *runner) split(files []migrate.File) error {
	for _, f := range files {
		stmts, err := r.splits.texts(f)
		if err != nil {
			return err
		}
		r.stmts[f.Name()] = stmts
	}
	return nil
}

// round shortens a duration for display.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
