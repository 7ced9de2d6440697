package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/sqldb"
)

// Three small migrations, valid in both dialects.
const (
	file1 = "20260101000001_users.sql"
	file2 = "20260101000002_posts.sql"
	file3 = "20260101000003_tags.sql"
)

var contents = map[string]string{
	file1: "CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL);\n",
	file2: "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id));\n",
	file3: "CREATE TABLE tags (id integer PRIMARY KEY, label text);\n",
}

// migrations is a parent of per-dialect directories on disk, as ent/migrate/migrations is.
type migrations struct {
	t       *testing.T
	root    string // the parent
	dialect string // "sqlite" or "postgres"
}

func newMigrations(t *testing.T, dialect string, names ...string) *migrations {
	m := &migrations{t: t, root: t.TempDir(), dialect: dialect}
	assert.NilError(t, os.MkdirAll(m.dir(), 0o755))
	for _, n := range names {
		m.write(n, contents[n])
	}
	m.rehash()
	return m
}

func (m *migrations) dir() string { return filepath.Join(m.root, m.dialect) }

func (m *migrations) write(name, content string) {
	assert.NilError(m.t, os.WriteFile(filepath.Join(m.dir(), name), []byte(content), 0o644))
}

func (m *migrations) remove(name string) {
	assert.NilError(m.t, os.Remove(filepath.Join(m.dir(), name)))
}

// rehash rewrites atlas.sum, as `kernia hash` does.
func (m *migrations) rehash() {
	d, err := migrate.NewLocalDir(m.dir())
	assert.NilError(m.t, err)
	sum, err := d.Checksum()
	assert.NilError(m.t, err)
	assert.NilError(m.t, migrate.WriteSumFile(d, sum))
}

// apply runs the real migrate code on the directory as it is now.
func (m *migrations) apply(url string, opts migration.ApplyOptions) error {
	_, err := migration.Apply(context.Background(), url, m.dir(), opts)
	return err
}

// fsys is the directory as the application hands it to Ready.
func (m *migrations) fsys() fs.FS { return os.DirFS(m.root) }

// mapFS copies the directory into an in-memory fs.FS, as an embed.FS holds it.
func (m *migrations) mapFS() fs.FS {
	out := fstest.MapFS{}
	entries, err := os.ReadDir(m.dir())
	assert.NilError(m.t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(m.dir(), e.Name()))
		assert.NilError(m.t, err)
		out[m.dialect+"/"+e.Name()] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return out
}

// target is one scratch database of a dialect.
type target struct {
	name string
	// new returns the URL of an empty database.
	new func(t *testing.T) string
	// dialect is the directory name.
	dialect string
}

var targets = []target{
	{name: "sqlite", dialect: "sqlite", new: func(t *testing.T) string {
		return "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	}},
	{name: "postgres", dialect: "postgres", new: func(t *testing.T) string {
		return pgtest.NewDatabase(t)
	}},
}

func open(t *testing.T, url string) (*sql.DB, string) {
	t.Helper()
	db, dialect, err := sqldb.Open(context.Background(), url)
	assert.NilError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, dialect
}

func notReady(t *testing.T, err error) *sqldb.NotReadyError {
	t.Helper()
	var nr *sqldb.NotReadyError
	assert.Assert(t, errors.As(err, &nr), "want a *NotReadyError, got %v", err)
	return nr
}

func TestReady(t *testing.T) {
	type want struct{ pending, failed, edited, missing []string }
	tests := []struct {
		name string
		// setup migrates the database at url and leaves the directory in the state to check.
		setup func(t *testing.T, m *migrations, url string)
		want  *want // nil: ready
		// says lists substrings of the error's text.
		says []string
	}{
		{
			name: "every file applied",
			setup: func(t *testing.T, m *migrations, url string) {
				assert.NilError(t, m.apply(url, migration.ApplyOptions{}))
			},
		},
		{
			name:  "nothing applied, no revisions table",
			setup: func(t *testing.T, m *migrations, url string) {},
			want:  &want{pending: []string{file1, file2, file3}},
			says:  []string{"database is missing 3 migrations: " + file1 + ", " + file2 + ", " + file3 + "; run `go tool kernia migrate`"},
		},
		{
			name: "one file pending",
			setup: func(t *testing.T, m *migrations, url string) {
				m.remove(file3)
				m.rehash()
				assert.NilError(t, m.apply(url, migration.ApplyOptions{}))
				m.write(file3, contents[file3])
				m.rehash()
			},
			want: &want{pending: []string{file3}},
			says: []string{"database is missing 1 migration: " + file3 + "; run `go tool kernia migrate`"},
		},
		{
			name: "an applied file edited and rehashed",
			setup: func(t *testing.T, m *migrations, url string) {
				assert.NilError(t, m.apply(url, migration.ApplyOptions{}))
				m.write(file2, contents[file2]+"CREATE INDEX posts_user ON posts (user_id);\n")
				m.rehash()
			},
			want: &want{edited: []string{file2}},
			says: []string{"applied migration " + file2 + " was edited after it was applied", "new migration"},
		},
		{
			// A rolling deploy: a newer build migrated the database before this one was
			// replaced. Its schema is ahead, not broken.
			name: "applied versions newer than every file: migrated ahead, ready",
			setup: func(t *testing.T, m *migrations, url string) {
				assert.NilError(t, m.apply(url, migration.ApplyOptions{}))
				m.remove(file3)
				m.rehash()
			},
		},
		{
			name: "an applied version missing between files the directory holds",
			setup: func(t *testing.T, m *migrations, url string) {
				assert.NilError(t, m.apply(url, migration.ApplyOptions{}))
				m.remove(file2)
				m.rehash()
			},
			want: &want{missing: []string{file2}},
			says: []string{"database has 1 applied migration that this program's migration directory does not hold, although it holds newer ones: " + file2},
		},
		{
			name: "a baseline covers the files up to it",
			setup: func(t *testing.T, m *migrations, url string) {
				assert.NilError(t, m.apply(url, migration.ApplyOptions{Baseline: "20260101000002"}))
			},
		},
		{
			name: "a failed file is pending and named as failed",
			setup: func(t *testing.T, m *migrations, url string) {
				m.write(file3, "CREATE TABLE tags (id integer PRIMARY KEY, user_id integer REFERENCES nosuchtable (id));\nINSERT INTO nosuchtable VALUES (1);\n")
				m.rehash()
				assert.Assert(t, m.apply(url, migration.ApplyOptions{}) != nil, "the broken file applied")
			},
			want: &want{pending: []string{file3}, failed: []string{file3}},
			says: []string{"the last attempt at " + file3 + " failed"},
		},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					url := tg.new(t)
					m := newMigrations(t, tg.dialect, file1, file2, file3)
					tc.setup(t, m, url)
					if tg.dialect == "sqlite" {
						// The SQLite file exists only once migrate ran: create it for the case
						// where it did not, as an empty database.
						if _, err := os.Stat(url[len("sqlite://"):]); err != nil {
							f, err := os.Create(url[len("sqlite://"):])
							assert.NilError(t, err)
							assert.NilError(t, f.Close())
						}
					}
					db, dialect := open(t, url)
					hadTable := revisionsTable(t, db, tg.dialect)
					for fsName, fsys := range map[string]fs.FS{"os.DirFS": m.fsys(), "fstest.MapFS": m.mapFS()} {
						err := sqldb.Ready(context.Background(), db, dialect, fsys)
						if tc.want == nil {
							assert.NilError(t, err, fsName)
							continue
						}
						nr := notReady(t, err)
						assert.DeepEqual(t, nr.Pending, nonNil(tc.want.pending))
						assert.DeepEqual(t, nr.Failed, nonNil(tc.want.failed))
						assert.DeepEqual(t, nr.Edited, nonNil(tc.want.edited))
						assert.DeepEqual(t, nr.Missing, nonNil(tc.want.missing))
						assert.Equal(t, nr.Dialect, tg.dialect)
						for _, s := range tc.says {
							assert.Check(t, is.Contains(err.Error(), s), fsName)
						}
					}
					// Ready wrote nothing: no revisions table where there was none.
					assert.Equal(t, revisionsTable(t, db, tg.dialect), hadTable)
				})
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// revisionsTable reports whether the revisions table exists.
func revisionsTable(t *testing.T, db *sql.DB, dialect string) bool {
	t.Helper()
	var exists bool
	if dialect == "postgres" {
		assert.NilError(t, db.QueryRow(`SELECT to_regclass('atlas_schema_revisions') IS NOT NULL`).Scan(&exists))
		return exists
	}
	var n int
	assert.NilError(t, db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'atlas_schema_revisions'`).Scan(&n))
	return n > 0
}

// TestReadyRefusesABrokenDirectory: a directory that does not match its atlas.sum, or an fs.FS
// of the wrong shape, is an error that says so and how to fix it, not a NotReadyError.
func TestReadyRefusesABrokenDirectory(t *testing.T) {
	url := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	m := newMigrations(t, "sqlite", file1, file2)
	assert.NilError(t, m.apply(url, migration.ApplyOptions{}))
	db, dialect := open(t, url)

	tests := []struct {
		name    string
		dialect string
		fsys    func() fs.FS
		want    []string
	}{
		{"a file edited without rehashing", dialect, func() fs.FS {
			m.write(file2, contents[file2]+"-- changed\n")
			return m.fsys()
		}, []string{"does not match its atlas.sum", "checksum mismatch", "run `go tool kernia hash`"}},
		{"one dialect's directory instead of the parent", dialect, func() fs.FS { return os.DirFS(m.dir()) },
			[]string{"hold no sqlite directory", "one dialect's directory: pass its parent"}},
		{"no directory for the dialect", "postgres", func() fs.FS { return m.fsys() },
			[]string{"hold no postgres directory", "Options.Dialects"}},
		{"an unknown dialect", "oracle", func() fs.FS { return m.fsys() }, []string{`unknown dialect "oracle"`}},
		{"no directory at all", dialect, func() fs.FS { return nil }, []string{"no migration directory"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sqldb.Ready(context.Background(), db, tc.dialect, tc.fsys())
			assert.Assert(t, err != nil)
			var nr *sqldb.NotReadyError
			assert.Assert(t, !errors.As(err, &nr), "a broken directory is not a NotReadyError: %v", err)
			for _, s := range tc.want {
				assert.Check(t, is.Contains(err.Error(), s))
			}
		})
	}
}
