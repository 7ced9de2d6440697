package command

import (
	"encoding/json"
	"errors"
	"runtime"
	"runtime/debug"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
)

// TestStatusError: status exits 1 (an error) when its report lists a problem, never for pending
// files or a failed run alone.
func TestStatusError(t *testing.T) {
	tests := []struct {
		name string
		rep  migration.StatusReport
		want string // "" for no error
	}{
		{name: "current", rep: migration.StatusReport{Current: "1"}},
		{name: "pending only", rep: migration.StatusReport{Pending: []migration.FileStatus{{Version: "2"}}}},
		{name: "last failure only", rep: migration.StatusReport{LastFailure: &migration.Failure{Version: "2"}}},
		{name: "edited", rep: migration.StatusReport{Problems: []string{"20260101000001_a.sql was edited after it was applied"}},
			want: "status: the migration history has problems (1): 20260101000001_a.sql was edited after it was applied"},
		{name: "two", rep: migration.StatusReport{Problems: []string{"checksum mismatch", "unknown revision 3"}},
			want: "(2): checksum mismatch; unknown revision 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := statusError(&tc.rep)
			if tc.want == "" {
				assert.NilError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.want)
			assert.Check(t, errors.Is(err, ErrStatusProblems))
			assert.Check(t, is.Equal(ExitCode(err), 1))
		})
	}
}

func TestVersionOf(t *testing.T) {
	tests := []struct {
		name string
		mods []*debug.Module
		want string
	}{
		{name: "a dependency", mods: []*debug.Module{{Path: "example.com/app", Version: "(devel)"}, {Path: ModulePath, Version: "v1.2.3"}}, want: "v1.2.3"},
		{name: "the main module, a checkout", mods: []*debug.Module{{Path: ModulePath, Version: "(devel)"}}, want: "(devel)"},
		{name: "replaced by a directory", mods: []*debug.Module{{Path: ModulePath, Version: "v0.0.0", Replace: &debug.Module{Path: "../kernia"}}}, want: "(devel)"},
		{name: "replaced by a fork", mods: []*debug.Module{{Path: ModulePath, Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1"}}}, want: "v1.0.1"},
		{name: "absent", mods: []*debug.Module{{Path: "example.com/app"}}, want: "(devel)"},
		{name: "no version", mods: []*debug.Module{{Path: ModulePath}}, want: "(devel)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, versionOf(tc.mods), tc.want)
		})
	}
}

func TestVersionJSONShape(t *testing.T) {
	io, out, _ := streams()
	assert.NilError(t, Version(VersionFlags{JSON: true}, io))
	var got map[string]string
	assert.NilError(t, json.Unmarshal(out.Bytes(), &got))
	assert.DeepEqual(t, got, map[string]string{"version": got["version"], "go_version": runtime.Version(), "module_path": "github.com/kernia/kernia"})
	assert.Check(t, got["version"] != "")
	io, out, _ = streams()
	assert.NilError(t, Version(VersionFlags{}, io))
	assert.Equal(t, out.String(), "kernia "+got["version"]+" (github.com/kernia/kernia, "+runtime.Version()+")\n")
}
