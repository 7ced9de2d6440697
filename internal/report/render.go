package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/redact"
)

// WriteJSON writes the report as indented JSON, scrubbed of sensitive values.
func (r *Report) WriteJSON(w io.Writer, sensitive []string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, Scrub(string(b)+"\n", sensitive))
	return err
}

// WriteText writes the report for people, scrubbed of sensitive values.
func (r *Report) WriteText(w io.Writer, sensitive []string) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	v := r.Versions
	fmt.Fprintf(tw, "versions\tkernia %s, %s, ent %s, atlas %s, driver %s\n", v.Kernia, v.Go, v.Ent, v.Atlas, v.Driver)
	fmt.Fprintf(tw, "app\t%s\n", r.App.Name)
	fmt.Fprintf(tw, "base URL\t%s\n", r.App.BaseURL)
	fmt.Fprintf(tw, "base path\t%s\n", r.App.BasePath)
	a := r.Adapter
	fmt.Fprintf(tw, "adapter\t%s via %s; migrations for %s\n", orDash(a.Dialect), orDash(a.Driver), strings.Join(a.Dialects, ", "))
	fmt.Fprintf(tw, "database\t%s (%s)\n", a.DatabaseURL, a.Source)
	switch {
	case a.Reachable == nil:
		fmt.Fprintf(tw, "\tnot checked\n")
	case *a.Reachable:
		fmt.Fprintf(tw, "\treachable: %d applied, %d pending\n", a.Applied, a.Pending)
	default:
		fmt.Fprintf(tw, "\tUNREACHABLE: %s\n", a.Error)
	}
	switch {
	case len(a.DevURLs) > 0:
		fmt.Fprintf(tw, "dev URLs\t%s (%s)\n", strings.Join(a.DevURLs, " "), a.DevSource)
	case a.DevSource != "":
		fmt.Fprintf(tw, "dev URLs\tINVALID (%s): see problems\n", a.DevSource)
	default:
		fmt.Fprintf(tw, "dev URLs\tnone (temporary databases on the database's server)\n")
	}
	s := r.Secret
	switch s.Status {
	case "set":
		fmt.Fprintf(tw, "secret\tset: %s, %d key(s), signing key %d characters, %s\n", s.Source, s.Keys, s.Length, s.Strength)
	case "invalid":
		fmt.Fprintf(tw, "secret\tINVALID: %s (%s)\n", s.Error, s.Source)
	default:
		fmt.Fprintf(tw, "secret\tMISSING\n")
	}
	ids := make([]string, len(r.Plugins))
	for i, p := range r.Plugins {
		ids[i] = p.ID
	}
	fmt.Fprintf(tw, "plugins\t%s\n", orNone(strings.Join(ids, ", ")))
	state := "up to date"
	if !r.Schema.UpToDate {
		state = "DRIFT: " + strings.Join(r.Schema.Changed, ", ")
	}
	fmt.Fprintf(tw, "schema\t%s %s\n", r.Schema.Dir, state)
	for _, m := range r.Migrations {
		switch {
		case m.Error != "" && !m.Exists:
			fmt.Fprintf(tw, "migrations\t%s: %s\n", m.Dir, m.Error)
		case m.ChecksumOK:
			fmt.Fprintf(tw, "migrations\t%s: %d file(s), atlas.sum ok\n", m.Dir, m.Files)
		default:
			fmt.Fprintf(tw, "migrations\t%s: %d file(s), atlas.sum MISMATCH\n", m.Dir, m.Files)
		}
	}
	tw.Flush()
	b.WriteString("\nschema contributors:\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, t := range r.Contributors {
		fmt.Fprintf(tw, "  %s\t(%s, owned by %s)\n", t.Table, t.Entity, t.Owner)
		for _, c := range t.Columns {
			renamed := ""
			if c.Field != "" {
				renamed = " (field " + c.Field + ")"
			}
			fmt.Fprintf(tw, "    %s%s\t%s\n", c.Name, renamed, c.Contributor)
		}
	}
	tw.Flush()
	if len(r.Warnings) > 0 {
		b.WriteString("\nwarnings:\n")
		for _, x := range r.Warnings {
			fmt.Fprintf(&b, "  - %s\n", x)
		}
	}
	if len(r.Problems) == 0 {
		b.WriteString("\nproblems: none\n")
	} else {
		b.WriteString("\nproblems:\n")
		for _, x := range r.Problems {
			fmt.Fprintf(&b, "  - %s\n", x)
		}
	}
	_, err := io.WriteString(w, Scrub(b.String(), sensitive))
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Sensitive returns the values that must never appear in output: every key of KERNIA_SECRETS
// and KERNIA_SECRET, and the passwords of the database URLs of the environment and of auth
// (internal/redact.Collect, the redaction every front end uses).
func Sensitive(auth *kernia.Auth) []string {
	if auth == nil {
		return redact.Collect(nil, nil, true)
	}
	return redact.Collect(auth, nil, true)
}

// Scrub replaces every sensitive value of at least redact.MinLen characters in s with
// redact.Marker, leaving no piece of overlapping values (internal/redact.String).
func Scrub(s string, sensitive []string) string {
	return redact.String(s, sensitive)
}
