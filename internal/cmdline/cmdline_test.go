package cmdline

import (
	"bytes"
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

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"status", "--json"}, true},
		{[]string{"status", "-json"}, true},
		{[]string{"info", "--strict", "--json=true"}, true},
		{[]string{"info", "--json=false"}, false},
		{[]string{"status"}, false},
		{[]string{"status", "--", "--json"}, false},
		{[]string{"frob", "--json"}, true},
	}
	for _, tc := range tests {
		assert.Check(t, is.Equal(wantsJSON(tc.args), tc.want), "%q", tc.args)
	}
}

func TestLastLineWriter(t *testing.T) {
	var b bytes.Buffer
	w := &lastLineWriter{w: &b}
	assert.Equal(t, w.last(), "")
	_, _ = w.Write([]byte("first\nkernia: cannot load"))
	assert.Equal(t, w.last(), "kernia: cannot load")
	_, _ = w.Write([]byte(" the instance\n\n"))
	assert.Equal(t, w.last(), "kernia: cannot load the instance")
	assert.Equal(t, b.String(), "first\nkernia: cannot load the instance\n\n")
}
