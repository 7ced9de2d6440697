package generator

// SetBuildVersions stands in for another Kernia, Ent or Atlas version until the returned
// function restores the real one.
func SetBuildVersions(v string) (restore func()) {
	old := buildVersions
	buildVersions = func() string { return v }
	return func() { buildVersions = old }
}

// VersionsOf exposes versionsOf.
var VersionsOf = versionsOf
