package command

import (
	"fmt"
	"os"
	"path/filepath"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migration"
)

// HashFlags are the flags of hash.
type HashFlags struct {
	// Dir is one migration directory; default every dialect's directory under MigrationsDir.
	Dir string
	// JSON prints {"written": [{"dir", "sum", "files"}]} on Stdout.
	JSON bool
}

// hashJSON is hash's --json object: each atlas.sum written, in order.
type hashJSON struct {
	Written []hashedDir `json:"written"`
}

type hashedDir struct {
	// Dir is the migration directory, Sum its atlas.sum.
	Dir string `json:"dir"`
	Sum string `json:"sum"`
	// Files is how many migration files the sum covers.
	Files int `json:"files"`
}

// Hash rewrites atlas.sum after a deliberate manual edit of a migration directory, as Atlas's
// migrate hash does. Applied files that were edited are still refused by migrate.
func Hash(auth *kernia.Auth, f HashFlags, io IO) error {
	out := hashJSON{Written: []hashedDir{}}
	err := hash(auth, f, io, &out)
	if f.JSON && err == nil {
		return printJSON(io.Stdout, out)
	}
	if f.JSON && len(out.Written) > 0 {
		// Some directories were rehashed before the failure: say which.
		return PrintResult(nil, io.Stdout, out, err)
	}
	return err
}

func hash(auth *kernia.Auth, f HashFlags, io IO, out *hashJSON) error {
	dirs := []string{f.Dir}
	if f.Dir == "" {
		ds, err := auth.Dialects()
		if err != nil {
			return err
		}
		dirs = dirs[:0]
		for _, d := range ds {
			dirs = append(dirs, filepath.Join(auth.MigrationsDir(), d))
		}
	}
	for _, path := range dirs {
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			return fmt.Errorf("hash: migration directory %s does not exist: pass --dir", path)
		}
		if err := migration.CheckEntries(path); err != nil {
			return fmt.Errorf("hash: %w", err)
		}
		dir, err := migrate.NewLocalDir(path)
		if err != nil {
			return fmt.Errorf("hash: %w", err)
		}
		sum, err := dir.Checksum()
		if err != nil {
			return fmt.Errorf("hash: %s: %w", path, err)
		}
		if err := migrate.WriteSumFile(dir, sum); err != nil {
			return fmt.Errorf("hash: write %s/atlas.sum: %w", path, err)
		}
		sumPath := filepath.Join(path, migrate.HashFileName)
		fmt.Fprintf(io.Stderr, "wrote %s (%d files)\n", sumPath, len(sum))
		out.Written = append(out.Written, hashedDir{Dir: filepath.ToSlash(path), Sum: filepath.ToSlash(sumPath), Files: len(sum)})
	}
	return nil
}
