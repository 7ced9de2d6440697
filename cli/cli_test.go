package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestDoubleDash(t *testing.T) {
	tests := []struct{ in, want string }{
		{"flag provided but not defined: -frob", "flag provided but not defined: --frob"},
		{`invalid value "x" for flag -lock-timeout: parse error`, `invalid value "x" for flag --lock-timeout: parse error`},
		{`invalid boolean value "x" for -json: parse error`, `invalid boolean value "x" for --json: parse error`},
		{"flag needs an argument: -dir", "flag needs an argument: --dir"},
		{"bad flag syntax: ---x", "bad flag syntax: ---x"},
	}
	for _, tc := range tests {
		assert.Check(t, is.Equal(doubleDash(tc.in), tc.want))
	}
}

// TestFlagsSpelledWithTwoDashes: every command's usage line and flag list, and a parse error,
// spell flags --flag, never -flag.
func TestFlagsSpelledWithTwoDashes(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main([]string{c.name, "--help"}, &out, &errb)
			assert.Equal(t, code, ExitOK, errb.String())
			assert.Check(t, is.Equal(out.String(), ""), "help is human output: stderr")
			assert.Check(t, is.Contains(errb.String(), "Usage: "+c.usage))
			for _, line := range strings.Split(errb.String(), "\n") {
				if strings.HasPrefix(line, "  -") {
					assert.Check(t, strings.HasPrefix(line, "  --"), "flag spelled with one dash: %q", line)
				}
			}
			for _, word := range strings.Fields(c.usage) {
				word = strings.Trim(word, "[]|")
				if strings.HasPrefix(word, "-") {
					assert.Check(t, strings.HasPrefix(word, "--"), "usage %q spells %s", c.usage, word)
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
