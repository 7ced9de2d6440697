package generator

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/plugins/twofactor"
)

// authModule stands for the user's auth module: it keeps Kernia and its plugins required.
const authModule = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/twofactor"
)

// Auth is the app's auth instance.
var Auth = kernia.New(kernia.Options{Plugins: []kernia.Plugin{twofactor.New()}})
`

// TestFormats14_FlagAndOption: --format and Options.MigrationFormat share one validator; the
// flag may say what the option says, or choose when the option is empty; a disagreement is
// refused, naming both.
func TestFormats14_FlagAndOption(t *testing.T) {
	for _, tc := range []struct {
		option, flag, want, err string
	}{
		{want: ""},
		{option: "goose", want: "goose"},
		{flag: "flyway", want: "flyway"},
		{option: "golang-migrate", flag: "golang-migrate", want: "golang-migrate"},
		{option: "goose", flag: "flyway", err: `generate: --format flyway disagrees with Options.MigrationFormat "goose": the option is the committed configuration`},
		{flag: "liquibase", err: `generate: --format: unknown migration format "liquibase": use one of atlas, golang-migrate, goose, flyway`},
	} {
		auth := kernia.New(kernia.Options{MigrationFormat: tc.option})
		assert.NilError(t, auth.Err())
		got, err := MigrationFormat(auth, tc.flag)
		if tc.err != "" {
			assert.Check(t, is.ErrorContains(err, tc.err))
			continue
		}
		assert.NilError(t, err)
		assert.Equal(t, string(got), tc.want)
	}
	err := kernia.New(kernia.Options{MigrationFormat: "dbmate"}).Err()
	assert.Check(t, is.ErrorContains(err, `kernia: Options.MigrationFormat: unknown migration format "dbmate"`))
}

// TestFormats14_GenerateWritesTheFormat runs generate in a module with Options.MigrationFormat
// golang-migrate: up and down files and an atlas.sum over both, which migrate applies and
// status reads; the next generate (with the option left empty) follows the directory's format,
// and --format flyway on it is refused before anything is written.
func TestFormats14_GenerateWritesTheFormat(t *testing.T) {
	ctx := context.Background()
	dir := moduletest.New(t, "example.com/app", map[string]string{"auth/auth.go": authModule})
	t.Chdir(dir)
	core := kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}, MigrationFormat: "golang-migrate"})
	res, err := Run(ctx, core, Options{Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	assert.NilError(t, err)
	var paths []string
	for _, m := range res.Migrations {
		paths = append(paths, m.Path)
	}
	mdir := "ent/migrate/migrations/sqlite"
	assert.DeepEqual(t, paths, []string{mdir + "/20260102030405_kernia.up.sql", mdir + "/20260102030405_kernia.down.sql"})
	down, err := os.ReadFile(filepath.Join(mdir, "20260102030405_kernia.down.sql"))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(down), "DROP TABLE `users`;"))
	db := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	applied, err := migration.Apply(ctx, db, mdir, migration.ApplyOptions{})
	assert.NilError(t, err)
	assert.Equal(t, len(applied.Applied), 1)
	assert.Equal(t, applied.Applied[0].Name, "20260102030405_kernia.up.sql")

	withTwoFactor := kernia.New(kernia.Options{Dialects: []string{kernia.SQLite}, Plugins: []kernia.Plugin{twofactor.New()}})
	_, err = Run(ctx, withTwoFactor, Options{Format: "flyway", Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 15, 0, time.UTC) }})
	assert.Check(t, is.ErrorContains(err, "holds golang-migrate files, but the migration format is flyway: a directory keeps its format"))
	res, err = Run(ctx, withTwoFactor, Options{Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 15, 0, time.UTC) }})
	assert.NilError(t, err)
	assert.Equal(t, res.Migrations[0].Path, mdir+"/20260102030415_kernia.up.sql")
	_, err = migration.Apply(ctx, db, mdir, migration.ApplyOptions{})
	assert.NilError(t, err)
	st, err := migration.Status(ctx, db, mdir)
	assert.NilError(t, err)
	assert.Check(t, is.Len(st.Pending, 0))
	assert.Check(t, is.Len(st.Problems, 0), "%v", st.Problems)
	assert.Equal(t, len(st.Applied), 2)
}
