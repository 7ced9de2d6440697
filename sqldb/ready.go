package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migration"
)

// NotReadyError is Ready's answer for a database that does not match the migration directory.
// Its lists are never nil, so a health endpoint can render them as they are (as JSON, lists
// are [] rather than null).
type NotReadyError struct {
	// Dialect is the Kernia dialect checked: "sqlite" or "postgres".
	Dialect string `json:"dialect"`
	// Pending lists the files of the directory not applied to the database, in order.
	Pending []string `json:"pending"`
	// Failed lists the pending files whose last attempt failed (see `kernia status`).
	Failed []string `json:"failed"`
	// Edited names the first applied file, in version order, whose content changed after it
	// was applied (its hash no longer matches the one recorded in the revisions table, even if
	// atlas.sum was rehashed). atlas.sum's hashes are cumulative, so an edit changes the hash of
	// every later file too: whether those were edited as well shows once this one is restored.
	Edited []string `json:"edited"`
	// Missing lists, as <version>_<description>.sql, versions applied to the database that the
	// directory does not hold although it holds newer ones: a file was deleted or renamed, or
	// a branch's migration never reached this build. (Versions newer than every file the
	// program holds are not a problem: the database was migrated ahead by a newer build, as a
	// rolling deploy does before it replaces the running binaries.)
	Missing []string `json:"missing"`
}

// Error says what is pending, edited or missing, and how to fix each.
func (e *NotReadyError) Error() string {
	var parts []string
	if n := len(e.Pending); n > 0 {
		s := fmt.Sprintf("database is missing %d %s: %s; run `go tool kernia migrate`",
			n, plural(n, "migration", "migrations"), strings.Join(e.Pending, ", "))
		if len(e.Failed) > 0 {
			s += fmt.Sprintf(" (the last attempt at %s failed: `go tool kernia status` shows the error)", strings.Join(e.Failed, ", "))
		}
		parts = append(parts, s)
	}
	if n := len(e.Edited); n > 0 {
		parts = append(parts, fmt.Sprintf("applied %s %s %s edited after %s applied to this database (the hash recorded in %s no longer matches): applied migrations are append-only; restore the %s (git checkout) and put the change in a new migration",
			plural(n, "migration", "migrations"), strings.Join(e.Edited, ", "), plural(n, "was", "were"), plural(n, "it was", "they were"),
			migration.RevisionsTable, plural(n, "file", "files")))
	}
	if n := len(e.Missing); n > 0 {
		parts = append(parts, fmt.Sprintf("database has %d applied %s that this program's migration directory does not hold, although it holds newer ones: %s; restore the %s (git checkout) and rebuild: applied migrations are append-only",
			n, plural(n, "migration", "migrations"), strings.Join(e.Missing, ", "), plural(n, "file", "files")))
	}
	if len(parts) == 0 {
		return "sqldb: database not ready (" + e.Dialect + ")"
	}
	return "sqldb: " + e.Dialect + " database not ready: " + strings.Join(parts, "; ")
}

// Ready reports whether db has the migrations of migrations/<dialect> applied: every file
// applied, none applied edited since, none applied missing from the directory (versions newer
// than all of its files are the database being ahead, and fine). The rules are migrate's and
// status's (internal/migration's CheckReadiness, one pass over the history). It
// returns nil when the database is ready, a *NotReadyError listing what is pending, edited or
// missing when it is not, and another error when the directory is broken (atlas.sum does not
// match its files) or the database cannot be read.
//
// migrations is the parent of the per-dialect directories, laid out as
// ent/migrate/migrations is (sqlite/, postgres/, each with its .sql files and atlas.sum): an
// embed.FS of it (through fs.Sub) lets a deployed binary check its database without any file
// beside it. dialect is the name FromEnv or Open returned (Ent's "sqlite3" or "postgres"), or
// Kernia's ("sqlite").
//
// Ready only reads: it takes no lock, creates no table, and on PostgreSQL runs its queries in a
// READ ONLY transaction. A database with no revisions table has every file pending. It is
// cheap enough for a health endpoint (it hashes the embedded files and reads one table).
func Ready(ctx context.Context, db *sql.DB, dialect string, migrations fs.FS) error {
	d, err := kerniaDialect(dialect)
	if err != nil {
		return err
	}
	files, sum, err := readDir(migrations, d)
	if err != nil {
		return err
	}
	if db == nil {
		return errors.New("sqldb: Ready: nil *sql.DB: pass the database FromEnv or Open returned")
	}
	r, err := migration.CheckReadiness(ctx, db, d, files, sum)
	if err != nil {
		return fmt.Errorf("sqldb: Ready: %w", err)
	}
	if len(r.Pending)+len(r.Edited)+len(r.Missing) == 0 {
		return nil
	}
	return &NotReadyError{Dialect: d, Pending: r.Pending, Failed: r.Failed, Edited: r.Edited, Missing: r.Missing}
}

// kerniaDialect maps Ent's and Kernia's dialect names to Kernia's, which names the directory.
func kerniaDialect(name string) (string, error) {
	switch strings.ToLower(name) {
	case "sqlite", "sqlite3":
		return kernia.SQLite, nil
	case "postgres", "postgresql", "pgx":
		return kernia.Postgres, nil
	case "mysql", "mariadb":
		return kernia.MySQL, nil
	}
	return "", fmt.Errorf("sqldb: Ready: unknown dialect %q: pass the dialect FromEnv or Open returned (sqlite3, postgres or mysql)", name)
}

// readDir reads migrations/<dialect> and checks it against its atlas.sum, as migrate does
// before it connects.
func readDir(migrations fs.FS, dialect string) ([]migrate.File, migrate.HashFile, error) {
	if migrations == nil {
		return nil, nil, errors.New("sqldb: Ready: no migration directory: pass the embedded ent/migrate/migrations (fs.Sub of an embed.FS)")
	}
	st, err := fs.Stat(migrations, dialect)
	if err != nil || !st.IsDir() {
		hint := "pass the parent of the per-dialect directories (ent/migrate/migrations, through fs.Sub of the embed.FS), and make sure the configuration lists the dialect (Options.Dialects) and generate has run"
		if _, err := fs.Stat(migrations, migrate.HashFileName); err == nil {
			hint = "it holds atlas.sum at its root, so it is one dialect's directory: pass its parent (ent/migrate/migrations), which holds one directory per dialect"
		}
		return nil, nil, fmt.Errorf("sqldb: Ready: the migration directories hold no %s directory: %s", dialect, hint)
	}
	sub, err := fs.Sub(migrations, dialect)
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: Ready: %s: %w", dialect, err)
	}
	files, sum, err := migration.VerifyFS(sub, "the "+dialect+" migration directory this program holds")
	switch {
	case errors.Is(err, migrate.ErrChecksumMismatch), errors.Is(err, migrate.ErrChecksumNotFound):
		return nil, nil, fmt.Errorf("sqldb: Ready: the %s migration directory this program holds does not match its atlas.sum (%w): a file was edited, added or removed without rehashing; restore it or run `go tool kernia hash`, then rebuild", dialect, err)
	case err != nil:
		return nil, nil, fmt.Errorf("sqldb: Ready: %w", err)
	}
	return files, sum, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
