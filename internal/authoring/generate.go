package authoring

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migformat"
)

// GenerateFlags are the flags of generate.
type GenerateFlags struct {
	Name             string
	DryRun           bool
	Check            bool
	AllowDestructive bool
	// Format is --format: the migration format (see kernia.Options.MigrationFormat).
	Format string
	JSON   bool
}

// Generate composes the schema, runs Ent codegen and writes one migration per dialect for
// what changed. DryRun prints the SQL and writes nothing; Check fails when anything would
// change.
func Generate(ctx context.Context, auth *kernia.Auth, f GenerateFlags, out command.IO) error {
	if f.DryRun && f.Check {
		return command.Usagef("generate: --dry-run and --check are exclusive")
	}
	if err := generator.CheckName(f.Name); err != nil {
		return &command.UsageError{Err: err}
	}
	if _, err := migformat.Parse(f.Format); err != nil {
		return &command.UsageError{Err: fmt.Errorf("generate: --format: %w", err)}
	}
	warnDialects(out.Stderr, auth)
	progress := command.Reporter(out.Stderr)
	step := progress.Start("generate: " + generateStep(auth))
	res, err := generator.Run(ctx, auth, generator.Options{
		Name:             f.Name,
		DryRun:           f.DryRun,
		Check:            f.Check,
		AllowDestructive: f.AllowDestructive,
		Format:           f.Format,
		Log:              out.Stderr,
		Step: func(what string) func() {
			return progress.Start("generate: " + what).Done
		},
	})
	step.Done()
	if res != nil && (f.Check || f.DryRun) {
		for _, m := range res.Migrations {
			fmt.Fprintf(out.Stderr, "-- %s (%s), not written:\n", m.Path, m.Dialect)
			if !f.JSON {
				fmt.Fprint(out.Stdout, m.SQL)
			}
		}
	}
	if f.JSON && (res != nil || err == nil) {
		// A failure without a result prints nothing here: the front end prints the error object.
		if err = command.PrintResult(ctx, out.Stdout, generateView(res), err); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	switch {
	case res.UpToDate():
		fmt.Fprintln(out.Stderr, "generate: nothing changed: the schema, the Ent client and the migrations are up to date")
	case res.Written:
		summarize(out.Stderr, res)
	default:
		fmt.Fprintf(out.Stderr, "generate: %d files would change; nothing written\n", len(res.Changed))
	}
	return nil
}

// generateStep names generate's long step for its progress lines: "composing the schema, Ent
// codegen and the sqlite and postgres diffs".
func generateStep(auth *kernia.Auth) string {
	what := "composing the schema, Ent codegen and the diffs"
	if ds, err := auth.Dialects(); err == nil {
		what = "composing the schema, Ent codegen and the " + strings.Join(ds, " and ") + " diff"
		if len(ds) > 1 {
			what += "s"
		}
	}
	return what
}

// summarize prints the schema files one by one, the client files as a count, then each new
// migration.
func summarize(w io.Writer, res *generator.Result) {
	client := 0
	for _, p := range res.Changed {
		switch {
		case strings.HasPrefix(p, generator.SchemaDir+"/"):
			fmt.Fprintf(w, "wrote %s\n", p)
		case strings.HasPrefix(p, generator.TargetDir+"/") && strings.HasSuffix(p, ".go"):
			client++
		}
	}
	if client > 0 {
		fmt.Fprintf(w, "wrote %d files of the Ent client in %s/\n", client, generator.TargetDir)
	}
	for _, m := range res.Migrations {
		fmt.Fprintf(w, "new %s migration: %s\n", m.Dialect, m.Path)
	}
}
