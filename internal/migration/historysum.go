package migration

import (
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"hash"
	"slices"
	"time"

	"ariga.io/atlas/sql/migrate"
)

// appliedSums returns, by version, the atlas.sum entry each revision check compares
// (hashChecked) had when its file was applied: what expectedHash computes for each, but in one
// pass over the directory, so a history of n files costs n file hashes, not n²/2.
//
// Atlas's entries form a chain: the entry of a file is the SHA-256 of the names and contents
// (names only for a file marked `atlas:sum ignore`) of every file up to it. The entry r's file
// had when applied chains the files before it that were applied no later than r (and the ones
// the baseline skipped), then r's file. In a history applied in version order that is every
// applied or baseline-skipped file before r's, so one running chain gives every entry. Only a
// file applied later than a newer file (out of order) leaves that chain: for the revisions it
// is missing from, the entry is chained again from the state just before it (saved while
// passing it), and that side chain is extended, not restarted, for the next revisions missing
// the same files or more files after it: a history with files applied out of order costs at
// most one more pass over the files after the first of them.
//
// Revisions without a file are not in the map (check reports them first); nor are files
// excluded from atlas.sum.
func (h *history) appliedSums() map[string]string {
	out := make(map[string]string, len(h.revs))
	if !versionsIncrease(h.files) {
		// Names and versions sort differently (versions of different lengths) or two files
		// share a version (status of an unverified directory): the prefix of a revision is then
		// not a run of the file list; recompute each entry.
		for _, r := range h.revs {
			if !hashChecked(r) || h.file[r.Version] == nil {
				continue
			}
			if want, ok := h.expectedHash(r); ok {
				out[r.Version] = want
			}
		}
		return out
	}
	n := len(h.files)
	const (
		skip    = iota // pending, failed or not applied: in no revision's chain
		applied        // done: in the chain of the revisions applied no earlier
		based          // skipped by the baseline: in every chain
	)
	class := make([]uint8, n)
	revs := make([]*migrate.Revision, n)
	for i, f := range h.files {
		v := f.Version()
		switch r := h.byVer[v]; {
		case r != nil && done(r):
			class[i], revs[i] = applied, r
		case h.base != "" && v <= h.base:
			class[i] = based
		}
	}
	// late[i]: file i was applied after a later file, so some chains leave it out.
	late := make([]bool, n)
	var earliest time.Time // the earliest application of the files after i
	seen := false
	for i := n - 1; i >= 0; i-- {
		if class[i] != applied {
			continue
		}
		at := revs[i].ExecutedAt
		late[i] = seen && at.After(earliest)
		if !seen || at.Before(earliest) {
			earliest, seen = at, true
		}
	}
	var (
		main    = sha256.New()
		latest  time.Time          // the latest application of the applied files passed
		before  = map[int][]byte{} // the state of main just before each late file
		lates   []int              // the late files passed
		side    hash.Hash          // a chain leaving out sideOut
		sideOut []int
		sidePos int // the next file side has not passed
	)
	for i, f := range h.files {
		c := class[i]
		if c == skip {
			continue
		}
		if late[i] {
			st, err := main.(encoding.BinaryMarshaler).MarshalBinary()
			if err != nil {
				panic(err) // sha256 always marshals its state
			}
			before[i] = st
			lates = append(lates, i)
		}
		r := revs[i]
		_, listed := h.sums[f.Name()]
		if c == applied && hashChecked(r) && listed && latest.After(r.ExecutedAt) {
			// Files before r's were applied after it: chain without them.
			var left []int
			for _, j := range lates {
				if j < i && revs[j].ExecutedAt.After(r.ExecutedAt) {
					left = append(left, j)
				}
			}
			if side == nil || !extends(left, sideOut, sidePos) {
				side = sha256.New()
				if err := side.(encoding.BinaryUnmarshaler).UnmarshalBinary(before[left[0]]); err != nil {
					panic(err)
				}
				sideOut, sidePos = left, left[0]
			}
			sideOut = left
			for ; sidePos < i; sidePos++ {
				if class[sidePos] != skip && !slices.Contains(sideOut, sidePos) {
					h.chain(side, h.files[sidePos])
				}
			}
			h.chain(side, f)
			sidePos = i + 1
			out[f.Version()] = base64.StdEncoding.EncodeToString(side.Sum(nil))
			h.chain(main, f)
		} else {
			h.chain(main, f)
			if c == applied && hashChecked(r) && listed {
				out[f.Version()] = base64.StdEncoding.EncodeToString(main.Sum(nil))
			}
		}
		if c == applied && r.ExecutedAt.After(latest) {
			latest = r.ExecutedAt
		}
	}
	return out
}

// extends reports whether a side chain that left out the files was and has passed the files
// before pos can go on as a chain leaving out the files is: is is was plus files not passed yet.
func extends(is, was []int, pos int) bool {
	return len(is) >= len(was) && slices.Equal(is[:len(was)], was) && (len(is) == len(was) || is[len(was)] >= pos)
}

// chain writes f into an atlas.sum hash chain as migrate.NewHashFile does: its name, then its
// content unless the file is excluded from atlas.sum.
func (h *history) chain(sum hash.Hash, f migrate.File) {
	h.fed++
	sum.Write([]byte(f.Name()))
	if _, listed := h.sums[f.Name()]; listed {
		sum.Write(f.Bytes())
	}
}

// versionsIncrease reports whether the files' versions strictly increase in their (name)
// order.
func versionsIncrease(files []migrate.File) bool {
	for i := 1; i < len(files); i++ {
		if files[i-1].Version() >= files[i].Version() {
			return false
		}
	}
	return true
}

// sumIndex maps the file names of an atlas.sum to their entries.
func sumIndex(sum migrate.HashFile) map[string]string {
	m := make(map[string]string, len(sum))
	for _, e := range sum {
		m[e.N] = e.H
	}
	return m
}
