package scaffold

import (
	"regexp"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestMagefileIsTheProjectsOwn: Mage keys its compiled binary by the magefile's text, so init
// writes a project line (the module path and a random id): two projects, even of one module
// path, get different texts; a given id gives exactly its line; an id that is not hex is
// refused (it goes into a Go comment).
func TestMagefileIsTheProjectsOwn(t *testing.T) {
	magefile := func(id string) (string, error) {
		fs, err := Files(Options{ModulePath: "app", DatabaseURL: "sqlite://kernia.db", BaseURL: "http://localhost:3000", Secret: "x", ProjectID: id}, nil)
		if err != nil {
			return "", err
		}
		for _, f := range fs {
			if f.Path == Magefile {
				return string(f.Content), nil
			}
		}
		t.Fatal("no magefile")
		return "", nil
	}
	line := regexp.MustCompile(`(?m)^// kernia:project app [0-9a-f]{8}$`)
	a, err := magefile("")
	assert.NilError(t, err)
	b, err := magefile("")
	assert.NilError(t, err)
	assert.Check(t, line.MatchString(a), a)
	assert.Check(t, line.MatchString(b), b)
	assert.Check(t, a != b, "two projects of one module path share a magefile text:\n%s", a)

	tests := []struct {
		name, id, want, err string
	}{
		{name: "given", id: "0123abcd", want: "\n// kernia:project app 0123abcd\n"},
		{name: "not hex", id: "xyz", err: `init: project id "xyz": want 1 to 32 lowercase hex characters`},
		{name: "a newline", id: "ab\ncd", err: "want 1 to 32 lowercase hex characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := magefile(tc.id)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			assert.NilError(t, err)
			assert.Check(t, is.Contains(got, tc.want))
			assert.Check(t, is.Contains(got, `_ "github.com/kernia/kernia/mage"`))
		})
	}
}
