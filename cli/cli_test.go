package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestFlagsSpelledWithTwoDashes: every command's usage line and flag list, and a parse error,
// spell flags --flag, never -flag.
func TestFlagsSpelledWithTwoDashes(t *testing.T) {
	for _, c := range commands {
		t.Run(c.Name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main([]string{c.Name, "--help"}, &out, &errb)
			assert.Equal(t, code, ExitOK, errb.String())
			assert.Check(t, is.Equal(out.String(), ""), "help is human output: stderr")
			assert.Check(t, is.Contains(errb.String(), "Usage: "+c.Usage))
			for _, line := range strings.Split(errb.String(), "\n") {
				if strings.HasPrefix(line, "  -") {
					assert.Check(t, strings.HasPrefix(line, "  --"), "flag spelled with one dash: %q", line)
				}
			}
			for _, word := range strings.Fields(c.Usage) {
				word = strings.Trim(word, "[]|")
				if strings.HasPrefix(word, "-") {
					assert.Check(t, strings.HasPrefix(word, "--"), "usage %q spells %s", c.Usage, word)
				}
			}
		})
	}
	var out, errb bytes.Buffer
	assert.Equal(t, Main([]string{"secret", "--frob"}, &out, &errb), ExitUsage)
	assert.Check(t, is.Contains(errb.String(), "kernia secret: flag provided but not defined: --frob"))
	assert.Check(t, is.Contains(errb.String(), "Usage: kernia secret [--rotate] [--json]"))
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var out, errb bytes.Buffer
		assert.Equal(t, Main(args, &out, &errb), ExitOK, errb.String())
		assert.Check(t, strings.HasPrefix(out.String(), "kernia "), out.String())
		assert.Check(t, is.Contains(out.String(), "github.com/kernia/kernia"))
	}
	var out, errb bytes.Buffer
	assert.Equal(t, Main([]string{"--version", "--json"}, &out, &errb), ExitOK, errb.String())
	var v map[string]string
	assert.NilError(t, json.Unmarshal(out.Bytes(), &v), out.String())
	assert.Check(t, is.Equal(v["module_path"], "github.com/kernia/kernia"))
	assert.Check(t, v["version"] != "" && v["go_version"] != "", "%v", v)
}
