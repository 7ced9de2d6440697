package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/dotenv"
	"github.com/kernia/kernia/internal/redact"
)

// FromEnv opens the database the Kernia commands migrate, found the way they find it:
//
//   - the module root is the nearest directory at or above the working directory holding
//     go.mod; its .env is read and each variable not already set in the environment is set
//     (a variable set in the environment, even to "", wins), exactly as every command does;
//   - the URL is $KERNIA_DATABASE_URL, else sqlite://kernia.db, parsed by the parser every
//     command uses;
//   - a relative SQLite path is resolved against the module root, so a program run from
//     cmd/server/ opens the file `kernia migrate` wrote at the root (outside a module, as in a
//     deployed binary, against the working directory);
//   - a SQLite file that does not exist is refused, never created: an empty new database is
//     a wrong path or a database never migrated, and every query on it would fail later.
//
// It returns the database with its Ent dialect name, as Open does. Check it with Ready before
// serving. Errors never contain the URL's password.
func FromEnv(ctx context.Context) (*sql.DB, string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", fmt.Errorf("sqldb: working directory: %w", err)
	}
	root, inModule := dotenv.ModuleRoot(wd)
	if inModule {
		if _, err := dotenv.LoadFile(filepath.Join(root, dotenv.FileName)); err != nil {
			return nil, "", fmt.Errorf("sqldb: %w", err)
		}
	}
	raw := os.Getenv(kernia.EnvDatabaseURL)
	source := "KERNIA_DATABASE_URL"
	if raw == "" {
		raw, source = kernia.DefaultDatabaseURL, "the default database URL (KERNIA_DATABASE_URL is unset or empty)"
	}
	db, dialect, err := fromURL(ctx, raw, source, cmp.Or(root, wd), inModule)
	if err != nil {
		return nil, "", redacted(err, raw)
	}
	return db, dialect, nil
}

// fromURL parses raw, resolves a relative SQLite path against base, refuses a missing SQLite
// file and opens the database. source says where raw came from, for errors.
func fromURL(ctx context.Context, raw, source, base string, inModule bool) (*sql.DB, string, error) {
	u, err := database.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("sqldb: %s: %w", source, err)
	}
	if u.Dialect == kernia.SQLite && u.Path != ":memory:" {
		where := "the working directory " + base
		if inModule {
			where = "the module root " + base
		}
		if !filepath.IsAbs(u.Path) {
			u.Path = filepath.Join(base, u.Path)
		} else {
			where = ""
		}
		st, err := os.Stat(u.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			from := u.Redacted()
			if where != "" {
				from += ", resolved against " + where
			}
			return nil, "", fmt.Errorf("sqldb: SQLite database %s does not exist (%s from %s): run `go tool kernia migrate` to create and migrate it, or fix KERNIA_DATABASE_URL; FromEnv never creates an empty database",
				u.Path, from, source)
		case err != nil:
			return nil, "", fmt.Errorf("sqldb: SQLite database %s: %w", u.Path, err)
		case st.IsDir():
			return nil, "", fmt.Errorf("sqldb: SQLite database %s is a directory, not a database file: fix KERNIA_DATABASE_URL", u.Path)
		}
	}
	db, dialect, err := open(ctx, u)
	if err != nil {
		return nil, "", fmt.Errorf("sqldb: %w", err)
	}
	return db, dialect, nil
}

// redactedError is err with every form of the URL's password removed from its text; it still
// unwraps to err.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redacted removes the password of raw from err's text, by value, as the commands' output is
// (the parser and openers already leave it out: this is the second line of defence).
func redacted(err error, raw string) error {
	return &redactedError{msg: redact.String(err.Error(), redact.Passwords(raw)), err: err}
}
