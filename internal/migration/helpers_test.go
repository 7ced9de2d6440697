package migration_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/pgtest"
)

// secret is the password of every PostgreSQL test URL (the test server trusts any password);
// no error may contain it.
const secret = "secretpw"

// dialect makes fresh databases of one dialect.
type dialect struct {
	name string
	// newURL returns the URL of a new, empty database.
	newURL func(t *testing.T) string
}

var dialects = []dialect{
	{name: "sqlite", newURL: func(t *testing.T) string {
		return "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	}},
	{name: "postgres", newURL: func(t *testing.T) string {
		u, err := url.Parse(pgtest.NewDatabase(t))
		assert.NilError(t, err)
		u.User = url.UserPassword(u.User.Username(), secret)
		return u.String()
	}},
}

// forEachDialect runs fn as a subtest per dialect.
func forEachDialect(t *testing.T, fn func(t *testing.T, d dialect)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) { fn(t, d) })
	}
}

// mfile is a migration file to write.
type mfile struct{ name, body string }

// writeDir writes files into a new migration directory and hashes it.
func writeDir(t *testing.T, files ...mfile) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "migrations")
	assert.NilError(t, os.Mkdir(dir, 0o755))
	addFiles(t, dir, files...)
	return dir
}

// addFiles writes (or overwrites) files and rehashes the directory.
func addFiles(t *testing.T, dir string, files ...mfile) {
	t.Helper()
	ld, err := migrate.NewLocalDir(dir)
	assert.NilError(t, err)
	for _, f := range files {
		assert.NilError(t, ld.WriteFile(f.name, []byte(f.body)))
	}
	rehash(t, dir)
}

// rehash rewrites atlas.sum, like `kernia hash`.
func rehash(t *testing.T, dir string) {
	t.Helper()
	ld, err := migrate.NewLocalDir(dir)
	assert.NilError(t, err)
	sum, err := ld.Checksum()
	assert.NilError(t, err)
	assert.NilError(t, migrate.WriteSumFile(ld, sum))
}

// sumEntry returns a file's entry in the directory's atlas.sum.
func sumEntry(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, migrate.HashFileName))
	assert.NilError(t, err)
	var sum migrate.HashFile
	assert.NilError(t, sum.UnmarshalText(b))
	h, err := sum.SumByName(name)
	assert.NilError(t, err)
	return h
}

// openDB opens a test database for checks.
func openDB(t *testing.T, rawURL string) *sql.DB {
	t.Helper()
	u, err := database.Parse(rawURL)
	assert.NilError(t, err)
	db, err := database.Open(context.Background(), u)
	assert.NilError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// tableExists reports whether a table exists in the test database.
func tableExists(t *testing.T, db *sql.DB, d dialect, name string) bool {
	t.Helper()
	var n int
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d.name == "postgres" {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	assert.NilError(t, db.QueryRow(q, name).Scan(&n))
	return n > 0
}

// revision is a row of atlas_schema_revisions.
type revision struct {
	version, description      string
	typ, applied, total       int64
	executionTime             int64
	errText, errStmt, partial sql.NullString
	hash, operator            string
	executedAtNotNull         bool
}

// revisions reads atlas_schema_revisions ordered by version.
func revisions(t *testing.T, db *sql.DB) []revision {
	t.Helper()
	rows, err := db.Query(`SELECT version, description, type, applied, total, executed_at IS NOT NULL, execution_time, error, error_stmt, hash, partial_hashes, operator_version FROM atlas_schema_revisions ORDER BY version`)
	assert.NilError(t, err)
	defer rows.Close()
	var out []revision
	for rows.Next() {
		var r revision
		assert.NilError(t, rows.Scan(&r.version, &r.description, &r.typ, &r.applied, &r.total, &r.executedAtNotNull,
			&r.executionTime, &r.errText, &r.errStmt, &r.hash, &r.partial, &r.operator))
		out = append(out, r)
	}
	assert.NilError(t, rows.Err())
	return out
}

// assertNoSecret fails when err mentions the test password.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		assert.Assert(t, !strings.Contains(err.Error(), secret), "error leaks the password: %v", err)
	}
}

// Migration files used by several tests; their SQL runs on both dialects.
var (
	fileA = mfile{"20250101000001_create_a.sql", "CREATE TABLE a (id integer PRIMARY KEY, name text NOT NULL);\nCREATE INDEX a_name ON a (name);\n"}
	fileB = mfile{"20250101000002_create_b.sql", "CREATE TABLE b (id integer PRIMARY KEY, a_id integer NOT NULL REFERENCES a (id) ON DELETE CASCADE);\n"}
	fileC = mfile{"20250101000003_create_c.sql", "CREATE TABLE c (id integer PRIMARY KEY);\n"}
)
