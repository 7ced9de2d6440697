package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia/internal/database"
)

// StatusReport is the migration state of a database against a migration directory.
type StatusReport struct {
	// Database is the database URL without its password.
	Database string `json:"database"`
	// Dialect is "sqlite" or "postgres".
	Dialect string `json:"dialect"`
	// Dir is the migration directory.
	Dir string `json:"dir"`
	// History names the table the history was read from when it is not the connected schema's
	// atlas_schema_revisions: "atlas_schema_revisions.atlas_schema_revisions", the Atlas CLI's
	// default on PostgreSQL.
	History string `json:"history_table,omitempty"`
	// Current is the last applied version ("" when none).
	Current string `json:"current_version"`
	// Applied lists the applied revisions (baseline included), in version order.
	Applied []FileStatus `json:"applied"`
	// Pending lists the files a run would apply, in order.
	Pending []FileStatus `json:"pending"`
	// LastFailure is the most recent failed attempt not yet fixed by a successful run.
	LastFailure *Failure `json:"last_failure,omitempty"`
	// Problems lists what migrate would refuse: a checksum mismatch, an edited or missing
	// applied file, files out of order, a non-empty database without history.
	Problems []string `json:"problems,omitempty"`
}

// FileStatus is one migration file (or applied revision) in a StatusReport.
type FileStatus struct {
	// Version is the file's version.
	Version string `json:"version"`
	// Description is the rest of the file's name.
	Description string `json:"description"`
	// Name is the file name ("" when an applied revision's file is missing).
	Name string `json:"name,omitempty"`
	// Type is, for an applied revision, "applied" or "baseline" (Atlas's names).
	Type string `json:"type,omitempty"`
	// AppliedAt is when the revision was applied.
	AppliedAt *time.Time `json:"applied_at,omitempty"`
	// Statements is the number of statements (applied ones for a revision).
	Statements int `json:"statements"`
	// Duration is how long applying took.
	Duration time.Duration `json:"duration_ns,omitempty"`
}

// Failure is a recorded failed attempt to apply a file.
type Failure struct {
	// Version and Description identify the file; Name is its file name if it still exists.
	Version     string `json:"version"`
	Description string `json:"description"`
	Name        string `json:"name,omitempty"`
	// Error is the database error.
	Error string `json:"error"`
	// Statement is the statement that failed.
	Statement string `json:"statement,omitempty"`
	// At is when the attempt started.
	At time.Time `json:"at"`
	// Applied counts the statements that stay applied (non-zero only for files run without a
	// transaction), out of Total.
	Applied int `json:"applied"`
	Total   int `json:"total"`
	// Leftover describes what the failed statement left behind that a rollback did not undo
	// (an INVALID index of a failed CREATE INDEX CONCURRENTLY) and how it is cleaned up.
	Leftover string `json:"leftover,omitempty"`
}

// Status reports which files of the migration directory at dirPath are applied to the
// database at rawURL and which are pending, the current version and the last failure. It only
// reads: it takes no lock, creates no table, and does not create a missing SQLite file. A
// directory that fails verification or a history migrate would refuse is listed in Problems,
// not returned as an error; errors are a missing directory, an unreachable database and a
// database with two revisions tables (see findRevisionsTable). On PostgreSQL, a history the
// Atlas CLI keeps in its default schema (atlas_schema_revisions.atlas_schema_revisions) is read
// when the connected schema has none, and History names it.
func Status(ctx context.Context, rawURL, dirPath string) (*StatusReport, error) {
	return StatusWith(ctx, rawURL, dirPath, StatusOptions{})
}

// StatusOptions configure StatusWith.
type StatusOptions struct {
	// ConnectTimeout bounds connecting to a PostgreSQL server (default: the URL's
	// connect_timeout, else database.DefaultConnectTimeout).
	ConnectTimeout time.Duration
}

// StatusWith is Status with options.
func StatusWith(ctx context.Context, rawURL, dirPath string, opts StatusOptions) (*StatusReport, error) {
	var problems []string
	// CheckEntries, keeping the names of the migration files it listed.
	var names []string
	if st, err := os.Stat(dirPath); err == nil && st.IsDir() {
		if names, err = checkEntries(dirPath); err != nil {
			return nil, err // never read such a directory, not even to report on it
		}
	}
	var files []migrate.File
	var sum migrate.HashFile
	verr := statDir(dirPath)
	var d *loadedDir
	if verr == nil {
		d, verr = readDir(dirPath, names)
	}
	if verr == nil {
		files, sum = d.files, d.sum
	} else {
		ld, err := migrate.NewLocalDir(dirPath)
		if err != nil {
			return nil, verr // no directory at all
		}
		problems = append(problems, verr.Error())
		if files, sum, err = migrationFiles(ld); err != nil {
			return nil, err
		}
		if _, files, sum, err = logicalFiles(dirPath, files, sum); err != nil {
			return nil, err
		}
	}
	u, err := database.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	u = u.WithConnectTimeout(opts.ConnectTimeout)
	rep := &StatusReport{Database: u.Redacted(), Dialect: u.Dialect, Dir: dirPath, Applied: []FileStatus{}, Pending: []FileStatus{}}
	db, err := openForRead(ctx, u)
	if err != nil {
		return nil, err
	}
	var revs []*migrate.Revision
	table := RevisionsTable
	if db != nil {
		defer db.Close()
		var t revTable
		if revs, t, err = readRevisions(ctx, db, u.Dialect); err != nil {
			return nil, err
		}
		if t.atlas {
			rep.History = t.String()
		}
		table = t.String()
	}
	sp := newSplits(u.Dialect)
	h := newHistory(dirPath, files, sum, revs)
	h.splits, h.table = sp, table
	rep.Current = h.current()
	for _, r := range revs {
		if done(r) {
			rep.Applied = append(rep.Applied, h.revisionStatus(r))
		} else if r.Error != "" && (rep.LastFailure == nil || !r.ExecutedAt.Before(rep.LastFailure.At)) {
			rep.LastFailure = h.failure(r)
		}
	}
	for _, f := range h.pending() {
		n := 0
		if decls, err := sp.of(f); err == nil {
			n = len(decls)
		}
		rep.Pending = append(rep.Pending, FileStatus{Version: f.Version(), Description: f.Desc(), Name: f.Name(), Statements: n})
	}
	if lf := rep.LastFailure; lf != nil && db != nil && u.Dialect == "postgres" && lf.Statement != "" {
		index, err := invalidIndex(ctx, db, lf.Statement)
		if err != nil {
			return nil, fmt.Errorf("migrate: %s: %w", where(u), err)
		}
		if index != "" {
			lf.Leftover = leftoverNote(index)
		}
	}
	if err := checkTxControl(sp, h.pending()); err != nil {
		problems = append(problems, err.Error())
	}
	if _, err := h.plan(ApplyOptions{}); err != nil {
		problems = append(problems, err.Error())
	} else if db != nil && !h.started() {
		if err := checkClean(ctx, db, u.Dialect, where(u)); err != nil {
			problems = append(problems, err.Error())
		}
	}
	rep.Problems = problems
	return rep, nil
}

func (h *history) revisionStatus(r *migrate.Revision) FileStatus {
	at := r.ExecutedAt
	s := FileStatus{Version: r.Version, Description: r.Description, Type: r.Type.String(),
		AppliedAt: &at, Statements: r.Applied, Duration: r.ExecutionTime}
	if f := h.file[r.Version]; f != nil {
		s.Name = f.Name()
	}
	return s
}

func (h *history) failure(r *migrate.Revision) *Failure {
	fl := &Failure{Version: r.Version, Description: r.Description, Error: r.Error, Statement: r.ErrorStmt,
		At: r.ExecutedAt, Applied: r.Applied, Total: r.Total}
	if f := h.file[r.Version]; f != nil {
		fl.Name = f.Name()
	}
	return fl
}

// openForRead connects for reading; it returns nil for a SQLite file that does not exist, so
// reading never creates it.
func openForRead(ctx context.Context, u *database.URL) (*sql.DB, error) {
	if u.Dialect == "sqlite" && u.Path != ":memory:" {
		if _, err := os.Stat(u.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	db, err := database.Open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}
