package authoring

import (
	"github.com/kernia/kernia/internal/generator"

	"github.com/kernia/kernia/internal/command"
)

// generateJSON is generate's --json object (and check's "generate").
type generateJSON struct {
	// Changed lists the files written or removed (or that would be), relative to the module root.
	Changed []string `json:"changed"`
	// Migrations are the new migration files, one or two per dialect with changes.
	Migrations []migrationJSON `json:"migrations"`
	// Written is false under --dry-run and --check, and for a failed run.
	Written bool `json:"written"`
	// Cached: every input matched the last complete run's fingerprint; nothing was computed.
	Cached bool `json:"cached"`
}

type migrationJSON struct {
	Dialect     string   `json:"dialect"`
	Path        string   `json:"path"`
	SQL         string   `json:"sql"`
	Destructive []string `json:"destructive"`
	Warnings    []string `json:"warnings"`
}

func generateView(res *generator.Result) *generateJSON {
	if res == nil {
		return nil
	}
	g := &generateJSON{Changed: command.List(res.Changed), Migrations: []migrationJSON{}, Written: res.Written, Cached: res.Cached}
	for _, m := range res.Migrations {
		g.Migrations = append(g.Migrations, migrationJSON{Dialect: m.Dialect, Path: m.Path, SQL: m.SQL, Destructive: command.List(m.Destructive), Warnings: command.List(m.Warnings)})
	}
	return g
}
