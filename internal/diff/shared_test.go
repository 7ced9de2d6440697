package diff

import (
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
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
