package migration_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
)

// TestCheckEntries: a *.sql entry or atlas.sum that is a link leaving the directory, a
// dangling link or not a regular file is refused by CheckEntries, VerifyDir and Status before
// anything reads it; a link to a file inside is accepted.
func TestCheckEntries(t *testing.T) {
	outsideFile := filepath.Join(t.TempDir(), "evil.sql")
	assert.NilError(t, os.WriteFile(outsideFile, []byte("DROP TABLE users;\n"), 0o644))
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		want    string
	}{
		{name: "link outside", want: "symbolic link to a file outside the migration directory", prepare: func(t *testing.T, dir string) {
			assert.NilError(t, os.Symlink(outsideFile, filepath.Join(dir, "20260102000000_evil.sql")))
		}},
		{name: "link to /etc/passwd", want: "outside the migration directory", prepare: func(t *testing.T, dir string) {
			assert.NilError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "20260102000000_evil.sql")))
		}},
		{name: "relative link escaping", want: "outside the migration directory", prepare: func(t *testing.T, dir string) {
			assert.NilError(t, os.WriteFile(filepath.Join(filepath.Dir(dir), "up.sql"), []byte("SELECT 1;"), 0o644))
			assert.NilError(t, os.Symlink("../up.sql", filepath.Join(dir, "20260102000000_evil.sql")))
		}},
		{name: "atlas.sum link outside", want: "outside the migration directory", prepare: func(t *testing.T, dir string) {
			sum := filepath.Join(dir, "atlas.sum")
			out := filepath.Join(t.TempDir(), "atlas.sum")
			b, err := os.ReadFile(sum)
			assert.NilError(t, err)
			assert.NilError(t, os.WriteFile(out, b, 0o644))
			assert.NilError(t, os.Remove(sum))
			assert.NilError(t, os.Symlink(out, sum))
		}},
		{name: "dangling link", want: "does not resolve", prepare: func(t *testing.T, dir string) {
			assert.NilError(t, os.Symlink(filepath.Join(dir, "nothing"), filepath.Join(dir, "20260102000000_x.sql")))
		}},
		{name: "fifo", want: "named pipe (FIFO)", prepare: func(t *testing.T, dir string) {
			assert.NilError(t, syscall.Mkfifo(filepath.Join(dir, "20260102000000_x.sql"), 0o644))
		}},
		{name: "directory", want: "is a directory", prepare: func(t *testing.T, dir string) {
			assert.NilError(t, os.Mkdir(filepath.Join(dir, "20260102000000_x.sql"), 0o755))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "migrations")
			assert.NilError(t, os.Mkdir(dir, 0o755))
			addFiles(t, dir, mfile{"20260101000000_init.sql", "CREATE TABLE t (id int);\n"})
			tc.prepare(t, dir)
			assert.Check(t, is.ErrorContains(migration.CheckEntries(dir), tc.want))
			_, err := migration.VerifyDir(dir)
			assert.Check(t, is.ErrorContains(err, tc.want))
			_, err = migration.Status(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "x.db"), dir)
			assert.Check(t, is.ErrorContains(err, tc.want))
		})
	}
}

func TestCheckEntriesAcceptsALinkInside(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "migrations")
	assert.NilError(t, os.Mkdir(dir, 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "shared.txt"), []byte("CREATE TABLE t (id int);\n"), 0o644))
	assert.NilError(t, os.Symlink("shared.txt", filepath.Join(dir, "20260101000000_init.sql")))
	rehash(t, dir)
	assert.NilError(t, migration.CheckEntries(dir))
	_, err := migration.VerifyDir(dir)
	assert.NilError(t, err)
	// A missing path or a file is left to the caller, which explains it.
	assert.NilError(t, migration.CheckEntries(filepath.Join(dir, "missing")))
	assert.NilError(t, migration.CheckEntries(filepath.Join(dir, "shared.txt")))
	_, err = migration.Status(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "x.db"), filepath.Join(dir, "shared.txt"))
	assert.Check(t, is.ErrorContains(err, "is a file, not a directory"))
}
