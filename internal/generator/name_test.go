package generator

import (
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{name: "", ok: true},
		{name: "kernia", ok: true},
		{name: "add_two_factor", ok: true},
		{name: "v2", ok: true},
		{name: strings.Repeat("a", MaxNameLen), ok: true},
		{name: strings.Repeat("a", MaxNameLen+1)},
		{name: strings.Repeat("a", 200)},
		{name: "../../x"},
		{name: "a/b"},
		{name: `a\b`},
		{name: "A"},
		{name: "x.sql"},
		{name: "."},
		{name: ".."},
		{name: "a b"},
		{name: "a-b"},
		{name: "a\nb"},
		{name: "a\x00b"},
		{name: "é"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckName(tc.name)
			if tc.ok != (err == nil) {
				t.Fatalf("CheckName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			}
			if err != nil && (!strings.Contains(err.Error(), "[a-z0-9_]+") || strings.ContainsAny(err.Error(), "\n\x00")) {
				t.Errorf("the error does not state the rule, or carries raw control characters: %q", err)
			}
		})
	}
}

func TestCheckInside(t *testing.T) {
	tests := []struct {
		dir, file string
		ok        bool
	}{
		{dir: "ent/migrate/migrations/sqlite", file: "20260101000000_kernia.sql", ok: true},
		{dir: "ent/migrate/migrations/sqlite/", file: "20260101000000_kernia.sql", ok: true},
		{dir: "ent/migrate/migrations/sqlite", file: "20260101000000_../../x.sql"},
		{dir: "ent/migrate/migrations/sqlite", file: "20260101000000_a/b.sql"},
		{dir: "ent/migrate/migrations/sqlite", file: "../x.sql"},
		{dir: "ent/migrate/migrations/sqlite", file: "x.txt"},
		{dir: "ent/migrate/migrations/sqlite", file: ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			if err := checkInside(tc.dir, tc.file); tc.ok != (err == nil) {
				t.Fatalf("checkInside(%q, %q) = %v, want ok=%v", tc.dir, tc.file, err, tc.ok)
			}
		})
	}
}
