package betterauthtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kernia/kernia/internal/npmcache"
)

// testdataDir is testdata, absolute: the Better Auth names test runs in a generated module.
var testdataDir, _ = filepath.Abs("testdata")

// installFiles are the testdata files that define the npm install; their bytes (and the Node
// major version, since better-sqlite3 is a native addon) name the cache directory.
var installFiles = []string{"package.json", "package-lock.json", ".npmrc"}

var (
	installOnce sync.Once
	installed   *peerInstall
	installErr  error
	installSkip string
)

// peerInstall is the npm install the peer script runs against.
type peerInstall struct {
	node    string // the node binary
	dir     string // holds node_modules
	cached  bool   // an earlier run installed it
	elapsed time.Duration
}

// install returns the cached npm install of testdata/package-lock.json, running `npm ci` into
// the cache the first time. Without node or npm the test is skipped, except under CI=true,
// where it fails; a failing npm always fails.
func install(t *testing.T) *peerInstall {
	t.Helper()
	installOnce.Do(func() { installed, installSkip, installErr = doInstall() })
	if installSkip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Better Auth peer test cannot run under CI=true: %s", installSkip)
		}
		t.Skip(installSkip)
	}
	if installErr != nil {
		t.Fatal(installErr)
	}
	return installed
}

func doInstall() (*peerInstall, string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "node is not on PATH (install Node.js 20 or later to run the Better Auth peer test)", nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, "npm is not on PATH (it comes with Node.js)", nil
	}
	out, err := exec.Command(node, "-p", "process.versions.node").Output()
	if err != nil {
		return nil, "", fmt.Errorf("%s -p process.versions.node: %v", node, err)
	}
	version := strings.TrimSpace(string(out))
	major := strings.SplitN(version, ".", 2)[0]
	if n, err := strconv.Atoi(major); err != nil || n < 20 {
		return nil, "", fmt.Errorf("node %s is too old for better-auth 1.7.25: install Node.js 20 or later", version)
	}

	h := sha256.New()
	fmt.Fprintf(h, "node%s\n", major)
	for _, name := range installFiles {
		b, err := os.ReadFile(filepath.Join(testdataDir, name))
		if err != nil {
			return nil, "", err
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	files := map[string][]byte{}
	for _, name := range installFiles {
		if files[name], err = os.ReadFile(filepath.Join(testdataDir, name)); err != nil {
			return nil, "", err
		}
	}
	inst, err := npmcache.Ensure(npm, npmcache.Spec{
		Key: hex.EncodeToString(h.Sum(nil))[:16], Files: files,
		Args:  []string{"ci", "--no-audit", "--no-fund", "--loglevel=warn"},
		Env:   nodeDirEnv(node),
		Needs: "better-sqlite3 needs a prebuilt binary or a C++ toolchain",
	})
	if err != nil {
		return nil, "", err
	}
	return &peerInstall{node: node, dir: inst.Dir, cached: inst.Took == 0, elapsed: inst.Took}, "", nil
}

// runPeer runs testdata/peer.mjs with input (a JSON file) from a temporary directory whose
// node_modules links to the install, and returns its stdout; stderr goes to the test log.
func runPeer(t *testing.T, in *peerInstall, input string) []byte {
	t.Helper()
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join(testdataDir, "peer.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "peer.mjs"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(in.dir, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(in.node, "peer.mjs", input)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_ENV=test", "BETTER_AUTH_TELEMETRY=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("node peer.mjs: %s", time.Since(start).Round(time.Millisecond))
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("peer stderr:\n%s", s)
	}
	if err != nil {
		t.Fatalf("node peer.mjs failed: %v (if the npm install in %s is damaged, delete that directory)\nstdout:\n%s", err, in.dir, stdout.String())
	}
	return stdout.Bytes()
}

// nodeDirEnv points node-gyp at the headers installed beside node (<prefix>/include/node, as
// Debian's nodejs and the official tarballs ship them) unless npm_config_nodedir is set:
// better-sqlite3 builds from source when no prebuilt binary can be downloaded, and node-gyp
// otherwise downloads the headers from nodejs.org, which a machine that reaches only the npm
// registry cannot (it waits until the test times out).
func nodeDirEnv(node string) []string {
	if os.Getenv("npm_config_nodedir") != "" {
		return nil
	}
	bin, err := filepath.EvalSymlinks(node)
	if err != nil {
		return nil
	}
	prefix := filepath.Dir(filepath.Dir(bin))
	if _, err := os.Stat(filepath.Join(prefix, "include", "node", "node_version.h")); err != nil {
		return nil
	}
	return []string{"npm_config_nodedir=" + prefix}
}
