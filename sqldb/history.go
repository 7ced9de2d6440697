package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migration"
)

// This file is the read-only half of internal/migration's history: reading
// atlas_schema_revisions and matching it against the directory, with the same rules migrate
// applies (a revision counts as applied when it is a baseline, resolved, or ran every
// statement; an applied file's recorded hash is its cumulative atlas.sum entry when it was
// applied). internal/migration exports these only through Status, which opens its own
// connection from a URL and a directory on disk; Ready works on the application's *sql.DB and
// an embedded fs.FS.

// atlasIdentifierRow is the row the Atlas CLI keeps in the revisions table; not a migration.
const atlasIdentifierRow = ".atlas_cloud_identifier"

// revision is the part of a row of the revisions table Ready needs.
type revision struct {
	Version, Description string
	Type                 migrate.RevisionType
	Applied, Total       int
	ExecutedAt           time.Time
	Error, Hash          string
}

// done reports whether r counts as applied, as migrate decides it.
func (r *revision) done() bool {
	return r.Type == migrate.RevisionTypeBaseline || r.Type.Has(migrate.RevisionTypeResolved) || r.Applied >= r.Total
}

// readRevisions returns the recorded revisions without the Atlas identifier row; a missing
// table is an empty history. It only reads: on PostgreSQL inside a READ ONLY transaction; on
// SQLite with plain statements (a transaction there would take Kernia's BEGIN IMMEDIATE write
// lock).
func readRevisions(ctx context.Context, db *sql.DB, dialect string) ([]*revision, error) {
	if db == nil {
		return nil, fmt.Errorf("sqldb: Ready: nil *sql.DB: pass the database FromEnv or Open returned")
	}
	var q interface {
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	} = db
	if dialect == kernia.Postgres {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, fmt.Errorf("sqldb: Ready: %w", err)
		}
		defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
		q = tx
	}
	var exists bool
	var err error
	if dialect == kernia.Postgres {
		err = q.QueryRowContext(ctx, `SELECT to_regclass('`+migration.RevisionsTable+`') IS NOT NULL`).Scan(&exists)
	} else {
		var n int
		err = q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '`+migration.RevisionsTable+`'`).Scan(&n)
		exists = n > 0
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: Ready: look up the %s table: %w", migration.RevisionsTable, err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT "version", "description", "type", "applied", "total", "executed_at", "error", "hash" FROM "`+migration.RevisionsTable+`" ORDER BY "version"`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: Ready: read %s: %w", migration.RevisionsTable, err)
	}
	defer rows.Close()
	var revs []*revision
	for rows.Next() {
		var (
			r           revision
			typ         int64
			executedAt  any
			errText, hs sql.NullString
		)
		if err := rows.Scan(&r.Version, &r.Description, &typ, &r.Applied, &r.Total, &executedAt, &errText, &hs); err != nil {
			return nil, fmt.Errorf("sqldb: Ready: read %s: %w", migration.RevisionsTable, err)
		}
		if r.Version == atlasIdentifierRow {
			continue
		}
		r.Type, r.Error, r.Hash = migrate.RevisionType(typ), errText.String, hs.String
		if r.ExecutedAt, err = asTime(executedAt); err != nil {
			return nil, fmt.Errorf("sqldb: Ready: read %s: version %s: executed_at: %w", migration.RevisionsTable, r.Version, err)
		}
		revs = append(revs, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: Ready: read %s: %w", migration.RevisionsTable, err)
	}
	return revs, nil
}

// compare matches the history against the directory's files (in order) and their atlas.sum.
func compare(files []migrate.File, sum migrate.HashFile, revs []*revision) *NotReadyError {
	e := &NotReadyError{Pending: []string{}, Failed: []string{}, Edited: []string{}, Unknown: []string{}}
	byVer := make(map[string]*revision, len(revs))
	base := ""
	for _, r := range revs {
		byVer[r.Version] = r
		if r.Type == migrate.RevisionTypeBaseline && r.Version > base {
			base = r.Version
		}
	}
	file := make(map[string]migrate.File, len(files))
	for _, f := range files {
		file[f.Version()] = f
	}
	// Pending: not applied, above the baseline.
	for _, f := range files {
		r := byVer[f.Version()]
		if r != nil && r.done() || base != "" && f.Version() <= base {
			continue
		}
		e.Pending = append(e.Pending, f.Name())
		if r != nil && r.Error != "" {
			e.Failed = append(e.Failed, f.Name())
		}
	}
	for _, r := range revs {
		f := file[r.Version]
		switch {
		case r.Type == migrate.RevisionTypeBaseline:
		case f == nil && (r.done() || r.Applied > 0):
			// Applied, or partly applied, and gone. A failed attempt that applied nothing is a
			// stale record migrate removes: not a problem.
			name := r.Version + ".sql"
			if r.Description != "" {
				name = r.Version + "_" + r.Description + ".sql"
			}
			e.Unknown = append(e.Unknown, name)
		case f != nil && r.done() && r.Type.Has(migrate.RevisionTypeExecute) && r.Hash != "":
			// The hashes are cumulative: an edit changes the recorded hash of every later file
			// too, so only the first mismatch names an edited file (as migrate reports it).
			if want, ok := expectedHash(files, byVer, base, r); ok && want != r.Hash && len(e.Edited) == 0 {
				e.Edited = append(e.Edited, f.Name())
			}
		}
	}
	return e
}

// expectedHash recomputes the atlas.sum entry r's file had when it was applied, as migrate does:
// entries are cumulative, so it hashes the files that preceded r's file then (those applied
// before it and those the baseline skipped), leaving out files added out of order later and
// pending ones. ok is false when the file is excluded from atlas.sum.
func expectedHash(files []migrate.File, byVer map[string]*revision, base string, r *revision) (string, bool) {
	var prefix []migrate.File
	var name string
	for _, f := range files {
		v := f.Version()
		switch fr := byVer[v]; {
		case v == r.Version:
			prefix, name = append(prefix, f), f.Name()
		case v > r.Version:
		case fr != nil && fr.done():
			if !fr.ExecutedAt.After(r.ExecutedAt) {
				prefix = append(prefix, f)
			}
		case base != "" && v <= base:
			prefix = append(prefix, f)
		}
	}
	sum, err := migrate.NewHashFile(prefix)
	if err != nil {
		return "", false
	}
	want, err := sum.SumByName(name)
	return want, err == nil
}

// sqliteTimeLayouts are the forms SQLite drivers store datetime values in.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
}

func asTime(v any) (time.Time, error) {
	var s string
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case int64:
		return time.Unix(v, 0).UTC(), nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return time.Time{}, fmt.Errorf("unexpected value %T", v)
	}
	for _, layout := range sqliteTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse time %q", s)
}
