package migration

import (
	"context"
	"database/sql"
	"fmt"

	"ariga.io/atlas/sql/migrate"
)

// Readiness compares a database's history with a migration directory without changing
// anything: what an application's start-up or health check asks (sqldb.Ready). Its lists hold
// file names (<version>_<description>.sql) and are never nil.
type Readiness struct {
	// Pending are the directory's files not applied, above the baseline, in order.
	Pending []string
	// Failed are the pending files whose last attempt failed.
	Failed []string
	// Edited names the first applied file whose content no longer matches the hash recorded
	// when it was applied (atlas.sum's entries are cumulative: later files' hashes change with
	// it, so only the first mismatch names an edited file, as migrate reports it).
	Edited []string
	// Missing are versions applied (or partly applied) that the directory does not hold, older
	// than its newest file: a file deleted or renamed, or a branch's file never merged.
	Missing []string
	// Ahead are versions applied that are newer than every file of the directory: the database
	// was migrated by a newer build, as in a rolling deploy that migrates before replacing the
	// running binaries.
	Ahead []string
}

// CheckReadiness reads db's revisions table and compares it with files (the directory's
// migration files, in order) and sum (their atlas.sum), by the rules migrate and status apply,
// in one pass over the history. It only reads: on PostgreSQL inside a READ ONLY transaction,
// on SQLite with plain statements (a transaction there would take the write lock). dialect is
// "sqlite" or "postgres".
func CheckReadiness(ctx context.Context, db *sql.DB, dialect string, files []migrate.File, sum migrate.HashFile) (*Readiness, error) {
	var q querier = db
	if dialect == "postgres" {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, fmt.Errorf("migrate: begin a read-only transaction: %w", err)
		}
		defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
		q = tx
	}
	revs, _, err := readRevisions(ctx, q, dialect)
	if err != nil {
		return nil, err
	}
	h := newHistory("", files, sum, revs)
	h.splits = newSplits(dialect)
	return h.readiness(), nil
}

// readiness is CheckReadiness's comparison.
func (h *history) readiness() *Readiness {
	r := &Readiness{Pending: []string{}, Failed: []string{}, Edited: []string{}, Missing: []string{}, Ahead: []string{}}
	for _, f := range h.pending() {
		r.Pending = append(r.Pending, f.Name())
		if rev := h.byVer[f.Version()]; rev != nil && rev.Error != "" {
			r.Failed = append(r.Failed, f.Name())
		}
	}
	newest := ""
	if len(h.files) > 0 {
		newest = h.files[len(h.files)-1].Version()
	}
	for _, rev := range h.revs {
		if rev.Type == migrate.RevisionTypeBaseline || h.file[rev.Version] != nil || !done(rev) && rev.Applied == 0 {
			// A failed attempt that applied nothing, and whose file is gone, is a stale record
			// migrate removes: not a problem.
			continue
		}
		name := rev.Version + ".sql"
		if rev.Description != "" {
			name = rev.Version + "_" + rev.Description + ".sql"
		}
		if rev.Version > newest {
			r.Ahead = append(r.Ahead, name)
		} else {
			r.Missing = append(r.Missing, name)
		}
	}
	if len(r.Missing) > 0 {
		// As migrate's check: with a file gone, the cumulative hashes of the later ones cannot
		// be told apart from edits.
		return r
	}
	if rev := h.firstEdited(); rev != nil {
		r.Edited = append(r.Edited, h.file[rev.Version].Name())
	}
	return r
}
