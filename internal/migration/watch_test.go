package migration

import "testing"

// TestWatchSQLFor: the client check is a plain SET on PostgreSQL 14 and later, nothing before
// 14 (the setting does not exist there: a SET of it would fail every file), and the SELECT that
// checks the version on the server when the reported version cannot be read.
func TestWatchSQLFor(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"15.20 (Debian 15.20-0+deb12u1)", "SET client_connection_check_interval = '1s'"},
		{"14.0", "SET client_connection_check_interval = '1s'"},
		{"18beta1", "SET client_connection_check_interval = '1s'"},
		{"13.16", ""},
		{"9.6.24", ""},
		{"", watchClientSQL},
		{"devel", watchClientSQL},
	} {
		if got := watchSQLFor(tc.version); got != tc.want {
			t.Errorf("watchSQLFor(%q) = %q, want %q", tc.version, got, tc.want)
		}
	}
}
