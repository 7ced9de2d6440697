package authoring

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/report"
)

// InfoFlags are the flags of info.
type InfoFlags struct {
	JSON bool
	// Strict fails when the report lists any problem.
	Strict bool
}

// infoStep names the report's slow part for the progress lines.
const infoStep = "comparing the schema and the migration directories, checking the database"

// ErrProblems is returned by info --strict and check when the report lists problems.
var ErrProblems = errors.New("the configuration has problems")

// Info prints the report of the resolved configuration on Stdout. It always prints the whole
// report; with Strict it then fails if the report lists a problem.
func Info(ctx context.Context, auth *kernia.Auth, f InfoFlags, io command.IO) error {
	warnDialects(io.Stderr, auth)
	step := command.Reporter(io.Stderr).Start("info: " + infoStep)
	rep := report.Build(ctx, auth, report.Options{})
	step.Done()
	// The report notes a cancelled database check as unreachable: an interrupted info ends
	// in an error, never in a report that looks complete.
	if err := command.Interrupted(ctx, "info"); err != nil {
		return err
	}
	sensitive := report.Sensitive(auth)
	serr := strictError(rep, f.Strict, io.Stderr, sensitive)
	if f.JSON {
		return printResultScrubbed(ctx, io.Stdout, rep, serr, sensitive)
	}
	if err := rep.WriteText(io.Stdout, sensitive); err != nil {
		return err
	}
	return serr
}

func strictError(rep *report.Report, strict bool, stderr io.Writer, sensitive []string) error {
	if !strict || len(rep.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w (%d): %s", ErrProblems, len(rep.Problems), report.Scrub(strings.Join(rep.Problems, "; "), sensitive))
}

// CheckFlags are the flags of check.
type CheckFlags struct {
	JSON bool
}

// Check is the CI gate: generate --check (nothing would change) plus info --strict (no
// problem). Both always run; it fails if either does.
func Check(ctx context.Context, auth *kernia.Auth, f CheckFlags, io command.IO) error {
	warnDialects(io.Stderr, auth)
	fmt.Fprintln(io.Stderr, "check: generate --check")
	step := command.Reporter(io.Stderr).Start("check: generate --check: " + generateStep(auth))
	res, genErr := generator.Run(ctx, auth, generator.Options{Check: true, Log: io.Stderr})
	step.Done()
	if res != nil && !f.JSON {
		for _, m := range res.Migrations {
			fmt.Fprintf(io.Stderr, "-- %s (%s) would be written:\n%s", m.Path, m.Dialect, m.SQL)
		}
	}
	switch {
	case genErr != nil:
		fmt.Fprintf(io.Stderr, "check: generate --check: %v\n", genErr)
	default:
		fmt.Fprintln(io.Stderr, "check: generate --check: nothing would change")
	}
	if err := command.Interrupted(ctx, "check"); err != nil {
		return err
	}
	fmt.Fprintln(io.Stderr, "check: info --strict")
	step = command.Reporter(io.Stderr).Start("check: info --strict: " + infoStep)
	rep := report.Build(ctx, auth, report.Options{})
	step.Done()
	if err := command.Interrupted(ctx, "check"); err != nil {
		return err
	}
	sensitive := report.Sensitive(auth)
	infoErr := strictError(rep, true, io.Stderr, sensitive)
	var errs []error
	if genErr != nil {
		errs = append(errs, fmt.Errorf("check: generate --check: %w", genErr))
	}
	if infoErr != nil {
		errs = append(errs, fmt.Errorf("check: info --strict: %w", infoErr))
	}
	err := errors.Join(errs...)
	if f.JSON {
		out := struct {
			// Generate is null when generate --check failed before it had a result.
			Generate *generateJSON  `json:"generate"`
			Info     *report.Report `json:"info"`
			OK       bool           `json:"ok"`
		}{generateView(res), rep, err == nil}
		if err := printResultScrubbed(ctx, io.Stdout, out, err, sensitive); err != nil {
			return err
		}
	} else if err := rep.WriteText(io.Stdout, sensitive); err != nil {
		return err
	}
	if err == nil {
		fmt.Fprintln(io.Stderr, "check: ok")
	}
	return err
}

// printResultScrubbed is printResult with the rendered object scrubbed of every secret key and
// database password (report.Scrub), the report's last guard.
func printResultScrubbed(ctx context.Context, w io.Writer, v any, err error, sensitive []string) error {
	var b strings.Builder
	rerr := command.PrintResult(ctx, &b, v, err)
	if _, werr := io.WriteString(w, report.Scrub(b.String(), sensitive)); werr != nil && rerr == nil {
		return werr
	}
	return rerr
}
