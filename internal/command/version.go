package command

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// ModulePath is Kernia's module path.
const ModulePath = "github.com/kernia/kernia"

// VersionInfo is what version prints; its JSON shape is stable.
type VersionInfo struct {
	// Version is the Kernia module version of the binary, "(devel)" when unknown (a build
	// of a checkout, or of a module that replaces Kernia by a local directory).
	Version string `json:"version"`
	// GoVersion is the Go toolchain that built the binary, e.g. go1.26.8.
	GoVersion string `json:"go_version"`
	// ModulePath is github.com/kernia/kernia.
	ModulePath string `json:"module_path"`
}

// CurrentVersion reads the binary's build information (runtime/debug.ReadBuildInfo).
func CurrentVersion() VersionInfo {
	v := VersionInfo{Version: "(devel)", GoVersion: runtime.Version(), ModulePath: ModulePath}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Version = versionOf(append([]*debug.Module{&bi.Main}, bi.Deps...))
	return v
}

// versionOf returns the version of Kernia's module among mods: its replacement's version when
// it is replaced by another module version, "(devel)" when replaced by a directory or unknown.
func versionOf(mods []*debug.Module) string {
	for _, m := range mods {
		if m == nil || m.Path != ModulePath {
			continue
		}
		if r := m.Replace; r != nil {
			if r.Version != "" {
				return r.Version
			}
			return "(devel)"
		}
		if m.Version != "" {
			return m.Version
		}
	}
	return "(devel)"
}

// VersionFlags are the flags of version.
type VersionFlags struct {
	JSON bool
}

// Version prints Kernia's version on Stdout: `kernia v1.2.3 (go1.26.8)`, or with JSON the
// VersionInfo object.
func Version(f VersionFlags, io IO) error {
	v := CurrentVersion()
	if f.JSON {
		return printJSON(io.Stdout, v)
	}
	_, err := fmt.Fprintf(io.Stdout, "kernia %s (%s, %s)\n", v.Version, v.ModulePath, v.GoVersion)
	return err
}
