package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migration"
)

// MigrateFlags are the flags of migrate.
type MigrateFlags struct {
	// Dir is the migration directory; default <MigrationsDir>/<dialect of the URL>.
	Dir string
	// URL is the database; default Options.DatabaseURL, $KERNIA_DATABASE_URL, sqlite://kernia.db.
	URL             string
	DryRun          bool
	LockTimeout     time.Duration
	Baseline        string
	AllowOutOfOrder bool
	// ConnectTimeout bounds connecting to a PostgreSQL server (0: the URL's connect_timeout,
	// else 10 s).
	ConnectTimeout time.Duration
	// DDLLockTimeout is the lock_timeout of every PostgreSQL migration statement, and the
	// lock_wait_timeout and innodb_lock_wait_timeout of every MySQL one (0: 5 s); a statement
	// that waits longer for a lock is retried a few times, then the run fails.
	DDLLockTimeout time.Duration
	JSON           bool
}

// Migrate applies the pending files of the migration directory to the database.
func Migrate(ctx context.Context, auth *kernia.Auth, f MigrateFlags, io IO) error {
	url, dir, err := Target(auth, f.URL, f.Dir)
	if err != nil {
		return err
	}
	if f.LockTimeout < 0 {
		return Usagef("migrate: --lock-timeout must not be negative")
	}
	if f.ConnectTimeout < 0 {
		return Usagef("migrate: --connect-timeout must not be negative")
	}
	if f.DDLLockTimeout < 0 || (f.DDLLockTimeout > 0 && f.DDLLockTimeout < time.Millisecond) {
		return Usagef("migrate: --ddl-lock-timeout is %s: it must be at least 1ms (default 5s)", f.DDLLockTimeout)
	}
	out := io.Stderr
	var files *fileProgress
	if !f.DryRun {
		files = newFileProgress(io.Stderr, dir, !f.AllowOutOfOrder)
		out = files
	}
	res, err := migration.Apply(ctx, url, dir, applyOptions(f, out))
	if files != nil {
		files.done()
	}
	if f.JSON && res != nil {
		// Without a result (a failure before the lock) the front end prints the error object.
		return PrintResult(ctx, io.Stdout, migrateView(res, err != nil), err)
	}
	return err
}

// PrefetchMigrate starts, before the instance is loaded, the part of Migrate(ctx, auth, f, io)
// that needs no instance (migration.StartPrefetch): when --url and --dir are both given, the
// instance can change neither, so the directory is read and verified, and a PostgreSQL
// database's history read, while the loader program runs. It returns what to do to the
// command's context (nil when there is nothing to prefetch) and the prefetch's Close.
// Migrate's checks and errors are the same with or without it.
func PrefetchMigrate(ctx context.Context, f MigrateFlags) (with func(context.Context) context.Context, done func()) {
	if f.URL == "" || f.Dir == "" || f.DryRun || f.ConnectTimeout < 0 {
		return nil, nil
	}
	p := migration.StartPrefetch(ctx, f.URL, f.Dir, applyOptions(f, nil))
	return func(ctx context.Context) context.Context { return migration.WithPrefetch(ctx, p) }, p.Close
}

// applyOptions are the options of Apply for the flags f, with its progress lines to out.
func applyOptions(f MigrateFlags, out io.Writer) migration.ApplyOptions {
	return migration.ApplyOptions{
		DryRun:          f.DryRun,
		LockTimeout:     f.LockTimeout,
		Baseline:        f.Baseline,
		AllowOutOfOrder: f.AllowOutOfOrder,
		ConnectTimeout:  f.ConnectTimeout,
		DDLLockTimeout:  f.DDLLockTimeout,
		Out:             out,
	}
}

// StatusFlags are the flags of status.
type StatusFlags struct {
	Dir            string
	URL            string
	ConnectTimeout time.Duration
	JSON           bool
}

// Status prints the applied and pending files and the last failure.
func Status(ctx context.Context, auth *kernia.Auth, f StatusFlags, io IO) error {
	url, dir, err := Target(auth, f.URL, f.Dir)
	if err != nil {
		return err
	}
	if f.ConnectTimeout < 0 {
		return Usagef("status: --connect-timeout must not be negative")
	}
	step := Reporter(io.Stderr).Start("status: reading " + filepath.ToSlash(dir) + " and the history of the database")
	rep, err := migration.StatusWith(ctx, url, dir, migration.StatusOptions{ConnectTimeout: f.ConnectTimeout})
	step.Done()
	if err != nil {
		return err
	}
	if f.JSON {
		return PrintResult(ctx, io.Stdout, statusView(rep), statusError(rep))
	}
	fmt.Fprintf(io.Stdout, "database:  %s\ndirectory: %s\ncurrent:   %s\n", rep.Database, rep.Dir, orNone(rep.Current))
	if rep.History != "" {
		fmt.Fprintf(io.Stdout, "history:   %s (the Atlas CLI's default revisions schema)\n", rep.History)
	}
	for _, a := range rep.Applied {
		at := ""
		if a.AppliedAt != nil {
			at = a.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(io.Stdout, "applied   %s  %s\n", nameOf(a), at)
	}
	for _, p := range rep.Pending {
		fmt.Fprintf(io.Stdout, "pending   %s\n", nameOf(p))
	}
	if lf := rep.LastFailure; lf != nil {
		fmt.Fprintf(io.Stdout, "last failure: %s at %s: %s\n", lf.Version, lf.At.UTC().Format(time.RFC3339), lf.Error)
		if lf.Statement != "" {
			fmt.Fprintf(io.Stdout, "  statement: %s\n", lf.Statement)
		}
		if lf.Leftover != "" {
			fmt.Fprintf(io.Stdout, "  left behind: %s\n", lf.Leftover)
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(io.Stdout, "problem: %s\n", p)
	}
	return statusError(rep)
}

// ErrStatusProblems is returned by status (exit status 1) when its report lists a problem:
// what migrate would refuse (an applied file edited or missing, a revision of a file the
// directory does not hold, an atlas.sum mismatch, a database with tables but no history).
// Pending files are not a problem, nor is a failed run alone: its file is still pending and
// the next migrate retries it (status shows the failure; migrate exits 1 when it fails again).
var ErrStatusProblems = errors.New("status: the migration history has problems")

func statusError(rep *migration.StatusReport) error {
	if len(rep.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w (%d): %s", ErrStatusProblems, len(rep.Problems), strings.Join(rep.Problems, "; "))
}

// Target resolves the database URL (flag, Options, environment, default) and the migration
// directory (flag, else the dialect's directory under MigrationsDir).
func Target(auth *kernia.Auth, urlFlag, dirFlag string) (url, dir string, err error) {
	if err := auth.Err(); err != nil {
		return "", "", err
	}
	url = urlFlag
	if url == "" {
		url = auth.DatabaseURL()
	}
	dialect, err := kernia.DialectOf(url)
	if err != nil {
		return "", "", err
	}
	dir = dirFlag
	if dir == "" {
		dir = filepath.Join(auth.MigrationsDir(), dialect)
	}
	return url, dir, nil
}

func nameOf(f migration.FileStatus) string {
	if f.Name != "" {
		return f.Name
	}
	return f.Version + "_" + f.Description
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
