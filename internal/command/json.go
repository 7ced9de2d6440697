package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/kernia/kernia/internal/migration"
)

// The --json output of every command is one JSON object on stdout. Its shapes are stable
// (the README's JSON section lists them): a list is [] when empty, never null; a value that is
// not known (a dry run's duration, the version of a database with no history) is null, never
// 0 or ""; and a failure prints an object whose "error" member is a JSONError, with the exit
// status unchanged. A successful run's object has no "error" member.

// JSONError is the "error" member of a failed command's --json object.
type JSONError struct {
	// Message is the error, as the command prints it on stderr (without "kernia: ").
	Message string `json:"message"`
	// ExitCode is the command's exit status: 1 failure, 2 bad usage, 130 SIGINT, 143 SIGTERM.
	ExitCode int `json:"exit_code"`
}

// ErrorObject returns the --json object of a failure that has no data to show:
// {"error": {"message": ..., "exit_code": ...}}.
func ErrorObject(message string, code int) any {
	return struct {
		Error JSONError `json:"error"`
	}{JSONError{Message: message, ExitCode: code}}
}

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error { return printJSON(w, v) }

// ExitCoder is implemented by the cause of a context a signal cancelled: its exit status
// (130 for SIGINT, 143 for SIGTERM).
type ExitCoder interface{ ExitCode() int }

// ExitStatus is the exit status of a command that returned err under ctx: 0 for nil; the
// signal's status when a signal cancelled ctx (the cause is an ExitCoder, or a front end
// cancelled ctx and err is a context.Canceled: 130); else ExitCode(err).
func ExitStatus(ctx context.Context, err error) int {
	if err == nil {
		return 0
	}
	var ec ExitCoder
	if ctx != nil && ctx.Err() != nil {
		if errors.As(context.Cause(ctx), &ec) {
			return ec.ExitCode()
		}
		if errors.Is(err, context.Canceled) {
			return 130
		}
	}
	return ExitCode(err)
}

// Interrupted returns, once ctx is done, an error saying the command was interrupted; nil
// before. Commands whose work swallows cancellation (info's report notes an unreachable
// database) call it so that an interrupt never ends in a success.
func Interrupted(ctx context.Context, name string) error {
	if ctx.Err() == nil {
		return nil
	}
	return &interruptedError{name: name, cause: context.Cause(ctx)}
}

type interruptedError struct {
	name  string
	cause error
}

func (e *interruptedError) Error() string {
	return e.name + ": interrupted (" + e.cause.Error() + "); nothing was written"
}

func (e *interruptedError) Unwrap() error { return context.Canceled }

// PrintResult prints v, the data of a command's --json output. When err is not nil it adds the
// "error" member (a JSONError with the exit status the command ends with) after v's own. It
// returns err, or the error of writing when err is nil.
func PrintResult(ctx context.Context, w io.Writer, v any, err error) error {
	if err == nil {
		return printJSON(w, v)
	}
	b, merr := json.Marshal(v)
	if merr != nil || len(b) < 2 || b[0] != '{' {
		return err
	}
	e, _ := json.Marshal(JSONError{Message: err.Error(), ExitCode: ExitStatus(ctx, err)})
	body := bytes.TrimSpace(b[1 : len(b)-1])
	var out bytes.Buffer
	out.WriteByte('{')
	if len(body) > 0 {
		out.Write(body)
		out.WriteByte(',')
	}
	out.WriteString(`"error":`)
	out.Write(e)
	out.WriteByte('}')
	var ind bytes.Buffer
	if jerr := json.Indent(&ind, out.Bytes(), "", "  "); jerr != nil {
		return err
	}
	ind.WriteByte('\n')
	_, _ = w.Write(ind.Bytes())
	return err
}

// List returns s, or an empty list for nil: JSON lists are [], never null.
func List[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// OrNull returns nil for "" (JSON null: not known, or none), else &s.
func OrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// migrateJSON is migrate's --json object.
type migrateJSON struct {
	Dialect string `json:"dialect"`
	// From and To are the database's versions before and after the run; null for none.
	From     *string       `json:"from"`
	To       *string       `json:"to"`
	Baseline *string       `json:"baseline"`
	Applied  []appliedJSON `json:"applied"`
	// Pending lists what a dry run would apply; [] after a complete run, null after a failed one.
	Pending []appliedJSON `json:"pending"`
	DryRun  bool          `json:"dry_run"`
}

// appliedJSON is a file migrate applied (or, in a dry run, would apply).
type appliedJSON struct {
	Version     string `json:"version"`
	Description string `json:"description"`
	Name        string `json:"name"`
	// Statements: the statements run (a dry run: that would run).
	Statements int `json:"statements"`
	// DurationNS is how long the file took, null in a dry run.
	DurationNS *int64 `json:"duration_ns"`
}

// fileJSON is a migration file in status's --json object.
type fileJSON struct {
	Version     string  `json:"version"`
	Description string  `json:"description"`
	Name        *string `json:"name"`
	// Type is, for an applied revision (status), "applied" or "baseline"; null otherwise.
	Type      *string    `json:"type"`
	AppliedAt *time.Time `json:"applied_at"`
	// Statements: the statements run (applied), or the file holds (pending).
	Statements int `json:"statements"`
	// DurationNS is how long the file took, null when it did not run (a dry run, a pending
	// file, a baseline).
	DurationNS *int64 `json:"duration_ns"`
}

func durationOrNull(d time.Duration, ran bool) *int64 {
	if !ran {
		return nil
	}
	n := d.Nanoseconds()
	return &n
}

func migrateView(res *migration.ApplyResult, failed bool) *migrateJSON {
	if res == nil {
		return nil
	}
	m := &migrateJSON{Dialect: res.Dialect, From: OrNull(res.From), To: OrNull(res.To), Baseline: OrNull(res.Baseline), Applied: []appliedJSON{}, DryRun: res.DryRun}
	for _, f := range res.Applied {
		m.Applied = append(m.Applied, appliedFileView(f, !res.DryRun))
	}
	switch {
	case res.DryRun:
		m.Pending = []appliedJSON{}
		for _, f := range res.Pending {
			m.Pending = append(m.Pending, appliedFileView(f, false))
		}
	case !failed:
		m.Pending = []appliedJSON{}
	}
	return m
}

func appliedFileView(f migration.AppliedFile, ran bool) appliedJSON {
	return appliedJSON{Version: f.Version, Description: f.Description, Name: f.Name, Statements: f.Statements, DurationNS: durationOrNull(f.Duration, ran)}
}

// statusJSON is status's --json object.
type statusJSON struct {
	Database string `json:"database"`
	Dialect  string `json:"dialect"`
	Dir      string `json:"dir"`
	// CurrentVersion is the last applied version, null when none is.
	CurrentVersion *string      `json:"current_version"`
	Applied        []fileJSON   `json:"applied"`
	Pending        []fileJSON   `json:"pending"`
	LastFailure    *failureJSON `json:"last_failure"`
	Problems       []string     `json:"problems"`
}

type failureJSON struct {
	Version     string    `json:"version"`
	Description string    `json:"description"`
	Name        *string   `json:"name"`
	Error       string    `json:"error"`
	Statement   *string   `json:"statement"`
	At          time.Time `json:"at"`
	Applied     int       `json:"applied"`
	Total       int       `json:"total"`
	Leftover    *string   `json:"leftover"`
}

func statusView(rep *migration.StatusReport) *statusJSON {
	s := &statusJSON{Database: rep.Database, Dialect: rep.Dialect, Dir: rep.Dir, CurrentVersion: OrNull(rep.Current),
		Applied: []fileJSON{}, Pending: []fileJSON{}, Problems: List(rep.Problems)}
	for _, f := range rep.Applied {
		v := fileJSON{Version: f.Version, Description: f.Description, Name: OrNull(f.Name), Type: OrNull(f.Type), AppliedAt: f.AppliedAt, Statements: f.Statements,
			DurationNS: durationOrNull(f.Duration, f.Type != "baseline")}
		s.Applied = append(s.Applied, v)
	}
	for _, f := range rep.Pending {
		s.Pending = append(s.Pending, fileJSON{Version: f.Version, Description: f.Description, Name: OrNull(f.Name), Statements: f.Statements})
	}
	if lf := rep.LastFailure; lf != nil {
		s.LastFailure = &failureJSON{Version: lf.Version, Description: lf.Description, Name: OrNull(lf.Name), Error: lf.Error, Statement: OrNull(lf.Statement),
			At: lf.At, Applied: lf.Applied, Total: lf.Total, Leftover: OrNull(lf.Leftover)}
	}
	return s
}
