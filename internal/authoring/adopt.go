package authoring

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/schema"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/migration"
)

// AdoptFlags are the flags of adopt.
type AdoptFlags struct {
	// Dir is the migration directory; default <MigrationsDir>/<dialect of the URL>.
	Dir string
	// URL is the database; default Options.DatabaseURL, $KERNIA_DATABASE_URL, sqlite://kernia.db.
	URL string
	// DryRun compares and shows the statements, writing nothing.
	DryRun         bool
	LockTimeout    time.Duration
	ConnectTimeout time.Duration
	DDLLockTimeout time.Duration
	JSON           bool
}

// adoptJSON is adopt's --json object.
type adoptJSON struct {
	Database string `json:"database"`
	Dialect  string `json:"dialect"`
	Dir      string `json:"dir"`
	// Baseline is the version recorded (or, in a dry run or a refusal, that would be), and
	// BaselineName its file.
	Baseline     *string `json:"baseline"`
	BaselineName *string `json:"baseline_name"`
	// History is the table the baseline goes in; null when the database was not read.
	History *string `json:"history_table"`
	// Differences lists every difference found, with its action: "same", "close", "refuse".
	Differences []differenceJSON `json:"differences"`
	// Statements close the "close" differences, in order.
	Statements []string `json:"statements"`
	// Recorded is true once the baseline is committed.
	Recorded bool `json:"recorded"`
	DryRun   bool `json:"dry_run"`
}

// differenceJSON is a diff.Difference in adopt's --json object; what a side lacks is null.
type differenceJSON struct {
	Table      string  `json:"table"`
	Kind       string  `json:"kind"`
	Name       *string `json:"name"`
	Database   *string `json:"database"`
	Migrations *string `json:"migrations"`
	Action     string  `json:"action"`
	// Text is the difference as adopt prints it.
	Text string `json:"text"`
}

// Adopt takes over a database that Better Auth's own migration (or anything else) created:
// it replays the migration directory on a dev database, compares the result with the live
// database, and records the directory's last version as the baseline when they match, after
// closing the differences Kernia keeps on purpose (internal/diff's adopt.go says which). Any
// other difference is listed and nothing is written.
func Adopt(ctx context.Context, auth *kernia.Auth, f AdoptFlags, io command.IO) error {
	url, dir, err := command.Target(auth, f.URL, f.Dir)
	if err != nil {
		return err
	}
	if f.LockTimeout < 0 {
		return command.Usagef("adopt: --lock-timeout must not be negative")
	}
	if f.ConnectTimeout < 0 {
		return command.Usagef("adopt: --connect-timeout must not be negative")
	}
	if f.DDLLockTimeout < 0 || (f.DDLLockTimeout > 0 && f.DDLLockTimeout < time.Millisecond) {
		return command.Usagef("adopt: --ddl-lock-timeout is %s: it must be at least 1ms (default 5s)", f.DDLLockTimeout)
	}
	u, err := database.Parse(url)
	if err != nil {
		return fmt.Errorf("adopt: %w", err)
	}
	dialect := u.Dialect
	view := &adoptJSON{Database: u.Redacted(), Dialect: dialect, Dir: filepath.ToSlash(dir), Differences: []differenceJSON{}, Statements: []string{}, DryRun: f.DryRun}
	// The directory first: one that does not match its atlas.sum is refused before any
	// connection. A failure without a comparison prints nothing here: the front end prints the
	// error object.
	if _, err := migration.VerifyDir(dir); err != nil {
		return err
	}
	step := command.Reporter(io.Stderr).Start("adopt: replaying " + filepath.ToSlash(dir) + " on a dev database")
	want, err := replayDir(ctx, auth, dialect, url, dir)
	step.Done()
	if err != nil {
		return err
	}
	var cmp *diff.Comparison
	check := func(ctx context.Context, q atlas.ExecQuerier) ([]string, error) {
		live, drv, err := diff.Inspect(ctx, dialect, q)
		if err != nil {
			return nil, err
		}
		if len(live.Tables) == 0 {
			return nil, fmt.Errorf("adopt: %s has no tables, so there is nothing to adopt: run `kernia migrate` to create the schema", view.Database)
		}
		c, err := diff.Compare(dialect, drv, live, want)
		if err != nil {
			return nil, err
		}
		if cmp == nil {
			cmp = c // the first comparison is the one to report; the second follows the statements
		}
		if r := c.Refused(); len(r) > 0 {
			return nil, refusedError(view.Database, view.Dir, r)
		}
		return c.Statements(ctx)
	}
	step = command.Reporter(io.Stderr).Start("adopt: comparing " + view.Database + " with " + view.Dir)
	res, err := migration.Adopt(ctx, url, dir, migration.AdoptOptions{
		Check:          check,
		DryRun:         f.DryRun,
		LockTimeout:    f.LockTimeout,
		ConnectTimeout: f.ConnectTimeout,
		DDLLockTimeout: f.DDLLockTimeout,
		Out:            io.Stderr,
	})
	step.Done()
	if res != nil {
		view.Baseline, view.BaselineName, view.History = command.OrNull(res.Baseline), command.OrNull(res.BaselineName), command.OrNull(res.History)
		view.Statements, view.Recorded = command.List(res.Statements), res.Recorded
	}
	if cmp != nil {
		for _, d := range cmp.Differences {
			view.Differences = append(view.Differences, differenceJSON{Table: d.Table, Kind: d.Kind, Name: command.OrNull(d.Name),
				Database: command.OrNull(d.Database), Migrations: command.OrNull(d.Migrations), Action: d.Action, Text: d.String()})
		}
	}
	if f.JSON {
		if res == nil {
			return err
		}
		return command.PrintResult(ctx, io.Stdout, view, err)
	}
	if cmp != nil {
		printDifferences(io, cmp, view)
	}
	if err != nil {
		return err
	}
	switch {
	case f.DryRun && len(view.Statements) > 0:
		fmt.Fprintf(io.Stderr, "adopt: dry run: %s can be adopted: the %d statements above would run, then version %s (%s) would be recorded as the baseline in %s; nothing was written\n",
			view.Database, len(view.Statements), res.Baseline, res.BaselineName, res.History)
	case f.DryRun:
		fmt.Fprintf(io.Stderr, "adopt: dry run: %s matches %s: version %s (%s) would be recorded as the baseline in %s; nothing was written\n",
			view.Database, view.Dir, res.Baseline, res.BaselineName, res.History)
	default:
		fmt.Fprintf(io.Stderr, "adopt: recorded version %s (%s) as the baseline in %s: %s is now managed by Kernia; `kernia migrate` applies only the files after it\n",
			res.Baseline, res.BaselineName, res.History, view.Database)
	}
	return nil
}

// replayDir returns the schema the directory builds, replayed on a dev database as generate's
// diff replays it (the dialect's URL of the dev database list, else a temporary database on
// the target's server; SQLite in memory).
func replayDir(ctx context.Context, auth *kernia.Auth, dialect, url, dir string) (*atlas.Schema, error) {
	dev, err := diff.OpenDev(ctx, dialect, auth.DevURL(), url)
	if err != nil {
		return nil, fmt.Errorf("adopt: %w", err)
	}
	want, err := diff.Replay(ctx, dev, dir)
	if cerr := dev.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("adopt: clean up the dev database: %w", cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("adopt: %w", err)
	}
	return want, nil
}

// refusedError lists the differences adoption does not close.
func refusedError(db, dir string, refused []diff.Difference) error {
	var b strings.Builder
	fmt.Fprintf(&b, "adopt: %s does not match the schema %s builds: %d %s that adoption does not close:", db, dir, len(refused), plural(len(refused), "difference", "differences"))
	for _, d := range refused {
		b.WriteString("\n  " + d.String())
	}
	b.WriteString("\nnothing was written: bring the database and the configuration together (enable in kernia.Options the plugins and options the database was created with, or create the missing tables and columns with the tool that made the database) and run adopt again; `kernia adopt --dry-run` shows the comparison without writing")
	return fmt.Errorf("%s", b.String())
}

// printDifferences prints, on stdout, the differences that do not stop adoption (those that do
// are in the error) and, in a dry run, the statements that would close them (a real run prints
// each on stderr as it runs it).
func printDifferences(io command.IO, c *diff.Comparison, view *adoptJSON) {
	// The same spelling difference on many columns is one line.
	type key struct{ table, kind, database, migrations string }
	var order []key
	names := map[key][]string{}
	for _, d := range c.Same() {
		k := key{kind: d.Kind, database: d.Database, migrations: d.Migrations}
		if d.Name == "" || d.Kind != "column type" && d.Kind != "default" {
			k.table = d.String() // not grouped
		}
		if _, ok := names[k]; !ok {
			order = append(order, k)
		}
		names[k] = append(names[k], d.Table+"."+d.Name)
	}
	for _, k := range order {
		switch n := names[k]; {
		case k.table != "":
			fmt.Fprintf(io.Stdout, "same    %s\n", k.table)
		case len(n) == 1:
			fmt.Fprintf(io.Stdout, "same    %s: %s (database: %s; migrations: %s)\n", n[0], k.kind, k.database, k.migrations)
		default:
			fmt.Fprintf(io.Stdout, "same    %s (database: %s; migrations: %s) in %d columns: %s\n", k.kind, k.database, k.migrations, len(n), strings.Join(n, ", "))
		}
	}
	for _, d := range c.Closed() {
		fmt.Fprintf(io.Stdout, "close   %s\n", d)
	}
	if len(c.Refused()) > 0 || !view.DryRun {
		return
	}
	for _, s := range view.Statements {
		fmt.Fprintf(io.Stdout, "%s;\n", s)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
