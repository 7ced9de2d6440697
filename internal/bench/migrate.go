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

// benchMigrate times migrate against goose (the v3 Provider of go.mod's goose, in-process, as
// Kernia's migration.Apply is) on the same SQL, per dialect: applying every file to an empty
// database, alternating with goose each on a fresh database, and the no-op, alternating on a
// database each tool migrated. SQLite and PostgreSQL apply the bench module's directories; MySQL
// the repository's committed one (the dogfood's: the bench module generates no MySQL), on
// databases created on Config.MySQLURL's server.
func benchMigrate(ctx context.Context, e *env) ([]measure, error) {
	n := e.cfg.Runs
	var rows []measure
	for _, d := range []struct {
		dialect string
		goose   goose.Dialect
		dir     string
	}{
		{"sqlite", goose.DialectSQLite3, filepath.Join(e.dir, "ent/migrate/migrations/sqlite")},
		{"postgres", goose.DialectPostgres, filepath.Join(e.dir, "ent/migrate/migrations/postgres")},
		{"mysql", goose.DialectMySQL, filepath.Join(e.cfg.Root, "ent/migrate/migrations/mysql")},
	} {
		gooseDir, files, err := gooseCopy(e, d.dialect, d.dir)
		if err != nil {
			return nil, err
		}
		newDatabase := func() (string, error) {
			switch d.dialect {
			case "sqlite":
				f, err := os.CreateTemp(e.dir, "bench-*.db")
				if err != nil {
					return "", err
				}
				f.Close()
				os.Remove(f.Name())
				return "sqlite://" + f.Name(), nil
			case "mysql":
				return e.newMySQLDatabase(ctx)
			}
			return e.newDatabase(ctx)
		}
		var url string
		fresh := func() error {
			var err error
			url, err = newDatabase()
			return err
		}
		apply := func() error {
			_, err := migration.Apply(ctx, url, d.dir, migration.ApplyOptions{Out: io.Discard})
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
		// The no-ops alternate too, each tool on a database it migrated (the warm-up runs
		// apply everything).
		kerniaURL, err := newDatabase()
		if err != nil {
			return nil, err
		}
		gooseURL, err := newDatabase()
		if err != nil {
			return nil, err
		}
		on := func(u string, f func() error) func() error { return func() error { url = u; return f() } }
		noop, gooseNoop, err := timeAlternating(n, func() error { return nil }, on(kerniaURL, apply), on(gooseURL, gooseUp))
		if err != nil {
			return nil, err
		}
		km, gm := measure{samples: full}.median(), measure{samples: gooseFull}.median()
		kn, gn := measure{samples: noop}.median(), measure{samples: gooseNoop}.median()
		note := "goose v3 Provider, one transaction per file"
		if d.dialect == "mysql" {
			note = "goose v3 Provider, one transaction per file (each DDL statement commits on MySQL anyway)"
		}
		rows = append(rows,
			measure{name: d.dialect + ": apply every file to an empty database", samples: full, note: fmt.Sprintf("%d file(s); %s of goose (target ≤ 1.10×)", files, ratio(km, gm))},
			measure{name: d.dialect + ": goose, same SQL", samples: gooseFull, note: note},
			measure{name: d.dialect + ": no-op", samples: noop, note: fmt.Sprintf("checksums, lock, revisions read; %s of goose's no-op", ratio(kn, gn))},
			measure{name: d.dialect + ": goose no-op", samples: gooseNoop, note: "goose's version table read"},
		)
	}
	return rows, nil
}

// gooseCopy writes the directory's migrations in goose's format: the same SQL under a
// "-- +goose Up" annotation, one file per version.
func gooseCopy(e *env, dialect, dir string) (string, int, error) {
	out := filepath.Join(e.dir, "bin", "goose", dialect)
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
