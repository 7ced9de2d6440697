package diff

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/pgtest"
)

// TestIsKerniaFile: a file is Kernia's when its leading comment block holds Kernia's header
// line, after Atlas directives too; a hand-written file, a header line below the first
// statement or a plain Atlas file are not.
func TestIsKerniaFile(t *testing.T) {
	header := HeaderPrefix + "Kernia (devel) with `kernia generate`: review it before applying; after an edit run `kernia hash`.\n"
	tests := []struct {
		name, content string
		want          bool
	}{
		{"header", header + "-- plugins: none\n\nCREATE TABLE t (id int);\n", true},
		{"after a directive", TxModeNone + "\n" + header + "\nCREATE INDEX CONCURRENTLY i ON t (id);\n", true},
		{"hand-written", "-- The shop's orders.\nCREATE TABLE orders (id int);\n", false},
		{"header below a statement", "CREATE TABLE t (id int);\n" + header, false},
		{"another generator", HeaderPrefix + "Atlas\nCREATE TABLE t (id int);\n", false},
		{"Atlas planner output", "-- Create \"users\" table\nCREATE TABLE users (id int);\n", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, IsKerniaFile([]byte(tc.content)), tc.want)
		})
	}
}

// TestPreviousPluginsSkipsTheApplicationsFiles: in a shared directory the newest file may be
// the application's; the plugins enabled before come from Kernia's newest file.
func TestPreviousPluginsSkipsTheApplicationsFiles(t *testing.T) {
	kernia := migrate.NewLocalFile("1_kernia.sql", []byte(HeaderPrefix+"Kernia (devel) with `kernia generate`.\n-- plugins: two-factor, username\n\nSELECT 1;\n"))
	app := migrate.NewLocalFile("2_orders.sql", []byte("-- plugins: none (not Kernia's)\nCREATE TABLE orders (id int);\n"))
	got, ok := previousPlugins([]migrate.File{kernia, app})
	assert.Assert(t, ok)
	assert.Check(t, is.DeepEqual(got, []string{"two-factor", "username"}))
	_, ok = previousPlugins([]migrate.File{app})
	assert.Check(t, !ok)
}

// TestShared_ApplicationFileOutsideATransaction: on PostgreSQL the application's own file in the
// shared directory may run outside a transaction (`-- atlas:txmode none`, a concurrent index
// build, VACUUM): the diff still tells its table from Kernia's and plans nothing for it, while
// the same directory diffed as Kernia's alone would drop it.
func TestShared_ApplicationFileOutsideATransaction(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), kernia.Postgres)
	devURL := pgtest.NewDatabase(t)
	at := func(s string) func() time.Time {
		return func() time.Time { t, _ := time.Parse(VersionFormat, s); return t }
	}
	first := online3Diff(t, kernia.Postgres, devURL, Options{Dir: dir, Tables: online3Tables(false), Name: "kernia", Now: at("20260102030405")})
	assert.NilError(t, os.MkdirAll(dir, 0o755))
	var all []migrate.File
	for _, f := range first.Files {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, f.Name), f.SQL, 0o644))
		all = append(all, migrate.NewLocalFile(f.Name, f.SQL))
	}
	const app = TxModeNone + "\n\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE INDEX CONCURRENTLY orders_user ON orders (user_id);\nVACUUM orders;\n"
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "20260102030500_orders.sql"), []byte(app), 0o644))
	all = append(all, migrate.NewLocalFile("20260102030500_orders.sql", []byte(app)))
	sum, err := migrate.NewHashFile(all)
	assert.NilError(t, err)
	b, err := sum.MarshalText()
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(filepath.Join(dir, migrate.HashFileName), b, 0o644))

	dev, err := OpenDev(ctx, kernia.Postgres, devURL, "")
	assert.NilError(t, err)
	defer dev.Close()
	opts := Options{Dev: dev, Dir: dir, Tables: online3Tables(false), Name: "kernia", Now: at("20260102030405")}
	_, err = Diff(ctx, opts)
	assert.Assert(t, errors.Is(err, ErrDestructive), "without Shared the application's table is Kernia's to drop: %v", err)
	assert.Check(t, is.Contains(err.Error(), "drops table orders"))

	opts.Shared = &Ownership{}
	res, err := Diff(ctx, opts)
	assert.NilError(t, err)
	assert.Check(t, is.Len(res.Files, 0))
	opts.Tables = online3Tables(true)
	res, err = Diff(ctx, opts)
	assert.NilError(t, err)
	assert.Assert(t, len(res.Files) > 0)
	for _, f := range res.Files {
		assert.Check(t, !strings.Contains(string(f.SQL), "orders"), "%s plans the application's table:\n%s", f.Name, f.SQL)
	}
	assertDevClean(t, dev.DB)
}

// TestLegacyKernia: a file without Kernia's header is Kernia's own from before the header only
// when it is Atlas's planner output creating a table of Kernia's composition (the committed one
// when known); the dogfood history's first files are.
func TestLegacyKernia(t *testing.T) {
	first, err := os.ReadFile("../../ent/migrate/migrations/postgres/20261126150155_kernia.sql")
	assert.NilError(t, err)
	kerniaTables := map[string][]string{"users": {"id", "email"}, "sessions": {"id"}}
	tests := []struct {
		name, content string
		want          bool
	}{
		{"Kernia's first dogfood file", string(first), true},
		{"Atlas output creating a Kernia table", "-- Create \"users\" table\nCREATE TABLE users (id int);\n", true},
		{"Atlas output creating the application's table", "-- Create \"orders\" table\nCREATE TABLE orders (id int);\n", false},
		{"hand-written, creating a Kernia table", "CREATE TABLE users (id int);\n", false},
		{"Atlas comments on some statements only", "-- Create \"users\" table\nCREATE TABLE users (id int);\nCREATE TABLE orders (id int);\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, legacyKernia(migrate.NewLocalFile("1_x.sql", []byte(tc.content)), nil, kerniaTables), tc.want)
		})
	}
}
