package generator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"entgo.io/ent/entc/load"

	"github.com/kernia/kernia/internal/compose"
)

// FingerprintFile caches the fingerprint of the last complete run, relative to the module
// root. It belongs in .gitignore: it describes one working tree, never a commit.
const FingerprintFile = ".kernia/generate.fingerprint"

// inputs are everything a generate run's output depends on.
type inputs struct {
	module string
	// schemas is the composed schema as Ent's loader would read it.
	schemas       []*load.Schema
	rendered      []compose.File
	dialects      []string
	migrationsDir string
	// format is the migration format asked for (empty: the directory's own).
	format string
}

// buildVersions describes the Kernia, Ent and Atlas versions of the running binary. A
// variable so tests can stand in for an upgrade.
var buildVersions = func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return versionsOf(info)
}

// versionedModules are the modules whose versions decide generate's output.
var versionedModules = []string{"github.com/kernia/kernia", "entgo.io/ent", "ariga.io/atlas"}

// versionsOf describes the versions of versionedModules in a binary's build information. The
// main module counts only when it is one of them (Kernia's own repository): the application's
// module is a different binary's main module under `go tool kernia` (the loader program) and
// under `go tool mage` (the compiled magefile), with a different version and sum, and its code
// reaches the output only through the composed schema, which the fingerprint hashes itself. So
// both front ends agree, and switching between them keeps the fast path.
func versionsOf(info *debug.BuildInfo) string {
	var parts []string
	mods := append([]*debug.Module{&info.Main}, info.Deps...)
	for _, m := range mods {
		if !slices.Contains(versionedModules, m.Path) {
			continue
		}
		if m.Replace != nil {
			m = m.Replace
		}
		parts = append(parts, m.Path+"@"+m.Version+" "+m.Sum)
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), " ")
}

// fingerprint hashes the inputs and the files on disk a run reads or writes: the composed
// schema as Ent sees it (every field, edge and index of every mixin), the rendered schema
// files, the versions, each dialect's migration directory, and every file under ent/.
func (in inputs) fingerprint() (string, error) {
	h := sha256.New()
	put := func(parts ...string) {
		for _, p := range parts {
			fmt.Fprintf(h, "%d:%s;", len(p), p)
		}
	}
	put("kernia-generate-2", in.module, buildVersions(), in.migrationsDir)
	if in.format != "" {
		put("format", in.format) // only when set: a run without a format keeps its cache
	}
	b, err := json.Marshal(in.schemas)
	if err != nil {
		return "", fmt.Errorf("generate: fingerprint: %w", err)
	}
	put("plan", string(b))
	for _, f := range in.rendered {
		put("rendered", f.Name, string(f.Content))
	}
	for _, d := range in.dialects {
		put("dialect", d)
		if err := hashTree(h, put, filepath.Join(in.migrationsDir, d), ""); err != nil {
			return "", err
		}
	}
	if err := hashTree(h, put, TargetDir, filepath.Join(in.migrationsDir)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashTree adds every file under root (except under skip) with its path and content.
func hashTree(h hash.Hash, put func(...string), root, skip string) error {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case os.IsNotExist(err):
			return nil
		case err != nil:
			return err
		case d.IsDir() && skip != "" && p == skip:
			return filepath.SkipDir
		case !d.IsDir():
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("generate: fingerprint: %w", err)
	}
	slices.Sort(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("generate: fingerprint: %w", err)
		}
		put("file", filepath.ToSlash(p))
		h.Write(b)
	}
	return nil
}

func readFingerprint() string {
	b, err := os.ReadFile(FingerprintFile)
	if err != nil {
		return ""
	}
	return string(b)
}

// storeFingerprint caches fp; a cache that cannot be written only costs the next run time.
func storeFingerprint(fp string) {
	if err := os.MkdirAll(filepath.Dir(FingerprintFile), 0o755); err != nil {
		return
	}
	tmp := FingerprintFile + ".tmp"
	if os.WriteFile(tmp, []byte(fp), 0o644) == nil {
		_ = os.Rename(tmp, FingerprintFile)
	}
}
