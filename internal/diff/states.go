package diff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/kernia/kernia"
)

// The two states a diff compares, read the way Ent's replay-mode differ reads them.
//
// Ent's differ (entgo.io/ent/dialect/sql/schema, planReplay) computes both on one dev database,
// one statement at a time: it checks that the connected schema holds no table, replays the
// migration directory, inspects the result (the current state), drops every table again, and
// normalizes the Ent tables (the desired state) by creating them in the schema, inspecting
// them, and dropping the schema's content again (Atlas recreates the public schema for that).
//
// On PostgreSQL, whose DDL is transactional, Kernia computes the two halves separately, each in
// a transaction it rolls back:
//   - current: the clean check, the replay and the inspection Ent does (the same Atlas calls on
//     the same connection settings), with no table drops: the rollback undoes the replay;
//   - desired: Ent's own differ on an empty directory with the Ent tables, whose replay is then
//     empty, so that the normalized tables are exactly Ent's.
//
// That halves the statements the server runs and commits (no DROP TABLE per table, no
// recreated public schema, one rollback instead of a commit per statement), and leaves nothing
// behind whatever happens: a transaction a killed run leaves open is aborted by the server when
// its connection goes.
//
// A concurrent index build or drop (online DDL, in a `-- atlas:txmode none` file) cannot run
// inside a transaction block: the replay runs it in its plain form (CREATE INDEX, DROP INDEX),
// which leaves the same catalog on the dev database's empty tables. When the replay fails inside
// the transaction anyway (another statement that needs to run outside one, or a broken file),
// both states are computed by Ent's differ outside a transaction, as before. SQLite (an
// in-memory database per diff) keeps Ent's differ as it is.

// errCaptured stops Ent's differ once it has computed both states.
var errCaptured = errors.New("states captured")

// states returns the schema the directory replays to and the normalized desired schema.
func states(ctx context.Context, opts Options, dir migrate.Dir) (current, desired *atlas.Schema, err error) {
	if opts.Dev.Dialect != kernia.Postgres {
		return sequentialStates(ctx, opts, dir)
	}
	current, err = replayCurrent(ctx, opts.Dev, dir)
	var nc *migrate.NotCleanError
	switch {
	case errors.As(err, &nc):
		return nil, nil, notClean(nc)
	case err != nil && ctx.Err() != nil:
		return nil, nil, fmt.Errorf("diff: replay %s on the dev database: %w", opts.Dir, err)
	case err != nil:
		// A statement that cannot run inside a transaction block, or a file that fails: Ent's
		// differ replays outside one, drops what it created (its normalization recreates the
		// public schema, so functions and types go too), and reports a file that fails either
		// way in Ent's words.
		return sequentialStates(ctx, opts, dir)
	}
	return withDesired(ctx, opts, current)
}

// replayCurrent is states' current half on PostgreSQL: dir replayed on dev in a transaction
// that is rolled back, and the result inspected.
func replayCurrent(ctx context.Context, dev *DevDB, dir migrate.Dir) (*atlas.Schema, error) {
	return inTx(ctx, dev.DB, func(tx *sql.Tx) (*atlas.Schema, error) { return replay(ctx, plainIndexDDL{tx}, dir) })
}

// withDesired completes the PostgreSQL states of a current state with the desired one.
func withDesired(ctx context.Context, opts Options, current *atlas.Schema) (_, desired *atlas.Schema, err error) {
	if desired, err = desiredState(ctx, opts); err != nil {
		return nil, nil, err
	}
	// Ent's differ gives the desired schema the current schema's name and attributes.
	desired.Name, desired.Attrs = current.Name, current.Attrs
	return current, desired, nil
}

// sequentialStates returns the states as Ent's differ computes them in one run, statement by
// statement: what states did before the halves were split, and what the tests compare with.
func sequentialStates(ctx context.Context, opts Options, dir migrate.Dir) (current, desired *atlas.Schema, err error) {
	return entStates(ctx, entsql.OpenDB(entDialect(opts.Dev.Dialect), opts.Dev.DB), opts, dir, opts.Tables)
}

// concurrently matches the CONCURRENTLY of a concurrent index build or drop, which cannot run
// inside a transaction block: the replay runs CREATE [UNIQUE] INDEX CONCURRENTLY and DROP INDEX
// CONCURRENTLY in their plain forms, which leave the same catalog (on the dev database, whose
// tables hold no rows, nothing else differs).
var concurrently = regexp.MustCompile(`(?i)^(\s*(?:CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX))\s+CONCURRENTLY\b`)

// plainIndexDDL runs statements in a transaction, concurrent index builds and drops in their
// plain form: CREATE [UNIQUE] INDEX CONCURRENTLY and DROP INDEX CONCURRENTLY cannot run inside a
// transaction block, and their plain forms leave the same catalog (on the dev database, whose
// tables hold no rows, nothing else differs).
type plainIndexDDL struct{ *sql.Tx }

// ExecContext runs query, without CONCURRENTLY if it is a concurrent index build or drop.
func (q plainIndexDDL) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.Tx.ExecContext(ctx, concurrently.ReplaceAllString(query, "$1"), args...)
}

// desiredState returns the Ent tables as Ent's differ normalizes them on the PostgreSQL dev
// database, in a transaction it rolls back.
func desiredState(ctx context.Context, opts Options) (*atlas.Schema, error) {
	return inTx(ctx, opts.Dev.DB, func(tx *sql.Tx) (*atlas.Schema, error) {
		_, desired, err := entStates(ctx, entsql.NewDriver(dialect.Postgres, entsql.Conn{ExecQuerier: tx}), opts, &migrate.MemDir{}, opts.Tables)
		return desired, err
	})
}

// replay does on q what Ent's replay-mode differ does before it inspects the current state
// (replayOn), on PostgreSQL.
func replay(ctx context.Context, q atlas.ExecQuerier, dir migrate.Dir) (*atlas.Schema, error) {
	drv, err := postgres.Open(q)
	if err != nil {
		return nil, err
	}
	return replayOn(ctx, drv, dir)
}

// replayOn checks that the connected schema of drv holds no table, replays the directory with
// Atlas's executor, and inspects the connected schema.
func replayOn(ctx context.Context, drv migrate.Driver, dir migrate.Dir) (*atlas.Schema, error) {
	s, err := drv.InspectSchema(ctx, "", nil)
	if err != nil {
		return nil, err
	}
	if len(s.Tables) > 0 {
		return nil, &migrate.NotCleanError{Reason: fmt.Sprintf("found table %q", s.Tables[0].Name)}
	}
	ex, err := migrate.NewExecutor(drv, dir, &migrate.NopRevisionReadWriter{})
	if err != nil {
		return nil, err
	}
	if err := ex.ExecuteN(ctx, 0); err != nil && !errors.Is(err, migrate.ErrNoPendingFiles) {
		return nil, err
	}
	return drv.InspectSchema(ctx, "", nil)
}

// inTx runs f in a transaction on db and rolls it back, undoing whatever f created.
func inTx[T any](ctx context.Context, db *sql.DB, f func(*sql.Tx) (T, error)) (_ T, err error) {
	var zero T
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return zero, fmt.Errorf("diff: begin a transaction on the dev database: %w", err)
	}
	defer func() {
		// A rollback that fails leaves nothing either: the server aborts the transaction of a
		// connection that goes.
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) && err == nil {
			err = fmt.Errorf("diff: roll back the dev database: %w", rerr)
		}
	}()
	return f(tx)
}

// entStates runs Ent's replay-mode differ on drv with dir and tables, and captures both states
// before Ent filters the changes.
func entStates(ctx context.Context, drv dialect.Driver, opts Options, dir migrate.Dir, tables []*entschema.Table) (current, desired *atlas.Schema, err error) {
	capture := func(entschema.Differ) entschema.Differ {
		return entschema.DiffFunc(func(c, d *atlas.Schema) ([]atlas.Change, error) {
			current, desired = c, d
			return nil, errCaptured
		})
	}
	m, err := entschema.NewMigrate(drv,
		entschema.WithDir(dir),
		entschema.WithMigrationMode(entschema.ModeReplay),
		entschema.WithFormatter(migrate.DefaultFormatter),
		entschema.WithDiffHook(capture),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("diff: %w", err)
	}
	err = m.NamedDiff(ctx, opts.Name, tables...)
	switch {
	case errors.Is(err, errCaptured):
		return current, desired, nil
	case err == nil:
		return nil, nil, errors.New("diff: Ent's differ returned without comparing the schemas")
	}
	var nc *migrate.NotCleanError
	if errors.As(err, &nc) {
		return nil, nil, notClean(nc)
	}
	return nil, nil, fmt.Errorf("diff: replay %s on the dev database: %w", opts.Dir, err)
}

func notClean(nc *migrate.NotCleanError) error {
	return fmt.Errorf("diff: the dev database is not clean (%s): use an empty database", nc.Reason)
}
