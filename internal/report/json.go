package report

import "encoding/json"

// MarshalJSON writes the report in its documented, stable shape: every list is present ([]
// when empty) and every value the report could not determine is null, never 0 or "": a
// version the binary does not record, the counts of a database that was not read, the
// secret's details when it is missing or invalid, a missing directory's files and checksum,
// a schema that could not be composed, and the error members when there is no error.
func (r Report) MarshalJSON() ([]byte, error) {
	v := r.Versions
	a := r.Adapter
	s := r.Secret
	out := reportJSON{
		Versions: versionsJSON{Kernia: known(v.Kernia), Go: known(v.Go), Ent: known(v.Ent), Atlas: known(v.Atlas), Driver: known(v.Driver)},
		App:      r.App,
		Adapter: adapterJSON{Dialect: null(a.Dialect), Driver: null(a.Driver), DatabaseURL: a.DatabaseURL, Source: a.Source,
			Dialects: nonNil(a.Dialects), DevURLs: nonNil(a.DevURLs), DevSource: null(a.DevSource), Reachable: a.Reachable, Error: null(a.Error)},
		Secret:       secretJSON{Status: s.Status, Source: null(s.Source), Error: null(s.Error)},
		Plugins:      nonNilOf(r.Plugins),
		Contributors: []tableJSON{},
		Schema:       schemaJSON{Dir: r.Schema.Dir, Changed: nonNil(r.Schema.Changed)},
		Migrations:   []migrationsJSON{},
		Problems:     nonNil(r.Problems),
		Warnings:     nonNil(r.Warnings),
	}
	if a.counted {
		out.Adapter.Applied, out.Adapter.Pending = &a.Applied, &a.Pending
	}
	if s.Status == "set" {
		out.Secret.Keys, out.Secret.Length, out.Secret.Strength = &s.Keys, &s.Length, null(s.Strength)
	}
	if r.Schema.checked {
		out.Schema.UpToDate = &r.Schema.UpToDate
	}
	for _, t := range r.Contributors {
		tj := tableJSON{Table: t.Table, Entity: t.Entity, Owner: t.Owner, Columns: []columnJSON{}}
		for _, c := range t.Columns {
			tj.Columns = append(tj.Columns, columnJSON{Name: c.Name, Field: null(c.Field), Contributor: c.Contributor})
		}
		out.Contributors = append(out.Contributors, tj)
	}
	for _, m := range r.Migrations {
		mj := migrationsJSON{Dialect: m.Dialect, Dir: m.Dir, Exists: m.Exists, Error: null(m.Error)}
		if m.Exists {
			files, ok := m.Files, m.ChecksumOK
			mj.Files, mj.ChecksumOK = &files, &ok
		}
		out.Migrations = append(out.Migrations, mj)
	}
	return json.Marshal(out)
}

type reportJSON struct {
	Versions     versionsJSON     `json:"versions"`
	App          App              `json:"app"`
	Adapter      adapterJSON      `json:"adapter"`
	Secret       secretJSON       `json:"secret"`
	Plugins      []Plugin         `json:"plugins"`
	Contributors []tableJSON      `json:"contributors"`
	Schema       schemaJSON       `json:"schema"`
	Migrations   []migrationsJSON `json:"migrations"`
	Problems     []string         `json:"problems"`
	Warnings     []string         `json:"warnings"`
}

type versionsJSON struct {
	Kernia *string `json:"kernia"`
	Go     *string `json:"go"`
	Ent    *string `json:"ent"`
	Atlas  *string `json:"atlas"`
	Driver *string `json:"driver"`
}

type adapterJSON struct {
	Dialect     *string  `json:"dialect"`
	Driver      *string  `json:"driver"`
	DatabaseURL string   `json:"database_url"`
	Source      string   `json:"source"`
	Dialects    []string `json:"dialects"`
	DevURLs     []string `json:"dev_urls"`
	DevSource   *string  `json:"dev_source"`
	Reachable   *bool    `json:"reachable"`
	Error       *string  `json:"error"`
	Applied     *int     `json:"applied"`
	Pending     *int     `json:"pending"`
}

type secretJSON struct {
	Status   string  `json:"status"`
	Source   *string `json:"source"`
	Keys     *int    `json:"keys"`
	Length   *int    `json:"length"`
	Strength *string `json:"strength"`
	Error    *string `json:"error"`
}

type tableJSON struct {
	Table   string       `json:"table"`
	Entity  string       `json:"entity"`
	Owner   string       `json:"owner"`
	Columns []columnJSON `json:"columns"`
}

type columnJSON struct {
	Name        string  `json:"name"`
	Field       *string `json:"field"`
	Contributor string  `json:"contributor"`
}

type schemaJSON struct {
	Dir      string   `json:"dir"`
	UpToDate *bool    `json:"up_to_date"`
	Changed  []string `json:"changed"`
}

type migrationsJSON struct {
	Dialect    string  `json:"dialect"`
	Dir        string  `json:"dir"`
	Exists     bool    `json:"exists"`
	Files      *int    `json:"files"`
	ChecksumOK *bool   `json:"checksum_ok"`
	Error      *string `json:"error"`
}

// null returns nil for "" (JSON null), else &s.
func null(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// known is null for a version the binary does not record ("unknown").
func known(s string) *string {
	if s == "unknown" {
		return nil
	}
	return null(s)
}

func nonNilOf[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
