package migration

import (
	"fmt"
	"strings"

	"ariga.io/atlas/sql/migrate"
)

// history matches the recorded revisions against the migration directory.
type history struct {
	dir   string
	files []migrate.File
	sum   migrate.HashFile
	revs  []*migrate.Revision // ordered by version
	byVer map[string]*migrate.Revision
	file  map[string]migrate.File // by version
	// sums indexes sum by file name; a file missing from it is excluded by `atlas:sum ignore`.
	sums map[string]string
	// cur and base are current() and baseline(), computed once.
	cur, base string
	// fed counts the files written into an atlas.sum hash chain by check (a work counter for
	// the test that the check is linear in the history).
	fed int
	// splits counts a file's statements for finishedElsewhere (nil: never judged so).
	splits *splits
	// table is where the history was read, for messages ("": RevisionsTable).
	table string
}

// tableName names the revisions table in messages.
func (h *history) tableName() string {
	if h.table == "" {
		return RevisionsTable
	}
	return h.table
}

func newHistory(dir string, files []migrate.File, sum migrate.HashFile, revs []*migrate.Revision) *history {
	h := &history{dir: dir, files: files, sum: sum, revs: revs,
		byVer: make(map[string]*migrate.Revision, len(revs)), file: make(map[string]migrate.File, len(files)),
		sums: sumIndex(sum)}
	for _, r := range revs {
		h.byVer[r.Version] = r
		if done(r) && r.Version > h.cur {
			h.cur = r.Version
		}
		if r.Type == migrate.RevisionTypeBaseline && r.Version > h.base {
			h.base = r.Version
		}
	}
	for _, f := range files {
		h.file[f.Version()] = f
	}
	return h
}

// current returns the highest applied version ("" when none).
func (h *history) current() string { return h.cur }

// baseline returns the highest baseline version ("" when none).
func (h *history) baseline() string { return h.base }

// started reports whether any revision applied a statement or marks a baseline.
func (h *history) started() bool {
	for _, r := range h.revs {
		if done(r) || r.Applied > 0 {
			return true
		}
	}
	return false
}

// pending returns the files not yet applied, above the baseline, in order.
func (h *history) pending() []migrate.File {
	base := h.baseline()
	var out []migrate.File
	for _, f := range h.files {
		if r := h.byVer[f.Version()]; r != nil && done(r) {
			continue
		}
		if base != "" && f.Version() <= base {
			continue
		}
		out = append(out, f)
	}
	return out
}

// stale returns the records of failed attempts that applied nothing and whose file is gone.
func (h *history) stale() []*migrate.Revision {
	var out []*migrate.Revision
	for _, r := range h.revs {
		if !done(r) && r.Applied == 0 && h.file[r.Version] == nil {
			out = append(out, r)
		}
	}
	return out
}

// check refuses a history the directory no longer matches: an applied (or partially applied)
// version whose file is gone, and an applied file whose content changed since it was applied.
func (h *history) check() error {
	var missing []string
	for _, r := range h.revs {
		if r.Type == migrate.RevisionTypeBaseline || h.file[r.Version] != nil {
			continue
		}
		switch {
		case done(r):
			missing = append(missing, fmt.Sprintf("%s (%s)", r.Version, r.Description))
		case r.Applied > 0:
			return fmt.Errorf("migrate: version %s (%s) is partially applied (%d of %d statements) but no file of that version is in %s: restore the file (git checkout) so the run can resume",
				r.Version, r.Description, r.Applied, r.Total, h.dir)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("migrate: %s recorded as applied in %s, but no file of that version is in %s: restore it (git checkout): applied migrations are append-only, never delete or rename them",
			plural(missing, "version", "versions")+" "+strings.Join(missing, ", ")+" "+plural(missing, "is", "are"), h.tableName(), h.dir)
	}
	for _, r := range h.revs {
		if f := h.file[r.Version]; f != nil && !done(r) && r.Applied > 0 && r.Error == "" && len(r.PartialHashes) == 0 && writtenElsewhere(r) {
			// Atlas finished a failed file whose fixed version has fewer statements than the
			// recorded total: the row says partly applied, yet has no partial hashes to resume by.
			return fmt.Errorf("migrate: version %s (%s) was finished by %s, which ran %d statements of the fixed file but kept the total of %d recorded by the failed attempt, so the revision looks partially applied with nothing to resume from (the Atlas CLI cannot go on from it either): if %s as it is now is what ran, record it as complete on this database: UPDATE %s SET total = applied WHERE version = '%s'",
				r.Version, r.Description, r.OperatorVersion, r.Applied, r.Total, f.Name(), h.tableName(), r.Version)
		}
	}
	if r := h.firstEdited(); r != nil {
		return fmt.Errorf("migrate: applied file %s/%s was edited after it was applied to this database on %s (its content no longer matches the hash recorded in %s, even if atlas.sum was rehashed)%s: applied migrations are append-only: restore the file (git checkout) and put the change in a new migration (generate)",
			h.dir, h.file[r.Version].Name(), r.ExecutedAt.UTC().Format("2006-01-02 15:04:05 MST"), h.tableName(), h.baselineHint(r))
	}
	return nil
}

// firstEdited returns the first applied revision, in version order, whose file's atlas.sum
// entry as it was when applied (appliedSums) no longer matches the recorded hash, or nil. The
// entries are cumulative, so a later mismatch may only follow from this one.
func (h *history) firstEdited() *migrate.Revision {
	sums := h.appliedSums()
	for _, r := range h.revs {
		if want, ok := sums[r.Version]; ok && hashChecked(r) && want != r.Hash && !h.finishedElsewhere(r) {
			return r
		}
	}
	return nil
}

// hashChecked reports whether check compares r's recorded hash with its file: an applied
// revision that executed a file and recorded its hash.
func hashChecked(r *migrate.Revision) bool {
	return done(r) && r.Type.Has(migrate.RevisionTypeExecute) && r.Hash != ""
}

// finishedElsewhere reports whether r is a revision another tool (the Atlas CLI) completed
// after an earlier attempt failed, so its recorded hash is not the one of the file it applied.
// Atlas's Executor resumes an existing unfinished row as it reads it (sql/migrate.Executor.Execute:
// `r, err := e.rrw.ReadRevision(ctx, version)`; only a missing row gets `Hash: hash` and `Total:
// len(stmts)`), then counts `r.Applied++` for each statement it runs, clears `Error` and
// `ErrorStmt`, sets `r.PartialHashes = nil` at the end and stamps `OperatorVersion` with its own
// ("Atlas CLI v1.2.3"): the hash and total stay those of the version that failed. Such a row is
// told by: last written by an operator that is not Kernia, no error, no partial hashes, and an
// applied count equal to the statements of the file as it is now (Atlas counted exactly the
// statements of the file it ran). Its file is then judged, as Atlas judges it, by the directory's
// atlas.sum (verified before every run) and, through the cumulative hashes, by every later
// revision; an edit that changes the file's statement count is still refused here.
func (h *history) finishedElsewhere(r *migrate.Revision) bool {
	if h.splits == nil || !writtenElsewhere(r) || r.Error != "" || len(r.PartialHashes) > 0 || r.Applied == 0 {
		return false
	}
	f := h.file[r.Version]
	if f == nil {
		return false
	}
	decls, err := h.splits.of(f)
	return err == nil && len(decls) == r.Applied
}

// writtenElsewhere reports whether r was last written by another tool: its operator_version is
// set and is not Kernia's ("Atlas CLI v1.2.3").
func writtenElsewhere(r *migrate.Revision) bool {
	return r.OperatorVersion != "" && !strings.HasPrefix(r.OperatorVersion, "Kernia")
}

// expectedHash recomputes the atlas.sum entry r's file had when it was applied. Atlas's entries
// are cumulative (each hashes the names and contents of every file up to it), so the entry is
// rebuilt over the files that preceded r's file then: those applied before it, and those the
// baseline skipped. Files added out of order later, and pending ones, are left out. ok is false
// when the file is excluded from atlas.sum.
//
// It hashes every file up to r's, so calling it for each revision is quadratic: check uses
// appliedSums, which gives the same entries in one pass, and falls back on expectedHash only
// for a directory whose versions do not increase with its file names.
func (h *history) expectedHash(r *migrate.Revision) (string, bool) {
	base := h.baseline()
	var prefix []migrate.File
	for _, f := range h.files {
		v := f.Version()
		switch fr := h.byVer[v]; {
		case v == r.Version:
			prefix = append(prefix, f)
		case v > r.Version:
		case fr != nil && done(fr):
			if !fr.ExecutedAt.After(r.ExecutedAt) {
				prefix = append(prefix, f)
			}
		case base != "" && v <= base:
			prefix = append(prefix, f)
		}
	}
	h.fed += len(prefix)
	sum, err := migrate.NewHashFile(prefix)
	if err != nil {
		return "", false
	}
	want, err := sum.SumByName(h.file[r.Version].Name())
	return want, err == nil
}

// baselineHint names the baseline-skipped files as suspects when no earlier applied file
// anchors r's hash.
func (h *history) baselineHint(r *migrate.Revision) string {
	base := h.baseline()
	if base == "" {
		return ""
	}
	for _, o := range h.revs {
		if o.Version < r.Version && o.Version > base && done(o) && o.Type.Has(migrate.RevisionTypeExecute) {
			return ""
		}
	}
	return fmt.Sprintf(", or a file up to the baseline version %s was edited", base)
}

// outOfOrder returns the pending files older than the current version.
func (h *history) outOfOrder(pending []migrate.File) []migrate.File {
	cur := h.current()
	var out []migrate.File
	for _, f := range pending {
		if f.Version() < cur {
			out = append(out, f)
		}
	}
	return out
}

// outOfOrderError refuses files older than the current version.
func (h *history) outOfOrderError(files []migrate.File) error {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name()
	}
	return fmt.Errorf("migrate: %s %s %s older than version %s, the last one applied to this database (added out of order, e.g. by a merged branch): give %s a version after %s (rename, then run `kernia hash`), or allow out-of-order apply",
		plural(names, "file", "files"), strings.Join(names, ", "), plural(names, "is", "are"), h.current(), plural(names, "it", "them"), h.current())
}

// applyPlan is what a run does, decided before it changes anything.
type applyPlan struct {
	pending    []migrate.File
	baseline   *migrate.Revision // to record first, or nil
	stale      []*migrate.Revision
	checkClean bool     // the database must hold no tables
	notes      []string // lines for the user
}

// plan validates the history and decides the run.
func (h *history) plan(opts ApplyOptions) (*applyPlan, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	p := &applyPlan{stale: h.stale()}
	for _, r := range p.stale {
		p.notes = append(p.notes, fmt.Sprintf("removing the record of the failed attempt of version %s (%s): its file is gone", r.Version, r.Description))
	}
	switch cur := h.current(); {
	case opts.Baseline != "" && cur == "":
		f := h.file[opts.Baseline]
		if f == nil {
			return nil, h.baselineNotFound(opts.Baseline)
		}
		p.baseline = &migrate.Revision{Version: f.Version(), Description: f.Desc(), Type: migrate.RevisionTypeBaseline}
		for _, f := range h.pending() {
			if f.Version() > opts.Baseline {
				p.pending = append(p.pending, f)
			}
		}
		return p, nil
	case opts.Baseline != "" && opts.Baseline <= cur:
		p.notes = append(p.notes, fmt.Sprintf("baseline %s ignored: the database already has a migration history (at version %s)", opts.Baseline, cur))
	case opts.Baseline != "":
		return nil, fmt.Errorf("migrate: --baseline %s: the database already has a migration history, up to version %s; a baseline is recorded only on a database without one", opts.Baseline, cur)
	}
	p.pending = h.pending()
	p.checkClean = !h.started()
	if ooo := h.outOfOrder(p.pending); len(ooo) > 0 && !opts.AllowOutOfOrder {
		return nil, h.outOfOrderError(ooo)
	}
	return p, nil
}

func (h *history) baselineNotFound(v string) error {
	hint := "the directory has no migration files"
	if n := len(h.files); n > 0 {
		hint = fmt.Sprintf("versions run from %s to %s", h.files[0].Version(), h.files[n-1].Version())
	}
	return fmt.Errorf("migrate: baseline version %s matches no file in %s (%s): pass the version prefix of the last migration file whose changes the database already has", v, h.dir, hint)
}

func plural[T any](items []T, one, many string) string {
	if len(items) == 1 {
		return one
	}
	return many
}
