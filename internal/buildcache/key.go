// Package buildcache keeps the binaries kernia builds with `go build` in the user's module (the
// loader program of an auth instance, and the kernia engine the cmd/kernia launcher runs), and
// the build key that lets a run skip the go command altogether when nothing a binary is built
// from has changed since it was built: the go command's staleness check alone costs a
// quarter to half a second of every command (issue 13).
//
// # What the key covers
//
// A SHA-256 over: what the caller says selects the program (Spec.Extra: the loader program's
// source, or the engine's package and build flags); the go command
// (its resolved path, size, modification time and inode) and every environment variable that
// steers it (GO*, CGO_*, CC, CXX, AR, PKG_CONFIG, PATH without repeated directories, HOME,
// XDG_CONFIG_HOME; but the GO* variables and GOFLAGS flags that only steer downloads, sum
// checks, caching or the go command's own runtime: keyEnvIgnored, keyFlagsIgnored) and its
// environment file (go env GOENV); what of go.mod steers a build (canonicalGoMod; without its
// module line when Spec.OmitModuleLine says the program does not depend on it) and go.sum; and the content of every file (but
// test files and the _* and .* files the go command ignores) in each package directory of
// the program's import graph (from Spec.Start) that lies in a module whose files can
// change: the main module, and modules replaced by a local directory (only the kinds of files
// the go command builds: .go, .s, .c, .syso…, not a README). Packages of the module
// cache are immutable, keyed by their versions in go.mod and go.sum; the standard library by
// the go command. The import graph is read the way the go command reads it (the import
// declarations of every .go file of a directory, build constraints ignored, so it is a
// superset).
//
// # When there is no key
//
// Then the go command decides, as before: a workspace (go.work), a vendor directory, GOFLAGS
// naming files the key does not read (-modfile, -overlay, -pgo), a local
// replacement of a specific version, a package that embeds files (//go:embed) or uses cgo, a
// nested module, a file that does not parse, a module of the module cache that requires a
// module whose files can change (its packages could import one the walk does not reach), or
// a platform without file locks.
//
// # Where it is kept
//
// Beside the binary, in <binary>.key: the key, the SHA-256 of the binary right after the
// build, so a binary replaced by anyone else never matches, and its file stamp (Matches). A run holds
// <binary>.lock exclusively from the key's check through the build to the key's write, so
// two runs of one module never record one's key beside the other's binary. The key is
// computed before the build and written only when it is the same after it (a file edited
// during the build leaves no key, and the next run builds). An unreadable or malformed key
// file is a mismatch.
package buildcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	gomodule "golang.org/x/mod/module"

	"github.com/kernia/kernia/internal/flock"
)

// NoKeyError reports why a build has no key; the go command then decides.
type NoKeyError struct{ Why string }

// Error says why there is no key.
func (e *NoKeyError) Error() string { return "no build key: " + e.Why }

func noKey(format string, args ...any) error { return &NoKeyError{Why: fmt.Sprintf(format, args...)} }

// KeyVersion changes whenever what the key covers changes, so keys of older Kernia versions
// never match.
const KeyVersion = "kernia build key v2"

// keyEnvPrefixes and keyEnvNames select the environment variables the key covers.
var (
	keyEnvPrefixes = []string{"GO", "CGO_"}
	keyEnvNames    = []string{"CC", "CXX", "AR", "PKG_CONFIG", "PATH", "HOME", "XDG_CONFIG_HOME"}
)

// keyEnvIgnored are the GO* variables that only say where the go command downloads modules
// from, how it checks their sums and where it caches its work, and those that only steer the
// go command's own runtime (its garbage collector, memory limit, tracebacks): with go.mod and
// go.sum in the key (and a build that changes either recording none), they change no binary,
// and leaving them out lets runs that differ only in them (test modules, GOPROXY=off, a
// GOGC=400 run) share one, instead of each rebuilding the other's.
var keyEnvIgnored = []string{"GOPROXY", "GONOPROXY", "GOPRIVATE", "GONOSUMDB", "GONOSUMCHECK", "GOSUMDB", "GOINSECURE", "GOVCS", "GOAUTH", "GOCACHE", "GOCACHEPROG", "GOTMPDIR", "GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GOTRACEBACK"}

// keyFlagsIgnored are the GOFLAGS flags left out for the same reason: -mod=mod builds what
// -mod=readonly does when go.mod and go.sum stay as they are, which the key checks after the
// build.
var keyFlagsIgnored = []string{"-mod=mod", "-mod=readonly", "-modcacherw"}

// mutableModule is a module whose files can change: the main module or a local replacement.
type mutableModule struct{ path, dir string }

// Spec is what a build is keyed on, beside the toolchain, the environment and the module's
// go.mod and go.sum.
type Spec struct {
	// Root is the main module's root directory, where go build runs; ModPath its module path.
	Root, ModPath string
	// Extra is what else selects the program: its source, its package and build flags.
	Extra []byte
	// Start are the packages the program is built from: absolute directories, or import
	// paths (of a mutable module; one of the module cache is keyed by go.mod and go.sum).
	Start []string
	// OmitModuleLine leaves go.mod's module line out of the key: for a program that imports no
	// package of the main module and never reads its path, so that modules that differ only
	// in it share one binary.
	OmitModuleLine bool
}

// Key returns the build key of the program s describes, or a *NoKeyError.
func Key(s Spec) (string, error) {
	root := s.Root
	var h hash.Hash = sha256.New()
	fmt.Fprintf(h, "%s\x00extra %d\x00%s\x00", KeyVersion, len(s.Extra), s.Extra)
	if err := hashToolchain(h, root); err != nil {
		return "", err
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", noKey("go.mod: %v", err)
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", noKey("go.sum: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "vendor")); err == nil {
		return "", noKey("the module has a vendor directory")
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return "", noKey("go.mod: %v", err)
	}
	hashed := canonicalGoMod(mf, s.OmitModuleLine)
	fmt.Fprintf(h, "go.mod %d\x00%s\x00go.sum %d\x00%s\x00", len(hashed), hashed, len(gosum), gosum)
	mutable := []mutableModule{{path: s.ModPath, dir: root}}
	for _, r := range mf.Replace {
		if r.New.Version != "" {
			continue // a module version: immutable
		}
		if r.Old.Version != "" {
			return "", noKey("replace %s %s => %s (a local replacement of one version)", r.Old.Path, r.Old.Version, r.New.Path)
		}
		dir := r.New.Path
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		mutable = append(mutable, mutableModule{path: r.Old.Path, dir: filepath.Clean(dir)})
	}
	if err := checkCacheModules(mf, mutable); err != nil {
		return "", err
	}
	var starts []string
	for _, p := range s.Start {
		if filepath.IsAbs(p) {
			starts = append(starts, filepath.Clean(p))
			continue
		}
		d, ok, err := resolveMutable(mutable, p)
		if err != nil {
			return "", err
		}
		if ok {
			starts = append(starts, d)
		}
	}
	if err := hashImports(h, mutable, starts); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// canonicalGoMod is what of go.mod steers a build, in one spelling: the module line (unless
// omitModule), the go, toolchain and godebug lines, and the require, exclude and replace
// directives, sorted. Comments (// indirect), blocks, order and the tool, ignore and retract
// directives change no build, and tidy spells the same requirements differently depending on
// which packages of the module import them.
func canonicalGoMod(mf *modfile.File, omitModule bool) []byte {
	var b strings.Builder
	if mf.Module != nil && !omitModule {
		fmt.Fprintf(&b, "module %s\n", mf.Module.Mod.Path)
	}
	if mf.Go != nil {
		fmt.Fprintf(&b, "go %s\n", mf.Go.Version)
	}
	if mf.Toolchain != nil {
		fmt.Fprintf(&b, "toolchain %s\n", mf.Toolchain.Name)
	}
	for _, g := range mf.Godebug {
		fmt.Fprintf(&b, "godebug %s=%s\n", g.Key, g.Value)
	}
	var lines []string
	for _, r := range mf.Require {
		lines = append(lines, "require "+r.Mod.Path+" "+r.Mod.Version)
	}
	for _, x := range mf.Exclude {
		lines = append(lines, "exclude "+x.Mod.Path+" "+x.Mod.Version)
	}
	for _, r := range mf.Replace {
		lines = append(lines, "replace "+r.Old.Path+" "+r.Old.Version+" => "+r.New.Path+" "+r.New.Version)
	}
	slices.Sort(lines)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}

// hashToolchain hashes what selects and steers the go command: the binary PATH finds, the
// environment and the go environment file. A workspace has no key.
func hashToolchain(h hash.Hash, root string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return noKey("go command: %v", err)
	}
	st, err := os.Stat(goBin)
	if err != nil {
		return noKey("go command: %v", err)
	}
	fmt.Fprintf(h, "go %s %s\x00", goBin, fileIdentity(st))
	env := os.Environ()
	slices.Sort(env)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(keyEnvNames, name) || slices.ContainsFunc(keyEnvPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			if slices.Contains(keyEnvIgnored, name) {
				continue
			}
			switch name {
			case "PATH":
				kv = "PATH=" + dedupPath(strings.TrimPrefix(kv, "PATH="))
			case "GOFLAGS":
				kv = "GOFLAGS=" + strings.Join(slices.DeleteFunc(strings.Fields(strings.TrimPrefix(kv, "GOFLAGS=")), func(f string) bool {
					return slices.Contains(keyFlagsIgnored, f)
				}), " ")
			}
			if strings.HasSuffix(kv, "=") {
				continue // empty is unset, to the go command
			}
			fmt.Fprintf(h, "env %d\x00%s\x00", len(kv), kv)
		}
	}
	goenv := goEnvFile()
	fmt.Fprintf(h, "goenv %s %d\x00%s\x00", goenv.path, len(goenv.content), goenv.content)
	// Flags that point the build at files the key does not read: another go.mod, an overlay
	// of source files, a profile.
	for _, flags := range []string{os.Getenv("GOFLAGS"), goenv.get("GOFLAGS")} {
		for _, f := range []string{"-modfile", "-overlay", "-pgo"} {
			if strings.Contains(flags, f) {
				return noKey("GOFLAGS has %s", f)
			}
		}
	}
	if w := os.Getenv("GOWORK"); w != "" && w != "off" {
		return noKey("GOWORK=%s (a workspace)", w)
	}
	if w := goenv.get("GOWORK"); w != "" && w != "off" {
		return noKey("GOWORK=%s in %s (a workspace)", w, goenv.path)
	}
	if os.Getenv("GOWORK") != "off" && goenv.get("GOWORK") != "off" {
		for dir := root; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
				return noKey("%s (a workspace)", filepath.Join(dir, "go.work"))
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return nil
}

// dedupPath drops the later copies of a directory listed twice in PATH, which change no
// lookup: go tool, go run and go test prepend the go command's own bin directory to the PATH
// of the programs they start, so the same PATH reaches kernia with and without that copy.
func dedupPath(list string) string {
	seen := map[string]bool{}
	var out []string
	for _, d := range filepath.SplitList(list) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return strings.Join(out, string(filepath.ListSeparator))
}

// fileIdentity describes a file by its size, modification time and inode: it changes when
// the file is replaced or rewritten.
func fileIdentity(st fs.FileInfo) string {
	return fmt.Sprintf("%d %d %d", st.Size(), st.ModTime().UnixNano(), fileInode(st))
}

// goEnv is the go command's environment file (go env GOENV).
type goEnv struct {
	path    string
	content []byte
}

// goEnvFile reads the go command's environment file: $GOENV, else <user config dir>/go/env.
func goEnvFile() goEnv {
	p := os.Getenv("GOENV")
	if p == "off" {
		return goEnv{path: "off"}
	}
	if p == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return goEnv{}
		}
		p = filepath.Join(dir, "go", "env")
	}
	b, _ := os.ReadFile(p)
	return goEnv{path: p, content: b}
}

// get returns the value the environment file gives name ("" when none).
func (e goEnv) get(name string) string {
	for _, line := range strings.Split(string(e.content), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// goEnvValue returns name's value as the go command sees it: the environment, else the
// environment file.
func goEnvValue(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return goEnvFile().get(name)
}

// modCache returns the module cache directory: GOMODCACHE, else GOPATH's first entry's
// pkg/mod, else $HOME/go/pkg/mod.
func modCache() (string, error) {
	if v := goEnvValue("GOMODCACHE"); v != "" {
		return v, nil
	}
	if v := goEnvValue("GOPATH"); v != "" {
		return filepath.Join(filepath.SplitList(v)[0], "pkg", "mod"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", noKey("no GOMODCACHE, GOPATH or home directory")
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// checkCacheModules refuses a key when a module of the module cache that go.mod requires
// itself requires a module whose files can change: one of its packages could import a
// package of it that the walk of the import graph (which stops at the module cache) never
// reaches. Each requirement's go.mod is read from the module cache's download directory.
func checkCacheModules(mf *modfile.File, mutable []mutableModule) error {
	cache, err := modCache()
	if err != nil {
		return err
	}
	isMutable := func(p string) bool {
		return slices.ContainsFunc(mutable, func(m mutableModule) bool { return m.path == p })
	}
	for _, r := range mf.Require {
		if isMutable(r.Mod.Path) {
			continue
		}
		ep, err1 := gomodule.EscapePath(r.Mod.Path)
		ev, err2 := gomodule.EscapeVersion(r.Mod.Version)
		if err1 != nil || err2 != nil {
			return noKey("requirement %s %s", r.Mod.Path, r.Mod.Version)
		}
		p := filepath.Join(cache, "cache", "download", filepath.FromSlash(ep), "@v", ev+".mod")
		b, err := os.ReadFile(p)
		if err != nil {
			return noKey("the go.mod of %s %s: %v", r.Mod.Path, r.Mod.Version, err)
		}
		if bytes.IndexByte(b, '\\') < 0 && !slices.ContainsFunc(mutable, func(m mutableModule) bool { return bytes.Contains(b, []byte(m.path)) }) {
			// It cannot require a module whose path it does not spell (a path spelled with
			// escapes, in a quoted string, is parsed): parsing the go.mod of every requirement
			// was most of the check's millisecond on every command.
			continue
		}
		dep, err := modfile.ParseLax(p, b, nil)
		if err != nil {
			return noKey("the go.mod of %s %s: %v", r.Mod.Path, r.Mod.Version, err)
		}
		for _, dr := range dep.Require {
			if isMutable(dr.Mod.Path) {
				return noKey("%s %s requires %s, whose files can change", r.Mod.Path, r.Mod.Version, dr.Mod.Path)
			}
		}
	}
	return nil
}

// hashImports hashes every file of each package directory reachable from the directories
// starts through imports of packages in mutable modules.
func hashImports(h hash.Hash, mutable []mutableModule, starts []string) error {
	seen := map[string]bool{}
	var queue []string
	for _, d := range starts {
		if !seen[d] {
			seen[d] = true
			queue = append(queue, d)
		}
	}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		imports, err := hashPackageDir(h, dir)
		if err != nil {
			return err
		}
		for _, imp := range imports {
			d, ok, err := resolveMutable(mutable, imp)
			if err != nil {
				return err
			}
			if ok && !seen[d] {
				seen[d] = true
				queue = append(queue, d)
			}
		}
	}
	return nil
}

// resolveMutable returns the directory of the package imp when it lies in a mutable module
// (the longest module path that prefixes it), checking that no nested module claims it.
func resolveMutable(mutable []mutableModule, imp string) (string, bool, error) {
	best := -1
	for i, m := range mutable {
		if (imp == m.path || strings.HasPrefix(imp, m.path+"/")) && (best < 0 || len(m.path) > len(mutable[best].path)) {
			best = i
		}
	}
	if best < 0 {
		return "", false, nil
	}
	m := mutable[best]
	rel := strings.TrimPrefix(strings.TrimPrefix(imp, m.path), "/")
	dir := filepath.Join(m.dir, filepath.FromSlash(rel))
	for d := dir; d != m.dir && len(d) > len(m.dir); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return "", false, noKey("package %s lies in a nested module (%s)", imp, filepath.Join(d, "go.mod"))
		}
	}
	return dir, true, nil
}

// hashPackageDir hashes the name and content of every regular file of dir but its test files
// and those the go command ignores (_*, .*), and returns the imports of its .go files.
func hashPackageDir(h hash.Hash, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, noKey("package directory %s: %v", dir, err)
	}
	fmt.Fprintf(h, "dir %s\x00", dir)
	var imports []string
	fset := token.NewFileSet()
	for _, e := range entries {
		// The go command never builds test files, nor files whose names start with _ or .
		// into a program.
		if e.IsDir() || strings.HasSuffix(e.Name(), "_test.go") || strings.HasPrefix(e.Name(), "_") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		// Nor any file but those of the kinds it reads (a README, a LICENSE, testdata are no
		// input; embedded files have no key).
		if !slices.Contains(sourceExts, filepath.Ext(e.Name())) {
			continue
		}
		if !e.Type().IsRegular() {
			return nil, noKey("%s is not a regular file", filepath.Join(dir, e.Name()))
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, noKey("%s: %v", p, err)
		}
		fmt.Fprintf(h, "file %s %d\x00%s\x00", e.Name(), len(b), b)
		if !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, b, parser.ImportsOnly)
		if err != nil {
			return nil, noKey("%s: %v", p, err)
		}
		for _, is := range f.Imports {
			imp, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				return nil, noKey("%s: import %s", p, is.Path.Value)
			}
			switch imp {
			case "C":
				return nil, noKey("%s uses cgo", p)
			case "embed":
				// A //go:embed directive needs the import: the embedded files are inputs too.
				return nil, noKey("%s embeds files", p)
			}
			imports = append(imports, path.Clean(imp))
		}
	}
	return imports, nil
}

// sourceExts are the extensions of the files the go command builds into a package (go/build's
// list, and .syso objects linked as they are).
var sourceExts = []string{".go", ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".f", ".F", ".for", ".f90", ".m", ".s", ".S", ".sx", ".swig", ".swigcxx", ".syso"}

// KeyFile and LockFile are the build key's files beside the binary bin.
func KeyFile(bin string) string { return bin + ".key" }

// LockFile is the build lock's file beside the binary bin.
func LockFile(bin string) string { return bin + ".lock" }

// Matches reports whether the key file beside bin records key for bin as it is now: bin's
// SHA-256 is the one recorded; or, cheaper, bin is still the very file the key was recorded
// for, unwritten since (same device, inode, size, modification and change times: a write, a
// rename over it or a copy changes one of them; a pool that marks use on the key file,
// Pool.MarkKey, leaves them alone), which spares hashing a 30 MB engine on every run.
func Matches(bin, key string) bool {
	b, err := os.ReadFile(KeyFile(bin))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) != 5 || lines[4] != "" || lines[0] != KeyVersion || lines[1] != key {
		return false
	}
	if st, err := os.Lstat(bin); err != nil || !st.Mode().IsRegular() {
		return false
	} else if id := fileStamp(st); id != "" && id == lines[3] {
		return true
	}
	sum, err := binarySum(bin)
	return err == nil && sum == lines[2]
}

// binarySum is the SHA-256 of the binary's content: what the key file binds the key to.
func binarySum(bin string) (string, error) {
	f, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", bin)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// keyContent is the key file's content for key and the binary whose SHA-256 is sum.
// stamp is the binary's fileStamp ("" where there is none).
func keyContent(key, sum, stamp string) string {
	return KeyVersion + "\n" + key + "\n" + sum + "\n" + stamp + "\n"
}

// Store writes the key file beside bin, atomically; a failure only costs the next run a go
// build.
func Store(bin, key string) {
	sum, err := binarySum(bin)
	if err != nil {
		return
	}
	st, err := os.Lstat(bin)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(bin), filepath.Base(bin)+".key.tmp*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(keyContent(key, sum, fileStamp(st)))
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), KeyFile(bin)) != nil {
		os.Remove(tmp.Name())
	}
}

// BuildLockWait bounds the wait for another run's build of the same binary; past it, the run
// builds without a key, as the go command would.
const BuildLockWait = 2 * time.Minute

// Lock takes bin's build lock exclusively, polling so that an interrupt ends the wait, and
// returns its release. Without file locks it fails (a *NoKeyError): no key is then used.
func Lock(ctx context.Context, bin string) (func(), error) {
	if !flock.Supported {
		return nil, noKey("no file locks on this platform")
	}
	f, err := os.OpenFile(LockFile(bin), os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return nil, noKey("build lock: %v", err)
	}
	deadline := time.Now().Add(BuildLockWait)
	for {
		ok, err := flock.TryExclusive(f)
		if err != nil {
			f.Close()
			return nil, noKey("build lock: %v", err)
		}
		if ok {
			return func() { f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, noKey("another run held the build lock for %s", BuildLockWait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
