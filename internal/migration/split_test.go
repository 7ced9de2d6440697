package migration_test

import (
	"context"
	"io"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/migration"
)

// TestUnsplittablePendingFile: a pending file Atlas's scanner cannot split stops the run
// before it changes anything, on an empty database (no revisions table is created) and on top
// of an applied history (the applied files stay, nothing of the new one is recorded). Only the
// files to apply are split, so the check happens after the history is read, still before any
// write; a dry run refuses it too.
func TestUnsplittablePendingFile(t *testing.T) {
	bad := mfile{"20250101000009_bad.sql", "CREATE TABLE bad (id integer PRIMARY KEY;\n"}
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		for _, tc := range []struct {
			name    string
			applied []mfile
		}{
			{name: "empty database"},
			{name: "on top of a history", applied: []mfile{fileA, fileB}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				url := d.newURL(t)
				dir := writeDir(t, tc.applied...)
				if len(tc.applied) > 0 {
					_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{Out: io.Discard})
					assert.NilError(t, err)
				}
				addFiles(t, dir, bad)
				for _, dry := range []bool{true, false} {
					_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{Out: io.Discard, DryRun: dry})
					assert.ErrorContains(t, err, "cannot split 20250101000009_bad.sql into statements")
				}
				db := openDB(t, url)
				if len(tc.applied) == 0 {
					assert.Assert(t, !tableExists(t, db, d, "atlas_schema_revisions"), "a refused run created the revisions table")
					return
				}
				revs := revisions(t, db)
				assert.Equal(t, len(revs), 2)
				assert.Assert(t, !tableExists(t, db, d, "bad"))
			})
		}
	})
}
