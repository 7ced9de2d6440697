package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/sqldb"
)

// module writes a Go module with a .env (when dotenv is not "") and a cmd/server directory,
// and returns its root.
func module(t *testing.T, dotenv string) string {
	t.Helper()
	root := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/shop\n\ngo 1.26\n"), 0o644))
	assert.NilError(t, os.MkdirAll(filepath.Join(root, "cmd", "server"), 0o755))
	if dotenv != "" {
		assert.NilError(t, os.WriteFile(filepath.Join(root, ".env"), []byte(dotenv), 0o600))
	}
	return root
}

// unsetDatabaseURL unsets KERNIA_DATABASE_URL for the test (FromEnv may set it from .env) and
// restores it afterwards.
func unsetDatabaseURL(t *testing.T) {
	t.Setenv("KERNIA_DATABASE_URL", "")
	assert.NilError(t, os.Unsetenv("KERNIA_DATABASE_URL"))
}

// migrated creates a migrated SQLite database at path with the real migrate code.
func migrated(t *testing.T, path string) {
	t.Helper()
	m := newMigrations(t, "sqlite", file1)
	assert.NilError(t, m.apply("sqlite://"+path, migration.ApplyOptions{}))
}

// mainFile returns the file SQLite has open as the main database.
func mainFile(t *testing.T, db *sql.DB) string {
	t.Helper()
	var seq int
	var name, file string
	assert.NilError(t, db.QueryRow(`SELECT seq, name, file FROM pragma_database_list WHERE name = 'main'`).Scan(&seq, &name, &file))
	return file
}

func fromEnv(t *testing.T) (*sql.DB, string, error) {
	t.Helper()
	db, dialect, err := sqldb.FromEnv(context.Background())
	if err == nil {
		t.Cleanup(func() { db.Close() })
	}
	return db, dialect, err
}

// TestFromEnvFindsTheModulesDatabase: the URL comes from .env at the module root, from any
// directory of the module, and a relative SQLite path is the module root's file.
func TestFromEnvFindsTheModulesDatabase(t *testing.T) {
	for _, sub := range []string{".", "cmd", "cmd/server"} {
		t.Run(sub, func(t *testing.T) {
			unsetDatabaseURL(t)
			root := module(t, "# written by kernia init\nKERNIA_DATABASE_URL=sqlite://app.db\n")
			migrated(t, filepath.Join(root, "app.db"))
			t.Chdir(filepath.Join(root, sub))

			db, dialect, err := fromEnv(t)
			assert.NilError(t, err)
			assert.Equal(t, dialect, "sqlite3")
			assert.Equal(t, mainFile(t, db), filepath.Join(root, "app.db"))
			assert.Equal(t, os.Getenv("KERNIA_DATABASE_URL"), "sqlite://app.db", ".env was applied to the environment")
			// Nothing was created in the working directory.
			if sub != "." {
				_, err := os.Stat(filepath.Join(root, sub, "app.db"))
				assert.Assert(t, errors.Is(err, fs.ErrNotExist), "FromEnv created app.db in %s", sub)
			}
		})
	}
}

// TestFromEnvNeverOverridesTheEnvironment: a variable set in the environment wins over .env,
// even when it is set to the empty string (then the default URL applies, as for the commands).
func TestFromEnvNeverOverridesTheEnvironment(t *testing.T) {
	root := module(t, "KERNIA_DATABASE_URL=sqlite://from-dotenv.db\n")
	migrated(t, filepath.Join(root, "from-dotenv.db"))
	other := filepath.Join(t.TempDir(), "from-env.db")
	migrated(t, other)
	t.Chdir(filepath.Join(root, "cmd", "server"))

	t.Run("set", func(t *testing.T) {
		t.Setenv("KERNIA_DATABASE_URL", "sqlite://"+other)
		db, _, err := fromEnv(t)
		assert.NilError(t, err)
		assert.Equal(t, mainFile(t, db), other)
		assert.Equal(t, os.Getenv("KERNIA_DATABASE_URL"), "sqlite://"+other)
	})
	t.Run("set to empty", func(t *testing.T) {
		t.Setenv("KERNIA_DATABASE_URL", "")
		_, _, err := fromEnv(t)
		// The default sqlite://kernia.db, at the module root, which does not exist.
		assert.ErrorContains(t, err, "SQLite database "+filepath.Join(root, "kernia.db")+" does not exist")
		assert.Check(t, is.Contains(err.Error(), "KERNIA_DATABASE_URL is unset or empty"))
		assert.Equal(t, os.Getenv("KERNIA_DATABASE_URL"), "")
	})
}

// TestFromEnvRefusesAMissingSQLiteFile: an empty new database is exactly the silent failure:
// FromEnv refuses, says where it looked and how to fix it, and creates nothing.
func TestFromEnvRefusesAMissingSQLiteFile(t *testing.T) {
	tests := []struct {
		name   string
		url    string // "" reads .env's
		inRoot bool   // the path is resolved against the module root
	}{
		{name: "relative, from .env", inRoot: true},
		{name: "relative, from the environment", url: "sqlite://data/app.db", inRoot: true},
		{name: "absolute", url: "sqlite://" + filepath.Join(t.TempDir(), "app.db")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			unsetDatabaseURL(t)
			root := module(t, "KERNIA_DATABASE_URL=sqlite://app.db\n")
			assert.NilError(t, os.Mkdir(filepath.Join(root, "data"), 0o755))
			if tc.url != "" {
				t.Setenv("KERNIA_DATABASE_URL", tc.url)
			}
			t.Chdir(filepath.Join(root, "cmd", "server"))
			before := listFiles(t, root)

			_, _, err := fromEnv(t)
			want := filepath.Join(root, "app.db")
			switch {
			case tc.url != "" && tc.inRoot:
				want = filepath.Join(root, "data", "app.db")
			case tc.url != "":
				want = strings.TrimPrefix(tc.url, "sqlite://")
			}
			assert.ErrorContains(t, err, "SQLite database "+want+" does not exist")
			assert.Check(t, is.Contains(err.Error(), "run `go tool kernia migrate`"))
			if tc.inRoot {
				assert.Check(t, is.Contains(err.Error(), "resolved against the module root "+root))
			}
			_, serr := os.Stat(want)
			assert.Assert(t, errors.Is(serr, fs.ErrNotExist), "FromEnv created %s", want)
			assert.DeepEqual(t, listFiles(t, root), before)
		})
	}
}

// TestFromEnvOutsideAModule: a deployed binary runs where there is no go.mod: no .env is read
// (as for the commands) and a relative path is the working directory's.
func TestFromEnvOutsideAModule(t *testing.T) {
	dir := t.TempDir()
	if _, ok := moduleAbove(dir); ok {
		t.Skipf("a go.mod above the temporary directory %s", dir)
	}
	assert.NilError(t, os.WriteFile(filepath.Join(dir, ".env"), []byte("KERNIA_DATABASE_URL=postgres://nobody@127.0.0.1:1/none\n"), 0o600))
	migrated(t, filepath.Join(dir, "app.db"))
	t.Setenv("KERNIA_DATABASE_URL", "sqlite://app.db")
	t.Chdir(dir)
	db, _, err := fromEnv(t)
	assert.NilError(t, err)
	assert.Equal(t, mainFile(t, db), filepath.Join(dir, "app.db"))

	unsetDatabaseURL(t)
	_, _, err = fromEnv(t)
	assert.ErrorContains(t, err, "SQLite database "+filepath.Join(dir, "kernia.db")+" does not exist")
	assert.Check(t, is.Contains(err.Error(), "resolved against the working directory"))
	assert.Equal(t, os.Getenv("KERNIA_DATABASE_URL"), "", ".env outside a module was applied")
}

func moduleAbove(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// TestFromEnvPostgres: a PostgreSQL URL from .env opens the server Kernia migrates, and Ready
// answers on it; errors never hold the password.
func TestFromEnvPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	unsetDatabaseURL(t)
	root := module(t, "KERNIA_DATABASE_URL='"+url+"'\n")
	m := newMigrations(t, "postgres", file1, file2)
	assert.NilError(t, m.apply(url, migration.ApplyOptions{}))
	t.Chdir(filepath.Join(root, "cmd", "server"))

	db, dialect, err := fromEnv(t)
	assert.NilError(t, err)
	assert.Equal(t, dialect, "postgres")
	assert.NilError(t, sqldb.Ready(context.Background(), db, dialect, m.fsys()))
}

func TestFromEnvErrorsNeverHoldThePassword(t *testing.T) {
	const password = "s3cr3t-Pa55word"
	tests := []struct{ name, url, want string }{
		{"server refuses", "postgres://shop:" + password + "@127.0.0.1:1/shop?sslmode=disable", "cannot connect"},
		{"bad port", "postgres://shop:" + password + "@127.0.0.1:99999/shop", "postgres URL"},
		{"raw slash in the password", "postgres://shop:" + password + "/x@127.0.0.1/shop", "postgres URL is malformed"},
		{"unknown scheme", "mysqlx://shop:" + password + "@127.0.0.1/shop", "unsupported scheme"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := module(t, "")
			t.Chdir(root)
			t.Setenv("KERNIA_DATABASE_URL", tc.url)
			_, _, err := fromEnv(t)
			assert.ErrorContains(t, err, tc.want)
			assert.Check(t, !strings.Contains(err.Error(), "s3cr3t"), err.Error())
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				assert.Check(t, !strings.Contains(e.Error(), "s3cr3t"), e.Error())
			}
		})
	}
}

func listFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	assert.NilError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, rel)
		return nil
	}))
	return out
}
