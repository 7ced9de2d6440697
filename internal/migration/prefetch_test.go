package migration_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/pgtest"
)

// TestPrefetch: Apply uses what a prefetch of the same run found, and only that. On an
// up-to-date PostgreSQL database it returns the prefetch's no-op, printing the line a no-op
// prints, even once the directory and the database are gone (it reads and connects no more);
// a prefetch of another run (another directory or URL, other options) is ignored; files to
// apply are applied by the locked run, from the directory the prefetch verified; a directory
// that fails its check fails Apply with the error it gives without a prefetch.
func TestPrefetch(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (rawURL, dir string) {
		rawURL = dialects[1].newURL(t)
		dir = writeDir(t, fileA, fileB)
		_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		return rawURL, dir
	}
	apply := func(ctx context.Context, rawURL, dir string, opts migration.ApplyOptions) (*migration.ApplyResult, string, error) {
		var out bytes.Buffer
		opts.Out = &out
		res, err := migration.Apply(ctx, rawURL, dir, opts)
		return res, out.String(), err
	}

	t.Run("no-op", func(t *testing.T) {
		rawURL, dir := setup(t)
		_, want, err := apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		p := migration.StartPrefetch(ctx, rawURL, dir, migration.ApplyOptions{})
		defer p.Close()
		pctx := migration.WithPrefetch(ctx, p)
		// Wait for the prefetch, then take away what a run would read.
		_, _, err = apply(pctx, rawURL, filepath.Join(t.TempDir(), "other"), migration.ApplyOptions{}) // another run: ignored
		assert.ErrorContains(t, err, "does not exist")
		res, _, _ := apply(pctx, rawURL, dir, migration.ApplyOptions{})
		assert.Assert(t, res != nil)
		assert.NilError(t, os.RemoveAll(dir))
		dropDatabase(t, rawURL)
		res, got, err := apply(pctx, rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Check(t, is.Equal(got, want))
		assert.Check(t, is.Len(res.Applied, 0))
		assert.Check(t, is.Equal(res.To, "20250101000002"))
		// Other options than the prefetch's: a run of its own, which finds nothing now.
		_, _, err = apply(pctx, rawURL, dir, migration.ApplyOptions{AllowOutOfOrder: true})
		assert.ErrorContains(t, err, "does not exist")
		_, _, err = apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "does not exist")
	})

	t.Run("files to apply", func(t *testing.T) {
		rawURL, dir := setup(t)
		addFiles(t, dir, fileC)
		p := migration.StartPrefetch(ctx, rawURL, dir, migration.ApplyOptions{})
		defer p.Close()
		res, out, err := apply(migration.WithPrefetch(ctx, p), rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Check(t, is.Len(res.Applied, 1))
		assert.Check(t, is.Contains(out, "applied "+fileC.name))
		// The database it connected to is Apply's, which closed it: closing the prefetch
		// closes nothing twice, and an unused prefetch closes its own.
		p.Close()
		addFiles(t, dir, mfile{"20250101000004_create_d.sql", "CREATE TABLE d (id integer);\n"})
		unused := migration.StartPrefetch(ctx, rawURL, dir, migration.ApplyOptions{})
		unused.Close()
		res, _, err = apply(migration.WithPrefetch(ctx, unused), rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Check(t, is.Len(res.Applied, 1))
	})

	t.Run("a directory that fails its check", func(t *testing.T) {
		dir := writeDir(t, fileA)
		assert.NilError(t, os.WriteFile(filepath.Join(dir, fileA.name), []byte(fileA.body+"-- edited\n"), 0o644))
		_, _, want := apply(ctx, unreachable, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, want, "was edited after")
		p := migration.StartPrefetch(ctx, unreachable, dir, migration.ApplyOptions{})
		defer p.Close()
		_, _, err := apply(migration.WithPrefetch(ctx, p), unreachable, dir, migration.ApplyOptions{})
		assert.Check(t, is.Equal(err.Error(), want.Error()))
		assert.Check(t, !strings.Contains(err.Error(), secret))
	})
}

// dropDatabase drops the database of rawURL, a pgtest database.
func dropDatabase(t *testing.T, rawURL string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	assert.NilError(t, err)
	_, err = pgtest.Server(t).Exec("DROP DATABASE " + strings.TrimPrefix(u.Path, "/") + " WITH (FORCE)")
	assert.NilError(t, err)
}
