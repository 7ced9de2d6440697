package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/report"
)

// InfoFlags are the flags of info.
type InfoFlags struct {
	JSON bool
	// Strict fails when the report lists any problem.
	Strict bool
}

// ErrProblems is returned by info --strict and check when the report lists problems.
var ErrProblems = errors.New("the configuration has problems")

// Info prints the report of the resolved configuration on Stdout. It always prints the whole
// report; with Strict it then fails if the report lists a problem.
func Info(ctx context.Context, auth *kernia.Auth, f InfoFlags, io IO) error {
	warnDialects(io.Stderr, auth)
	rep := report.Build(ctx, auth, report.Options{})
	sensitive := report.Sensitive(auth)
	var err error
	if f.JSON {
		err = rep.WriteJSON(io.Stdout, sensitive)
	} else {
		err = rep.WriteText(io.Stdout, sensitive)
	}
	if err != nil {
		return err
	}
	return strictError(rep, f.Strict, io.Stderr, sensitive)
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
func Check(ctx context.Context, auth *kernia.Auth, f CheckFlags, io IO) error {
	warnDialects(io.Stderr, auth)
	fmt.Fprintln(io.Stderr, "check: generate --check")
	res, genErr := generator.Run(ctx, auth, generator.Options{Check: true, Log: io.Stderr})
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
	fmt.Fprintln(io.Stderr, "check: info --strict")
	rep := report.Build(ctx, auth, report.Options{})
	sensitive := report.Sensitive(auth)
	var err error
	if f.JSON {
		out := struct {
			Generate *generator.Result `json:"generate"`
			Info     *report.Report    `json:"info"`
			OK       bool              `json:"ok"`
		}{res, rep, genErr == nil && len(rep.Problems) == 0}
		err = printJSONScrubbed(io.Stdout, out, sensitive)
	} else {
		err = rep.WriteText(io.Stdout, sensitive)
	}
	if err != nil {
		return err
	}
	infoErr := strictError(rep, true, io.Stderr, sensitive)
	if genErr == nil && infoErr == nil {
		fmt.Fprintln(io.Stderr, "check: ok")
		return nil
	}
	var errs []error
	if genErr != nil {
		errs = append(errs, fmt.Errorf("check: generate --check: %w", genErr))
	}
	if infoErr != nil {
		errs = append(errs, fmt.Errorf("check: info --strict: %w", infoErr))
	}
	return errors.Join(errs...)
}

func printJSONScrubbed(w io.Writer, v any, sensitive []string) error {
	var b strings.Builder
	if err := printJSON(&b, v); err != nil {
		return err
	}
	_, err := io.WriteString(w, report.Scrub(b.String(), sensitive))
	return err
}
