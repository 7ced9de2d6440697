package diff

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migformat"
)

// Migration files in other formats than Atlas's (internal/migformat): golang-migrate, goose and
// Flyway. The up part of each file is what the Atlas format's file holds (the same statements,
// header and comments); the down part is a reversal Kernia plans itself, the reverse diff from
// the state after the file to the state before it (never Atlas's per-statement reverse, which
// recreates a dropped column empty). A file whose reversal would recreate a table or column it
// drops gets a down that fails, saying why, instead of one that pretends to restore the data.
//
// The online-safe PostgreSQL file (`-- atlas:txmode none`) maps onto each format's
// no-transaction form: goose's `-- +goose NO TRANSACTION`; Flyway's script configuration
// `<file>.conf` with executeInTransaction=false; golang-migrate, which runs a file as one
// multi-statement query (one implicit transaction), gets one file per statement. Each keeps
// the Atlas directive in its first comment block for Kernia's own runner (golang-migrate and
// Flyway read it as a comment; goose files carry goose's marker, which Kernia reads). Downs run
// in the tool's transaction: a down is a rollback of a release, not an online change.

// step is one migration of the output format: its version, its up changes, and its down.
type step struct {
	version string
	changes []*migrate.Change
	online  bool
	// down reverses the step; irreversible (what it drops) when it cannot.
	down         []*migrate.Change
	irreversible []string
}

// formatSteps turns the planned files into the output format's migrations: one per plan, or
// for golang-migrate one per statement of the online plan. Versions follow version a second
// apart.
func formatSteps(format migformat.Format, version string, plans []onlineFile) ([]*step, error) {
	var steps []*step
	add := func(changes []*migrate.Change, online bool) error {
		v, err := laterVersion(version, len(steps))
		if err != nil {
			return err
		}
		steps = append(steps, &step{version: v, changes: changes, online: online})
		return nil
	}
	for _, p := range plans {
		if format == migformat.GolangMigrate && p.online {
			for _, c := range p.plan.Changes {
				if err := add([]*migrate.Change{c}, true); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := add(p.plan.Changes, p.online); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

// planDowns plans each step's down: the reverse diff from the state after it to the state
// before it. SQLite diffs have one step: its states are computed again (Diff renamed the ones
// it had in place). On PostgreSQL the steps run, in their plain form, after the directory's
// replay in a transaction that is rolled back, and the catalog is inspected after each.
func planDowns(ctx context.Context, opts Options, drv migrate.Driver, dir migrate.Dir, steps []*step) error {
	var all []*atlas.Schema
	if opts.Dev.Dialect == kernia.Postgres {
		var err error
		if all, err = stepStates(ctx, opts, dir, steps); err != nil {
			return err
		}
	} else {
		if len(steps) != 1 {
			return fmt.Errorf("diff: %d steps on %s: a SQLite diff plans one file", len(steps), opts.Dev.Dialect)
		}
		current, desired, err := states(ctx, opts, dir)
		if err != nil {
			return err
		}
		all = []*atlas.Schema{current, desired}
	}
	for i, s := range steps {
		renames := Renames{}
		if i == 0 {
			renames = opts.Renames.inverse()
		}
		back, err := renameChanges(all[i+1], all[i], renames)
		if err != nil {
			return fmt.Errorf("diff: plan the down of %s: %w", s.version, err)
		}
		if err := opts.keepForDown(all, i); err != nil { // shared.go
			return fmt.Errorf("diff: plan the down of %s: %w", s.version, err)
		}
		changes, err := drv.SchemaDiff(all[i+1], all[i])
		if err != nil {
			return fmt.Errorf("diff: plan the down of %s: %w", s.version, err)
		}
		changes = append(back, changes...)
		if s.irreversible = recreated(changes); len(s.irreversible) > 0 || len(changes) == 0 {
			continue
		}
		plan, err := drv.PlanChanges(ctx, opts.Name, changes, func(o *migrate.PlanOptions) {
			noQualifier := ""
			o.SchemaQualifier = &noQualifier
			o.Indent = Indent
		})
		if err != nil {
			return fmt.Errorf("diff: plan the down of %s: %w", s.version, err)
		}
		reviewable(plan)
		s.down = plan.Changes
	}
	return nil
}

// stepStates returns the PostgreSQL catalog before the steps (the directory's replay) and
// after each, in a transaction on the dev database that is rolled back.
func stepStates(ctx context.Context, opts Options, dir migrate.Dir, steps []*step) ([]*atlas.Schema, error) {
	return inTx(ctx, opts.Dev.DB, func(tx *sql.Tx) ([]*atlas.Schema, error) {
		q := plainIndexDDL{tx}
		first, err := replay(ctx, q, dir)
		if err != nil {
			return nil, fmt.Errorf("diff: replay %s on the dev database: %w", opts.Dir, err)
		}
		drv, err := postgres.Open(q)
		if err != nil {
			return nil, err
		}
		out := []*atlas.Schema{first}
		for _, s := range steps {
			for _, c := range s.changes {
				if _, err := q.ExecContext(ctx, c.Cmd); err != nil {
					return nil, fmt.Errorf("diff: run %s on the dev database to plan its down: %w", snippet(c.Cmd), err)
				}
			}
			st, err := drv.InspectSchema(ctx, "", nil)
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
		return out, nil
	})
}

// snippet is the start of a statement, for messages.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// inverse returns the renames the other way round: new names to old ones, columns keyed by the
// table's old name (the reversal renames the table first).
func (r Renames) inverse() Renames {
	out := Renames{Tables: map[string]string{}, Columns: map[string]map[string]string{}}
	for old, to := range r.Tables {
		out.Tables[to] = old
	}
	for table, cols := range r.Columns {
		key := table
		if old, ok := out.Tables[table]; ok {
			key = old
		}
		inv := map[string]string{}
		for old, to := range cols {
			inv[to] = old
		}
		out.Columns[key] = inv
	}
	return out
}

// recreated describes the tables and columns a reversal would create: the ones its step drops,
// whose data no down can bring back.
func recreated(changes []atlas.Change) []string {
	var out []string
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.AddTable:
			out = append(out, "table "+c.T.Name)
		case *atlas.ModifyTable:
			for _, tc := range c.Changes {
				if ac, ok := tc.(*atlas.AddColumn); ok {
					out = append(out, "column "+c.T.Name+"."+ac.C.Name)
				}
			}
		}
	}
	return out
}

// FormatOutput is one file of a diff in a format: its name and content.
type FormatOutput struct {
	Name string
	SQL  []byte
}

// renderSteps writes the steps as the format's files, each with the header.
func renderSteps(format migformat.Format, dialect, name string, steps []*step, header Header) []FormatOutput {
	var out []FormatOutput
	for _, s := range steps {
		up := renderChanges(s.changes, false)
		// The up file first: the generator attaches the run's drops to its first file.
		switch format {
		case migformat.GolangMigrate:
			base := s.version + "_" + name
			down := "-- The down of " + base + ".up.sql, which the header describes: it reverses it.\n" + renderDown(dialect, s, false)
			out = append(out,
				FormatOutput{Name: base + ".up.sql", SQL: WithHeader(directive(s.online, up), header)},
				FormatOutput{Name: base + ".down.sql", SQL: WithHeader([]byte(down), header)})
		case migformat.Flyway:
			base := s.version + "__" + name + ".sql"
			down := "-- The undo of V" + base + ", which the header describes: it reverses it.\n" + renderDown(dialect, s, false)
			out = append(out,
				FormatOutput{Name: "V" + base, SQL: WithHeader(directive(s.online, up), header)},
				FormatOutput{Name: "U" + base, SQL: WithHeader([]byte(down), header)})
			if s.online {
				out = append(out, FormatOutput{Name: "V" + base + ".conf", SQL: []byte("executeInTransaction=false\n")})
			}
		case migformat.Goose:
			var b strings.Builder
			if s.online {
				b.WriteString("-- +goose NO TRANSACTION\n")
			}
			b.WriteString(strings.Join(header.Lines(), "\n") + "\n\n")
			b.WriteString("-- +goose Up\n")
			b.WriteString(renderChanges(s.changes, true))
			b.WriteString("\n-- +goose Down\n")
			b.WriteString(renderDown(dialect, s, true))
			out = append(out, FormatOutput{Name: s.version + "_" + name + ".sql", SQL: []byte(b.String())})
		}
	}
	return out
}

// directive puts `-- atlas:txmode none` first in an online file, for Kernia's runner.
func directive(online bool, content string) []byte {
	if online {
		return withTxModeNone([]byte(content))
	}
	return []byte(content)
}

// renderChanges writes changes as Atlas's formatter does: the comment, then the statement and
// its semicolon. For goose, a statement holding a semicolon of its own (a function body) is
// wrapped in StatementBegin/End, as goose requires.
func renderChanges(changes []*migrate.Change, goose bool) string {
	var b strings.Builder
	for _, c := range changes {
		if c.Comment != "" {
			b.WriteString("-- " + strings.ToUpper(c.Comment[:1]) + c.Comment[1:] + "\n")
		}
		wrap := goose && strings.Contains(c.Cmd, ";")
		if wrap {
			b.WriteString("-- +goose StatementBegin\n")
		}
		b.WriteString(c.Cmd + ";\n")
		if wrap {
			b.WriteString("-- +goose StatementEnd\n")
		}
	}
	return b.String()
}

// renderDown writes the step's down: its reversal, a comment when there is nothing to undo,
// or, for a step that drops data, a statement that fails with the reason.
func renderDown(dialect string, s *step, goose bool) string {
	if len(s.irreversible) > 0 {
		what := strings.Join(s.irreversible, ", ")
		msg := fmt.Sprintf("kernia: migration %s cannot be reversed: it drops %s, and no down migration can bring the data back; restore from a backup instead", s.version, what)
		cmd := fmt.Sprintf(`SELECT 1 FROM "%s"`, strings.ReplaceAll(msg, `"`, `""`)) // SQLite: fails with "no such table: <msg>"
		if dialect == kernia.Postgres {
			cmd = fmt.Sprintf("DO $$ BEGIN RAISE EXCEPTION '%s'; END $$", strings.ReplaceAll(msg, "'", "''"))
		}
		return renderChanges([]*migrate.Change{{Cmd: cmd, Comment: "irreversible: this down fails on purpose (it drops " + what + ")"}}, goose)
	}
	if len(s.down) == 0 {
		return "-- Nothing to undo: this migration changes nothing in the schema that a down can reverse.\n"
	}
	return renderChanges(s.down, goose)
}

// formatSum is the atlas.sum of the directory's existing files (physical, every *.sql in name
// order) and the new ones, as Atlas computes it for any directory format.
func formatSum(physical []migrate.File, out []FormatOutput) ([]byte, error) {
	byName := map[string]migrate.File{}
	for _, f := range physical {
		byName[f.Name()] = f
	}
	for _, o := range out {
		if strings.HasSuffix(o.Name, ".sql") {
			byName[o.Name] = migrate.NewLocalFile(o.Name, o.SQL)
		}
	}
	names := slices.Sorted(maps.Keys(byName))
	all := make([]migrate.File, len(names))
	for i, n := range names {
		all[i] = byName[n]
	}
	sum, err := migrate.NewHashFile(all)
	if err != nil {
		return nil, fmt.Errorf("diff: hash migration directory: %w", err)
	}
	return sum.MarshalText()
}

// formatted finishes Diff for a directory of another format than Atlas's: the steps, their
// downs, the files and atlas.sum.
func formatted(ctx context.Context, opts Options, drv migrate.Driver, d *formatDir, plans []onlineFile, version string, res *Result, h Header) (*Result, error) {
	for _, p := range plans {
		reviewable(p.plan)
	}
	steps, err := formatSteps(d.format, version, plans)
	if err != nil {
		return nil, err
	}
	if err := planDowns(ctx, opts, drv, d.dir, steps); err != nil {
		return nil, err
	}
	out := renderSteps(d.format, opts.Dev.Dialect, opts.Name, steps, h)
	for _, o := range out {
		res.Files = append(res.Files, File(o))
	}
	if res.Sum, err = formatSum(d.physical, out); err != nil {
		return nil, err
	}
	return res, nil
}
