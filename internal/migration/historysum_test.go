package migration

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
)

// syntheticHistory is a directory of n files and its history: files[i] has version 1000+i;
// each is applied (in version order, unless reorder moves some), skipped or pending as state
// says.
type syntheticHistory struct {
	files []migrate.File
	revs  []*migrate.Revision
}

func newSynthetic(n int, body func(i int) string) *syntheticHistory {
	s := &syntheticHistory{}
	for i := range n {
		s.files = append(s.files, migrate.NewLocalFile(fmt.Sprintf("%d_f%d.sql", 1000+i, i), []byte(body(i))))
	}
	return s
}

// history returns the history with each revision's hash as it was recorded: the entry its file
// had in atlas.sum when the revision was applied (computed by the quadratic reference).
func (s *syntheticHistory) history(t *testing.T) *history {
	t.Helper()
	sum, err := migrate.NewHashFile(s.files)
	assert.NilError(t, err)
	ref := newHistory("dir", s.files, sum, s.revs)
	for _, r := range s.revs {
		if hashChecked(r) || r.Hash == "?" {
			r.Hash = ""
			if want, ok := ref.expectedHash(r); ok {
				r.Hash = want
			}
		}
	}
	return newHistory("dir", s.files, sum, s.revs)
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// applyAll records every file as applied in version order, a second apart.
func (s *syntheticHistory) applyAll() {
	for i, f := range s.files {
		s.revs = append(s.revs, &migrate.Revision{Version: f.Version(), Description: f.Desc(),
			Type: migrate.RevisionTypeExecute, Applied: 1, Total: 1, Hash: "?", ExecutedAt: t0.Add(time.Duration(i) * time.Second)})
	}
}

// TestAppliedSumsMatchExpectedHash: the one-pass chain gives, for every checked revision, the
// entry the per-revision reference (expectedHash) rebuilds, on random histories: files applied
// out of order (late, several of them, at equal times too), pending files among applied ones,
// failed and partially applied attempts, a baseline with files it skipped, files marked
// `atlas:sum ignore`, resolved revisions and revisions without a hash.
func TestAppliedSumsMatchExpectedHash(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(40)
		s := newSynthetic(n, func(i int) string {
			if rng.IntN(10) == 0 {
				return fmt.Sprintf("-- atlas:sum ignore\nCREATE TABLE t%d (id int);\n", i)
			}
			return fmt.Sprintf("CREATE TABLE t%d (id int);\n", i)
		})
		base := -1
		if rng.IntN(4) == 0 {
			base = rng.IntN(n)
			s.revs = append(s.revs, &migrate.Revision{Version: s.files[base].Version(), Type: migrate.RevisionTypeBaseline,
				ExecutedAt: t0.Add(time.Duration(rng.IntN(3)) * time.Second)})
		}
		for i := base + 1; i < n; i++ {
			f := s.files[i]
			r := &migrate.Revision{Version: f.Version(), Description: f.Desc(), Type: migrate.RevisionTypeExecute,
				Applied: 2, Total: 2, Hash: "?", ExecutedAt: t0.Add(time.Duration(i) * time.Second)}
			switch k := rng.IntN(20); {
			case k == 0:
				continue // pending
			case k == 1:
				r.Applied, r.Error = 0, "failed" // a failed attempt
			case k == 2:
				r.Applied = 1 // partially applied
			case k == 3:
				r.Type |= migrate.RevisionTypeResolved
			case k == 4:
				r.Hash = "" // recorded without a hash
			case k <= 8:
				// Applied out of order: later than newer files, or at the same time as one.
				r.ExecutedAt = t0.Add(time.Duration(i+rng.IntN(n)) * time.Second)
			}
			s.revs = append(s.revs, r)
		}
		h := s.history(t)
		got := h.appliedSums()
		for _, r := range h.revs {
			if !hashChecked(r) {
				continue
			}
			want, ok := h.expectedHash(r)
			g, gok := got[r.Version]
			assert.Equal(t, gok, ok, "seed %d version %s", seed, r.Version)
			assert.Equal(t, g, want, "seed %d version %s", seed, r.Version)
		}
		assert.NilError(t, h.check(), "seed %d", seed)
	}
}

// TestAppliedSumsUnorderedVersions: versions of different lengths sort differently by name
// ("10_b.sql" before "9_a.sql"); the check then recomputes each entry and still accepts the
// history and refuses an edited file.
func TestAppliedSumsUnorderedVersions(t *testing.T) {
	s := &syntheticHistory{files: []migrate.File{
		migrate.NewLocalFile("10_b.sql", []byte("CREATE TABLE b (id int);")),
		migrate.NewLocalFile("9_a.sql", []byte("CREATE TABLE a (id int);")),
	}}
	s.revs = []*migrate.Revision{
		{Version: "10", Type: migrate.RevisionTypeExecute, Applied: 1, Total: 1, Hash: "?", ExecutedAt: t0.Add(time.Second)},
		{Version: "9", Type: migrate.RevisionTypeExecute, Applied: 1, Total: 1, Hash: "?", ExecutedAt: t0},
	}
	h := s.history(t)
	assert.NilError(t, h.check())
	s.files[1] = migrate.NewLocalFile("9_a.sql", []byte("CREATE TABLE a (id bigint);"))
	h = s.history(t) // rehashed directory, same recorded hashes
	h.revs[1].Hash = "edited"
	assert.ErrorContains(t, h.check(), "9_a.sql was edited after it was applied")
}

// TestHistoryCheckIsLinear: verifying a history of 2n applied files hashes twice the files
// of n (each file once), where rebuilding a prefix per revision hashed n²/2. (Setting the
// histories up uses that quadratic reference, hence the small n.) The work is
// counted, not timed. Files applied out of order cost at most one extra pass over what follows
// them.
func TestHistoryCheckIsLinear(t *testing.T) {
	body := func(i int) string { return fmt.Sprintf("CREATE TABLE t%d (id int);\n", i) }
	for _, tc := range []struct {
		name string
		late []int // indices (of 1000 files, scaled) applied after every other file
		max  func(n int) int
	}{
		{name: "in order", max: func(n int) int { return n }},
		{name: "one file applied out of order", late: []int{100}, max: func(n int) int { return 2 * n }},
		{name: "three files applied out of order", late: []int{100, 400, 700}, max: func(n int) int { return 2 * n }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fed []int
			for _, n := range []int{400, 800} {
				s := newSynthetic(n, body)
				s.applyAll()
				for _, l := range tc.late {
					s.revs[l*n/1000].ExecutedAt = t0.Add(time.Duration(n+l) * time.Second)
				}
				h := s.history(t)
				h.fed = 0
				assert.NilError(t, h.check())
				assert.Assert(t, h.fed <= tc.max(n), "%d files: %d files hashed, want at most %d", n, h.fed, tc.max(n))
				fed = append(fed, h.fed)
			}
			assert.Assert(t, fed[1] <= 2*fed[0]+len(tc.late)+1, "hashed %d files for 400, %d for 800: not linear", fed[0], fed[1])
		})
	}
}

// TestHistoryCheckFindsEditedFileInLongHistory: the one-pass check still names an applied file
// edited after it was applied, wherever it is in the history, and accepts the history before
// the edit.
func TestHistoryCheckFindsEditedFileInLongHistory(t *testing.T) {
	for _, edited := range []int{0, 149, 299} {
		s := newSynthetic(300, func(i int) string { return fmt.Sprintf("CREATE TABLE t%d (id int);\n", i) })
		s.applyAll()
		h := s.history(t)
		assert.NilError(t, h.check())
		s.files[edited] = migrate.NewLocalFile(s.files[edited].Name(), []byte("DROP TABLE users;\n"))
		sum, err := migrate.NewHashFile(s.files) // rehashed after the edit
		assert.NilError(t, err)
		err = newHistory("dir", s.files, sum, h.revs).check()
		assert.ErrorContains(t, err, fmt.Sprintf("applied file dir/%s was edited after it was applied", s.files[edited].Name()))
	}
}

// TestHashFileIsAtlas: hashFile gives migrate.NewHashFile's entries, whatever the first line
// says about `atlas:sum`.
func TestHashFileIsAtlas(t *testing.T) {
	bodies := []string{
		"CREATE TABLE a (id int);\n",
		"-- atlas:sum ignore\nCREATE TABLE a (id int);\n",
		"--atlas:sum ignore\nSELECT 1;\n",
		"-- atlas:sum  ignore\nSELECT 1;\n",
		"-- atlas:sum ignore extra\nSELECT 1;\n",
		"-- atlas:sum\nSELECT 1;\n",
		"-- atlas:sumignore\nSELECT 1;\n",
		"-- atlas:txmode none\n-- atlas:sum ignore\nSELECT 1;\n",
		"\t-- atlas:sum ignore\nSELECT 1;\n",
		"x atlas:sum ignore",
		"-- atlas:sum ignore",
		"-- é atlas:sum ignore\nSELECT 1;\n",
		"/* atlas:sum ignore */ SELECT 1;",
		"",
		"atlas:",
	}
	for _, b := range bodies {
		files := []migrate.File{
			migrate.NewLocalFile("1_a.sql", []byte("SELECT 1;")),
			migrate.NewLocalFile("2_b.sql", []byte(b)),
			migrate.NewLocalFile("3_c.sql", []byte("SELECT 3;")),
		}
		want, err := migrate.NewHashFile(files)
		assert.NilError(t, err)
		assert.DeepEqual(t, hashFile(files), want)
	}
}
