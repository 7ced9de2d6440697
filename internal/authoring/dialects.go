package authoring

import (
	"fmt"
	"io"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/report"
)

// DialectWarnings returns, one line each, what makes the configured dialects disagree with
// the repository or depend on an uncommitted setting (report.DialectWarnings): check, info and
// generate print them on stderr, and info's report lists them among its warnings.
func DialectWarnings(auth *kernia.Auth) []string { return report.DialectWarnings(auth) }

// warnDialects prints DialectWarnings on w.
func warnDialects(w io.Writer, auth *kernia.Auth) {
	for _, l := range DialectWarnings(auth) {
		fmt.Fprintln(w, l)
	}
}
