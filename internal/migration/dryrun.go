package migration

import (
	"context"
	"strings"
)

// dryRun prints what a run would do and changes nothing: it takes no lock and creates no
// table, and a missing SQLite file is not created.
func (r *runner) dryRun(ctx context.Context) (*ApplyResult, error) {
	res := &ApplyResult{Dialect: r.u.Dialect, DryRun: true, Applied: []AppliedFile{}}
	db, err := openForRead(ctx, r.u)
	if err != nil {
		return nil, err
	}
	h := newHistory(r.dir, r.files, r.sum, nil)
	if db != nil {
		defer db.Close()
		revs, _, err := readRevisions(ctx, db, r.u.Dialect)
		if err != nil {
			return nil, err
		}
		h = newHistory(r.dir, r.files, r.sum, revs)
	}
	h.splits = r.splits
	res.From, res.To = h.current(), h.current()
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
	if p.checkClean && db != nil {
		if err := checkClean(ctx, db, r.u.Dialect, r.where); err != nil {
			return res, err
		}
	}
	r.printf("-- dry run on %s: nothing is changed", r.where)
	for _, n := range p.notes {
		r.printf("-- %s", n)
	}
	if p.baseline != nil {
		res.Baseline, res.To = p.baseline.Version, p.baseline.Version
		r.printf("-- would record baseline version %s; files up to it are taken as already applied", p.baseline.Version)
	}
	for _, f := range p.pending {
		stmts := r.stmts[f.Name()]
		from := 0
		if prev := h.byVer[f.Version()]; prev != nil && prev.Applied > 0 {
			from = prev.Applied
		}
		r.printf("\n-- %s (%d %s)", f.Name(), len(stmts)-from, plural(stmts[from:], "statement", "statements"))
		if from > 0 {
			r.printf("-- resumes after statement %d, applied by an earlier run", from)
		}
		for _, s := range stmts[from:] {
			s = strings.TrimSpace(s)
			if !strings.HasSuffix(s, ";") {
				s += ";"
			}
			r.printf("%s", s)
		}
		res.Pending = append(res.Pending, AppliedFile{Version: f.Version(), Description: f.Desc(), Name: f.Name(), Statements: len(stmts) - from})
		res.To = f.Version()
	}
	if len(p.pending) == 0 {
		r.printf("-- nothing to apply")
	} else {
		r.printf("\n-- %d %s would be applied", len(p.pending), plural(p.pending, "file", "files"))
	}
	return res, nil
}
