package command

import (
	"context"
	"fmt"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/generator"
)

// GenerateFlags are the flags of generate.
type GenerateFlags struct {
	Name             string
	DryRun           bool
	Check            bool
	AllowDestructive bool
	JSON             bool
}

// Generate composes the schema, runs Ent codegen and writes one migration per dialect for
// what changed. DryRun prints the SQL and writes nothing; Check fails when anything would
// change.
func Generate(ctx context.Context, auth *kernia.Auth, f GenerateFlags, io IO) error {
	if f.DryRun && f.Check {
		return Usagef("generate: --dry-run and --check are exclusive")
	}
	res, err := generator.Run(ctx, auth, generator.Options{
		Name:             f.Name,
		DryRun:           f.DryRun,
		Check:            f.Check,
		AllowDestructive: f.AllowDestructive,
		Log:              io.Stderr,
	})
	if res != nil && (f.Check || f.DryRun) {
		for _, m := range res.Migrations {
			fmt.Fprintf(io.Stderr, "-- %s (%s), not written:\n", m.Path, m.Dialect)
			if !f.JSON {
				fmt.Fprint(io.Stdout, m.SQL)
			}
		}
	}
	if f.JSON && res != nil {
		if jerr := printJSON(io.Stdout, res); jerr != nil && err == nil {
			err = jerr
		}
	}
	if err != nil {
		return err
	}
	switch {
	case res.UpToDate():
		fmt.Fprintln(io.Stderr, "generate: nothing changed: the schema, the Ent client and the migrations are up to date")
	case res.Written:
		for _, p := range res.Changed {
			fmt.Fprintf(io.Stderr, "wrote %s\n", p)
		}
		for _, m := range res.Migrations {
			fmt.Fprintf(io.Stderr, "new %s migration: %s\n", m.Dialect, m.Path)
		}
	default:
		fmt.Fprintf(io.Stderr, "generate: %d files would change; nothing written\n", len(res.Changed))
	}
	return nil
}
