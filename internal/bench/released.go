package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/kernia/kernia/internal/moduletest"
)

// The user's module of the loop depends on Kernia as a released module: the checkout, zipped
// as a pseudo-version into a module proxy of the bench's own (a file:// directory), is
// downloaded into the module cache like any release. A user's kernia tool and loader program
// so take the paths a user's do: Kernia's packages are immutable, keyed by go.mod and go.sum,
// and neither the launcher nor the loader's build key hashes their sources (they would, were
// Kernia replaced by a local directory as in the tests).

// releasedTime is the timestamp of the bench's pseudo-versions of the checkout: it marks them
// in the module cache, where each run removes its own as it ends, and those left by a run
// that could not (killed) once they are staleRelease old.
const releasedTime = "20260101000000"

// staleRelease is the age after which a bench pseudo-version in the module cache is one a
// killed run left: no run lasts that long, so removing it cannot pull a version from under a
// run going on beside.
const staleRelease = 24 * time.Hour

// released is the checkout as a module proxy serves it.
type released struct {
	version string
	proxy   string   // the proxy's directory
	cache   string   // the module cache (GOMODCACHE) the version is downloaded into
	env     []string // what every go command in the user's module runs with
}

// releaseCheckout zips the checkout at root into a new module proxy directory, as a
// pseudo-version of this run's own (named by the checkout's content, the process and the
// time: two runs side by side, of one checkout or two, never share one, so neither removes
// what the other uses), and removes the stale versions killed runs left in the module cache.
func releaseCheckout(root string) (*released, error) {
	// The files git would commit: tracked, and new ones it does not ignore (not the
	// git-ignored work files of a checkout, .kernia/ or kernia.db).
	ls := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	ls.Dir = root
	out, err := ls.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files in %s: %w", root, err)
	}
	var zfiles []modzip.File
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if _, err := os.Lstat(filepath.Join(root, name)); err == nil { // not a deleted file
			zfiles = append(zfiles, checkoutFile{root: root, path: name})
		}
	}
	content := func(v string) ([]byte, error) {
		var b bytes.Buffer
		err := modzip.Create(&b, module.Version{Path: "github.com/kernia/kernia", Version: v}, zfiles)
		return b.Bytes(), err
	}
	placeholder := "v0.0.0-" + releasedTime + "-000000000000"
	z, err := content(placeholder)
	if err != nil {
		return nil, fmt.Errorf("zip the checkout as a module: %w", err)
	}
	h := sha256.New()
	h.Write(z)
	fmt.Fprintf(h, "\x00%d\x00%d", os.Getpid(), time.Now().UnixNano())
	sum := h.Sum(nil)
	r := &released{version: "v0.0.0-" + releasedTime + "-" + hex.EncodeToString(sum[:6])}
	if z, err = content(r.version); err != nil {
		return nil, fmt.Errorf("zip the checkout as a module: %w", err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	if r.proxy, err = os.MkdirTemp("", "kernia-bench-proxy-"); err != nil {
		return nil, err
	}
	dl := filepath.Join(r.proxy, "github.com", "kernia", "kernia", "@v")
	files := map[string][]byte{
		r.version + ".zip":  z,
		r.version + ".mod":  gomod,
		r.version + ".info": fmt.Appendf(nil, `{"Version":%q,"Time":"2026-01-01T00:00:00Z"}`, r.version),
		"list":              []byte(r.version + "\n"),
	}
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return nil, err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dl, name), b, 0o644); err != nil {
			return nil, err
		}
	}
	out, err = exec.Command("go", "env", "GOPROXY", "GOMODCACHE").Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return nil, fmt.Errorf("go env GOPROXY GOMODCACHE printed %q", out)
	}
	// The bench's pseudo-versions are not in the checksum database; the module cache keeps
	// them writable, so that the next run can remove them.
	r.env = []string{"GOPROXY=file://" + filepath.ToSlash(r.proxy) + "," + lines[0], "GONOSUMDB=github.com/kernia/kernia", "GOFLAGS=-mod=mod -modcacherw"}
	r.cache = lines[1]
	removeReleases(r.cache, func(m string, mod time.Time) bool { return time.Since(mod) > staleRelease })
	return r, nil
}

// removeReleases removes from the module cache at cache the bench's pseudo-versions of Kernia
// (releasedTime) for which remove, given a path and its modification time, says so.
func removeReleases(cache string, remove func(path string, mod time.Time) bool) {
	for _, pattern := range []string{
		filepath.Join(cache, "github.com", "kernia", "kernia@v0.0.0-"+releasedTime+"-*"),
		filepath.Join(cache, "cache", "download", "github.com", "kernia", "kernia", "@v", "v0.0.0-"+releasedTime+"-*"),
	} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if st, err := os.Lstat(m); err == nil && remove(m, st.ModTime()) {
				os.RemoveAll(m)
			}
		}
	}
}

// checkoutFile is a file of the checkout, for modzip.Create.
type checkoutFile struct{ root, path string }

func (f checkoutFile) Path() string                 { return filepath.ToSlash(f.path) }
func (f checkoutFile) Lstat() (os.FileInfo, error)  { return os.Lstat(filepath.Join(f.root, f.path)) }
func (f checkoutFile) Open() (io.ReadCloser, error) { return os.Open(filepath.Join(f.root, f.path)) }

// close removes the proxy directory and the run's version from the module cache.
func (r *released) close() {
	os.RemoveAll(r.proxy)
	removeReleases(r.cache, func(m string, _ time.Time) bool { return strings.Contains(filepath.Base(m), r.version) })
}

// userModule returns a new user module (module example.com/shop, the auth package of the loop
// with its edit), in a temporary directory the env removes, that requires Kernia as released,
// and the environment its go commands run with. The checkout is released once per env.
func (e *env) userModule(edit string) (dir string, env []string, err error) {
	if e.rel == nil {
		if e.rel, err = releaseCheckout(e.cfg.Root); err != nil {
			return "", nil, err
		}
	}
	if dir, err = os.MkdirTemp("", "kernia-bench-user-"); err != nil {
		return "", nil, err
	}
	e.userDirs = append(e.userDirs, dir)
	files := map[string]string{"auth/auth.go": fmt.Sprintf(loopAuth, edit), "magefile.go": moduletest.Magefile}
	if err := moduletest.MakeReleased(e.cfg.Root, dir, "example.com/shop", e.rel.version, e.rel.env, files); err != nil {
		return "", nil, err
	}
	return dir, e.rel.env, nil
}
