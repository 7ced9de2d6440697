package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/scaffold"
)

// DialectWarnings returns, one line each (starting "kernia: warning: "), what makes the configured dialects disagree with
// the repository or depend on an uncommitted setting:
//   - a migration directory under MigrationsDir named after a dialect the configuration does
//     not target (ent/migrate/migrations/postgres/ while it targets SQLite only), the case of
//     a clone or CI job without the .env that chose PostgreSQL;
//   - dialects that come only from $KERNIA_DATABASE_URL in the process environment
//     (Options.Dialects and Options.DatabaseURL unset), when they differ from what a clone
//     without it gets. (A $KERNIA_DATABASE_URL from .env never chooses them: Auth.Dialects
//     fails instead, see there.)
//
// Each line names the directory or variable, the configured dialects and the fix. Options
// that do not validate give no warning: the commands report those errors.
func DialectWarnings(auth *kernia.Auth) []string {
	if auth.Err() != nil {
		return nil
	}
	configured, err := auth.Dialects()
	if err != nil {
		return nil
	}
	opts := auth.Options()
	where := "Options.Dialects"
	if len(opts.Dialects) == 0 {
		where = "the dialect of the database URL (" + urlSource(opts) + "; Options.Dialects is not set)"
	}
	var warnings []string
	root := auth.MigrationsDir()
	entries, _ := os.ReadDir(root)
	var stray []string
	for _, e := range entries {
		d := e.Name()
		if !e.IsDir() || slices.Contains(configured, d) {
			continue
		}
		if got, err := kernia.DialectOf(d + "://"); err != nil || got != d {
			continue // not a dialect's directory
		}
		stray = append(stray, d)
	}
	if len(stray) > 0 {
		// The fix keeps the dialects set in Options, else the configured ones that have a
		// directory, and adds the stray ones.
		keep := opts.Dialects
		if len(keep) == 0 {
			for _, d := range configured {
				if st, err := os.Stat(filepath.Join(root, d)); err == nil && st.IsDir() {
					keep = append(keep, d)
				}
			}
		}
		fix := dialectsLine(append(slices.Clone(keep), stray...))
		for _, d := range stray {
			dir := filepath.ToSlash(filepath.Join(root, d)) + "/"
			warnings = append(warnings, fmt.Sprintf(warningPrefix+"migration directory %s holds %s migrations, but the configuration targets %s only, from %s: to keep %s, set %s in kernia.Options (auth/auth.go) and commit it; if the directory is stale, remove it",
				dir, d, strings.Join(configured, " and "), where, d, fix))
		}
	}
	env := os.Getenv(kernia.EnvDatabaseURL)
	if len(opts.Dialects) == 0 && opts.DatabaseURL == "" && env != "" {
		d, err := kernia.DialectOf(env)
		def, _ := kernia.DialectOf(kernia.DefaultDatabaseURL)
		if err == nil && d != def {
			warnings = append(warnings, fmt.Sprintf(warningPrefix+"the configuration targets %s only because $%s in the environment says so, and a clone or CI job without it targets %s: set %s in kernia.Options (auth/auth.go) and commit it",
				d, kernia.EnvDatabaseURL, def, dialectsLine(configured)))
		}
	}
	return warnings
}

// urlSource says where the database URL of opts comes from.
func urlSource(opts kernia.Options) string {
	switch {
	case opts.DatabaseURL != "":
		return "Options.DatabaseURL"
	case os.Getenv(kernia.EnvDatabaseURL) != "":
		return "$" + kernia.EnvDatabaseURL
	}
	return "the default " + kernia.DefaultDatabaseURL
}

// dialectsLine spells Options.Dialects as a line of Go: Dialects: []string{kernia.Postgres}.
func dialectsLine(ds []string) string {
	exprs := make([]string, 0, len(ds))
	for _, d := range ds {
		if e := scaffold.DialectExpr(d); !slices.Contains(exprs, e) {
			exprs = append(exprs, e)
		}
	}
	return "Dialects: []string{" + strings.Join(exprs, ", ") + "}"
}
