package reliability_test

import (
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
)

// redactionAuthGo is the auth package of the redaction module: a plugin chosen by
// $REDACTION_PLUGIN that panics, or fails, with every secret and database URL of the run in its
// message, and an Options.DevURL ($REDACTION_DEV_URL) whose password only the instance knows.
const redactionAuthGo = `package auth

import (
	"os"

	"github.com/kernia/kernia"
)

// leaky is a message holding every secret and URL of the run.
func leaky() string {
	return "url " + os.Getenv("KERNIA_DATABASE_URL") + " dev " + os.Getenv("KERNIA_DEV_URL") +
		" options " + os.Getenv("REDACTION_DEV_URL") + " arg " + os.Getenv("REDACTION_ARG_URL") +
		" secret " + os.Getenv("KERNIA_SECRET") + " ring " + os.Getenv("KERNIA_SECRETS")
}

// panicking panics when its entities are read (generate, info, check).
type panicking struct{ kernia.BasePlugin }

func (panicking) ID() string { return "panicking" }

func (panicking) Entities() []kernia.Entity { panic("panicking plugin: " + leaky()) }

// panickingID panics in kernia.New, during the package's initialisation.
type panickingID struct{ kernia.BasePlugin }

func (panickingID) ID() string { panic("panicking id: " + leaky()) }

// failing has an invalid id holding the secrets: every command reports it in an error.
type failing struct{ kernia.BasePlugin }

func (failing) ID() string { return "failing " + leaky() }

func plugins() []kernia.Plugin {
	switch os.Getenv("REDACTION_PLUGIN") {
	case "panic":
		return []kernia.Plugin{panicking{}}
	case "panic-id":
		return []kernia.Plugin{panickingID{}}
	case "error":
		return []kernia.Plugin{failing{}}
	}
	return nil
}

// Auth is the instance.
var Auth = kernia.New(kernia.Options{Plugins: plugins(), DevURL: os.Getenv("REDACTION_DEV_URL")})
`

// redactionUseMagefile is the magefile of the "mage app.Use" front end, in its own directory
// (go tool mage -d): it hands the instance over with app.Use, so the Mage process resolves it
// and redacts by the options' values itself.
var redactionUseMagefile = moduletest.UseMagefile("example.com/redaction/auth")

// urlReserved are the characters RFC 3986 reserves (gen-delims and sub-delims), '%' and space.
var urlReserved = []string{":", "/", "?", "#", "[", "]", "@", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", "%", " "}

// shape is how the secrets and passwords of a run are made.
type shape struct {
	name   string
	chars  []string // the reserved characters each value holds
	encode bool     // passwords percent-encoded in their URLs
}

// value interleaves chars with distinctive tokens (prefix + a letter), so that every 4-byte
// piece of the value is its own and could not appear in output by chance.
func (s shape) value(prefix string, chars []string) string {
	var b strings.Builder
	for i, c := range chars {
		b.WriteString(prefix + string(rune('A'+i%26)) + c)
	}
	b.WriteString(prefix + "Z")
	return b.String()
}

// percentEncode encodes every reserved character of s.
func percentEncode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(":/?#[]@!$&'()*+,;=% ", r) {
			fmt.Fprintf(&b, "%%%02X", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// values are the secrets and URLs of one run.
type values struct {
	secret, ring     string
	dbURL, envDevURL string
	optDevURL        string
	argURL, initURL  string
	// secrets are the values no output may hold a piece of: keys, passwords as meant and as
	// written.
	secrets []string
	// ring keys, which `secret --rotate` prints on stdout by design.
	ringKeys []string
}

// makeValues builds the values of shape s for databases db and dev on the test server.
func makeValues(s shape, host, db, dev string) values {
	noComma := make([]string, 0, len(s.chars))
	for _, c := range s.chars {
		if c != "," {
			noComma = append(noComma, c)
		}
	}
	k1, k2 := s.value("Kr", noComma), s.value("Kq", noComma)
	v := values{secret: s.value("Ks", s.chars), ring: k1 + "," + k2, ringKeys: []string{k1, k2}}
	v.secrets = append(v.secrets, v.secret, k1, k2)
	pgURL := func(prefix, user, dbName string) string {
		pw := s.value(prefix, s.chars)
		written := pw
		if s.encode {
			written = percentEncode(pw)
		}
		v.secrets = append(v.secrets, pw, written)
		return "postgres://" + user + ":" + written + "@" + host + "/" + dbName + "?sslmode=disable"
	}
	v.dbURL = pgURL("Dp", "postgres", db)
	v.envDevURL = pgURL("Dv", "postgres", dev)
	v.optDevURL = pgURL("Op", "postgres", dev)
	v.argURL = pgURL("Ap", "postgres", db)
	v.initURL = pgURL("Ip", "kuser", "shop")
	return v
}

// step is one command, as the kernia CLI and as a Mage target.
type step struct {
	name      string
	cli, mage []string
	arg       bool // passes the argument URL (REDACTION_ARG_URL)
}

func redactionSteps(v values) []step {
	return []step{
		{name: "generate", cli: []string{"generate"}, mage: []string{"generate"}},
		{name: "generate dry-run json", cli: []string{"generate", "--dry-run", "--json"}, mage: []string{"generate", "-dryrun", "-json"}},
		{name: "migrate url", cli: []string{"migrate", "--url", v.argURL}, mage: []string{"migrate", "-url=" + v.argURL}, arg: true},
		{name: "migrate dry-run json", cli: []string{"migrate", "--dry-run", "--json"}, mage: []string{"migrate", "-dryrun", "-json"}},
		{name: "status", cli: []string{"status"}, mage: []string{"status"}},
		{name: "status json url", cli: []string{"status", "--json", "--url", v.argURL}, mage: []string{"status", "-json", "-url=" + v.argURL}, arg: true},
		{name: "hash", cli: []string{"hash"}, mage: []string{"hash"}},
		{name: "info", cli: []string{"info"}, mage: []string{"info"}},
		{name: "info json strict", cli: []string{"info", "--json", "--strict"}, mage: []string{"info", "-json", "-strict"}},
		{name: "check json", cli: []string{"check", "--json"}, mage: []string{"check", "-json"}},
		{name: "init print", cli: []string{"init", "--print", "--database-url", v.initURL}, mage: []string{"init", "-print", "-databaseurl=" + v.initURL}},
		{name: "secret", cli: []string{"secret"}, mage: []string{"secret"}},
		{name: "secret rotate json", cli: []string{"secret", "--rotate", "--json"}, mage: []string{"secret", "-rotate", "-json"}},
	}
}

// redactionModule is the user module the redaction test drives, with its kernia and mage
// tool binaries (built once per dependency set by the go command, and shared).
type redactionModule struct {
	dir, kernia, mage, mageCache string
}

func newRedactionModule(t *testing.T) *redactionModule {
	t.Helper()
	m := &redactionModule{dir: moduletest.New(t, "example.com/redaction", map[string]string{
		"auth/auth.go":        redactionAuthGo,
		"magefile.go":         moduletest.Magefile,
		"usemage/magefile.go": redactionUseMagefile,
	})}
	moduletest.Run(t, m.dir, "go", "build", "./auth")
	m.kernia, m.mage = moduletest.Tool(t, m.dir, "kernia"), moduletest.Tool(t, m.dir, "mage")
	m.mageCache = filepath.Join(t.TempDir(), "magecache")
	return m
}

// run runs one step under a front end ("kernia", "mage", or "mage app.Use", the magefile of
// usemage/) and returns its result.
func (m *redactionModule) run(t *testing.T, frontEnd, plugin string, v values, s step) result {
	t.Helper()
	bin, args := m.kernia, s.cli
	switch frontEnd {
	case "mage":
		bin, args = m.mage, s.mage
	case "mage app.Use":
		bin, args = m.mage, append([]string{"-d", "usemage", "-w", "."}, s.mage...)
	}
	extra := []string{
		"GOFLAGS=-mod=mod", "MAGEFILE_CACHE=" + m.mageCache,
		"KERNIA_SECRET=" + v.secret, "KERNIA_SECRETS=" + v.ring,
		"KERNIA_DATABASE_URL=" + v.dbURL, "KERNIA_DEV_URL=" + v.envDevURL,
		"REDACTION_DEV_URL=" + v.optDevURL, "REDACTION_PLUGIN=" + plugin,
	}
	if s.arg {
		extra = append(extra, "REDACTION_ARG_URL="+v.argURL)
	}
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Dir = m.dir
	p.cmd.Env = env(extra...)
	p.run(t)
	return p.wait(t)
}

// pieces4 returns every 4-byte substring of s.
func pieces4(s string) []string {
	var out []string
	for i := 0; i+4 <= len(s); i++ {
		out = append(out, s[i:i+4])
	}
	return out
}

// leakedPiece returns the first 4-byte piece of a secret found in out, or "".
func leakedPiece(out string, secrets []string) string {
	for _, s := range secrets {
		for _, p := range pieces4(s) {
			if strings.Contains(out, p) {
				return p
			}
		}
	}
	return ""
}

// rotated matches what `secret --rotate --json` prints: a new key, then the current ring.
var rotated = regexp.MustCompile(`^\{\s*"name": "KERNIA_SECRETS",\s*"value": "[0-9a-f]{64},(.*)"\s*\}\s*$`)

// checkRedacted fails the test if any output of r holds a piece of a secret of v. The
// standard output of `secret --rotate` holds the current ring by design: it must be exactly
// the new ring and hold nothing else.
func checkRedacted(t *testing.T, what string, s step, v values, r result) {
	t.Helper()
	stdout, secrets := r.stdout, v.secrets
	if s.name == "secret rotate json" && r.code == 0 {
		if m := rotated.FindStringSubmatch(stdout); m == nil {
			t.Errorf("%s: stdout is not the rotated ring:\n%s", what, stdout)
		}
		stdout, secrets = "", nil
		for _, x := range v.secrets {
			if x != v.ringKeys[0] && x != v.ringKeys[1] {
				secrets = append(secrets, x)
			}
		}
		if p := leakedPiece(r.stdout, secrets); p != "" {
			t.Errorf("%s: stdout holds %q, a piece of a secret that is not in the ring:\n%s", what, p, r.stdout)
		}
		secrets = v.secrets
	}
	if p := leakedPiece(stdout+"\n"+r.stderr, secrets); p != "" {
		t.Errorf("%s: output holds %q, a piece of a secret or password (exit %d)\nstdout:\n%s\nstderr:\n%s", what, p, r.code, r.stdout, r.stderr)
	}
}

// TestRedaction2_PanickingPluginUnderMageAndCLIPrintsNoSecretPiece proves issue 9 case 2:
// every command, run as a Mage target and through the kernia command (its loader program),
// with a plugin that panics (in its entities, or in kernia.New during package initialisation)
// or fails with an error holding every secret and URL, prints no 4-byte piece of
// KERNIA_SECRET, of a KERNIA_SECRETS key or of a database password (environment, Options,
// --url, init --database-url), when they hold every reserved URL character, raw and
// percent-encoded, alone and combined.
func TestRedaction2_PanickingPluginUnderMageAndCLIPrintsNoSecretPiece(t *testing.T) {
	pgtest.Server(t)
	m := newRedactionModule(t)
	server, err := url.Parse(pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	db, dev := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	dbName, devName := strings.TrimPrefix(mustPath(t, db), "/"), strings.TrimPrefix(mustPath(t, dev), "/")
	subDelims := []string{":", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "="}
	combined := []shape{
		{name: "every reserved character percent-encoded", chars: urlReserved, encode: true},
		{name: "every reserved character raw", chars: urlReserved},
		{name: "sub-delims and colon raw", chars: subDelims},
		{name: "slash question hash raw", chars: []string{"/", "?", "#"}},
	}
	// Mage's targets load the instance with a loader program, as the kernia command does,
	// unless the magefile hands one over with app.Use: then the Mage process resolves it.
	frontEnds := []string{"kernia", "mage", "mage app.Use"}
	var runs, panics, failures int

	// Every command under both front ends with the panicking plugin, for every reserved
	// character percent-encoded and raw; the first (URLs the parser accepts) also with no
	// plugin, so the commands succeed (generate writes, migrate applies) and print their
	// ordinary output. The other combinations go through the commands that parse and print
	// URLs.
	urlSteps := map[string]bool{"generate": true, "migrate url": true, "status json url": true, "info json strict": true, "init print": true}
	for i, sh := range combined {
		v := makeValues(sh, server.Host, dbName, devName)
		modes := []string{"panic"}
		if i == 0 {
			modes = []string{"", "panic"}
		}
		for _, mode := range modes {
			for _, s := range redactionSteps(v) {
				if i >= 2 && !urlSteps[s.name] {
					continue
				}
				for _, fe := range frontEnds {
					if fe == "mage app.Use" && i > 0 {
						continue // the reserved characters alone below take turns through it
					}
					what := fmt.Sprintf("%s: %s %s (plugin %q)", sh.name, fe, s.name, mode)
					r := m.run(t, fe, mode, v, s)
					runs++
					checkRedacted(t, what, s, v, r)
					if mode == "panic" && (s.name == "generate" || s.name == "info" || s.name == "check json") {
						panics++
						if r.code != 1 || !strings.Contains(r.stderr, "internal error") || !strings.Contains(r.stderr, "panicking plugin") {
							t.Errorf("%s: want exit 1 and the panic reported as an internal error, got exit %d:\n%s", what, r.code, r.stderr)
						}
					}
					if mode == "" && i == 0 && (s.name == "generate" || s.name == "migrate url" || s.name == "status") && r.code != 0 {
						t.Errorf("%s: exit %d, want 0 (the URLs are well-formed):\n%s", what, r.code, r.stderr)
					}
					if sh.name == "every reserved character raw" && s.name == "migrate url" && (r.code == 0 || !strings.Contains(r.stderr, "percent-encode")) {
						t.Errorf("%s: want the malformed URL refused with how to fix it, got exit %d:\n%s", what, r.code, r.stderr)
					}
				}
			}
		}
	}

	// A plugin whose error (an invalid id) and a plugin whose panic in kernia.New hold the
	// secrets and URLs, for the commands that load the instance.
	v := makeValues(combined[1], server.Host, dbName, devName)
	for _, mode := range []string{"error", "panic-id"} {
		for _, s := range redactionSteps(v) {
			if s.name != "generate" && s.name != "migrate url" && s.name != "status" && s.name != "info json strict" {
				continue
			}
			for _, fe := range frontEnds {
				what := fmt.Sprintf("%s %s (plugin %q)", fe, s.name, mode)
				r := m.run(t, fe, mode, v, s)
				runs++
				checkRedacted(t, what, s, v, r)
				// Each of them reports the instance's error, which holds every value.
				failures++
				if r.code != 1 || !strings.Contains(r.combined(), "[redacted]") {
					t.Errorf("%s: want exit 1 and the plugin's error, redacted, got exit %d:\n%s", what, r.code, r.combined())
				}
			}
		}
	}

	// Each reserved character alone, raw and percent-encoded, through the commands that print
	// the most of a URL: the panic (info, which embeds every URL) and migrate/status --url,
	// taking turns, as do the front ends.
	aloneSteps := []string{"info", "migrate url", "status json url"}
	n := 0
	for _, c := range urlReserved {
		for _, enc := range []bool{false, true} {
			sh := shape{name: fmt.Sprintf("%q alone (encoded %v)", c, enc), chars: []string{c, c, c}, encode: enc}
			v := makeValues(sh, server.Host, dbName, devName)
			fe, want := frontEnds[n%len(frontEnds)], aloneSteps[(n/len(frontEnds))%len(aloneSteps)]
			n++
			for _, s := range redactionSteps(v) {
				if s.name != want {
					continue
				}
				r := m.run(t, fe, "panic", v, s)
				runs++
				checkRedacted(t, fmt.Sprintf("%s: %s %s", sh.name, fe, s.name), s, v, r)
			}
		}
	}
	t.Logf("%d runs (%d panics, %d plugin errors checked for their message), no piece of a secret printed unless reported above", runs, panics, failures)
}

func mustPath(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// Issue 9 case 2 for mysql:// (and mariadb://) URLs: passwords holding every reserved URL
// character, percent-encoded (the URL parses; the server, on a closed port, is unreachable) and
// raw (the URL is refused), through migrate and status naming the server, and through a plugin
// whose panic message holds the URL: no output holds a 4-byte piece of the password.
func TestRedaction2_MySQLURLsLoseTheirPasswords(t *testing.T) {
	t.Parallel()
	dir := validDir(t)
	closed := closedPort(t)
	empty := t.TempDir()
	for _, sh := range []shape{
		{name: "every reserved character percent-encoded", chars: urlReserved, encode: true},
		{name: "every reserved character raw", chars: urlReserved},
		{name: "sub-delims and colon raw", chars: []string{":", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "="}},
	} {
		for _, scheme := range []string{"mysql", "mariadb"} {
			t.Run(sh.name+"/"+scheme, func(t *testing.T) {
				pw := sh.value("My", sh.chars)
				written := pw
				if sh.encode {
					written = percentEncode(pw)
				}
				u := scheme + "://deploy:" + written + "@" + closed + "/shop"
				secrets := []string{pw, written}
				for _, run := range []struct {
					name string
					env  []string
					args []string
				}{
					{"migrate --url", nil, []string{"migrate", "--url", u, "--dir", dir, "--connect-timeout", "2s"}},
					{"status --json --url", nil, []string{"status", "--json", "--url", u, "--dir", dir, "--connect-timeout", "2s"}},
					{"migrate, URL from the environment", []string{"KERNIA_DATABASE_URL=" + u}, []string{"migrate", "--dir", dir, "--connect-timeout", "2s"}},
					{"panicking plugin", []string{"KERNIA_DATABASE_URL=" + u, "RELIABILITY_EXPLODING_PLUGIN=1"}, []string{"generate", "--dry-run"}},
				} {
					r := kerniaIn(t, empty, run.env, run.args...)
					if r.code == 0 {
						t.Errorf("%s: exit 0, want a failure:\n%s", run.name, r.combined())
					}
					if p := leakedPiece(r.stdout+"\n"+r.stderr, secrets); p != "" {
						t.Errorf("%s: output holds %q, a piece of the password:\n%s", run.name, p, r.combined())
					}
					if run.name == "panicking plugin" && !strings.Contains(r.stderr, "exploding plugin: url "+scheme+"://") {
						t.Errorf("%s: the panic is not reported:\n%s", run.name, r.stderr)
					}
					if sh.encode && run.name == "migrate --url" && !strings.Contains(r.stderr, closed) {
						t.Errorf("%s: the error does not name the server %s:\n%s", run.name, closed, r.stderr)
					}
				}
			})
		}
	}
}
