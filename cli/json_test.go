package cli

import (
	"bytes"
	"encoding/json"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestJSONFailuresWithoutACommand: under --json, a failure before any command runs (no
// command, an unknown one, bad usage, an unexpected argument) prints the error object on
// stdout with the exit status; without --json stdout stays empty.
func TestJSONFailuresWithoutACommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{name: "unknown command", args: []string{"frob", "--json"}, code: ExitUsage, msg: `unknown command "frob"`},
		{name: "unknown flag", args: []string{"version", "--json", "--frob"}, code: ExitUsage, msg: "kernia version: flag provided but not defined: --frob"},
		{name: "an argument", args: []string{"secret", "--json", "extra"}, code: ExitUsage, msg: `kernia secret: unexpected argument "extra"`},
		{name: "without --json", args: []string{"frob"}, code: ExitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tc.args, &stdout, &stderr)
			assert.Equal(t, code, tc.code)
			if tc.msg == "" {
				assert.Equal(t, stdout.String(), "")
				return
			}
			var got struct {
				Error struct {
					Message  string `json:"message"`
					ExitCode int    `json:"exit_code"`
				} `json:"error"`
			}
			assert.NilError(t, json.Unmarshal(stdout.Bytes(), &got), stdout.String())
			assert.Check(t, is.Contains(got.Error.Message, tc.msg))
			assert.Check(t, is.Equal(got.Error.ExitCode, tc.code))
		})
	}
}
