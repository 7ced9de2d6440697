package migration_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/migration"
)

// unreachable is a URL nothing listens on: a test passes only if Apply fails before connecting.
const unreachable = "postgres://u:" + secret + "@127.0.0.1:1/db?sslmode=disable"

func TestVerifyDirRefusesBeforeConnecting(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string)
		mismatch bool // errors.Is(err, migrate.ErrChecksumMismatch)
		wantErr  []string
	}{
		{
			name: "file edited without rehash",
			setup: func(t *testing.T, dir string) {
				assert.NilError(t, os.WriteFile(filepath.Join(dir, fileA.name), []byte(fileA.body+"SELECT 1;\n"), 0o644))
			},
			mismatch: true,
			wantErr:  []string{"checksum mismatch", fileA.name + " was edited after", "`kernia hash`"},
		},
		{
			name: "file added without rehash",
			setup: func(t *testing.T, dir string) {
				assert.NilError(t, os.WriteFile(filepath.Join(dir, fileC.name), []byte(fileC.body), 0o644))
			},
			mismatch: true,
			wantErr:  []string{fileC.name + " is not listed in", "`kernia hash`"},
		},
		{
			name: "file removed without rehash",
			setup: func(t *testing.T, dir string) {
				assert.NilError(t, os.Remove(filepath.Join(dir, fileB.name)))
			},
			mismatch: true,
			wantErr:  []string{fileB.name + " is listed in", "but the file is missing", "restore it"},
		},
		{
			name: "sum tampered",
			setup: func(t *testing.T, dir string) {
				sum := filepath.Join(dir, migrate.HashFileName)
				b, err := os.ReadFile(sum)
				assert.NilError(t, err)
				b[5] ^= 1 // flip a bit of the total hash
				assert.NilError(t, os.WriteFile(sum, b, 0o644))
			},
			mismatch: true,
			wantErr:  []string{"atlas.sum is corrupt", "`kernia hash`"},
		},
		{
			name: "sum malformed",
			setup: func(t *testing.T, dir string) {
				assert.NilError(t, os.WriteFile(filepath.Join(dir, migrate.HashFileName), []byte("h1:abc\ngarbage\n"), 0o644))
			},
			wantErr: []string{"atlas.sum is malformed", "`kernia hash`"},
		},
		{
			name: "sum missing",
			setup: func(t *testing.T, dir string) {
				assert.NilError(t, os.Remove(filepath.Join(dir, migrate.HashFileName)))
			},
			wantErr: []string{"has migration files but no atlas.sum"},
		},
		{
			name: "directory missing",
			setup: func(t *testing.T, dir string) {
				assert.NilError(t, os.RemoveAll(dir))
			},
			wantErr: []string{"migrate: migration directory " /* path */, "does not exist: run generate first or pass --dir"},
		},
		{
			name: "two files share a version",
			setup: func(t *testing.T, dir string) {
				addFiles(t, dir, mfile{"20250101000002_other.sql", "SELECT 1;\n"})
			},
			wantErr: []string{"share version 20250101000002"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, fileA, fileB)
			tc.setup(t, dir)

			_, err := migration.VerifyDir(dir)
			for _, w := range tc.wantErr {
				assert.ErrorContains(t, err, w)
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err = migration.Apply(ctx, unreachable, dir, migration.ApplyOptions{})
			for _, w := range tc.wantErr {
				assert.ErrorContains(t, err, w)
			}
			assert.Equal(t, errors.Is(err, migrate.ErrChecksumMismatch), tc.mismatch, "%v", err)
			assertNoSecret(t, err)
		})
	}
}

func TestVerifyDirAccepts(t *testing.T) {
	dir := writeDir(t, fileA, fileB)
	d, err := migration.VerifyDir(dir)
	assert.NilError(t, err)
	files, err := d.Files()
	assert.NilError(t, err)
	assert.Equal(t, len(files), 2)

	// An empty directory without atlas.sum is valid: there is nothing to apply.
	empty := t.TempDir()
	_, err = migration.VerifyDir(empty)
	assert.NilError(t, err)
}

func TestUnreachableDatabaseErrorHasNoPassword(t *testing.T) {
	_, err := migration.Apply(context.Background(), unreachable, writeDir(t, fileA), migration.ApplyOptions{})
	assert.ErrorContains(t, err, "migrate: ")
	assertNoSecret(t, err)
	_, err = migration.Status(context.Background(), unreachable, writeDir(t, fileA))
	assert.ErrorContains(t, err, "migrate: ")
	assertNoSecret(t, err)
}

// TestVerifyFSAgreesWithVerifyDir: the same directories, read from disk by VerifyDir and
// through an fs.FS by VerifyFS, are accepted or refused alike, and an accepted one gives the
// files and atlas.sum Atlas computes.
func TestVerifyFSAgreesWithVerifyDir(t *testing.T) {
	a := mfile{"20250101000001_a.sql", "CREATE TABLE a (id int);\n"}
	b := mfile{"20250101000002_b.sql", "CREATE TABLE b (id int);\n"}
	twin := mfile{"20250101000002_c.sql", "CREATE TABLE c (id int);\n"}
	tests := []struct {
		name  string
		dir   func(t *testing.T) string
		check func(t *testing.T, err error)
	}{
		{"hashed", func(t *testing.T) string { return writeDir(t, a, b) }, nil},
		{"empty, no atlas.sum", func(t *testing.T) string { return t.TempDir() }, nil},
		{"a file added without rehashing", func(t *testing.T) string {
			d := writeDir(t, a)
			assert.NilError(t, os.WriteFile(filepath.Join(d, b.name), []byte(b.body), 0o644))
			return d
		}, func(t *testing.T, err error) { assert.Check(t, errors.Is(err, migrate.ErrChecksumMismatch), "%v", err) }},
		{"files without atlas.sum", func(t *testing.T) string {
			d := writeDir(t, a)
			assert.NilError(t, os.Remove(filepath.Join(d, migrate.HashFileName)))
			return d
		}, func(t *testing.T, err error) { assert.Check(t, errors.Is(err, migrate.ErrChecksumNotFound), "%v", err) }},
		{"two files share a version", func(t *testing.T) string { return writeDir(t, a, b, twin) },
			func(t *testing.T, err error) { assert.ErrorContains(t, err, "share version 20250101000002") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.dir(t)
			_, derr := migration.VerifyDir(d)
			files, sum, ferr := migration.VerifyFS(os.DirFS(d), d)
			if tc.check == nil {
				assert.NilError(t, derr)
				assert.NilError(t, ferr)
				ld, err := migrate.NewLocalDir(d)
				assert.NilError(t, err)
				want, err := ld.Files()
				assert.NilError(t, err)
				assert.Equal(t, len(files), len(want))
				for i := range want {
					assert.Equal(t, files[i].Name(), want[i].Name())
				}
				wantSum, err := migrate.NewHashFile(want)
				assert.NilError(t, err)
				assert.Equal(t, sum.Sum(), wantSum.Sum())
				return
			}
			assert.Assert(t, derr != nil, "VerifyDir accepted it")
			assert.Assert(t, ferr != nil, "VerifyFS accepted it")
			tc.check(t, ferr)
		})
	}
}
