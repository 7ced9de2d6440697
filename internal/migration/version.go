package migration

import "runtime/debug"

const modulePath = "github.com/kernia/kernia"

// operatorVersion is the operator_version recorded with each revision: "Kernia <module version>",
// "Kernia (devel)" when the build carries no version.
func operatorVersion() string {
	v := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == modulePath {
			v = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				v = d.Version
				if d.Replace != nil && d.Replace.Version != "" {
					v = d.Replace.Version
				}
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return "Kernia " + v
}

// OperatorVersion names the running Kernia as revisions record it ("Kernia v0.4.0", "Kernia
// (devel)"); generate writes it into each migration file's header.
func OperatorVersion() string { return operatorVersion() }
