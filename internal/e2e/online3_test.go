package e2e_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"

	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
)

const online3AuthGo = `package auth

import (
	"github.com/kernia/kernia"
	PLUGIN_IMPORT
)

// Auth is the shop's auth instance.
var Auth = kernia.New(kernia.Options{
	AppName:  "shop",
	Dialects: []string{kernia.Postgres},
	Plugins:  []kernia.Plugin{PLUGINS},
})
`

// online3Users is how many users the database holds when username is enabled.
const online3Users = 10000

// TestOnline3_EnableUsernameOnPopulatedPostgres is deliverable 3 from a user's seat: a
// PostgreSQL database whose users table holds 10,000 rows; enabling the username plugin makes
// `kernia generate` write two files, the second a `-- atlas:txmode none` file that builds
// users_username_key CONCURRENTLY (the first keeps the column add transactional); `kernia
// migrate` applies both with every row intact and the unique index valid; the next generate
// finds nothing to do.
func TestOnline3_EnableUsernameOnPopulatedPostgres(t *testing.T) {
	devURL := pgtest.NewDatabase(t)
	target := pgtest.NewDatabase(t)
	auth := func(imp, plugins string) string {
		return strings.NewReplacer("PLUGIN_IMPORT", imp, "PLUGINS", plugins).Replace(online3AuthGo)
	}
	dir := moduletest.New(t, "example.com/shop", map[string]string{
		"auth/auth.go": auth(`_ "github.com/kernia/kernia/plugins/username"`, ""),
	})
	env := []string{"KERNIA_DEV_URL=" + devURL, "KERNIA_DATABASE_URL=" + target, "GOFLAGS=-mod=mod"}
	run := func(args ...string) *icmd.Result {
		cmd := icmd.Command(args[0], args[1:]...)
		return icmd.RunCmd(cmd, icmd.Dir(dir), icmd.WithEnv(append(os.Environ(), env...)...))
	}
	migrations := filepath.Join(dir, "ent/migrate/migrations/postgres")
	sqlFiles := func() []string {
		files, err := filepath.Glob(filepath.Join(migrations, "*.sql"))
		assert.NilError(t, err)
		slices.Sort(files)
		return files
	}

	run("go", "tool", "kernia", "generate").Assert(t, icmd.Success)
	assert.Equal(t, len(sqlFiles()), 1)
	run("go", "tool", "kernia", "migrate").Assert(t, icmd.Success)

	db, err := sql.Open("pgx", target)
	assert.NilError(t, err)
	defer db.Close()
	_, err = db.Exec(`INSERT INTO users (id, name, email, created_at, updated_at)
		SELECT md5(g::text), 'user ' || g, 'u' || g || '@example.com', '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 second', '2026-01-01T00:00:00Z'
		FROM generate_series(1, $1) g`, online3Users)
	assert.NilError(t, err)
	before := online3Snapshot(t, db)
	assert.Equal(t, len(before), online3Users)

	assert.NilError(t, os.WriteFile(filepath.Join(dir, "auth/auth.go"), []byte(auth(`"github.com/kernia/kernia/plugins/username"`, "username.New()")), 0o644))
	res := run("go", "tool", "kernia", "generate")
	res.Assert(t, icmd.Success)
	files := sqlFiles()
	assert.Equal(t, len(files), 3, "one file for the column, one for the concurrent index: %v", files)
	tx, err := os.ReadFile(files[1])
	assert.NilError(t, err)
	online, err := os.ReadFile(files[2])
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(tx), `ADD COLUMN "username"`))
	assert.Check(t, !strings.Contains(string(tx), "CREATE UNIQUE INDEX"), "%s", tx)
	assert.Check(t, strings.HasPrefix(string(online), "-- atlas:txmode none\n"), "%s", online)
	assert.Check(t, is.Contains(string(online), `CREATE UNIQUE INDEX CONCURRENTLY "users_username_key" ON "users" ("username")`))
	assert.Check(t, filepath.Base(files[1]) < filepath.Base(files[2]))

	res = run("go", "tool", "kernia", "migrate")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "2 files applied"))
	assert.DeepEqual(t, online3Snapshot(t, db), before)
	var valid bool
	assert.NilError(t, db.QueryRow(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_username_key'::regclass`).Scan(&valid))
	assert.Check(t, valid, "users_username_key is valid")
	_, err = db.Exec(`UPDATE users SET username = 'ada' WHERE id IN (md5('1'), md5('2'))`)
	assert.ErrorContains(t, err, "users_username_key", "the unique index holds")

	res = run("go", "tool", "kernia", "generate", "--check")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stderr(), "nothing changed"))
}

// online3Snapshot returns every user row as text, by id.
func online3Snapshot(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT id || ' ' || name || ' ' || email || ' ' || created_at::text || ' ' || updated_at::text FROM users ORDER BY id`)
	assert.NilError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		assert.NilError(t, rows.Scan(&s))
		out = append(out, s)
	}
	assert.NilError(t, rows.Err())
	return out
}
