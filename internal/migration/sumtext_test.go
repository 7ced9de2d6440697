package migration

import (
	"strings"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestSumText: the byte-for-byte check of atlas.sum accepts exactly the text Atlas writes for
// the files' sum, and leaves every other text, and names that would not read back as they are
// written, to Atlas's parser; readVerified then agrees with migrate.Validate's test either way.
func TestSumText(t *testing.T) {
	files := func(names ...string) []migrate.File {
		var fs []migrate.File
		for _, n := range names {
			fs = append(fs, migrate.NewLocalFile(n, []byte("CREATE TABLE t"+n+" (id int);\n")))
		}
		return fs
	}
	text := func(fs []migrate.File) string {
		b, err := hashFile(fs).MarshalText()
		assert.NilError(t, err)
		return string(b)
	}
	plain := files("1_a.sql", "2_b.sql", "3_c.sql")
	other := files("1_a.sql", "2_b.sql", "3_d.sql")
	tests := []struct {
		name  string
		files []migrate.File
		text  string
		fast  bool // accepted by sumText
		valid bool // accepted as Atlas accepts it
	}{
		{name: "as Atlas writes it", files: plain, text: text(plain), fast: true, valid: true},
		{name: "the sum of other files", files: plain, text: text(other)},
		{name: "a line missing", files: plain, text: strings.Join(strings.SplitAfter(text(plain), "\n")[:3], "")},
		{name: "a line more", files: plain, text: text(plain) + "4_d.sql h1:x\n"},
		{name: "no final newline", files: plain, text: strings.TrimSuffix(text(plain), "\n"), valid: true},
		{name: "CRLF line ends", files: plain, text: strings.ReplaceAll(text(plain), "\n", "\r\n"), valid: true},
		{name: "an entry's hash edited", files: plain, text: strings.Replace(text(plain), "2_b.sql h1:", "2_b.sql h1:A", 1)},
		{name: "empty", files: plain, text: ""},
		{name: "a name with a space", files: files("1_a b.sql"), text: text(files("1_a b.sql")), valid: true},
		{name: "a name with h1:", files: files("1_ah1:b.sql"), text: text(files("1_ah1:b.sql"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum := hashFile(tc.files)
			assert.Check(t, is.Equal(sumText(sum, []byte(tc.text)), tc.fast))
			var recorded migrate.HashFile
			valid := recorded.UnmarshalText([]byte(tc.text)) == nil && recorded.Sum() == sum.Sum()
			assert.Check(t, is.Equal(valid, tc.valid), "Atlas's parse")
			assert.Check(t, !tc.fast || valid, "accepted byte for byte, refused by Atlas")
		})
	}
}
