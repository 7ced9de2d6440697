package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pressly/goose/v3"

	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/sqldb"
)

func benchMigrate(ctx context.Context, e *env) ([]measure, error) {
	n := e.cfg.Runs
	var rows []measure
	for _, d := range []struct {
		dialect string
		goose   goose.Dialect
	}{{"sqlite", goose.DialectSQLite3}, {"postgres", goose.DialectPostgres}} {
		dir := filepath.Join(e.dir, "ent/migrate/migrations", d.dialect)
		gooseDir, files, err := gooseCopy(e, dir)
		if err != nil {
			return nil, err
		}
		var url string
		fresh := func() error {
			var err error
			if d.dialect == "sqlite" {
				f, ferr := os.CreateTemp(e.dir, "bench-*.db")
				if ferr != nil {
					return ferr
				}
				f.Close()
				os.Remove(f.Name())
				url = "sqlite://" + f.Name()
				return nil
			}
			url, err = e.newDatabase(ctx)
			return err
		}
		apply := func() error {
			_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{Out: io.Discard})
			return err
		}
		gooseUp := func() error {
			db, _, err := sqldb.Open(ctx, url)
			if err != nil {
				return err
			}
			defer db.Close()
			p, err := goose.NewProvider(d.goose, db, os.DirFS(gooseDir))
			if err != nil {
				return err
			}
			_, err = p.Up(ctx)
			return err
		}
		// Kernia and goose alternate, each on a fresh database, so drift in the machine's load
		// weighs on both alike.
		full, gooseFull, err := timeAlternating(n, fresh, apply, gooseUp)
		if err != nil {
			return nil, err
		}
		if err := fresh(); err != nil {
			return nil, err
		}
		noop, err := timeN(n, nil, apply) // the warm-up run applies everything

		if err != nil {
			return nil, err
		}
		km, gm := measure{samples: full}.median(), measure{samples: gooseFull}.median()
		rows = append(rows,
			measure{name: d.dialect + ": apply every file to an empty database", samples: full, note: fmt.Sprintf("%d file(s); %s of goose (target ≤ 1.10×)", files, ratio(km, gm))},
			measure{name: d.dialect + ": goose, same SQL", samples: gooseFull, note: "goose v3 Provider, one transaction per file"},
			measure{name: d.dialect + ": no-op", samples: noop, note: "checksums, lock, revisions read"},
		)
	}
	return rows, nil
}

// gooseCopy writes the directory's migrations in goose's format: the same SQL under a
// "-- +goose Up" annotation, one file per version.
func gooseCopy(e *env, dir string) (string, int, error) {
	out := filepath.Join(e.dir, "bin", "goose", filepath.Base(dir))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", 0, err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return "", 0, err
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", 0, err
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(p)), append([]byte("-- +goose Up\n"), b...), 0o644); err != nil {
			return "", 0, err
		}
	}
	return out, len(paths), nil
}
